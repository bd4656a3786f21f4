/* ProcessVM: the memory of one guest process in the shared pool.
 *
 * Locking (outermost first):  vm_manager (global)  ->  process_vm  ->  chunk
 *
 *  - The process lock serialises the calls of one process's threads and
 *    protects its chunk references (refs, multi_refs, spare, trim_list,
 *    heap, brk) and so its VMAs: only the process itself changes them.
 *  - A chunk's lock protects its VMA tree, free space and dirty bitmap;
 *    multi-VMA chunks are shared by many processes.
 *  - The global lock protects the chunk tree and the pool's free space.
 *    The hot paths (mmap into one of the process's own multi chunks,
 *    munmap, mprotect, check_access) never take it. A call that needs it
 *    (a new chunk, an addressed map, shm, mremap) drops the process lock
 *    and takes both in order (it never waits for the global lock while
 *    holding the process lock).
 *  - Host calls that return memory (release, discard) happen under the
 *    process and chunk locks, not the global lock; address space goes
 *    back to the pool afterwards (op_finish), so it is never handed out
 *    while it still holds old pages.
 *
 * Process-visible rule of the single address space: a process sees only
 * its own VMAs. munmap and mprotect skip other processes' VMAs, MAP_FIXED
 * over them is -ENOMEM, and nothing a process does can change them. */
#include "vm/process_vm_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/vm_perms.h"

#define REF(n) rb_entry(n, struct chunk_ref, rb)

/* ---- operation context ---- */

void op_init(struct vm_op *op, struct process_vm *vm, bool have_global)
{
    op->vm = vm;
    op->usv = vm->usv;
    op->have_global = have_global;
    op->blank = op->inline_blank;
    op->nr_blank = 0;
    op->cap_blank = ARRAY_SIZE(op->inline_blank);
    list_init(&op->to_free);
    op->defer_setup = false;
    op->nr_setups = 0;
}

int op_reserve(struct vm_op *op, unsigned n)
{
    struct process_vm *vm = op->vm;
    if (n > op->cap_blank) {
        struct vm_area **b = malloc(n * sizeof(*b));
        if (!b)
            return -ENOMEM;
        memcpy(b, op->blank, op->nr_blank * sizeof(*b));
        if (op->blank != op->inline_blank)
            free(op->blank);
        op->blank = b;
        op->cap_blank = n;
    }
    while (op->nr_blank < n) {
        struct vm_area *v = vm->nr_blank ? vm->blank[--vm->nr_blank] : vma_alloc_blank();
        if (!v)
            return -ENOMEM;
        op->blank[op->nr_blank++] = v;
    }
    return 0;
}

struct vm_area *op_take_blank(struct vm_op *op)
{
    if (op->nr_blank == 0) {
        /* Callers reserve what they need; this is a bug, not a guest error. */
        log_error("vm", "op ran out of reserved VMAs");
        abort();
    }
    return op->blank[--op->nr_blank];
}

void op_release_blanks(struct vm_op *op)
{
    struct process_vm *vm = op->vm;
    while (op->nr_blank) {
        struct vm_area *v = op->blank[--op->nr_blank];
        if (vm->nr_blank < VM_BLANK_CACHE)
            vm->blank[vm->nr_blank++] = v;
        else
            free(v);
    }
    if (op->blank != op->inline_blank) {
        free(op->blank);
        op->blank = op->inline_blank;
        op->cap_blank = ARRAY_SIZE(op->inline_blank);
    }
}

void lock_global_and_process(struct process_vm *vm)
{
    vmm_lock(&vm->usv->mgr);
    pthread_mutex_lock(&vm->lock);
}

/* ---- chunk references ---- */

struct chunk_ref *ref_first_after(const struct process_vm *vm, uintptr_t addr)
{
    struct rb_node *n = vm->refs.root;
    struct chunk_ref *best = NULL;
    while (n) {
        struct chunk_ref *r = REF(n);
        if (chunk_range(r->chunk).end > addr) {
            best = r;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

struct chunk_ref *ref_find(const struct process_vm *vm, uintptr_t addr)
{
    struct chunk_ref *r = ref_first_after(vm, addr);
    return r && chunk_range(r->chunk).start <= addr ? r : NULL;
}

struct chunk_ref *ref_next(const struct chunk_ref *r)
{
    return rb_entry_safe(rb_next(&r->rb), struct chunk_ref, rb);
}

struct chunk_ref *ref_of_chunk(const struct process_vm *vm, const struct chunk *c)
{
    struct chunk_ref *r = ref_find(vm, chunk_range(c).start);
    return r && r->chunk == c ? r : NULL;
}

static void ref_insert(struct process_vm *vm, struct chunk_ref *ref)
{
    struct rb_node **link = &vm->refs.root, *parent = NULL;
    uintptr_t key = chunk_range(ref->chunk).start;
    while (*link) {
        parent = *link;
        link = key < chunk_range(REF(parent)->chunk).start ? &parent->left : &parent->right;
    }
    rb_insert(&vm->refs, &ref->rb, parent, link);
    vm->nr_refs++;
}

/* Unlink a reference (the caller fixes the chunk's holder count). */
static void ref_unlink(struct process_vm *vm, struct chunk_ref *ref)
{
    rb_erase(&vm->refs, &ref->rb);
    vm->nr_refs--;
    if (ref->chunk->kind == CHUNK_MULTI)
        list_del(&ref->link);
    if (vm->spare == ref)
        vm->spare = NULL;
}

void ref_remove(struct process_vm *vm, struct chunk_ref *ref)
{
    ref_unlink(vm, ref);
    free(ref);
}

int ref_get(struct process_vm *vm, struct chunk *c, struct chunk_ref **out)
{
    struct chunk_ref *ref = ref_of_chunk(vm, c);
    if (ref) {
        *out = ref;
        return 0;
    }
    ref = calloc(1, sizeof(*ref));
    if (!ref)
        return -ENOMEM;
    ref->chunk = c;
    list_init(&ref->link);
    if (c->kind == CHUNK_MULTI) {
        chunk_lock(c);
        c->nr_holders++;
        chunk_unlock(c);
        list_add(&ref->link, &vm->multi_refs);
    }
    ref_insert(vm, ref);
    *out = ref;
    return 0;
}

/* Drop a multi chunk reference; the chunk may become freeable. */
static void ref_drop_multi(struct vm_op *op, struct chunk_ref *ref)
{
    struct chunk *c = ref->chunk;
    ref_unlink(op->vm, ref);
    free(ref);
    chunk_lock(c);
    if (c->spare_of == op->vm)
        c->spare_of = NULL;
    c->nr_holders--;
    if (c->nr_holders == 0 && c->cm.nr_vmas == 0 && !c->free_pending) {
        c->free_pending = true;
        list_add_tail(&c->trim_link, &op->to_free);
    }
    chunk_unlock(c);
}

void ref_put_if_unused(struct vm_op *op, struct chunk_ref *ref)
{
    struct process_vm *vm = op->vm;
    if (ref->nr_vmas > 0 || ref->chunk->kind != CHUNK_MULTI || vm->spare == ref)
        return;
    if (!vm->spare) {
        /* Keep one emptied chunk (if only we hold it): no churn on the next
         * mmap. The global path may reclaim it (reclaim_spare_chunks). */
        struct chunk *c = ref->chunk;
        chunk_lock(c);
        bool sole = c->nr_holders == 1 && c->cm.nr_vmas == 0;
        if (sole)
            c->spare_of = vm;
        chunk_unlock(c);
        if (sole) {
            vm->spare = ref;
            return;
        }
    }
    ref_drop_multi(op, ref);
}

static void add_to_trim_list(struct process_vm *vm, struct chunk *c)
{
    if (!c->on_trim_list && c->kind == CHUNK_SINGLE && !(c->flags & (CHUNK_HEAP | CHUNK_SHM))) {
        c->on_trim_list = true;
        list_add_tail(&c->trim_link, &vm->trim_list);
    }
}

/* ---- unmapping ---- */

int vma_host_prot(const struct vm_area *v)
{
    return vm_perms_to_host(v->owner ? v->perms : vma_sharers_perms(v));
}

/* The pages of piece p (all of VMA v) leave the guest. */
static void release_piece(struct user_space_vm *usv, struct chunk *c, struct vm_area *v)
{
    struct vm_range p = v->range;
    void *addr = (void *)p.start;
    size_t size = vm_range_size(p);
    int err;
    if (c->kind == CHUNK_SINGLE || (v->flags & VMA_HOSTMAP) || size >= usv->release_min) {
        /* Back to the host now: anonymous, PROT_NONE, zero on next use. */
        err = host_mem_release(addr, size);
    } else {
        /* Inaccessible now; the old data is zeroed before reuse or
         * returned to the host with the chunk's next dirty flush. */
        err = vma_host_prot(v) != HOST_PROT_NONE ? host_mem_protect(addr, size, HOST_PROT_NONE)
                                                 : 0;
        cm_dirty_mark(&c->cm, p);
    }
    if (err)
        log_error("vm", "releasing %#lx+%#zx: %d", (unsigned long)p.start, size, err);
}

void unmap_in_chunk(struct vm_op *op, struct chunk_ref *ref, struct vm_range r)
{
    struct process_vm *vm = op->vm;
    struct chunk *c = ref->chunk;
    struct vm_chunk_manager *cm = &c->cm;
    struct vm_area *v = cm_first_after(cm, r.start);

    while (v && v->range.start < r.end) {
        struct vm_area *next = cm_next(v);
        if (v->owner != vm) {           /* another process's, or shm */
            v = next;
            continue;
        }
        if (v->range.start < r.start) {
            struct vm_area *right = op_take_blank(op);
            cm_split(cm, v, r.start, right);
            ref->nr_vmas++;
            v = right;
        }
        if (v->range.end > r.end) {
            struct vm_area *right = op_take_blank(op);
            cm_split(cm, v, r.end, right);
            ref->nr_vmas++;
            next = NULL;
        }
        release_piece(op->usv, c, v);
        cm_remove(cm, v);
        ref->nr_vmas--;
        if (c->kind == CHUNK_MULTI) {
            int err = fsm_free(&cm->fsm, v->range);
            if (err)
                log_error("vm", "chunk fsm_free %#lx: %d", (unsigned long)v->range.start, err);
        }
        vma_free(v);
        v = next;
    }
    if (c->kind == CHUNK_MULTI) {
        if (cm->dirty_bytes > op->usv->dirty_max)
            cm_dirty_flush(cm);
    } else if (cm->vma_bytes < vm_range_size(cm->range)) {
        add_to_trim_list(vm, c);
    }
}

int unmap_range(struct vm_op *op, struct vm_range r)
{
    struct process_vm *vm = op->vm;
    /* At most two VMAs are split: the ones holding r.start and r.end. */
    int err = op_reserve(op, op->nr_blank + 2);
    if (err)
        return err;
    struct chunk_ref *ref = ref_first_after(vm, r.start);
    while (ref && chunk_range(ref->chunk).start < r.end) {
        struct chunk_ref *next = ref_next(ref);
        struct chunk *c = ref->chunk;
        if (c->flags & CHUNK_SHM) {
            /* The caller checked it is covered whole (find_shm). */
            struct vm_area *v = op->have_global ? cm_first(&c->cm) : NULL;
            if (v && vm_range_contains(r, v->range))
                shm_detach_vma(op, ref, v);
        } else {
            chunk_lock(c);
            unmap_in_chunk(op, ref, r);
            chunk_unlock(c);
            ref_put_if_unused(op, ref);
        }
        ref = next;
    }
    return 0;
}

/* ---- giving address space back (global lock) ---- */

static void trim_chunk(struct process_vm *vm, struct chunk *c)
{
    struct vm_manager *m = &vm->usv->mgr;
    struct chunk_ref *ref = ref_of_chunk(vm, c);

    chunk_lock(c);
    if (c->cm.nr_vmas == 0) {
        chunk_unlock(c);
        if (ref) {
            ref_unlink(vm, ref);
            free(ref);
        }
        vmm_free_chunk(m, c);
        return;
    }
    struct vm_area *first = cm_first(&c->cm);
    struct vm_area *last = rb_entry(rb_last(&c->cm.vmas), struct vm_area, rb);
    struct vm_range keep = { first->range.start, last->range.end };
    if (keep.start != chunk_range(c).start || keep.end != chunk_range(c).end) {
        if (ref)
            rb_erase(&vm->refs, &ref->rb), vm->nr_refs--;
        vmm_shrink_single(m, c, keep);
        if (ref)
            ref_insert(vm, ref);
    }
    /* Holes inside: split the chunk there. */
    for (struct vm_area *v = cm_first(&c->cm), *n; v && (n = cm_next(v)); v = n) {
        if (v->range.end == n->range.start)
            continue;
        struct chunk *right;
        struct chunk_ref *rref = calloc(1, sizeof(*rref));
        if (!rref || vmm_split_single(m, c, (struct vm_range){ v->range.end, n->range.start },
                                      &right)) {
            free(rref);
            log_warn("vm", "out of memory splitting chunk %#lx: hole kept",
                     (unsigned long)chunk_range(c).start);
            break;
        }
        if (ref)
            ref->nr_vmas = c->cm.nr_vmas;
        rref->chunk = right;
        rref->nr_vmas = right->cm.nr_vmas;
        list_init(&rref->link);
        ref_insert(vm, rref);
        chunk_unlock(c);
        c = right;
        ref = rref;
        chunk_lock(c);
        n = cm_first(&c->cm);
    }
    chunk_unlock(c);
}

/* Free the empty chunks processes keep as spares, so a large allocation
 * can use that address space. Global + own process lock held; another
 * process's spare is taken only if its lock is free right now (trylock:
 * we already hold a process lock). Returns how many were freed. */
int reclaim_spare_chunks(struct vm_op *op)
{
    struct vm_manager *m = &op->usv->mgr;
    struct chunk *c, *tmp;
    int freed = 0;
    list_for_each_entry_safe(c, tmp, &m->multi_chunks, multi_link) {
        chunk_lock(c);
        struct process_vm *p = c->spare_of;
        bool spare = p && c->cm.nr_vmas == 0 && c->nr_holders == 1 && !c->free_pending;
        chunk_unlock(c);
        if (!spare || (p != op->vm && pthread_mutex_trylock(&p->lock) != 0))
            continue;
        struct chunk_ref *ref = p->spare;
        if (ref && ref->chunk == c) {
            ref_unlink(p, ref);
            free(ref);
            chunk_lock(c);
            c->spare_of = NULL;
            c->nr_holders--;
            bool unused = c->nr_holders == 0 && c->cm.nr_vmas == 0 && !c->free_pending;
            if (unused && c->cm.dirty_bytes)
                cm_dirty_flush(&c->cm);
            chunk_unlock(c);
            if (unused) {
                vmm_free_chunk(m, c);
                freed++;
            }
        }
        if (p != op->vm)
            pthread_mutex_unlock(&p->lock);
    }
    return freed;
}

void op_finish(struct vm_op *op)
{
    struct process_vm *vm = op->vm;
    struct vm_manager *m = &op->usv->mgr;

    op_release_blanks(op);
    bool need = !list_empty(&vm->trim_list) || !list_empty(&op->to_free);
    if (need && !op->have_global) {
        pthread_mutex_unlock(&vm->lock);
        lock_global_and_process(vm);
        op->have_global = true;
    }
    if (op->have_global) {
        while (!list_empty(&vm->trim_list)) {
            struct chunk *c = list_first_entry(&vm->trim_list, struct chunk, trim_link);
            list_del(&c->trim_link);
            c->on_trim_list = false;
            trim_chunk(vm, c);
        }
        while (!list_empty(&op->to_free)) {
            struct chunk *c = list_first_entry(&op->to_free, struct chunk, trim_link);
            list_del(&c->trim_link);
            chunk_lock(c);
            bool unused = c->nr_holders == 0 && c->cm.nr_vmas == 0;
            c->free_pending = false;
            if (unused && c->cm.dirty_bytes)
                cm_dirty_flush(&c->cm);
            chunk_unlock(c);
            if (unused)
                vmm_free_chunk(m, c);
        }
    }
    pthread_mutex_unlock(&vm->lock);
    if (op->have_global)
        vmm_unlock(m);
}

/* ---- walking ---- */

int walk_vmas(struct process_vm *vm, struct vm_range r,
              int (*fn)(struct chunk_ref *ref, struct vm_area *v, void *arg), void *arg)
{
    for (struct chunk_ref *ref = ref_first_after(vm, r.start);
         ref && chunk_range(ref->chunk).start < r.end; ref = ref_next(ref)) {
        struct chunk *c = ref->chunk;
        int ret = 0;
        chunk_lock(c);
        for (struct vm_area *v = cm_first_after(&c->cm, r.start);
             v && v->range.start < r.end && !ret; v = cm_next(v)) {
            if (vma_visible_to(v, vm))
                ret = fn(ref, v, arg);
        }
        chunk_unlock(c);
        if (ret)
            return ret;
    }
    return 0;
}

/* ---- new VMAs ---- */

struct vm_area *insert_new_vma(struct vm_op *op, struct chunk_ref *ref, struct chunk *c,
                               struct vm_range range, const struct vm_mmap_req *req,
                               uint64_t offset, bool *dirty)
{
    struct process_vm *vm = op->vm;
    uint32_t flags = req->vma_flags;
    if (req->file && req->host_fd >= 0)
        flags |= VMA_HOSTMAP;
    /* The new range as a VMA on the stack: if a neighbour can simply grow
     * over it (the common case for consecutive maps), no VMA is made. */
    struct vm_area tmp;
    vma_init(&tmp, range, req->perms, flags, vm, NULL, offset);
    tmp.file = req->file;
    tmp.chunk = c;
    struct vm_area *v = NULL;
    struct vm_area *prev = range.start > c->cm.range.start ? cm_find(&c->cm, range.start - 1)
                                                           : NULL;
    if (prev && vma_can_merge(prev, &tmp)) {
        cm_set_range(&c->cm, prev, (struct vm_range){ prev->range.start, range.end });
        v = prev;
    } else {
        struct vm_area *next = cm_first_after(&c->cm, range.end);
        if (next && vma_can_merge(&tmp, next)) {
            cm_set_range(&c->cm, next, (struct vm_range){ range.start, next->range.end });
            v = next;
        }
    }
    if (!v) {
        v = op_take_blank(op);
        vma_init(v, range, req->perms, flags, vm, req->file, offset);
        v->chunk = c;
        cm_insert(&c->cm, v);
        ref->nr_vmas++;
    }
    if (vm->spare == ref)
        vm->spare = NULL;
    if (c->spare_of)
        c->spare_of = NULL;     /* in use again (chunk lock held) */
    *dirty = cm_dirty_take(&c->cm, range);
    unsigned freed;
    v = cm_merge_around(&c->cm, v, &freed);
    ref->nr_vmas -= freed;
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

/* Zero r (dirty, small, about to be writable). `protect` makes it
 * accessible with its final protection. Process lock held. */
static int zero_small(struct process_vm *vm, struct vm_range r, int prot)
{
    void *addr = (void *)r.start;
    size_t size = vm_range_size(r);
    int err;
    if (vm->zero_sample_in == 0) {
        vm->zero_sample_in = ZERO_SAMPLE_EVERY;
        err = host_mem_protect(addr, size, prot);
        size_t resident = 0;
        if (!err)
            err = zero_by_residency(r, &resident);
        vm->zero_by_memset = 2 * resident >= (size >> PAGE_SHIFT);
        return err;
    }
    vm->zero_sample_in--;
    if (!vm->zero_by_memset) {
        err = host_mem_discard(addr, size);
        return err ? err : host_mem_protect(addr, size, prot);
    }
    err = host_mem_protect(addr, size, prot);
    if (!err)
        memset(addr, 0, size);
    return err;
}

int setup_new_range(struct vm_op *op, struct vm_range r, const struct vm_mmap_req *req,
                    uint64_t offset, bool dirty)
{
    void *addr = (void *)r.start;
    size_t size = vm_range_size(r);
    int prot = vm_perms_to_host(req->perms);
    int err = 0;

    if (req->file && req->host_fd >= 0) {
        err = host_mem_map_file(addr, size, prot, !!(req->vma_flags & VMA_SHARED),
                                req->host_fd, (off_t)offset);
    } else if (req->file) {
        if (dirty)
            err = host_mem_discard(addr, size);
        if (!err)
            err = host_mem_protect(addr, size, HOST_PROT_READ | HOST_PROT_WRITE);
        if (!err)
            err = copy_in_file(req->file, r, offset);
        if (!err && prot != (HOST_PROT_READ | HOST_PROT_WRITE))
            err = host_mem_protect(addr, size, prot);
    } else {
        if (dirty && (prot & HOST_PROT_WRITE) && size <= op->usv->zero_memset_max &&
            size <= ZERO_MEMSET_LIMIT) {
            err = zero_small(op->vm, r, prot);
        } else {
            if (dirty)
                err = host_mem_discard(addr, size);
            if (!err && prot != HOST_PROT_NONE)
                err = host_mem_protect(addr, size, prot);
        }
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
                   uint64_t offset, bool dirty)
{
    if (!op->defer_setup || op->nr_setups == ARRAY_SIZE(op->setups))
        return setup_new_range(op, r, req, offset, dirty);
    op->setups[op->nr_setups].r = r;
    op->setups[op->nr_setups].offset = offset;
    op->setups[op->nr_setups].dirty = dirty;
    op->nr_setups++;
    return 0;
}

int setup_deferred(struct vm_op *op, const struct vm_mmap_req *req)
{
    int ret = 0;
    for (unsigned i = 0; i < op->nr_setups && !ret; i++)
        ret = setup_new_range(op, op->setups[i].r, req, op->setups[i].offset,
                              op->setups[i].dirty);
    op->nr_setups = 0;
    op->defer_setup = false;
    return ret;
}

/* ---- create / destroy ---- */

int process_vm_create(struct user_space_vm *usv, pid_t pid, struct process_vm **out)
{
    if (!usv || !out)
        return -EINVAL;
    struct process_vm *vm = calloc(1, sizeof(*vm));
    if (!vm)
        return -ENOMEM;
    vm->usv = usv;
    vm->pid = pid;
    pthread_mutex_init(&vm->lock, NULL);
    rb_tree_init(&vm->refs, NULL);
    list_init(&vm->multi_refs);
    list_init(&vm->trim_list);
    *out = vm;
    return 0;
}

pid_t process_vm_pid(const struct process_vm *vm) { return vm->pid; }

/* Remove every private VMA of the process from one chunk at once. */
static void drop_all_in_chunk(struct vm_op *op, struct chunk_ref *ref)
{
    struct chunk *c = ref->chunk;
    chunk_lock(c);
    if (c->kind == CHUNK_MULTI && ref->nr_vmas == c->cm.nr_vmas && ref->nr_vmas) {
        /* Only ours here: one host call for the whole chunk. */
        host_mem_release((void *)chunk_range(c).start, vm_range_size(chunk_range(c)));
        struct vm_area *v;
        while ((v = cm_first(&c->cm)) != NULL) {
            cm_remove(&c->cm, v);
            fsm_free(&c->cm.fsm, v->range);
            vma_free(v);
        }
        cm_dirty_take(&c->cm, chunk_range(c));
        ref->nr_vmas = 0;
    } else {
        unmap_in_chunk(op, ref, chunk_range(c));
    }
    if (c->kind == CHUNK_SINGLE) {
        c->flags &= ~CHUNK_HEAP;
        add_to_trim_list(op->vm, c);
    }
    chunk_unlock(c);
}

void process_vm_destroy(struct process_vm *vm)
{
    if (!vm)
        return;
    struct vm_op op;

    /* Phase 1, process lock only: every page goes back to the host. */
    pthread_mutex_lock(&vm->lock);
    op_init(&op, vm, false);
    for (struct chunk_ref *ref = ref_first_after(vm, 0), *next; ref; ref = next) {
        next = ref_next(ref);
        if (!(ref->chunk->flags & CHUNK_SHM))
            drop_all_in_chunk(&op, ref);
    }
    vm->heap = NULL;
    pthread_mutex_unlock(&vm->lock);

    /* Phase 2, global lock: shm detach, chunks back to the pool. */
    lock_global_and_process(vm);
    op.have_global = true;
    vm->spare = NULL;
    for (struct chunk_ref *ref = ref_first_after(vm, 0), *next; ref; ref = next) {
        next = ref_next(ref);
        struct chunk *c = ref->chunk;
        if (c->flags & CHUNK_SHM) {
            struct vm_area *v = cm_first(&c->cm);
            if (v)
                shm_detach_vma(&op, ref, v);
        } else if (c->kind == CHUNK_MULTI) {
            ref_drop_multi(&op, ref);
        }
    }
    op_finish(&op);     /* unlocks */

    if (vm->nr_refs)
        log_error("vm", "process %d: %zu chunk references left at exit", (int)vm->pid,
                  vm->nr_refs);
    while (vm->nr_blank)
        free(vm->blank[--vm->nr_blank]);
    pthread_mutex_destroy(&vm->lock);
    free(vm);
}

/* ---- munmap ---- */

struct shm_scan {
    struct vm_range r;
    int partial;
    int any;
};

static int scan_shm(struct chunk_ref *ref, struct vm_area *v, void *arg)
{
    struct shm_scan *s = arg;
    if (!(v->flags & VMA_SHM))
        return 0;
    s->any = 1;
    if (!vm_range_contains(s->r, v->range))
        s->partial = 1;
    return 0;
}

/* shm attachments inside r: any? any partly covered? (process lock held) */
static void find_shm(struct process_vm *vm, struct vm_range r, struct shm_scan *s)
{
    *s = (struct shm_scan){ .r = r };
    for (struct chunk_ref *ref = ref_first_after(vm, r.start);
         ref && chunk_range(ref->chunk).start < r.end; ref = ref_next(ref)) {
        if (ref->chunk->flags & CHUNK_SHM) {
            chunk_lock(ref->chunk);
            struct vm_area *v = cm_first(&ref->chunk->cm);
            if (v)
                scan_shm(ref, v, s);
            chunk_unlock(ref->chunk);
        }
    }
}

int process_vm_munmap(struct process_vm *vm, uintptr_t addr, size_t len)
{
    struct vm_range r;
    int err = vm_range_from_user(addr, len, false, &r);
    if (err)
        return -EINVAL;     /* munmap says EINVAL for a range outside user space */

    struct vm_op op;
    pthread_mutex_lock(&vm->lock);
    op_init(&op, vm, false);
    struct shm_scan s;
    find_shm(vm, r, &s);
    if (s.partial) {
        /* One address for every attacher: a piece can't go away for one. */
        pthread_mutex_unlock(&vm->lock);
        return -EINVAL;
    }
    if (s.any) {
        pthread_mutex_unlock(&vm->lock);
        lock_global_and_process(vm);
        op.have_global = true;
        find_shm(vm, r, &s);
        if (s.partial) {
            pthread_mutex_unlock(&vm->lock);
            vmm_unlock(&vm->usv->mgr);
            return -EINVAL;
        }
    }
    err = unmap_range(&op, r);
    op_finish(&op);
    return err;
}

/* ---- consistency (tests) ---- */

int process_vm_check(struct process_vm *vm)
{
    int err = 0;
    pthread_mutex_lock(&vm->lock);
    size_t nr = 0, nr_multi = 0;
    uintptr_t prev_end = 0;
    for (struct chunk_ref *ref = ref_first_after(vm, 0); ref && !err; ref = ref_next(ref)) {
        struct chunk *c = ref->chunk;
        nr++;
        chunk_lock(c);
        size_t mine = 0;
        for (struct vm_area *v = cm_first(&c->cm); v; v = cm_next(v))
            if (vma_visible_to(v, vm))
                mine++;
        struct vm_range r = chunk_range(c);
        if (r.start < prev_end)
            err = -EUCLEAN;
        prev_end = r.end;
        if (c->flags & CHUNK_SHM) {
            if (mine != 1 || ref->nr_vmas != 1)
                err = -EUCLEAN;
        } else if (mine != ref->nr_vmas) {
            err = -EUCLEAN;
        } else if (c->kind == CHUNK_SINGLE && c->owner != vm) {
            err = -EUCLEAN;
        } else if (c->kind == CHUNK_MULTI) {
            nr_multi++;
            if (c->nr_holders == 0 || (mine == 0 && vm->spare != ref))
                err = -EUCLEAN;
        }
        chunk_unlock(c);
        if (err)
            log_error("vm", "process %d: reference to chunk %#lx wrong", (int)vm->pid,
                      (unsigned long)r.start);
    }
    size_t listed = 0;
    struct chunk_ref *ref;
    list_for_each_entry(ref, &vm->multi_refs, link) listed++;
    if (!err && (nr != vm->nr_refs || listed != nr_multi)) {
        log_error("vm", "process %d: reference counts wrong", (int)vm->pid);
        err = -EUCLEAN;
    }
    if (!err && vm->spare && vm->spare->nr_vmas != 0)
        err = -EUCLEAN;
    pthread_mutex_unlock(&vm->lock);
    return err;
}
