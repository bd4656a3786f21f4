/* The VMAs of one chunk: an rbtree ordered by start (O(log n) find, insert,
 * remove; a range's VMAs are visited in O(log n + k)), plus, for a
 * multi-VMA chunk, its own free space manager and its dirty-page bitmap.
 *
 * Dirty pages: a page freed by munmap in a multi-VMA chunk may still hold
 * the old data; it is marked dirty here. An allocation overlapping dirty
 * pages zeroes them before the guest sees them, and when a chunk's dirty
 * bytes exceed a bound they are all returned to the host in one batch (see
 * docs/vm.md).
 *
 * Host protection of free pages: a clean free page is always host
 * PROT_NONE. A dirty page is PROT_NONE too (strict unmap), unless it was
 * freed lazily: then it kept the protection it had while mapped, and that
 * protection is recorded here (a byte per page, allocated on the first lazy
 * free) so that the next mapping there knows what the host has.
 *
 * Not thread-safe: the chunk's lock protects it. */
#ifndef ONESPACE_VM_VM_CHUNK_MANAGER_H
#define ONESPACE_VM_VM_CHUNK_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/rbtree.h"
#include "vm/free_space_manager.h"
#include "vm/vm_area.h"
#include "vm/vm_range.h"

struct vm_chunk_manager {
    struct vm_range range;
    struct rb_tree vmas;            /* struct vm_area, by start */
    size_t nr_vmas;
    size_t vma_bytes;
    bool multi;
    struct free_space_manager fsm;  /* multi only: free space of the chunk */
    uint64_t *dirty;                /* multi only: one bit per page */
    size_t dirty_bytes;
    /* multi only, NULL until the first lazy free: the host protection of
     * each dirty page (0 = PROT_NONE; always 0 on clean pages). */
    uint8_t *lazy_prot;
    size_t lazy_bytes;              /* dirty bytes not recorded PROT_NONE */
};

/* What a range held before it was taken for a new mapping. */
struct vm_old_pages {
    bool dirty;         /* some pages may hold old data */
    int host_prot;      /* the host protection of all its pages, or -1 (mixed) */
};

int cm_init(struct vm_chunk_manager *cm, struct vm_range range, bool multi);
/* Frees the VMAs still in it. */
void cm_destroy(struct vm_chunk_manager *cm);

/* The VMA containing addr, or NULL. */
struct vm_area *cm_find(const struct vm_chunk_manager *cm, uintptr_t addr);
/* The first VMA ending after addr (the first one that can overlap
 * [addr, ...)), or NULL. */
struct vm_area *cm_first_after(const struct vm_chunk_manager *cm, uintptr_t addr);
struct vm_area *cm_next(const struct vm_area *v);
struct vm_area *cm_prev(const struct vm_area *v);
struct vm_area *cm_first(const struct vm_chunk_manager *cm);

/* Insert a VMA that overlaps none (the caller checked). */
void cm_insert(struct vm_chunk_manager *cm, struct vm_area *v);
/* The VMAs right before and right after addr (addr in no VMA): *prev is
 * the last one starting below addr, *next the first one starting at or
 * above it (NULL if none). One descent. */
void cm_neighbours(const struct vm_chunk_manager *cm, uintptr_t addr, struct vm_area **prev,
                   struct vm_area **next);
/* cm_insert for a VMA whose neighbours (cm_neighbours) are known: no
 * descent. */
void cm_insert_between(struct vm_chunk_manager *cm, struct vm_area *v, struct vm_area *prev,
                       struct vm_area *next);
void cm_remove(struct vm_chunk_manager *cm, struct vm_area *v);
/* Change a VMA's range in place; it must not overlap its neighbours. */
void cm_set_range(struct vm_chunk_manager *cm, struct vm_area *v, struct vm_range r);
/* Split v at addr with the blank VMA `right` and insert the right half. */
void cm_split(struct vm_chunk_manager *cm, struct vm_area *v, uintptr_t addr,
              struct vm_area *right);
/* Merge v with its neighbours where vma_can_merge allows. Returns the VMA
 * now covering v's range; *freed (if non-NULL) gets how many VMAs were
 * freed (0-2). */
struct vm_area *cm_merge_around(struct vm_chunk_manager *cm, struct vm_area *v,
                                unsigned *freed);

/* No VMA overlaps r (and, in a multi chunk, the fsm has it all free). */
bool cm_range_is_free(const struct vm_chunk_manager *cm, struct vm_range r);

/* ---- dirty pages (multi chunks; no-ops otherwise) ---- */
/* r (free, host PROT_NONE now) may hold old data. */
void cm_dirty_mark(struct vm_chunk_manager *cm, struct vm_range r);
/* r (free, clean before) may hold old data and keeps host protection
 * `host_prot`. 0, or -ENOMEM (nothing recorded: the caller protects). */
int cm_dirty_mark_lazy(struct vm_chunk_manager *cm, struct vm_range r, int host_prot);
/* Clear the dirty pages of r; true if there were any. */
bool cm_dirty_take(struct vm_chunk_manager *cm, struct vm_range r);
/* Take r (free) for a new mapping: clear its dirty pages and their
 * recorded protections, and say what the host has there. O(pages/64),
 * plus O(pages) when lazily freed pages are in the chunk. */
struct vm_old_pages cm_take(struct vm_chunk_manager *cm, struct vm_range r);
/* Visit each maximal run of dirty pages in r (O(pages/64)). */
void cm_dirty_for_each_run(const struct vm_chunk_manager *cm, struct vm_range r,
                           void (*fn)(struct vm_range run, void *arg), void *arg);
/* Return every dirty page to the host, PROT_NONE (one host call per run:
 * discard, or release where lazily freed pages kept a protection), clear. */
int cm_dirty_flush(struct vm_chunk_manager *cm);
/* The host protection recorded for the free page at addr (0 if clean). */
int cm_free_page_prot(const struct vm_chunk_manager *cm, uintptr_t addr);

/* Invariants: tree, order, disjoint, non-empty, inside, counters, free +
 * VMA bytes = size, fsm_check, dirty pages only in free space, recorded
 * protections only on dirty pages. */
int cm_check(const struct vm_chunk_manager *cm);

#endif
