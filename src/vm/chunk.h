/* A chunk: a contiguous part of the pool handed out by the VMManager.
 *
 *  - single-VMA chunk (CHUNK_SINGLE): exactly the size of one mapping of one
 *    process (ELF image, stack, heap, large mmap, addressed mmap outside the
 *    process's chunks) or one shm segment. mprotect may split its VMA in
 *    place, so it can hold several VMAs of that one owner; munmap trims or
 *    splits the chunk so that address space goes back to the pool (the heap
 *    chunk keeps its reservation).
 *  - multi-VMA chunk (CHUNK_MULTI): default size (config chunk_size), holds
 *    many small VMAs of any processes, its own free space manager and
 *    dirty-page bitmap. Each VMA knows its owner.
 *
 * Each chunk has its own lock, which protects `cm` and the lifetime fields.
 * The range changes only under the global lock and the chunk lock. */
#ifndef ONESPACE_VM_CHUNK_H
#define ONESPACE_VM_CHUNK_H

#include <pthread.h>
#include <stdbool.h>

#include "util/list.h"
#include "util/rbtree.h"
#include "vm/vm_chunk_manager.h"

struct process_vm;

enum chunk_kind { CHUNK_SINGLE, CHUNK_MULTI };

enum chunk_flag {
    CHUNK_HEAP = 1u << 0,   /* brk heap: reserved to max size, never trimmed */
    CHUNK_SHM  = 1u << 1,   /* a SysV shm segment, shared by its attachers */
};

struct chunk {
    struct rb_node rb;              /* vm_manager's chunk tree, by start */
    struct list_head multi_link;    /* vm_manager's list of multi chunks */
    enum chunk_kind kind;
    uint32_t flags;
    pthread_mutex_t lock;
    struct vm_chunk_manager cm;     /* cm.range is the chunk's range */
    struct process_vm *owner;       /* single: the owning process (NULL: shm) */
    /* multi, under lock: processes holding a reference to it, and whether a
     * thread has taken the job of freeing it once it is empty. */
    unsigned nr_holders;
    bool free_pending;
    /* multi, under lock: the process keeping this empty chunk as its spare
     * (its only holder), so the global path can reclaim it. */
    struct process_vm *spare_of;
    /* single, under the owner's lock: on the owner's trim list (has free
     * space to give back to the pool). */
    bool on_trim_list;
    struct list_head trim_link;
};

int chunk_new(enum chunk_kind kind, struct vm_range range, struct process_vm *owner,
              struct chunk **out);
/* Frees the chunk and any VMAs still in it. */
void chunk_free(struct chunk *c);

static inline struct vm_range chunk_range(const struct chunk *c) { return c->cm.range; }
static inline void chunk_lock(struct chunk *c) { pthread_mutex_lock(&c->lock); }
static inline bool chunk_trylock(struct chunk *c) { return pthread_mutex_trylock(&c->lock) == 0; }
static inline void chunk_unlock(struct chunk *c) { pthread_mutex_unlock(&c->lock); }

/* Bytes of the chunk in no VMA (multi: the fsm's free bytes). */
size_t chunk_free_bytes(const struct chunk *c);
/* Largest free range (multi) or 0. */
size_t chunk_largest_free(const struct chunk *c);

/* Check the chunk's invariants (cm_check plus kind rules). Lock held. */
int chunk_check(const struct chunk *c);

#endif
