/* mremap: shrink, grow in place, move (MREMAP_MAYMOVE / MREMAP_FIXED /
 * MREMAP_DONTUNMAP). Global + process lock (not a hot path).
 *
 * Linux requires the old range to lie in one VMA. Our VMAs never cross a
 * chunk border, so "one VMA" here means contiguous VMAs of the process
 * that Linux would have merged (same permissions, flags and backing): a
 * logical VMA.
 *
 * Moving anonymous memory does not copy: the host moves the pages
 * (host_mem_move, i.e. host mremap with MREMAP_DONTUNMAP, which keeps the
 * old range mapped so our reservation never has a hole); where the host
 * can't (a piece spans several host mappings) the bytes are copied. */
#include "vm/process_vm_internal.h"

#include <errno.h>
#include <string.h>

#include "host/host_mem.h"
#include "host/host_mem_move.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/vm_perms.h"

struct lvma {
    struct vm_range range;
    uint32_t perms, flags;
    struct vm_file *file;
    uint64_t offset;                /* file offset at range.start */
    struct chunk_ref *last_ref;     /* the last piece and its chunk */
    struct vm_area *last;
};

static bool continues(const struct vm_area *a, const struct vm_area *b)
{
    return a->range.end == b->range.start && a->owner && a->owner == b->owner &&
           a->perms == b->perms && a->flags == b->flags && a->file == b->file &&
           (!a->file || a->offset + vma_size(a) == b->offset);
}

/* The process's own VMA piece starting at addr (and its ref), or NULL. */
static struct vm_area *own_piece_at(struct process_vm *vm, uintptr_t addr,
                                    struct chunk_ref **refp)
{
    struct chunk_ref *ref = ref_find(vm, addr);
    if (!ref)
        return NULL;
    chunk_lock(ref->chunk);
    struct vm_area *v = cm_find(&ref->chunk->cm, addr);
    chunk_unlock(ref->chunk);
    if (!v || !vma_visible_to(v, vm))
        return NULL;
    *refp = ref;
    return v;
}

/* The logical VMA containing addr, followed at least past `until`. */
static int find_lvma(struct process_vm *vm, uintptr_t addr, uintptr_t until, struct lvma *l)
{
    struct chunk_ref *ref;
    struct vm_area *v = own_piece_at(vm, addr, &ref);
    if (!v)
        return -EFAULT;
    *l = (struct lvma){
        .range = v->range, .perms = v->perms, .flags = v->flags, .file = v->file,
        .offset = v->offset, .last_ref = ref, .last = v,
    };
    while (l->range.end <= until) {
        struct chunk_ref *nref;
        struct vm_area *n = own_piece_at(vm, l->range.end, &nref);
        if (!n || !continues(l->last, n))
            break;
        l->range.end = n->range.end;
        l->last = n;
        l->last_ref = nref;
    }
    return 0;
}

static struct vm_mmap_req req_like(const struct lvma *l, uintptr_t addr, size_t size)
{
    return (struct vm_mmap_req){
        .kind = VM_ADDR_ANY,
        .size = size,
        .perms = l->perms,
        .vma_flags = l->flags & (VMA_SHARED | VMA_STACK | VMA_GROWSDOWN),
        .file = l->file,
        .offset = l->file ? l->offset + (addr - l->range.start) : 0,
        .host_fd = (l->flags & VMA_HOSTMAP) ? vm_file_host_fd(l->file) : -1,
    };
}

/* The extension does not fit the last piece's chunk (it crosses the
 * chunk's end, or a single chunk cannot grow): map it as new pieces with
 * the same attributes, if every page of it is free for this process. The
 * pieces continue the logical VMA, as Linux's one VMA would. */
static int grow_by_new_pieces(struct vm_op *op, const struct lvma *l, struct vm_range ext)
{
    struct vm_mmap_req req = req_like(l, ext.start, vm_range_size(ext));
    req.kind = VM_ADDR_NEED;
    req.addr = ext.start;
    long ret = map_locked(op, &req);
    return ret < 0 ? -ENOMEM : 0;
}

/* Grow the logical VMA (ending at its last piece) to new_end in place, if
 * that space is free for this process. 0, or -ENOMEM (nothing changed). */
static int grow_in_place(struct vm_op *op, const struct lvma *l, uintptr_t new_end)
{
    struct chunk_ref *ref = l->last_ref;
    struct vm_area *v = l->last;
    struct chunk *c = ref->chunk;
    struct vm_range ext = { v->range.end, new_end };
    struct vm_mmap_req req = req_like(l, ext.start, vm_range_size(ext));
    if ((l->flags & VMA_HOSTMAP) && req.host_fd < 0)
        return -ENOMEM;
    struct vm_old_pages old = { false, HOST_PROT_NONE };

    chunk_lock(c);
    if (c->kind == CHUNK_MULTI) {
        if (!vm_range_contains(chunk_range(c), ext)) {
            chunk_unlock(c);
            return grow_by_new_pieces(op, l, ext);
        }
        if (!cm_range_is_free(&c->cm, ext) || fsm_alloc_at(&c->cm.fsm, ext)) {
            chunk_unlock(c);
            return -ENOMEM;
        }
        old = cm_take(&c->cm, ext);
    } else if (c->flags & (CHUNK_HEAP | CHUNK_SHM)) {
        chunk_unlock(c);
        return -ENOMEM;
    } else if (chunk_range(c).end != v->range.end ||
               vmm_grow_single(&op->usv->mgr, c, new_end)) {
        chunk_unlock(c);
        return grow_by_new_pieces(op, l, ext);
    }
    cm_set_range(&c->cm, v, (struct vm_range){ v->range.start, new_end });
    vm_account(op->vm, (ptrdiff_t)vm_range_size(ext));
    unsigned freed;
    cm_merge_around(&c->cm, v, &freed);
    ref->nr_vmas -= freed;
    chunk_unlock(c);
    int err = setup_new_range(op, ext, &req, req.offset, old);
    if (err) {
        unmap_failed(op, ext);
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

/* Move [old, old + old_size) of logical VMA l to a new place of new_size. */
static long move_mapping(struct vm_op *op, const struct lvma *l, uintptr_t old,
                         size_t old_size, size_t new_size, enum vm_addr_kind kind,
                         uintptr_t new_addr, bool dont_unmap)
{
    struct vm_mmap_req req = req_like(l, old, new_size);
    req.kind = kind;
    req.addr = kind == VM_ADDR_ANY ? 0 : new_addr;
    bool anon_pages = !(l->flags & VMA_HOSTMAP);     /* anonymous or a private copy */
    bool private_host_file = (l->flags & VMA_HOSTMAP) && !(l->flags & VMA_SHARED);
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
        /* One host move per piece of the old range (its VMAs). */
        for (uintptr_t pos = old; pos < old + n && !err;) {
            struct chunk_ref *ref;
            struct vm_area *v = own_piece_at(op->vm, pos, &ref);
            uintptr_t end = v ? MIN(v->range.end, old + n) : old + n;
            size_t len = end - pos;
            uintptr_t dst = to + (pos - old);
            int e = host_mem_move((void *)pos, (void *)dst, len);
            if (e) {
                log_debug("vm", "mremap: host move %d, copying %zu bytes", e, len);
                err = copy_pages(pos, dst, len, l->perms);
                if (!err && dont_unmap)
                    err = host_mem_discard((void *)pos, len);
            }
            pos = end;
        }
    } else if (private_host_file && n) {
        err = copy_pages(old, to, n, l->perms);     /* keep the private changes */
    }
    if (err) {
        unmap_failed(op, vm_range_make(to, new_size));
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

    struct lvma l;
    uintptr_t old_end = q.old_addr + q.old_size;
    ret = find_lvma(vm, q.old_addr, old_end, &l);
    if (ret)
        goto out;
    ret = -EINVAL;
    if (l.flags & (VMA_SHM | VMA_HEAP))
        goto out;       /* one address for all attachers / the brk area */
    if (q.old_size == 0 && !(l.flags & VMA_SHARED))
        goto out;       /* Linux: duplicating a private mapping makes no sense */

    if (q.fixed || q.dont_unmap) {
        if (q.dont_unmap && ((l.flags & VMA_SHARED) || l.file))
            goto out;   /* private anonymous only (see docs/vm.md) */
        if (q.fixed &&
            !vm_range_contains(vm->usv->mgr.range, vm_range_make(q.new_addr, q.new_size))) {
            ret = -ENOMEM;
            goto out;
        }
        size_t old_size = MIN(q.old_size, q.new_size);
        ret = -EFAULT;
        if (q.old_addr + old_size > l.range.end)
            goto out;
        ret = -EINVAL;
        if (old_size == 0 && !(l.flags & VMA_HOSTMAP))
            goto out;   /* duplicating shared anonymous memory: not here */
        ret = move_mapping(&op, &l, q.old_addr, old_size, q.new_size,
                           q.fixed ? VM_ADDR_FORCE : VM_ADDR_HINT, q.new_addr, q.dont_unmap);
        if (ret >= 0 && q.old_size > q.new_size && !q.dont_unmap)
            unmap_range(&op, (struct vm_range){ q.old_addr + q.new_size, old_end });
        goto out;
    }

    if (q.old_size >= q.new_size) {
        if (q.old_size > q.new_size)
            unmap_range(&op, (struct vm_range){ q.old_addr + q.new_size, old_end });
        ret = (long)q.old_addr;
        goto out;
    }

    /* Grow. */
    ret = -EFAULT;
    if (old_end > l.range.end)
        goto out;
    if (q.old_size == 0) {
        ret = -ENOMEM;
        if (!q.may_move || !(l.flags & VMA_HOSTMAP))
            goto out;
        ret = move_mapping(&op, &l, q.old_addr, 0, q.new_size, VM_ADDR_ANY, 0, true);
        goto out;
    }
    if (old_end == l.range.end && grow_in_place(&op, &l, q.old_addr + q.new_size) == 0) {
        ret = (long)q.old_addr;
        goto out;
    }
    ret = -ENOMEM;
    if (!q.may_move)
        goto out;
    ret = move_mapping(&op, &l, q.old_addr, q.old_size, q.new_size, VM_ADDR_ANY, 0, false);
out:
    op_finish(&op);
    return ret;
}
