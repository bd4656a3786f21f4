/* mremap: shrink, grow in place, move (MREMAP_MAYMOVE / MREMAP_FIXED /
 * MREMAP_DONTUNMAP). Global + process lock (not a hot path).
 *
 * Moving anonymous memory does not copy: the host moves the pages
 * (host_mem_move, i.e. host mremap with MREMAP_DONTUNMAP, which keeps the
 * old range mapped so our reservation never has a hole); if the host can't
 * (the range spans several host mappings) the bytes are copied. */
#include "vm/process_vm_internal.h"

#include <errno.h>
#include <string.h>

#include "host/host_mem.h"
#include "host/host_mem_move.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/vm_perms.h"

/* A mapping request with the attributes of VMA v at `addr`. */
static struct vm_mmap_req req_like(struct vm_area *v, uintptr_t addr, size_t size)
{
    return (struct vm_mmap_req){
        .kind = VM_ADDR_ANY,
        .size = size,
        .perms = v->perms,
        .vma_flags = v->flags & (VMA_SHARED | VMA_STACK | VMA_GROWSDOWN),
        .file = v->file,
        .offset = v->file ? vma_offset_of(v, addr) : 0,
        .host_fd = (v->flags & VMA_HOSTMAP) ? vm_file_host_fd(v->file) : -1,
    };
}

/* Grow VMA v (ending at old_end) to new_end in place, if that space is
 * free for this process. 0, or -ENOMEM (nothing changed). */
static int grow_in_place(struct vm_op *op, struct chunk_ref *ref, struct vm_area *v,
                         uintptr_t new_end)
{
    struct chunk *c = ref->chunk;
    struct vm_range ext = { v->range.end, new_end };
    struct vm_mmap_req req = req_like(v, ext.start, vm_range_size(ext));
    if (req.file && (v->flags & VMA_HOSTMAP) && req.host_fd < 0)
        return -ENOMEM;
    bool dirty = false;

    chunk_lock(c);
    if (c->kind == CHUNK_MULTI) {
        if (!vm_range_contains(chunk_range(c), ext) || !cm_range_is_free(&c->cm, ext) ||
            fsm_alloc_at(&c->cm.fsm, ext)) {
            chunk_unlock(c);
            return -ENOMEM;
        }
        dirty = cm_dirty_take(&c->cm, ext);
    } else {
        if (c->flags & (CHUNK_HEAP | CHUNK_SHM) || chunk_range(c).end != v->range.end ||
            vmm_grow_single(&op->usv->mgr, c, new_end)) {
            chunk_unlock(c);
            return -ENOMEM;
        }
    }
    cm_set_range(&c->cm, v, (struct vm_range){ v->range.start, new_end });
    unsigned freed;
    cm_merge_around(&c->cm, v, &freed);
    ref->nr_vmas -= freed;
    chunk_unlock(c);
    int err = setup_new_range(op, ext, &req, req.offset, dirty);
    if (err) {
        unmap_range(op, ext);
        return err;
    }
    return 0;
}

/* Copy size bytes from `from` to `to` (both mapped with perms). */
static int copy_pages(uintptr_t from, uintptr_t to, size_t size, uint32_t perms)
{
    int prot = vm_perms_to_host(perms);
    int rw = HOST_PROT_READ | HOST_PROT_WRITE;
    int err = 0;
    if (!(prot & HOST_PROT_READ))
        err = host_mem_protect((void *)from, size, HOST_PROT_READ);
    if (!err && (prot & rw) != rw)
        err = host_mem_protect((void *)to, size, rw);
    if (err)
        return err;
    memcpy((void *)to, (const void *)from, size);
    if ((prot & rw) != rw)
        err = host_mem_protect((void *)to, size, prot);
    if (!err && !(prot & HOST_PROT_READ))
        err = host_mem_protect((void *)from, size, prot);
    return err;
}

/* Move [old, old+old_size) of VMA v to a new place of new_size bytes. v
 * may be merged away by the new mapping: nothing of it is used after. */
static long move_mapping(struct vm_op *op, struct vm_area *v, uintptr_t old, size_t old_size,
                         size_t new_size, enum vm_addr_kind kind, uintptr_t new_addr,
                         bool dont_unmap)
{
    struct vm_mmap_req req = req_like(v, old, new_size);
    req.kind = kind;
    req.addr = kind == VM_ADDR_ANY ? 0 : new_addr;
    bool anon_pages = !(v->flags & VMA_HOSTMAP);     /* anonymous or a private copy */
    bool private_host_file = (v->flags & VMA_HOSTMAP) && !(v->flags & VMA_SHARED);
    uint32_t perms = v->perms;
    struct vm_range pool = op->usv->mgr.range;
    if (kind == VM_ADDR_HINT && !vm_range_contains(pool, vm_range_make(new_addr, new_size)))
        req.kind = VM_ADDR_ANY, req.addr = 0;
    /* Host-mapped files are simply mapped again at the new place; a
     * private copy of a file is read again there (beyond the old size it
     * must show the file) and then gets the old pages over it. */
    long ret = map_locked(op, &req);
    if (ret < 0)
        return ret;
    uintptr_t to = (uintptr_t)ret;
    size_t n = MIN(old_size, new_size);
    int err = 0;
    if (anon_pages && n) {
        err = host_mem_move((void *)old, (void *)to, n);
        if (err) {
            log_debug("vm", "mremap: host move %d, copying %zu bytes", err, n);
            err = copy_pages(old, to, n, perms);
            if (!err && dont_unmap)
                err = host_mem_discard((void *)old, n);
        }
    } else if (private_host_file && n) {
        err = copy_pages(old, to, n, perms);    /* keep the private changes */
    }
    if (err) {
        unmap_range(op, vm_range_make(to, new_size));
        return err;
    }
    if (!dont_unmap && old_size)
        unmap_range(op, vm_range_make(old, old_size));
    return ret;
}

long process_vm_mremap(struct process_vm *vm, uintptr_t old_addr, size_t old_len,
                       size_t new_len, int flags, uintptr_t new_addr)
{
    struct vm_mremap_req q;
    int err = vm_mremap_req_parse(old_addr, old_len, new_len, flags, new_addr, &q);
    if (err)
        return err;

    lock_global_and_process(vm);
    struct vm_op op;
    op_init(&op, vm, true);
    long ret = op_reserve(&op, 4);
    if (ret)
        goto out;

    struct chunk_ref *ref = ref_find(vm, q.old_addr);
    struct vm_area *v = NULL;
    if (ref) {
        chunk_lock(ref->chunk);
        v = cm_find(&ref->chunk->cm, q.old_addr);
        if (v && !vma_visible_to(v, vm))
            v = NULL;
        chunk_unlock(ref->chunk);
    }
    ret = -EFAULT;
    if (!v)
        goto out;
    ret = -EINVAL;
    if (v->flags & (VMA_SHM | VMA_HEAP))
        goto out;       /* one address for all attachers / the brk area */
    if (q.old_size == 0 && !(v->flags & VMA_SHARED))
        goto out;       /* Linux: duplicating a private mapping makes no sense */

    if (q.fixed || q.dont_unmap) {
        if (q.dont_unmap && ((v->flags & VMA_SHARED) || v->file))
            goto out;   /* private anonymous only (see docs/vm.md) */
        if (q.fixed) {
            /* Validated target first, so a failure leaves everything. */
            struct vm_range pool = vm->usv->mgr.range;
            if (!vm_range_contains(pool, vm_range_make(q.new_addr, q.new_size))) {
                ret = -ENOMEM;
                goto out;
            }
        }
        size_t old_size = q.old_size;
        if (old_size > q.new_size)
            old_size = q.new_size;
        ret = -EFAULT;
        if (q.old_addr + old_size > v->range.end)
            goto out;
        if (old_size == 0) {
            ret = -EINVAL;      /* duplicating shared anonymous memory: not here */
            if (!(v->flags & VMA_HOSTMAP))
                goto out;
        }
        ret = move_mapping(&op, v, q.old_addr, old_size, q.new_size,
                           q.fixed ? VM_ADDR_FORCE : VM_ADDR_HINT, q.new_addr, q.dont_unmap);
        if (ret >= 0 && q.old_size > q.new_size && !q.dont_unmap)
            unmap_range(&op, (struct vm_range){ q.old_addr + q.new_size,
                                                q.old_addr + q.old_size });
        goto out;
    }

    if (q.old_size >= q.new_size) {
        if (q.old_size > q.new_size)
            unmap_range(&op, (struct vm_range){ q.old_addr + q.new_size,
                                                q.old_addr + q.old_size });
        ret = (long)q.old_addr;
        goto out;
    }

    /* Grow. */
    ret = -EFAULT;
    if (q.old_addr + q.old_size > v->range.end)
        goto out;
    if (q.old_size == 0) {
        ret = -ENOMEM;
        if (!q.may_move || !(v->flags & VMA_HOSTMAP))
            goto out;
        ret = move_mapping(&op, v, q.old_addr, 0, q.new_size, VM_ADDR_ANY, 0, true);
        goto out;
    }
    if (q.old_addr + q.old_size == v->range.end &&
        grow_in_place(&op, ref, v, q.old_addr + q.new_size) == 0) {
        ret = (long)q.old_addr;
        goto out;
    }
    ret = -ENOMEM;
    if (!q.may_move)
        goto out;
    ret = move_mapping(&op, v, q.old_addr, q.old_size, q.new_size, VM_ADDR_ANY, 0, false);
out:
    op_finish(&op);
    return ret;
}
