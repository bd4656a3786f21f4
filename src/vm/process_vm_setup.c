/* New VMAs: inserting a new range into a chunk (merging with its
 * neighbours) and making it what the guest asked for: zeroed, with its
 * host protection, or mapped from / filled with a file.
 *
 * The host state a new range finds: clean free pages are PROT_NONE; dirty
 * pages may hold old data and have PROT_NONE, or (lazily freed, see
 * docs/vm.md "Unmap protection policy") the protection recorded for them.
 * cm_take tells; the setup zeroes what may hold old data and protects only
 * what differs. Process lock held; chunk lock only for insert_new_vma. */
#include "vm/process_vm_internal.h"

#include <errno.h>
#include <string.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/vm_perms.h"

struct vm_area *insert_new_vma(struct vm_op *op, struct chunk_ref *ref, struct chunk *c,
                               struct vm_range range, const struct vm_mmap_req *req,
                               uint64_t offset, struct vm_old_pages *old)
{
    struct process_vm *vm = op->vm;
    vm_account(vm, (ptrdiff_t)vm_range_size(range));
    uint32_t flags = req->vma_flags;
    if (req->file && req->host_fd >= 0)
        flags |= VMA_HOSTMAP;
    /* The new range as a VMA on the stack: if a neighbour can simply grow
     * over it (the common case for consecutive maps), no VMA is made. */
    struct vm_area tmp;
    vma_init(&tmp, range, req->perms, flags, vm, NULL, offset);
    tmp.file = req->file;
    tmp.chunk = c;
    struct vm_area *v, *prev, *next;
    cm_neighbours(&c->cm, range.start, &prev, &next);
    bool with_prev = prev && vma_can_merge(prev, &tmp);
    bool with_next = next && vma_can_merge(&tmp, next);
    if (with_prev && with_next) {
        /* The new range fills the gap between two that match: one VMA. */
        struct vm_range whole = { prev->range.start, next->range.end };
        cm_remove(&c->cm, next);
        vma_free(next);
        ref->nr_vmas--;
        cm_set_range(&c->cm, prev, whole);
        v = prev;
    } else if (with_prev) {
        cm_set_range(&c->cm, prev, (struct vm_range){ prev->range.start, range.end });
        v = prev;
    } else if (with_next) {
        cm_set_range(&c->cm, next, (struct vm_range){ range.start, next->range.end });
        v = next;
    } else {
        v = op_take_blank(op);
        vma_init(v, range, req->perms, flags, vm, req->file, offset);
        v->chunk = c;
        cm_insert_between(&c->cm, v, prev, next);
        ref->nr_vmas++;
    }
    if (vm->spare == ref)
        vm->spare = NULL;
    if (c->spare_of)
        c->spare_of = NULL;     /* in use again (chunk lock held) */
    *old = cm_take(&c->cm, range);
    return v;
}

static int copy_in_file(struct vm_file *f, struct vm_range r, uint64_t offset)
{
    char *p = (char *)r.start;
    size_t left = vm_range_size(r);
    while (left) {
        ssize_t n = f->ops->read_at(f, p, left, offset);
        if (n < 0)
            return (int)n;
        if (n == 0)
            break;          /* EOF: the rest stays zero */
        p += n;
        offset += (uint64_t)n;
        left -= (size_t)n;
    }
    return 0;
}

/* Zeroing a small writable range that may hold old data. Pages still
 * resident (touched before) are best cleared with memset: that keeps them
 * and saves the guest a page fault. Pages not resident are best handed back
 * (discard): memset would fault them in first. Both are always correct
 * ("not resident" is never taken to mean "zero": it may be swapped out);
 * only the cost differs. Asking the host (mincore) costs a call too, so a
 * process samples residency now and then and otherwise follows what it saw
 * last (its memory is usually all touched, or all not). */
#define ZERO_MEMSET_LIMIT (64UL * PAGE_SIZE)
#define ZERO_SAMPLE_EVERY 16

/* Sample: per page, memset (resident) or discard (not). Returns 0 or -errno;
 * *resident gets how many pages were resident. */
static int zero_by_residency(struct vm_range r, size_t *resident_pages)
{
    unsigned char vec[ZERO_MEMSET_LIMIT / PAGE_SIZE];
    size_t pages = vm_range_size(r) >> PAGE_SHIFT;
    *resident_pages = 0;
    if (host_mem_residency((void *)r.start, vm_range_size(r), vec))
        return host_mem_discard((void *)r.start, vm_range_size(r));
    for (size_t i = 0; i < pages;) {
        size_t j = i;
        int resident = vec[i] & 1;
        while (j < pages && (vec[j] & 1) == resident)
            j++;
        void *a = (void *)(r.start + (i << PAGE_SHIFT));
        size_t n = (j - i) << PAGE_SHIFT;
        if (resident) {
            memset(a, 0, n);
            *resident_pages += j - i;
        } else {
            int err = host_mem_discard(a, n);
            if (err)
                return err;
        }
        i = j;
    }
    return 0;
}

/* Zero r (dirty, small) and give it host protection `prot`; all of r has
 * host protection `cur` now (-1: mixed). memset needs write access: r has
 * it now (then a protect that removes it comes after the memset: one host
 * call for a writable -> read-only reuse), or `prot` gives it (then the
 * protect comes first). Process lock held. */
static int zero_small(struct process_vm *vm, struct vm_range r, int prot, int cur)
{
    void *addr = (void *)r.start;
    size_t size = vm_range_size(r);
    bool sample = vm->zero_sample_in == 0;
    int err;
    if (!sample && !vm->zero_by_memset) {
        vm->zero_sample_in--;
        err = host_mem_discard(addr, size);
        return err || cur == prot ? err : host_mem_protect(addr, size, prot);
    }
    bool protect_first = cur < 0 || !(cur & HOST_PROT_WRITE);
    if (protect_first && (err = host_mem_protect(addr, size, prot)) != 0)
        return err;
    if (sample) {
        vm->zero_sample_in = ZERO_SAMPLE_EVERY;
        size_t resident = 0;
        err = zero_by_residency(r, &resident);
        vm->zero_by_memset = 2 * resident >= (size >> PAGE_SHIFT);
    } else {
        vm->zero_sample_in--;
        memset(addr, 0, size);
        err = 0;
    }
    if (!err && !protect_first && cur != prot)
        err = host_mem_protect(addr, size, prot);
    return err;
}

/* Anonymous memory: zero what may hold old data, protect what differs.
 * Clean pages are host PROT_NONE; lazily freed dirty ones may have kept a
 * protection (old.host_prot), so a reuse with the same protection needs
 * no protect call. */
static int setup_anon(struct vm_op *op, struct vm_range r, int prot, struct vm_old_pages old)
{
    void *addr = (void *)r.start;
    size_t size = vm_range_size(r);
    int cur = old.host_prot;
    int err = 0;
    if (!old.dirty)
        return cur == prot ? 0 : host_mem_protect(addr, size, prot);
    if (prot == HOST_PROT_NONE)     /* one call either way; release also drops the pages */
        return cur == HOST_PROT_NONE ? host_mem_discard(addr, size) : host_mem_release(addr, size);
    bool writable = (prot & HOST_PROT_WRITE) || (cur > 0 && (cur & HOST_PROT_WRITE));
    if (writable && size <= op->usv->zero_memset_max && size <= ZERO_MEMSET_LIMIT)
        return zero_small(op->vm, r, prot, cur);
    err = host_mem_discard(addr, size);
    if (!err && cur != prot)
        err = host_mem_protect(addr, size, prot);
    return err;
}

int setup_new_range(struct vm_op *op, struct vm_range r, const struct vm_mmap_req *req,
                    uint64_t offset, struct vm_old_pages old)
{
    void *addr = (void *)r.start;
    size_t size = vm_range_size(r);
    int prot = vm_perms_to_host(req->perms);
    int rw = HOST_PROT_READ | HOST_PROT_WRITE;
    int err = 0;

    if (req->file && req->host_fd >= 0) {
        /* Replaces whatever the host had there (any protection, old data). */
        err = host_mem_map_file(addr, size, prot, !!(req->vma_flags & VMA_SHARED),
                                req->host_fd, (off_t)offset);
    } else if (req->file) {
        if (old.dirty)
            err = host_mem_discard(addr, size);
        if (!err && old.host_prot != rw)
            err = host_mem_protect(addr, size, rw);
        if (!err)
            err = copy_in_file(req->file, r, offset);
        if (!err && prot != rw)
            err = host_mem_protect(addr, size, prot);
    } else {
        err = setup_anon(op, r, prot, old);
    }
    if (err) {
        log_debug("vm", "setting up %#lx+%#zx: %d", (unsigned long)r.start, size, err);
        return err == -EINVAL ? -ENOMEM : err;
    }
    if (req->populate && prot != HOST_PROT_NONE)
        host_mem_populate(addr, size, prot & HOST_PROT_WRITE);  /* best effort, as Linux */
    return 0;
}

int setup_or_defer(struct vm_op *op, struct vm_range r, const struct vm_mmap_req *req,
                   uint64_t offset, struct vm_old_pages old)
{
    if (!op->defer_setup || op->nr_setups == ARRAY_SIZE(op->setups))
        return setup_new_range(op, r, req, offset, old);
    op->setups[op->nr_setups].r = r;
    op->setups[op->nr_setups].offset = offset;
    op->setups[op->nr_setups].old = old;
    op->nr_setups++;
    return 0;
}

int setup_deferred(struct vm_op *op, const struct vm_mmap_req *req)
{
    int ret = 0;
    for (unsigned i = 0; i < op->nr_setups && !ret; i++)
        ret = setup_new_range(op, op->setups[i].r, req, op->setups[i].offset,
                              op->setups[i].old);
    op->nr_setups = 0;
    op->defer_setup = false;
    return ret;
}
