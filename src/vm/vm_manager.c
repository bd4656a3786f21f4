#include "vm/vm_manager.h"

#include <errno.h>
#include <stdlib.h>

#include "util/compiler.h"
#include "util/log.h"

#define CHUNK(n) rb_entry(n, struct chunk, rb)
#define MULTI_ALIGN (2UL << 20)

int vmm_init(struct vm_manager *m, struct vm_range pool, size_t chunk_size)
{
    *m = (struct vm_manager){ .range = pool, .chunk_size = chunk_size };
    rb_tree_init(&m->chunks, NULL);
    list_init(&m->multi_chunks);
    pthread_mutex_init(&m->lock, NULL);
    int err = fsm_init(&m->fsm, pool);
    if (err)
        pthread_mutex_destroy(&m->lock);
    return err;
}

void vmm_destroy(struct vm_manager *m)
{
    struct rb_node *n;
    while ((n = rb_first(&m->chunks)) != NULL)
        vmm_free_chunk(m, CHUNK(n));
    fsm_destroy(&m->fsm);
    pthread_mutex_destroy(&m->lock);
}

struct chunk *vmm_first_after(const struct vm_manager *m, uintptr_t addr)
{
    struct rb_node *n = m->chunks.root;
    struct chunk *best = NULL;
    while (n) {
        struct chunk *c = CHUNK(n);
        if (chunk_range(c).end > addr) {
            best = c;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

struct chunk *vmm_next(const struct chunk *c)
{
    return rb_entry_safe(rb_next(&c->rb), struct chunk, rb);
}

struct chunk *vmm_find(const struct vm_manager *m, uintptr_t addr)
{
    struct chunk *c = vmm_first_after(m, addr);
    return c && chunk_range(c).start <= addr ? c : NULL;
}

static void insert_chunk(struct vm_manager *m, struct chunk *c)
{
    struct rb_node **link = &m->chunks.root, *parent = NULL;
    while (*link) {
        parent = *link;
        link = chunk_range(c).start < chunk_range(CHUNK(parent)).start ? &parent->left
                                                                       : &parent->right;
    }
    rb_insert(&m->chunks, &c->rb, parent, link);
    if (c->kind == CHUNK_MULTI) {
        list_add_tail(&c->multi_link, &m->multi_chunks);
        m->nr_multi++;
    } else {
        m->nr_single++;
    }
}

/* After pool space went into a chunk: the most ever in use (vm_stats.h). */
static void note_use(struct vm_manager *m)
{
    size_t used = vm_range_size(m->range) - m->fsm.free_bytes;
    if (used > m->peak_used)
        m->peak_used = used;
}

int vmm_new_multi(struct vm_manager *m, struct chunk **out)
{
    struct vm_layout l;
    uintptr_t start;
    int err = vm_layout_init(&l, m->chunk_size, MULTI_ALIGN);
    if (err)
        return err;
    err = fsm_alloc(&m->fsm, l, 0, &start);
    if (err == -ENOMEM) {
        l.align = PAGE_SIZE;
        err = fsm_alloc(&m->fsm, l, 0, &start);
    }
    if (err)
        return err;
    struct chunk *c;
    err = chunk_new(CHUNK_MULTI, vm_range_make(start, m->chunk_size), NULL, &c);
    if (err) {
        fsm_free(&m->fsm, vm_range_make(start, m->chunk_size));
        return err;
    }
    insert_chunk(m, c);
    note_use(m);
    *out = c;
    return 0;
}

int vmm_new_single(struct vm_manager *m, size_t size, uintptr_t at,
                   struct process_vm *owner, struct chunk **out)
{
    uintptr_t start = at;
    int err;
    if (at) {
        err = fsm_alloc_at(&m->fsm, vm_range_make(at, size));
    } else {
        struct vm_layout l;
        err = vm_layout_init(&l, size, PAGE_SIZE);
        if (!err)
            err = fsm_alloc(&m->fsm, l, 0, &start);
    }
    if (err)
        return err == -EINVAL ? -ENOMEM : err;
    struct chunk *c;
    err = chunk_new(CHUNK_SINGLE, vm_range_make(start, size), owner, &c);
    if (err) {
        fsm_free(&m->fsm, vm_range_make(start, size));
        return err;
    }
    insert_chunk(m, c);
    note_use(m);
    *out = c;
    return 0;
}

void vmm_free_chunk(struct vm_manager *m, struct chunk *c)
{
    rb_erase(&m->chunks, &c->rb);
    if (c->kind == CHUNK_MULTI) {
        list_del(&c->multi_link);
        m->nr_multi--;
    } else {
        m->nr_single--;
    }
    int err = fsm_free(&m->fsm, chunk_range(c));
    if (err)
        log_error("vm", "freeing chunk %#lx to the pool: %d",
                  (unsigned long)chunk_range(c).start, err);
    chunk_free(c);
}

static void give_back(struct vm_manager *m, struct vm_range r)
{
    if (vm_range_empty(r))
        return;
    int err = fsm_free(&m->fsm, r);
    if (err)
        log_error("vm", "giving %#lx-%#lx back to the pool: %d", (unsigned long)r.start,
                  (unsigned long)r.end, err);
}

void vmm_shrink_single(struct vm_manager *m, struct chunk *c, struct vm_range nr)
{
    struct vm_range old = chunk_range(c);
    c->cm.range = nr;   /* the start moves up: tree order is unchanged */
    give_back(m, (struct vm_range){ old.start, nr.start });
    give_back(m, (struct vm_range){ nr.end, old.end });
}

int vmm_grow_single(struct vm_manager *m, struct chunk *c, uintptr_t new_end)
{
    struct vm_range r = chunk_range(c);
    if (new_end <= r.end)
        return 0;
    int err = fsm_alloc_at(&m->fsm, (struct vm_range){ r.end, new_end });
    if (err)
        return err == -EINVAL ? -ENOMEM : err;
    c->cm.range.end = new_end;
    note_use(m);
    return 0;
}

int vmm_split_single(struct vm_manager *m, struct chunk *c, struct vm_range hole,
                     struct chunk **right)
{
    struct vm_range r = chunk_range(c);
    struct chunk *nc;
    int err = chunk_new(CHUNK_SINGLE, (struct vm_range){ hole.end, r.end }, c->owner, &nc);
    if (err)
        return err;
    nc->flags = c->flags & ~CHUNK_HEAP;
    /* Move the VMAs above the hole. */
    struct vm_area *v = cm_first_after(&c->cm, hole.end);
    while (v) {
        struct vm_area *next = cm_next(v);
        cm_remove(&c->cm, v);
        v->chunk = nc;
        cm_insert(&nc->cm, v);
        v = next;
    }
    c->cm.range.end = hole.start;
    insert_chunk(m, nc);
    give_back(m, hole);
    *right = nc;
    return 0;
}

bool vmm_pool_is_free(const struct vm_manager *m, struct vm_range r)
{
    return fsm_is_free(&m->fsm, r);
}

int vmm_check(struct vm_manager *m)
{
    int err = fsm_check(&m->fsm);
    if (err) {
        log_error("vm", "pool fsm_check failed");
        return err;
    }
    err = rb_check(&m->chunks, NULL);
    if (err) {
        log_error("vm", "chunk tree broken");
        return err;
    }
    size_t used = 0, nr_single = 0, nr_multi = 0;
    const struct chunk *prev = NULL;
    for (struct rb_node *n = rb_first(&m->chunks); n; n = rb_next(n)) {
        struct chunk *c = CHUNK(n);
        struct vm_range r = chunk_range(c);
        if (vm_range_empty(r) || !vm_range_contains(m->range, r) ||
            (prev && chunk_range(prev).end > r.start)) {
            log_error("vm", "chunk %#lx-%#lx misplaced", (unsigned long)r.start,
                      (unsigned long)r.end);
            return -EUCLEAN;
        }
        if (fsm_is_free(&m->fsm, (struct vm_range){ r.start, r.start + PAGE_SIZE }) ||
            fsm_is_free(&m->fsm, (struct vm_range){ r.end - PAGE_SIZE, r.end })) {
            log_error("vm", "chunk %#lx in the pool's free space", (unsigned long)r.start);
            return -EUCLEAN;
        }
        chunk_lock(c);
        err = chunk_check(c);
        chunk_unlock(c);
        if (err)
            return err;
        if (c->kind == CHUNK_MULTI)
            nr_multi++;
        else
            nr_single++;
        used += vm_range_size(r);
        prev = c;
    }
    if (used + m->fsm.free_bytes != vm_range_size(m->range)) {
        log_error("vm", "chunks %zu + free %zu != pool %zu", used, m->fsm.free_bytes,
                  vm_range_size(m->range));
        return -EUCLEAN;
    }
    if (nr_single != m->nr_single || nr_multi != m->nr_multi) {
        log_error("vm", "chunk counters wrong");
        return -EUCLEAN;
    }
    size_t listed = 0;
    struct chunk *c;
    list_for_each_entry(c, &m->multi_chunks, multi_link) listed++;
    if (listed != nr_multi) {
        log_error("vm", "multi chunk list wrong");
        return -EUCLEAN;
    }
    return 0;
}
