/* mmap: placement of new mappings.
 *
 * Fast path (process lock + one chunk lock): a small Any/Hint request goes
 * into one of the process's own multi-VMA chunks (most recently used first,
 * try-lock first, like Occlum). Everything else takes the global lock:
 * addressed maps (MAP_FIXED, MAP_FIXED_NOREPLACE, hints outside the
 * process's chunks), new chunks, other processes' chunks, large maps. */
#include "vm/process_vm_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "util/log.h"
#include "vm/vm_perms.h"

#define LOW_2G (1UL << 31)

/* Chunk c is locked and [start, start+size) has been taken from its free
 * space: insert the VMA, unlock, set the pages up. */
static long finish_in_chunk(struct vm_op *op, struct chunk_ref *ref, struct chunk *c,
                            uintptr_t start, const struct vm_mmap_req *req)
{
    struct vm_range r = vm_range_make(start, req->size);
    bool dirty;
    insert_new_vma(op, ref, c, r, req, req->offset, &dirty);
    chunk_unlock(c);
    int err = setup_or_defer(op, r, req, req->offset, dirty);
    if (err) {
        unmap_range(op, r);
        return err;
    }
    return (long)start;
}

/* Try one multi chunk (locked by the caller; unlocked on success). */
static long try_chunk(struct vm_op *op, struct chunk_ref *ref, const struct vm_mmap_req *req,
                      uintptr_t at)
{
    struct chunk *c = ref->chunk;
    uintptr_t start = at;
    if (at) {
        if (!cm_range_is_free(&c->cm, vm_range_make(at, req->size)) ||
            fsm_alloc_at(&c->cm.fsm, vm_range_make(at, req->size)))
            return -ENOMEM;
    } else {
        struct vm_layout l = { req->size, PAGE_SIZE };
        if (fsm_largest_free(&c->cm.fsm) < req->size || fsm_alloc(&c->cm.fsm, l, 0, &start))
            return -ENOMEM;
    }
    /* Most recently used first: the next small mmap looks here first. */
    if (c->kind == CHUNK_MULTI && op->vm->multi_refs.next != &ref->link) {
        list_del(&ref->link);
        list_add(&ref->link, &op->vm->multi_refs);
    }
    return finish_in_chunk(op, ref, c, start, req);
}

/* The process's own multi chunks. Returns the address, or -ENOMEM. */
static long map_in_own_chunks(struct vm_op *op, const struct vm_mmap_req *req, bool blocking)
{
    struct process_vm *vm = op->vm;
    if (req->kind == VM_ADDR_HINT) {
        struct chunk_ref *ref = ref_find(vm, req->addr);
        if (ref && ref->chunk->kind == CHUNK_MULTI &&
            vm_range_contains(chunk_range(ref->chunk), vm_range_make(req->addr, req->size))) {
            chunk_lock(ref->chunk);
            long ret = try_chunk(op, ref, req, req->addr);
            if (ret != -ENOMEM)
                return ret;
            chunk_unlock(ref->chunk);
        }
    }
    struct chunk_ref *ref, *tmp;
    list_for_each_entry_safe(ref, tmp, &vm->multi_refs, link) {
        struct chunk *c = ref->chunk;
        if (blocking)
            chunk_lock(c);
        else if (!chunk_trylock(c))
            continue;
        long ret = try_chunk(op, ref, req, 0);
        if (ret != -ENOMEM)
            return ret;
        chunk_unlock(c);
    }
    return -ENOMEM;
}

/* ---- addressed maps (global lock held) ---- */

enum {
    SEG_OWN   = 1,      /* this process's VMAs are there */
    SEG_OTHER = 2,      /* someone else's memory is there */
    SEG_SHM   = 4,      /* one of its shm attachments is there */
};

/* Visit r split at chunk borders: (chunk or NULL for pool free space, piece). */
static int for_each_segment(struct vm_manager *m, struct vm_range r,
                            int (*fn)(struct chunk *c, struct vm_range seg, void *arg),
                            void *arg)
{
    uintptr_t pos = r.start;
    struct chunk *c = vmm_first_after(m, r.start);
    while (pos < r.end) {
        struct chunk *next = c ? vmm_next(c) : NULL;
        struct vm_range seg;
        struct chunk *in = NULL;
        if (c && chunk_range(c).start <= pos) {
            seg = (struct vm_range){ pos, MIN(r.end, chunk_range(c).end) };
            in = c;
            c = next;
        } else {
            seg = (struct vm_range){ pos, c ? MIN(r.end, chunk_range(c).start) : r.end };
        }
        int ret = fn(in, seg, arg);
        if (ret)
            return ret;
        pos = seg.end;
    }
    return 0;
}

struct seg {
    struct chunk *c;            /* NULL: free pool space */
    struct vm_range r;
    struct chunk_ref *ref;      /* this process's reference to c, if any */
    bool dirty;                 /* old data may be there (zero it) */
};

struct seg_list {
    struct seg *v;
    unsigned n, cap;
};

static int collect_seg(struct chunk *c, struct vm_range r, void *arg)
{
    struct seg_list *l = arg;
    if (l->n < l->cap)
        l->v[l->n] = (struct seg){ .c = c, .r = r };
    l->n++;
    return 0;
}

/* What is in segment s now (its chunk locked). */
static int classify(struct process_vm *vm, const struct seg *s)
{
    struct chunk *c = s->c;
    int what = 0;
    if (!c)
        return 0;
    if (c->flags & CHUNK_SHM) {
        struct vm_area *v = cm_first(&c->cm);
        return v && vma_visible_to(v, vm) ? SEG_SHM | SEG_OWN : SEG_OTHER;
    }
    if (c->kind == CHUNK_SINGLE && c->owner != vm)
        return SEG_OTHER;
    for (struct vm_area *v = cm_first_after(&c->cm, s->r.start);
         v && v->range.start < s->r.end; v = cm_next(v))
        what |= v->owner == vm ? SEG_OWN : SEG_OTHER;
    return what;
}

/* Map req at exactly r (global + process lock). The chunks r touches are
 * all locked (in address order: the only place that holds several chunk
 * locks) from the check to the last insertion, so another process's fast
 * path cannot take a piece in between: the call is all or nothing. */
static long map_at(struct vm_op *op, const struct vm_mmap_req *req, struct vm_range r)
{
    struct vm_manager *m = &op->usv->mgr;
    struct process_vm *vm = op->vm;
    struct seg inline_segs[8];
    struct seg_list l = { inline_segs, 0, ARRAY_SIZE(inline_segs) };
    for_each_segment(m, r, collect_seg, &l);
    if (l.n > l.cap) {
        l.v = malloc(l.n * sizeof(*l.v));
        if (!l.v)
            return -ENOMEM;
        l.cap = l.n;
        l.n = 0;
        for_each_segment(m, r, collect_seg, &l);
    }
    long ret = 0;
    /* References first: ref_get takes the chunk lock itself. */
    for (unsigned i = 0; i < l.n && !ret; i++) {
        struct seg *s = &l.v[i];
        if (s->c && s->c->kind == CHUNK_MULTI)
            ret = ref_get(vm, s->c, &s->ref);
        else if (s->c)
            s->ref = ref_of_chunk(vm, s->c);
    }
    /* One VMA per segment, two for the splits at r's ends. */
    if (!ret)
        ret = op_reserve(op, op->nr_blank + l.n + 2);
    if (ret)
        goto put_refs;

    int what = 0;
    for (unsigned i = 0; i < l.n; i++)
        if (l.v[i].c)
            chunk_lock(l.v[i].c);
    for (unsigned i = 0; i < l.n; i++)
        what |= classify(vm, &l.v[i]);
    if (req->kind == VM_ADDR_FORCE)
        ret = (what & SEG_OTHER) ? -ENOMEM : (what & SEG_SHM) ? -EINVAL : 0;
    else if (what)
        ret = req->kind == VM_ADDR_NEED ? -EEXIST : -ENOMEM;
    if (ret) {
        for (unsigned i = 0; i < l.n; i++)
            if (l.v[i].c)
                chunk_unlock(l.v[i].c);
        goto put_refs;
    }

    for (unsigned i = 0; i < l.n; i++) {
        struct seg *s = &l.v[i];
        uint64_t off = req->offset + (s->r.start - r.start);
        if (!s->c) {
            /* Free pool space: a single chunk of its own (nobody else can
             * reach it: it is new). */
            struct chunk *c;
            ret = vmm_new_single(m, vm_range_size(s->r), s->r.start, vm, &c);
            if (!ret && (ret = ref_get(vm, c, &s->ref)) != 0)
                vmm_free_chunk(m, c);
            if (ret) {
                log_error("vm", "MAP_FIXED: out of memory after unmapping (%ld)", ret);
                break;
            }
            chunk_lock(c);
            s->c = c;
        } else if (what & SEG_OWN) {
            unmap_in_chunk(op, s->ref, s->r);
        }
        if (s->c->kind == CHUNK_MULTI && fsm_alloc_at(&s->c->cm.fsm, s->r)) {
            ret = -ENOMEM;      /* only if the fsm could not get a node */
            break;
        }
        insert_new_vma(op, s->ref, s->c, s->r, req, off, &s->dirty);
    }
    unsigned placed = ret ? 0 : l.n;
    for (unsigned i = 0; i < l.n; i++)
        if (l.v[i].c)
            chunk_unlock(l.v[i].c);
    for (unsigned i = 0; i < placed && !ret; i++)
        ret = setup_or_defer(op, l.v[i].r, req, req->offset + (l.v[i].r.start - r.start),
                             l.v[i].dirty);
    if (ret) {
        op->nr_setups = 0;      /* only this call's segments were deferred */
        unmap_range(op, r);
    }
    for (unsigned i = 0; i < l.n; i++)
        if (l.v[i].ref && l.v[i].c && l.v[i].c->kind == CHUNK_MULTI)
            ref_put_if_unused(op, l.v[i].ref);
    if (l.v != inline_segs)
        free(l.v);
    return ret ? ret : (long)r.start;

put_refs:
    for (unsigned i = 0; i < l.n; i++)
        if (l.v[i].ref && l.v[i].c && l.v[i].c->kind == CHUNK_MULTI)
            ref_put_if_unused(op, l.v[i].ref);
    if (l.v != inline_segs)
        free(l.v);
    return ret;
}

/* A new multi chunk for this process and the request in it. */
static long map_in_new_chunk(struct vm_op *op, const struct vm_mmap_req *req)
{
    struct vm_manager *m = &op->usv->mgr;
    struct chunk *c;
    struct chunk_ref *ref;
    int err = vmm_new_multi(m, &c);
    if (err)
        return err;
    err = ref_get(op->vm, c, &ref);
    if (err) {
        vmm_free_chunk(m, c);
        return err;
    }
    chunk_lock(c);
    long ret = try_chunk(op, ref, req, 0);
    if (ret != -ENOMEM)
        return ret;
    chunk_unlock(c);
    ref_put_if_unused(op, ref);
    return -ENOMEM;
}

/* Room in any multi chunk (other processes' too). */
static long map_in_any_chunk(struct vm_op *op, const struct vm_mmap_req *req)
{
    struct vm_manager *m = &op->usv->mgr;
    struct chunk *c;
    list_for_each_entry(c, &m->multi_chunks, multi_link) {
        if (ref_of_chunk(op->vm, c))
            continue;   /* ours: tried already */
        chunk_lock(c);
        bool room = chunk_largest_free(c) >= req->size;
        chunk_unlock(c);
        if (!room)
            continue;
        struct chunk_ref *ref;
        int err = ref_get(op->vm, c, &ref);
        if (err)
            return err;
        chunk_lock(c);
        long ret = try_chunk(op, ref, req, 0);
        if (ret != -ENOMEM)
            return ret;
        chunk_unlock(c);
        ref_put_if_unused(op, ref);
    }
    return -ENOMEM;
}

static long map_in_single_chunk(struct vm_op *op, const struct vm_mmap_req *req)
{
    struct vm_manager *m = &op->usv->mgr;
    struct chunk *c;
    int err = vmm_new_single(m, req->size, 0, op->vm, &c);
    if (err)
        return err;
    struct chunk_ref *ref;
    err = ref_get(op->vm, c, &ref);
    if (err) {
        vmm_free_chunk(m, c);
        return err;
    }
    chunk_lock(c);
    return finish_in_chunk(op, ref, c, chunk_range(c).start, req);
}

/* Placement of an Any request, global lock held. Small requests: the
 * process's chunks, then a chunk of its own while the pool is roomy (few
 * processes per chunk: less lock sharing), else other processes' chunks
 * first (less address space used). Large ones get a single-VMA chunk. If
 * the pool is too fragmented, empty spare chunks are reclaimed once. */
static long map_anywhere(struct vm_op *op, const struct vm_mmap_req *req)
{
    struct vm_manager *m = &op->usv->mgr;
    long ret;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (req->size < op->usv->single_min) {
            ret = map_in_own_chunks(op, req, true);
            if (ret != -ENOMEM)
                return ret;
            bool roomy = m->fsm.free_bytes >= vm_range_size(m->range) / 4;
            if (roomy && (ret = map_in_new_chunk(op, req)) != -ENOMEM)
                return ret;
            if ((ret = map_in_any_chunk(op, req)) != -ENOMEM)
                return ret;
            if (!roomy && (ret = map_in_new_chunk(op, req)) != -ENOMEM)
                return ret;
        }
        ret = map_in_single_chunk(op, req);
        if (ret != -ENOMEM)
            return ret;
        if (req->size >= op->usv->single_min && req->size <= m->chunk_size / 2 &&
            (ret = map_in_any_chunk(op, req)) != -ENOMEM)
            return ret;
        if (attempt == 0 && reclaim_spare_chunks(op) == 0)
            break;
    }
    return -ENOMEM;
}

long map_locked(struct vm_op *op, const struct vm_mmap_req *req)
{
    struct vm_range pool = op->usv->mgr.range;
    struct vm_range r = vm_range_make(req->addr, req->size);
    int err = op_reserve(op, 3);
    if (err)
        return err;
    switch (req->kind) {
    case VM_ADDR_FORCE:
    case VM_ADDR_NEED:
        if (!vm_range_contains(pool, r))
            return -ENOMEM;     /* not ours to give: outside the pool */
        return map_at(op, req, r);
    case VM_ADDR_HINT:
        if (vm_range_contains(pool, r)) {
            long ret = map_at(op, req, r);
            if (ret >= 0 || ret != -ENOMEM)
                return ret;
        }
        /* fall through: placed anywhere, as Linux does */
    case VM_ADDR_ANY:
        break;
    }
    return map_anywhere(op, req);
}

long process_vm_mmap(struct process_vm *vm, uintptr_t addr, size_t len, int prot,
                     int flags, struct vm_file *file, uint64_t offset)
{
    struct vm_mmap_req req;
    int err = vm_mmap_req_parse(addr, len, prot, flags, file, offset, &req);
    if (err)
        return err;
    struct user_space_vm *usv = vm->usv;
    struct vm_range pool = usv->mgr.range;
    if (req.low_2g && pool.start + req.size > LOW_2G)
        return -ENOMEM;     /* MAP_32BIT: the pool has no room below 2 GiB */
    if (req.kind == VM_ADDR_HINT && !vm_range_contains(pool, vm_range_make(req.addr, req.size)))
        req.kind = VM_ADDR_ANY, req.addr = 0;

    struct vm_op op;
    long ret;
    if (!req.low_2g && (req.kind == VM_ADDR_ANY || req.kind == VM_ADDR_HINT) &&
        req.size < usv->single_min) {
        pthread_mutex_lock(&vm->lock);
        op_init(&op, vm, false);
        ret = -ENOMEM;
        /* A hint outside our own chunks may be free in the pool: that is
         * for the global path to decide. */
        struct chunk_ref *hr = req.kind == VM_ADDR_HINT ? ref_find(vm, req.addr) : NULL;
        bool fast = req.kind == VM_ADDR_ANY ||
                    (hr && hr->chunk->kind == CHUNK_MULTI &&
                     vm_range_contains(chunk_range(hr->chunk), vm_range_make(req.addr, req.size)));
        if (fast) {
            ret = op_reserve(&op, 3);
            if (ret == 0) {
                ret = map_in_own_chunks(&op, &req, false);
                if (ret == -ENOMEM)
                    ret = map_in_own_chunks(&op, &req, true);
            }
        }
        if (ret != -ENOMEM) {
            op_finish(&op);
            return ret;
        }
        op_finish(&op);
    }
    lock_global_and_process(vm);
    op_init(&op, vm, true);
    op.defer_setup = true;
    ret = map_locked(&op, &req);
    if (ret >= 0 && req.low_2g && (uintptr_t)ret + req.size > LOW_2G) {
        op.nr_setups = 0;
        unmap_range(&op, vm_range_make((uintptr_t)ret, req.size));
        ret = -ENOMEM;
    }
    if (ret >= 0 && op.nr_setups) {
        /* The new VMAs are this process's: their host work (protect, file
         * map, populate) needs only the process lock. */
        vmm_unlock(&usv->mgr);
        op.have_global = false;
        int err = setup_deferred(&op, &req);
        if (err) {
            unmap_range(&op, vm_range_make((uintptr_t)ret, req.size));
            ret = err;
        }
    }
    op.nr_setups = 0;
    op_finish(&op);
    return ret;
}
