/* Free space of an address range (the pool, or one multi-VMA chunk).
 *
 * Free ranges live in an address-ordered red-black tree augmented with the
 * largest free range in each subtree, so finding the lowest-addressed range
 * that fits a (size, align) request, with or without a hint, is O(log n);
 * freeing coalesces with both neighbours in O(log n). Occlum's version is an
 * address-sorted vector with O(n) search and coalescing.
 *
 * Not thread-safe: the owner (vm_manager or chunk) holds its lock. */
#ifndef ONESPACE_VM_FREE_SPACE_MANAGER_H
#define ONESPACE_VM_FREE_SPACE_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/rbtree.h"
#include "vm/vm_layout.h"
#include "vm/vm_range.h"

struct fsm_range;               /* one free range (private) */

struct free_space_manager {
    struct vm_range whole;      /* the range managed */
    struct rb_tree tree;        /* free ranges, by address, augmented */
    size_t free_bytes;
    size_t nr_ranges;
    /* Added by vm-leaf: spare range nodes, so alloc/free rarely malloc. */
    struct fsm_range *spare;
    unsigned nr_spare;
    /* Added by vm-leaf, debug: tree nodes examined by fsm_alloc searches
     * (cumulative), for tests that check the search stays O(log n). */
    uint64_t nr_visits;
};

/* The whole range starts free. 0 or -EINVAL/-ENOMEM. */
int fsm_init(struct free_space_manager *fsm, struct vm_range whole);
void fsm_destroy(struct free_space_manager *fsm);

/* Take the lowest-addressed free range that fits `layout`. If `hint` is
 * non-zero, first look for the lowest fit at or above `hint`, then fall back
 * to the lowest fit anywhere. Returns 0 and the start, or -ENOMEM. */
int fsm_alloc(struct free_space_manager *fsm, struct vm_layout layout,
              uintptr_t hint, uintptr_t *out);

/* Take exactly `r` if every byte of it is free; -ENOMEM otherwise. */
int fsm_alloc_at(struct free_space_manager *fsm, struct vm_range r);

/* Give `r` back, coalescing. -EINVAL if any byte of it is already free or
 * it lies outside `whole` (nothing is changed then). */
int fsm_free(struct free_space_manager *fsm, struct vm_range r);

bool fsm_is_free(const struct free_space_manager *fsm, struct vm_range r);

/* The free range containing `addr`, if any. */
bool fsm_find_containing(const struct free_space_manager *fsm, uintptr_t addr,
                         struct vm_range *out);

size_t fsm_largest_free(const struct free_space_manager *fsm);

/* Visit the free ranges in address order; stop early if `fn` returns non-zero
 * (that value is returned). */
int fsm_for_each(const struct free_space_manager *fsm,
                 int (*fn)(struct vm_range r, void *arg), void *arg);

/* Invariants: tree shape, augmentation, no two adjacent or overlapping
 * ranges, counters. 0 or -EUCLEAN. O(n). */
int fsm_check(const struct free_space_manager *fsm);

#endif
