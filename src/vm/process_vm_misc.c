/* brk, msync, madvise, mincore, check_access and /proc/<pid>/maps. */
#include "vm/process_vm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/shm_manager.h"
#include "vm/vm_perms.h"

/* ---- brk ---- */

int process_vm_init_heap(struct process_vm *vm, uintptr_t addr, size_t max_size)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE) || max_size == 0 || max_size > SIZE_MAX - PAGE_SIZE)
        return -EINVAL;
    size_t size = ALIGN_UP(max_size, PAGE_SIZE);
    lock_global_and_process(vm);
    struct vm_op op;
    op_init(&op, vm, true);
    int err = -EEXIST;
    if (vm->heap)
        goto out;
    struct vm_range pool = vm->usv->mgr.range;
    err = -ENOMEM;
    if (addr && !vm_range_contains(pool, vm_range_make(addr, size)))
        goto out;
    struct chunk *c;
    err = vmm_new_single(&vm->usv->mgr, size, addr, vm, &c);
    if (err)
        goto out;
    c->flags |= CHUNK_HEAP;
    struct chunk_ref *ref;
    err = ref_get(vm, c, &ref);
    if (err) {
        vmm_free_chunk(&vm->usv->mgr, c);
        goto out;
    }
    vm->heap = c;
    vm->brk = chunk_range(c).start;
out:
    op_finish(&op);
    return err;
}

uintptr_t process_vm_brk(struct process_vm *vm, uintptr_t addr)
{
    pthread_mutex_lock(&vm->lock);
    struct vm_op op;
    op_init(&op, vm, false);
    uintptr_t ret = vm->brk;
    struct chunk *c = vm->heap;
    if (!c || addr == 0)
        goto out;
    struct vm_range h = chunk_range(c);
    if (addr < h.start || addr > h.end)
        goto out;
    uintptr_t old_end = ALIGN_UP(vm->brk, PAGE_SIZE), new_end = ALIGN_UP(addr, PAGE_SIZE);
    if (op_reserve(&op, 3))
        goto out;
    if (new_end > old_end) {
        struct vm_range r = { old_end, new_end };
        struct chunk_ref *ref = ref_of_chunk(vm, c);
        struct vm_mmap_req req = {
            .kind = VM_ADDR_FORCE, .addr = r.start, .size = vm_range_size(r),
            .perms = VM_PERM_READ | VM_PERM_WRITE, .vma_flags = VMA_HEAP, .host_fd = -1,
        };
        chunk_lock(c);
        if (!cm_range_is_free(&c->cm, r)) {     /* something was mapped there */
            chunk_unlock(c);
            goto out;
        }
        struct vm_old_pages old;
        insert_new_vma(&op, ref, c, r, &req, 0, &old);
        chunk_unlock(c);
        if (setup_new_range(&op, r, &req, 0, old)) {
            unmap_failed(&op, r);
            goto out;
        }
    } else if (new_end < old_end) {
        unmap_range(&op, (struct vm_range){ new_end, old_end });
    }
    vm->brk = ret = addr;
out:
    op_finish(&op);
    return ret;
}

/* ---- coverage helper: walk r, calling fn on each own VMA piece; holes
 * are reported as -ENOMEM after the walk (the mapped parts are done, as
 * Linux's msync and madvise do). ---- */

struct piece_walk {
    uintptr_t pos, end;
    bool hole;
    int err;
    int (*fn)(struct vm_area *v, struct vm_range piece, void *arg);
    void *arg;
    struct process_vm *vm;
};

static int piece_cb(struct chunk_ref *ref, struct vm_area *v, void *arg)
{
    struct piece_walk *w = arg;
    if (v->range.start > w->pos)
        w->hole = true;
    struct vm_range p = vm_range_intersect(v->range, (struct vm_range){ w->pos, w->end });
    if (!vm_range_empty(p) && w->fn) {
        int err = w->fn(v, p, w->arg);
        if (err) {
            w->err = err;
            return 1;
        }
    }
    w->pos = v->range.end;
    return w->pos >= w->end;
}

static int walk_pieces(struct process_vm *vm, struct vm_range r,
                       int (*fn)(struct vm_area *v, struct vm_range piece, void *arg),
                       void *arg)
{
    struct piece_walk w = { .pos = r.start, .end = r.end, .fn = fn, .arg = arg, .vm = vm };
    walk_vmas(vm, r, piece_cb, &w);
    if (w.err)
        return w.err;
    if (w.hole || w.pos < r.end)
        return -ENOMEM;
    return 0;
}

/* ---- [stack] ---- */

int process_vm_mark_stack(struct process_vm *vm, uintptr_t addr, size_t len)
{
    struct vm_range r;
    int err = vm_range_from_user(addr, len, false, &r);
    if (err)
        return err;
    pthread_mutex_lock(&vm->lock);
    struct vm_op op;
    op_init(&op, vm, false);
    err = walk_pieces(vm, r, NULL, NULL);
    if (!err)
        err = op_reserve(&op, 2);
    for (struct chunk_ref *ref = ref_first_after(vm, r.start);
         !err && ref && chunk_range(ref->chunk).start < r.end; ref = ref_next(ref)) {
        struct vm_chunk_manager *cm = &ref->chunk->cm;
        chunk_lock(ref->chunk);
        uintptr_t pos = r.start;
        struct vm_area *v;
        while ((v = cm_first_after(cm, pos)) != NULL && v->range.start < r.end) {
            pos = v->range.end;
            if (v->owner != vm || (v->flags & VMA_STACK))
                continue;
            if (v->range.start < r.start) {
                struct vm_area *right = op_take_blank(&op);
                cm_split(cm, v, r.start, right);
                ref->nr_vmas++;
                v = right;
            }
            if (v->range.end > r.end) {
                struct vm_area *right = op_take_blank(&op);
                cm_split(cm, v, r.end, right);
                ref->nr_vmas++;
            }
            v->flags |= VMA_STACK;
            pos = v->range.end;
            unsigned freed;
            cm_merge_around(cm, v, &freed);
            ref->nr_vmas -= freed;
        }
        chunk_unlock(ref->chunk);
    }
    op_finish(&op);
    return err;
}

/* ---- msync ---- */

static int msync_piece(struct vm_area *v, struct vm_range p, void *arg)
{
    int flags = *(int *)arg;
    if ((v->flags & VMA_HOSTMAP) && (v->flags & VMA_SHARED)) {
        int err = host_mem_sync((void *)p.start, vm_range_size(p), flags);
        if (err)
            return err;
    }
    return 0;
}

int process_vm_msync(struct process_vm *vm, uintptr_t addr, size_t len, int flags)
{
    if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
        return -EINVAL;
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    int err = vm_msync_flags_check(flags);
    if (err)
        return err;
    if (len > SIZE_MAX - (PAGE_SIZE - 1))
        return -ENOMEM;
    size_t size = ALIGN_UP(len, PAGE_SIZE);
    if (addr + size < addr)
        return -ENOMEM;
    if (size == 0)
        return 0;
    pthread_mutex_lock(&vm->lock);
    /* MS_ASYNC: the host page cache already has the data (host-mapped
     * files are the only shared file maps), so only MS_SYNC does work. */
    int hflags = flags & MS_SYNC ? flags : 0;
    err = walk_pieces(vm, vm_range_make(addr, size), hflags ? msync_piece : NULL, &hflags);
    pthread_mutex_unlock(&vm->lock);
    return err;
}

/* ---- madvise ---- */

#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

enum advice_kind { ADV_INVALID, ADV_IGNORE, ADV_PASS, ADV_DONTNEED, ADV_FREE, ADV_REMOVE };

static enum advice_kind advice_kind(int advice)
{
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_COLD:
    case MADV_PAGEOUT:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
    case MADV_COLLAPSE:
        return ADV_PASS;
    case MADV_DONTNEED:
    case MADV_DONTNEED_LOCKED:
        return ADV_DONTNEED;
    case MADV_FREE:
        return ADV_FREE;
    case MADV_REMOVE:
        return ADV_REMOVE;
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
        return ADV_IGNORE;     /* no fork, no core dumps, no KSM here */
    default:
        return ADV_INVALID;
    }
}

struct madv {
    int advice;
    enum advice_kind kind;
};

static int madv_check(struct vm_area *v, struct vm_range p, void *arg)
{
    struct madv *m = arg;
    bool private_anon = !(v->flags & VMA_SHARED) && !v->file;
    if (m->kind == ADV_FREE && !private_anon)
        return -EINVAL;
    if (m->kind == ADV_REMOVE && !((v->flags & VMA_HOSTMAP) && (v->flags & VMA_SHARED)))
        return -EINVAL;
    return 0;
}

static int madv_apply(struct vm_area *v, struct vm_range p, void *arg)
{
    struct madv *m = arg;
    void *addr = (void *)p.start;
    size_t size = vm_range_size(p);
    switch (m->kind) {
    case ADV_PASS:
    case ADV_FREE:
    case ADV_REMOVE:
        return host_mem_advise(addr, size, m->advice);
    case ADV_DONTNEED:
        if (v->flags & VMA_HOSTMAP)
            return host_mem_advise(addr, size, MADV_DONTNEED);
        if (v->flags & (VMA_SHARED | VMA_SHM))
            return 0;   /* shared memory keeps its data, as shmem does */
        if (v->file) {
            /* A private copy of a file: back to the file's contents. */
            int err = host_mem_discard(addr, size);
            if (!err && !(v->perms & VM_PERM_WRITE))
                err = host_mem_protect(addr, size, HOST_PROT_READ | HOST_PROT_WRITE);
            if (!err) {
                uint64_t off = vma_offset_of(v, p.start);
                char *dst = addr;
                size_t left = size;
                while (left) {
                    ssize_t n = v->file->ops->read_at(v->file, dst, left, off);
                    if (n <= 0)
                        break;
                    dst += n, off += (uint64_t)n, left -= (size_t)n;
                }
            }
            if (!err && !(v->perms & VM_PERM_WRITE))
                err = host_mem_protect(addr, size, vma_host_prot(v));
            return err;
        }
        return host_mem_discard(addr, size);    /* zero, as Linux */
    default:
        return 0;
    }
}

int process_vm_madvise(struct process_vm *vm, uintptr_t addr, size_t len, int advice)
{
    struct madv m = { .advice = advice, .kind = advice_kind(advice) };
    if (m.kind == ADV_INVALID)
        return -EINVAL;
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    if (len > SIZE_MAX - (PAGE_SIZE - 1))
        return -EINVAL;
    size_t size = ALIGN_UP(len, PAGE_SIZE);
    if (addr + size < addr)
        return -EINVAL;
    if (size == 0)
        return 0;
    struct vm_range r = vm_range_make(addr, size);
    pthread_mutex_lock(&vm->lock);
    int err = walk_pieces(vm, r, madv_check, &m);
    if (err != -EINVAL && m.kind != ADV_IGNORE) {
        int e = walk_pieces(vm, r, madv_apply, &m);
        if (e && e != -ENOMEM)
            err = e;
    }
    pthread_mutex_unlock(&vm->lock);
    return err;
}

/* ---- mincore ---- */

struct mincore_walk {
    uintptr_t base;
    unsigned char *vec;
};

static int mincore_piece(struct vm_area *v, struct vm_range p, void *arg)
{
    struct mincore_walk *w = arg;
    return host_mem_residency((void *)p.start, vm_range_size(p),
                              w->vec + ((p.start - w->base) >> PAGE_SHIFT));
}

int process_vm_mincore(struct process_vm *vm, uintptr_t addr, size_t len, unsigned char *vec)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    if (len > SIZE_MAX - (PAGE_SIZE - 1) || addr + ALIGN_UP(len, PAGE_SIZE) < addr ||
        addr + ALIGN_UP(len, PAGE_SIZE) > VM_TASK_SIZE)
        return -ENOMEM;
    size_t size = ALIGN_UP(len, PAGE_SIZE);
    if (size == 0)
        return 0;
    if (!vec)
        return -EFAULT;
    struct vm_range r = vm_range_make(addr, size);
    pthread_mutex_lock(&vm->lock);
    int err = walk_pieces(vm, r, NULL, NULL);
    if (!err) {
        struct mincore_walk w = { addr, vec };
        err = walk_pieces(vm, r, mincore_piece, &w);
    }
    pthread_mutex_unlock(&vm->lock);
    return err;
}

/* ---- patching guest code (the syscall fast path) ---- */

static int text_piece(struct vm_area *v, struct vm_range p, void *arg)
{
    struct process_vm *vm = arg;
    (void)p;
    if (v->owner != vm || (v->flags & (VMA_SHARED | VMA_SHM)) ||
        !(vma_perms_for(v, vm) & VM_PERM_EXEC))
        return -EFAULT;
    return 0;
}

static int text_writable(struct vm_area *v, struct vm_range p, void *arg)
{
    (void)v;
    (void)arg;
    return host_mem_protect((void *)p.start, vm_range_size(p),
                            PROT_READ | PROT_WRITE | PROT_EXEC);
}

static int text_restore(struct vm_area *v, struct vm_range p, void *arg)
{
    return host_mem_protect((void *)p.start, vm_range_size(p),
                            vm_perms_to_host(vma_perms_for(v, arg)));
}

int process_vm_patch_text(struct process_vm *vm, uintptr_t addr, size_t len,
                          void (*fn)(void *arg), void *arg)
{
    if (len == 0 || addr + len < addr)
        return -EFAULT;
    struct vm_range r = { ALIGN_DOWN(addr, PAGE_SIZE), ALIGN_UP(addr + len, PAGE_SIZE) };
    pthread_mutex_lock(&vm->lock);
    int err = walk_pieces(vm, r, text_piece, vm);
    if (err)
        err = -EFAULT;
    else
        err = walk_pieces(vm, r, text_writable, NULL);
    if (!err)
        fn(arg);
    if (err != -EFAULT)
        walk_pieces(vm, r, text_restore, vm);
    pthread_mutex_unlock(&vm->lock);
    return err;
}

uintptr_t *process_vm_fast_stubs(struct process_vm *vm) { return vm->fast_stubs; }

/* ---- check_access ---- */

struct access_walk {
    uint32_t want;
    struct process_vm *vm;
};

static int access_piece(struct vm_area *v, struct vm_range p, void *arg)
{
    struct access_walk *w = arg;
    return (vma_perms_for(v, w->vm) & w->want) == w->want ? 0 : -EFAULT;
}

int process_vm_check_access(struct process_vm *vm, uintptr_t addr, size_t len, int prot)
{
    if (len == 0)
        return 0;
    uintptr_t end = addr + len;
    /* The last page: ALIGN_UP(end) would wrap to 0, an empty walk, "ok". */
    if (end < addr || end > UINTPTR_MAX - PAGE_SIZE + 1)
        return -EFAULT;
    struct vm_range r = { ALIGN_DOWN(addr, PAGE_SIZE), ALIGN_UP(end, PAGE_SIZE) };
    struct access_walk w = { .want = (uint32_t)prot & (VM_PERM_READ | VM_PERM_WRITE), .vm = vm };
    pthread_mutex_lock(&vm->lock);
    int err = walk_pieces(vm, r, access_piece, &w);
    pthread_mutex_unlock(&vm->lock);
    return err ? -EFAULT : 0;
}

/* ---- /proc/<pid>/maps ---- */

struct maps_out {
    char *buf;
    size_t len, used;   /* used: bytes the full text needs */
    /* The line being built: adjacent VMAs Linux would have merged (e.g.
     * across a chunk border) are shown as one. */
    bool have;
    struct vm_range r;
    uint32_t perms, flags;
    struct vm_file *file;
    uint64_t offset;
    void *shm;
    struct process_vm *vm;
};

static void out_str(struct maps_out *o, const char *s, size_t n)
{
    if (o->used < o->len) {
        size_t room = o->len - 1 - o->used;
        memcpy(o->buf + o->used, s, MIN(n, room));
    }
    o->used += n;
}

static void flush_line(struct maps_out *o)
{
    if (!o->have)
        return;
    char perms[5], line[160];
    vm_perms_format(o->perms, o->flags & (VMA_SHARED | VMA_SHM), perms);
    const char *name = NULL;
    char shmname[48];
    unsigned dev_major = 0, dev_minor = 0;
    unsigned long ino = 0;
    unsigned long long off = o->file ? o->offset : 0;
    if (o->flags & VMA_HEAP)
        name = "[heap]";
    else if (o->flags & VMA_STACK)
        name = "[stack]";
    else if (o->flags & VMA_SHM) {
        snprintf(shmname, sizeof(shmname), "/SYSV%08x (deleted)", (unsigned)shm_vma_key(o->shm));
        name = shmname;
        dev_minor = 1;
        ino = (unsigned long)shm_vma_id(o->shm);
    } else if (o->file)
        name = vm_file_path(o->file);
    else if (o->flags & VMA_SHARED) {
        name = "/dev/zero (deleted)";
        dev_minor = 1;
    }
    int n = snprintf(line, sizeof(line), "%08lx-%08lx %s %08llx %02x:%02x %lu ",
                     (unsigned long)o->r.start, (unsigned long)o->r.end, perms, off,
                     dev_major, dev_minor, ino);
    out_str(o, line, (size_t)n);
    if (name) {
        /* Linux pads the name to column 73. */
        static const char spaces[] = "                                                  ";
        size_t pad = n < 72 ? (size_t)(72 - n) : 0;
        while (pad) {
            size_t k = MIN(pad, sizeof(spaces) - 1);
            out_str(o, spaces, k);
            pad -= k;
        }
        out_str(o, " ", 1);
        out_str(o, name, strlen(name));
    }
    out_str(o, "\n", 1);
    o->have = false;
}

static int maps_cb(struct chunk_ref *ref, struct vm_area *v, void *arg)
{
    struct maps_out *o = arg;
    uint32_t perms = vma_perms_for(v, o->vm);
    uint32_t flags = v->flags & (VMA_SHARED | VMA_HEAP | VMA_STACK | VMA_SHM);
    if (o->have && o->r.end == v->range.start && o->perms == perms && o->flags == flags &&
        o->file == v->file && !(flags & VMA_SHM) &&
        (!v->file || o->offset + vm_range_size(o->r) == v->offset)) {
        o->r.end = v->range.end;
        return 0;
    }
    flush_line(o);
    o->have = true;
    o->r = v->range;
    o->perms = perms;
    o->flags = flags;
    o->file = v->file;
    o->offset = v->offset;
    o->shm = v->shm;
    return 0;
}

ssize_t process_vm_render_maps(struct process_vm *vm, char *buf, size_t len)
{
    if (!buf && len)
        return -EFAULT;
    struct maps_out o = { .buf = buf, .len = len, .vm = vm };
    pthread_mutex_lock(&vm->lock);
    walk_vmas(vm, (struct vm_range){ 0, UINTPTR_MAX }, maps_cb, &o);
    flush_line(&o);
    pthread_mutex_unlock(&vm->lock);
    if (len)
        buf[MIN(o.used, len - 1)] = '\0';
    return (ssize_t)o.used;
}
