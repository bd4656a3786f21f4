/* VMManager: the chunks in use, in an rbtree ordered by address, and the
 * global free space manager over the pool. One global lock protects both
 * (lock order: vm_manager -> process_vm -> chunk).
 *
 * Everything here is called with the global lock held. */
#ifndef ONESPACE_VM_VM_MANAGER_H
#define ONESPACE_VM_VM_MANAGER_H

#include <pthread.h>

#include "util/list.h"
#include "util/rbtree.h"
#include "vm/chunk.h"
#include "vm/free_space_manager.h"

struct vm_manager {
    pthread_mutex_t lock;
    struct vm_range range;          /* the pool */
    struct rb_tree chunks;          /* struct chunk, by start */
    struct list_head multi_chunks;  /* every multi chunk */
    size_t nr_single, nr_multi;
    struct free_space_manager fsm;  /* pool bytes in no chunk */
    size_t chunk_size;              /* multi chunk size */
    size_t peak_used;               /* the most pool bytes ever in chunks */
};

int vmm_init(struct vm_manager *m, struct vm_range pool, size_t chunk_size);
/* Frees every chunk left. */
void vmm_destroy(struct vm_manager *m);

static inline void vmm_lock(struct vm_manager *m) { pthread_mutex_lock(&m->lock); }
static inline void vmm_unlock(struct vm_manager *m) { pthread_mutex_unlock(&m->lock); }

/* The first chunk ending after addr, or NULL; and the next one. */
struct chunk *vmm_first_after(const struct vm_manager *m, uintptr_t addr);
struct chunk *vmm_next(const struct chunk *c);
/* The chunk containing addr, or NULL. */
struct chunk *vmm_find(const struct vm_manager *m, uintptr_t addr);

/* A new multi chunk of chunk_size (placed lowest first, 2 MiB aligned when
 * possible). -ENOMEM if the pool has no room. */
int vmm_new_multi(struct vm_manager *m, struct chunk **out);
/* A new single chunk of `size` bytes anywhere, or exactly at `at` (if
 * non-zero; -ENOMEM unless that range is free in the pool). */
int vmm_new_single(struct vm_manager *m, size_t size, uintptr_t at,
                   struct process_vm *owner, struct chunk **out);
/* Remove a chunk (any VMAs left are freed) and give its range back. */
void vmm_free_chunk(struct vm_manager *m, struct chunk *c);

/* Single chunks: give [range.start, new.start) and [new.end, range.end)
 * back to the pool (new inside the old range); chunk lock held. */
void vmm_shrink_single(struct vm_manager *m, struct chunk *c, struct vm_range new_range);
/* Single chunks: take [c.end, new_end) from the pool. 0 or -ENOMEM. */
int vmm_grow_single(struct vm_manager *m, struct chunk *c, uintptr_t new_end);
/* Single chunks: split c at the free range `hole` (no VMA in it): c keeps
 * [start, hole.start), a new chunk gets [hole.end, end) with the VMAs
 * there, the hole goes back to the pool. Chunk lock held; the new chunk
 * is returned unlocked. 0 or -ENOMEM (nothing changed). */
int vmm_split_single(struct vm_manager *m, struct chunk *c, struct vm_range hole,
                     struct chunk **right);

/* Pool is free in all of r? */
bool vmm_pool_is_free(const struct vm_manager *m, struct vm_range r);

/* Invariants (takes the chunk locks itself). */
int vmm_check(struct vm_manager *m);

#endif
