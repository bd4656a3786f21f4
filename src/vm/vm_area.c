#include "vm/vm_area.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void file_get(struct vm_file *f)
{
    if (f && f->ops && f->ops->get)
        f->ops->get(f);
}

static void file_put(struct vm_file *f)
{
    if (f && f->ops && f->ops->put)
        f->ops->put(f);
}

struct vm_area *vma_alloc_blank(void)
{
    return calloc(1, sizeof(struct vm_area));
}

void vma_init(struct vm_area *v, struct vm_range range, uint32_t perms, uint32_t flags,
              struct process_vm *owner, struct vm_file *file, uint64_t offset)
{
    *v = (struct vm_area){
        .range = range,
        .perms = perms,
        .flags = flags,
        .owner = owner,
        .file = file,
        .offset = file ? offset : 0,
    };
    file_get(file);
}

struct vm_area *vma_new(struct vm_range range, uint32_t perms, uint32_t flags,
                        struct process_vm *owner, struct vm_file *file,
                        uint64_t offset)
{
    struct vm_area *v = vma_alloc_blank();
    if (v)
        vma_init(v, range, perms, flags, owner, file, offset);
    return v;
}

void vma_free(struct vm_area *vma)
{
    if (!vma)
        return;
    file_put(vma->file);
    free(vma->sharers);
    free(vma);
}

bool vma_is_shared_access(const struct vm_area *v) { return v->owner == NULL; }

static int sharer_index(const struct vm_area *v, const struct process_vm *vm)
{
    for (unsigned i = 0; i < v->nr_sharers; i++)
        if (v->sharers[i].vm == vm)
            return (int)i;
    return -1;
}

bool vma_visible_to(const struct vm_area *v, const struct process_vm *vm)
{
    if (v->owner)
        return v->owner == vm;
    return sharer_index(v, vm) >= 0;
}

uint32_t vma_perms_for(const struct vm_area *v, const struct process_vm *vm)
{
    if (v->owner)
        return v->perms;
    int i = sharer_index(v, vm);
    return i < 0 ? 0 : v->sharers[i].perms;
}

uint32_t vma_max_perms_for(const struct vm_area *v, const struct process_vm *vm)
{
    if (v->owner)
        return v->owner == vm ? 0xffffffffu : 0;
    int i = sharer_index(v, vm);
    return i < 0 ? 0 : v->sharers[i].max_perms;
}

int vma_add_sharer(struct vm_area *v, struct process_vm *vm, uint32_t perms,
                   uint32_t max_perms)
{
    int i = sharer_index(v, vm);
    if (i >= 0) {
        v->sharers[i].refs++;
        v->sharers[i].perms |= perms;
        return 0;
    }
    if (v->nr_sharers == v->cap_sharers) {
        unsigned cap = v->cap_sharers ? 2 * v->cap_sharers : 4;
        struct vma_sharer *s = realloc(v->sharers, cap * sizeof(*s));
        if (!s)
            return -ENOMEM;
        v->sharers = s;
        v->cap_sharers = cap;
    }
    v->sharers[v->nr_sharers++] = (struct vma_sharer){ vm, perms, max_perms, 1 };
    return 0;
}

int vma_remove_sharer(struct vm_area *v, struct process_vm *vm)
{
    int i = sharer_index(v, vm);
    if (i < 0)
        return -ENOENT;
    if (--v->sharers[i].refs == 0)
        v->sharers[i] = v->sharers[--v->nr_sharers];
    return (int)v->nr_sharers;
}

uint32_t vma_sharers_perms(const struct vm_area *v)
{
    uint32_t p = 0;
    for (unsigned i = 0; i < v->nr_sharers; i++)
        p |= v->sharers[i].perms;
    return p;
}

void vma_split(struct vm_area *v, uintptr_t addr, struct vm_area *right)
{
    *right = (struct vm_area){
        .range = { addr, v->range.end },
        .perms = v->perms,
        .flags = v->flags,
        .owner = v->owner,
        .file = v->file,
        .offset = v->file ? vma_offset_of(v, addr) : 0,
        .chunk = v->chunk,
        .shm = v->shm,
    };
    file_get(v->file);
    v->range.end = addr;
}

bool vma_can_merge(const struct vm_area *a, const struct vm_area *b)
{
    if (a->range.end != b->range.start)
        return false;
    if (!a->owner || a->owner != b->owner)
        return false;
    if (a->perms != b->perms || a->flags != b->flags || a->chunk != b->chunk)
        return false;
    if (a->flags & VMA_SHM)
        return false;
    if (a->file != b->file)
        return false;
    if (a->file && a->offset + vma_size(a) != b->offset)
        return false;
    return true;
}
