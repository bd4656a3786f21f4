/* System V shared memory. Each segment is a single-VMA chunk (CHUNK_SHM) at
 * one address in the pool; its VMA has shared access, one sharer per
 * attached process. All shm state is protected by the global lock.
 *
 * Differences from Linux forced by the single address space (docs/vm.md):
 * shmat only at the segment's own address (0 or that address), one attach
 * per process (a second one is -EINVAL), munmap/mprotect only of a whole
 * attachment, and the host protection is the union of the attachers'. */
#include "vm/shm_manager.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/process_vm_internal.h"
#include "vm/vm_perms.h"

#define SHM_MNI   4096
#define SHM_MIN   1UL
#define SHM_MAX   (ULONG_MAX - (1UL << 24))
#define SEQ_LIMIT (1 << 18)
#ifndef SHM_EXEC
#define SHM_EXEC 0100000
#endif
#ifndef SHM_REMAP
#define SHM_REMAP 040000
#endif
#ifndef SHM_DEST
#define SHM_DEST 01000
#endif

struct shm_segment {
    int id;
    bool removed;
    struct chunk *chunk;
    struct vm_area *vma;
    struct shmid_ds ds;
};

struct shm_manager {
    struct shm_segment *slots[SHM_MNI];
    unsigned seq[SHM_MNI];
    size_t nr;
};

int shm_manager_create(struct shm_manager **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

size_t shm_manager_count(const struct shm_manager *shm) { return shm->nr; }

key_t shm_vma_key(const void *seg) { return seg ? ((const struct shm_segment *)seg)->ds.shm_perm.__key : 0; }
int shm_vma_id(const void *seg) { return seg ? ((const struct shm_segment *)seg)->id : 0; }

static void segment_destroy(struct user_space_vm *usv, struct shm_segment *seg)
{
    struct shm_manager *shm = usv->shm;
    int slot = seg->id % SHM_MNI;
    struct vm_range r = chunk_range(seg->chunk);
    host_mem_release((void *)r.start, vm_range_size(r));
    vmm_free_chunk(&usv->mgr, seg->chunk);    /* frees the VMA too */
    shm->slots[slot] = NULL;
    shm->nr--;
    free(seg);
}

void shm_manager_destroy(struct user_space_vm *usv)
{
    struct shm_manager *shm = usv->shm;
    if (!shm)
        return;
    for (int i = 0; i < SHM_MNI; i++)
        if (shm->slots[i])
            segment_destroy(usv, shm->slots[i]);
    free(shm);
    usv->shm = NULL;
}

/* Linux keeps a removed (SHM_DEST) segment findable by id until its last
 * detach: IPC_STAT works and shmat may still attach it (a Linux feature
 * shmctl(2) documents). Only the key lookup forgets it. */
static struct shm_segment *find_id(struct shm_manager *shm, int shmid)
{
    if (shmid < 0)
        return NULL;
    struct shm_segment *seg = shm->slots[shmid % SHM_MNI];
    return seg && seg->id == shmid ? seg : NULL;
}

static struct shm_segment *find_key(struct shm_manager *shm, key_t key)
{
    for (int i = 0; i < SHM_MNI; i++) {
        struct shm_segment *seg = shm->slots[i];
        if (seg && !seg->removed && seg->ds.shm_perm.__key == key)
            return seg;
    }
    return NULL;
}

static int new_segment(struct process_vm *vm, key_t key, size_t size, int shmflg)
{
    struct user_space_vm *usv = vm->usv;
    struct shm_manager *shm = usv->shm;
    if (size < SHM_MIN || size > SHM_MAX)
        return -EINVAL;
    if (shm->nr >= SHM_MNI)
        return -ENOSPC;
    int slot = 0;
    while (shm->slots[slot])
        slot++;
    struct shm_segment *seg = calloc(1, sizeof(*seg));
    if (!seg)
        return -ENOMEM;
    size_t pages = ALIGN_UP(size, PAGE_SIZE);
    struct chunk *c;
    int err = vmm_new_single(&usv->mgr, pages, 0, NULL, &c);
    if (err) {
        free(seg);
        return err;
    }
    c->flags |= CHUNK_SHM;
    struct vm_area *v = vma_new(chunk_range(c), 0, VMA_SHM | VMA_SHARED, NULL, NULL, 0);
    if (!v) {
        vmm_free_chunk(&usv->mgr, c);
        free(seg);
        return -ENOMEM;
    }
    v->chunk = c;
    v->shm = seg;
    chunk_lock(c);
    cm_insert(&c->cm, v);
    chunk_unlock(c);

    shm->seq[slot] = (shm->seq[slot] + 1) % SEQ_LIMIT;
    seg->id = (int)(shm->seq[slot] * SHM_MNI + (unsigned)slot);
    seg->chunk = c;
    seg->vma = v;
    seg->ds.shm_perm.__key = key;
    seg->ds.shm_perm.mode = (unsigned short)(shmflg & 0777);
    seg->ds.shm_perm.__seq = (unsigned short)shm->seq[slot];
    seg->ds.shm_segsz = size;
    seg->ds.shm_ctime = time(NULL);
    seg->ds.shm_cpid = vm->pid;
    shm->slots[slot] = seg;
    shm->nr++;
    return seg->id;
}

int shm_get(struct process_vm *vm, key_t key, size_t size, int shmflg)
{
    struct vm_manager *m = &vm->usv->mgr;
    int ret;
    vmm_lock(m);
    if (key == IPC_PRIVATE) {
        ret = new_segment(vm, key, size, shmflg);
    } else {
        struct shm_segment *seg = find_key(vm->usv->shm, key);
        if (!seg)
            ret = (shmflg & IPC_CREAT) ? new_segment(vm, key, size, shmflg) : -ENOENT;
        else if ((shmflg & IPC_CREAT) && (shmflg & IPC_EXCL))
            ret = -EEXIST;
        else if (seg->ds.shm_segsz < size)
            ret = -EINVAL;
        else
            ret = seg->id;
    }
    vmm_unlock(m);
    return ret;
}

static struct vm_area *own_attachment(struct process_vm *vm, struct shm_segment *seg)
{
    return vma_visible_to(seg->vma, vm) ? seg->vma : NULL;
}

long shm_attach(struct process_vm *vm, int shmid, uintptr_t addr, int shmflg)
{
    if (shmid < 0)
        return -EINVAL;
    if (addr && !IS_ALIGNED(addr, PAGE_SIZE)) {
        if (!(shmflg & SHM_RND))
            return -EINVAL;
        addr = ALIGN_DOWN(addr, PAGE_SIZE);
    } else if (!addr && (shmflg & SHM_REMAP)) {
        return -EINVAL;
    }
    lock_global_and_process(vm);
    struct vm_op op;
    op_init(&op, vm, true);
    long ret = -EINVAL;
    struct shm_segment *seg = find_id(vm->usv->shm, shmid);
    if (!seg)
        goto out;
    struct chunk *c = seg->chunk;
    struct vm_range r = chunk_range(c);
    /* One address for every attacher; one attach per process. */
    if ((addr && addr != r.start) || own_attachment(vm, seg))
        goto out;
    uint32_t perms = VM_PERM_READ | ((shmflg & SHM_RDONLY) ? 0 : VM_PERM_WRITE) |
                     ((shmflg & SHM_EXEC) ? VM_PERM_EXEC : 0);
    uint32_t max = (shmflg & SHM_RDONLY) ? VM_PERM_READ | VM_PERM_EXEC : VM_PERM_RWX;
    struct chunk_ref *ref;
    ret = ref_get(vm, c, &ref);
    if (ret)
        goto out;
    chunk_lock(c);
    int before = vma_host_prot(seg->vma);
    ret = vma_add_sharer(seg->vma, vm, perms, max);
    int after = vma_host_prot(seg->vma);
    chunk_unlock(c);
    if (ret) {
        ref_remove(vm, ref);
        goto out;
    }
    if (after != before) {
        int err = host_mem_protect((void *)r.start, vm_range_size(r), after);
        if (err)
            log_error("vm", "shmat protect: %d", err);
    }
    ref->nr_vmas = 1;
    seg->ds.shm_nattch++;
    seg->ds.shm_atime = time(NULL);
    seg->ds.shm_lpid = vm->pid;
    ret = (long)r.start;
out:
    op_finish(&op);
    return ret;
}

void shm_detach_vma(struct vm_op *op, struct chunk_ref *ref, struct vm_area *v)
{
    struct process_vm *vm = op->vm;
    struct shm_segment *seg = v->shm;
    struct chunk *c = seg->chunk;
    chunk_lock(c);
    int before = vma_host_prot(v);
    vma_remove_sharer(v, vm);
    int after = vma_host_prot(v);
    chunk_unlock(c);
    ref_remove(vm, ref);
    seg->ds.shm_nattch--;
    seg->ds.shm_dtime = time(NULL);
    seg->ds.shm_lpid = vm->pid;
    if (seg->removed && seg->ds.shm_nattch == 0) {
        segment_destroy(op->usv, seg);
        return;
    }
    if (after != before) {
        struct vm_range r = chunk_range(c);
        int err = host_mem_protect((void *)r.start, vm_range_size(r), after);
        if (err)
            log_error("vm", "shmdt protect: %d", err);
    }
}

int shm_detach(struct process_vm *vm, uintptr_t addr)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    lock_global_and_process(vm);
    struct vm_op op;
    op_init(&op, vm, true);
    int ret = -EINVAL;
    struct chunk_ref *ref = ref_find(vm, addr);
    if (ref && (ref->chunk->flags & CHUNK_SHM) && chunk_range(ref->chunk).start == addr) {
        struct vm_area *v = cm_first(&ref->chunk->cm);
        if (v && vma_visible_to(v, vm)) {
            shm_detach_vma(&op, ref, v);
            ret = 0;
        }
    }
    op_finish(&op);
    return ret;
}

int shm_ctl(struct process_vm *vm, int shmid, int cmd, struct shmid_ds *buf)
{
    struct user_space_vm *usv = vm->usv;
    if (shmid < 0)
        return -EINVAL;
    if (cmd != IPC_STAT && cmd != IPC_SET && cmd != IPC_RMID)
        return -EINVAL;
    vmm_lock(&usv->mgr);
    int ret = -EINVAL;
    struct shm_segment *seg = find_id(usv->shm, shmid);
    if (!seg)
        goto out;
    switch (cmd) {
    case IPC_STAT:
        if (!buf) {
            ret = -EFAULT;
            break;
        }
        *buf = seg->ds;
        ret = 0;
        break;
    case IPC_SET:
        if (!buf) {
            ret = -EFAULT;
            break;
        }
        seg->ds.shm_perm.uid = buf->shm_perm.uid;
        seg->ds.shm_perm.gid = buf->shm_perm.gid;
        seg->ds.shm_perm.mode = (unsigned short)((seg->ds.shm_perm.mode & ~0777) |
                                                 (buf->shm_perm.mode & 0777));
        seg->ds.shm_ctime = time(NULL);
        ret = 0;
        break;
    case IPC_RMID:
        seg->removed = true;
        seg->ds.shm_perm.__key = IPC_PRIVATE;
        seg->ds.shm_perm.mode |= SHM_DEST;
        seg->ds.shm_ctime = time(NULL);
        if (seg->ds.shm_nattch == 0)
            segment_destroy(usv, seg);
        ret = 0;
        break;
    }
out:
    vmm_unlock(&usv->mgr);
    return ret;
}
