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
#include "vm/vm_stats.h"

#define REF(n) rb_entry(n, struct chunk_ref, rb)

/* ---- operation context ---- */

void op_init(struct vm_op *op, struct process_vm *vm, bool have_global)
{
    op->vm = vm;
    op->usv = vm->usv;
    op->have_global = have_global;
    op->unmap_how = UNMAP_BY_POLICY;
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
static void release_piece(struct vm_op *op, struct chunk *c, struct vm_area *v)
{
    struct user_space_vm *usv = op->usv;
    struct vm_range p = v->range;
    void *addr = (void *)p.start;
    size_t size = vm_range_size(p);
    int err = 0;
    if (c->kind == CHUNK_SINGLE || (v->flags & VMA_HOSTMAP) || size >= usv->release_min) {
        /* Back to the host now: anonymous, PROT_NONE, zero on next use. */
        err = host_mem_release(addr, size);
    } else {
        /* The old data is zeroed before reuse or returned to the host with
         * the chunk's next dirty flush. Strict: inaccessible now. Lazy: no
         * host call; the pages keep their protection (recorded) until then. */
        int prot = vma_host_prot(v);
        bool lazy = usv->unmap_protect == VM_UNMAP_PROTECT_LAZY && op->unmap_how == UNMAP_BY_POLICY;
        if (prot == HOST_PROT_NONE || !lazy || cm_dirty_mark_lazy(&c->cm, p, prot) != 0) {
            if (prot != HOST_PROT_NONE)
                err = host_mem_protect(addr, size, HOST_PROT_NONE);
            cm_dirty_mark(&c->cm, p);
        }
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
        /* The usual munmap is one VMA: no successor walk for it. */
        struct vm_area *next = v->range.end < r.end ? cm_next(v) : NULL;
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
        release_piece(op, c, v);
        cm_remove(cm, v);
        ref->nr_vmas--;
        vm_account(vm, -(ptrdiff_t)vma_size(v));
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

void unmap_failed(struct vm_op *op, struct vm_range r)
{
    enum unmap_how how = op->unmap_how;
    op->unmap_how = UNMAP_STRICT;
    unmap_range(op, r);
    op->unmap_how = how;
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
            vm_account(op->vm, -(ptrdiff_t)vma_size(v));
            cm_remove(&c->cm, v);
            fsm_free(&c->cm.fsm, v->range);
            vma_free(v);
        }
        cm_dirty_take(&c->cm, chunk_range(c));
        ref->nr_vmas = 0;
    } else {
        /* Nothing of a process that is gone stays accessible. */
        op->unmap_how = UNMAP_STRICT;
        unmap_in_chunk(op, ref, chunk_range(c));
        op->unmap_how = UNMAP_BY_POLICY;
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

    if (vm->mapped_bytes)
        log_error("vm", "process %d: %zu mapped bytes left at exit", (int)vm->pid,
                  vm->mapped_bytes);
    vm_stats_record_exit(vm);
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
    size_t nr = 0, nr_multi = 0, own_bytes = 0;
    uintptr_t prev_end = 0;
    for (struct chunk_ref *ref = ref_first_after(vm, 0); ref && !err; ref = ref_next(ref)) {
        struct chunk *c = ref->chunk;
        nr++;
        chunk_lock(c);
        size_t mine = 0;
        for (struct vm_area *v = cm_first(&c->cm); v; v = cm_next(v)) {
            if (vma_visible_to(v, vm))
                mine++;
            if (v->owner == vm)
                own_bytes += vma_size(v);
        }
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
    if (!err && (own_bytes != vm->mapped_bytes || vm->peak_bytes < own_bytes)) {
        log_error("vm", "process %d: mapped bytes %zu (peak %zu), its VMAs have %zu",
                  (int)vm->pid, vm->mapped_bytes, vm->peak_bytes, own_bytes);
        err = -EUCLEAN;
    }
    pthread_mutex_unlock(&vm->lock);
    return err;
}
