#include "vm/vm_chunk_manager.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "util/log.h"

#define VMA(n) rb_entry(n, struct vm_area, rb)

int cm_init(struct vm_chunk_manager *cm, struct vm_range range, bool multi)
{
    *cm = (struct vm_chunk_manager){ .range = range, .multi = multi };
    rb_tree_init(&cm->vmas, NULL);
    if (!multi)
        return 0;
    size_t pages = vm_range_size(range) >> PAGE_SHIFT;
    cm->dirty = calloc((pages + 63) / 64, sizeof(uint64_t));
    if (!cm->dirty)
        return -ENOMEM;
    int err = fsm_init(&cm->fsm, range);
    if (err) {
        free(cm->dirty);
        cm->dirty = NULL;
    }
    return err;
}

void cm_destroy(struct vm_chunk_manager *cm)
{
    struct rb_node *n;
    while ((n = cm->vmas.root) != NULL) {
        struct vm_area *v = VMA(n);
        rb_erase(&cm->vmas, n);
        vma_free(v);
    }
    if (cm->multi) {
        fsm_destroy(&cm->fsm);
        free(cm->dirty);
    }
    cm->dirty = NULL;
    cm->nr_vmas = cm->vma_bytes = 0;
}

struct vm_area *cm_first_after(const struct vm_chunk_manager *cm, uintptr_t addr)
{
    struct rb_node *n = cm->vmas.root;
    struct vm_area *best = NULL;
    while (n) {
        struct vm_area *v = VMA(n);
        if (v->range.end > addr) {
            best = v;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

struct vm_area *cm_find(const struct vm_chunk_manager *cm, uintptr_t addr)
{
    struct vm_area *v = cm_first_after(cm, addr);
    return v && v->range.start <= addr ? v : NULL;
}

struct vm_area *cm_next(const struct vm_area *v)
{
    return rb_entry_safe(rb_next(&v->rb), struct vm_area, rb);
}

struct vm_area *cm_prev(const struct vm_area *v)
{
    return rb_entry_safe(rb_prev(&v->rb), struct vm_area, rb);
}

struct vm_area *cm_first(const struct vm_chunk_manager *cm)
{
    return rb_entry_safe(rb_first(&cm->vmas), struct vm_area, rb);
}

void cm_insert(struct vm_chunk_manager *cm, struct vm_area *v)
{
    struct rb_node **link = &cm->vmas.root, *parent = NULL;
    while (*link) {
        parent = *link;
        link = v->range.start < VMA(parent)->range.start ? &parent->left : &parent->right;
    }
    rb_insert(&cm->vmas, &v->rb, parent, link);
    cm->nr_vmas++;
    cm->vma_bytes += vma_size(v);
}

void cm_remove(struct vm_chunk_manager *cm, struct vm_area *v)
{
    rb_erase(&cm->vmas, &v->rb);
    cm->nr_vmas--;
    cm->vma_bytes -= vma_size(v);
}

void cm_set_range(struct vm_chunk_manager *cm, struct vm_area *v, struct vm_range r)
{
    cm->vma_bytes -= vma_size(v);
    if (v->file)
        v->offset = v->offset + r.start - v->range.start;
    v->range = r;
    cm->vma_bytes += vma_size(v);
}

void cm_split(struct vm_chunk_manager *cm, struct vm_area *v, uintptr_t addr,
              struct vm_area *right)
{
    cm->vma_bytes -= vma_size(v);
    vma_split(v, addr, right);
    cm->vma_bytes += vma_size(v);
    cm_insert(cm, right);
}

struct vm_area *cm_merge_around(struct vm_chunk_manager *cm, struct vm_area *v,
                                unsigned *freed)
{
    unsigned n = 0;
    struct vm_area *next = cm_next(v);
    if (next && vma_can_merge(v, next)) {
        struct vm_range r = { v->range.start, next->range.end };
        cm_remove(cm, next);
        vma_free(next);
        cm_set_range(cm, v, r);
        n++;
    }
    struct vm_area *prev = cm_prev(v);
    if (prev && vma_can_merge(prev, v)) {
        struct vm_range r = { prev->range.start, v->range.end };
        cm_remove(cm, v);
        vma_free(v);
        cm_set_range(cm, prev, r);
        v = prev;
        n++;
    }
    if (freed)
        *freed = n;
    return v;
}

bool cm_range_is_free(const struct vm_chunk_manager *cm, struct vm_range r)
{
    if (!vm_range_contains(cm->range, r) || vm_range_empty(r))
        return false;
    if (cm->multi)
        return fsm_is_free(&cm->fsm, r);
    struct vm_area *v = cm_first_after(cm, r.start);
    return !v || v->range.start >= r.end;
}

/* ---- dirty bitmap ---- */

static inline size_t page_index(const struct vm_chunk_manager *cm, uintptr_t a)
{
    return (a - cm->range.start) >> PAGE_SHIFT;
}

/* Apply `op` (0 clear, 1 set) to bits [lo, hi); return how many changed. */
static size_t bits_update(uint64_t *map, size_t lo, size_t hi, int set)
{
    size_t changed = 0;
    while (lo < hi) {
        size_t w = lo / 64, b = lo % 64;
        size_t n = MIN(64 - b, hi - lo);
        uint64_t mask = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << b;
        uint64_t old = map[w];
        map[w] = set ? old | mask : old & ~mask;
        changed += (size_t)__builtin_popcountll((old ^ map[w]) & mask);
        lo += n;
    }
    return changed;
}

void cm_dirty_mark(struct vm_chunk_manager *cm, struct vm_range r)
{
    if (!cm->multi || vm_range_empty(r))
        return;
    size_t n = bits_update(cm->dirty, page_index(cm, r.start), page_index(cm, r.end), 1);
    cm->dirty_bytes += n << PAGE_SHIFT;
}

bool cm_dirty_take(struct vm_chunk_manager *cm, struct vm_range r)
{
    if (!cm->multi || cm->dirty_bytes == 0 || vm_range_empty(r))
        return false;
    size_t n = bits_update(cm->dirty, page_index(cm, r.start), page_index(cm, r.end), 0);
    cm->dirty_bytes -= n << PAGE_SHIFT;
    return n != 0;
}

/* First bit in [lo, hi) equal to `val`, or hi. */
static size_t find_bit(const uint64_t *map, size_t lo, size_t hi, int val)
{
    while (lo < hi) {
        size_t w = lo / 64, b = lo % 64;
        uint64_t word = val ? map[w] : ~map[w];
        word &= ~0ULL << b;
        if (word) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(word);
            return i < hi ? i : hi;
        }
        lo = (w + 1) * 64;
    }
    return hi;
}

void cm_dirty_for_each_run(const struct vm_chunk_manager *cm, struct vm_range r,
                           void (*fn)(struct vm_range run, void *arg), void *arg)
{
    if (!cm->multi || cm->dirty_bytes == 0 || vm_range_empty(r))
        return;
    size_t lo = page_index(cm, r.start), hi = page_index(cm, r.end);
    while (lo < hi) {
        size_t s = find_bit(cm->dirty, lo, hi, 1);
        if (s >= hi)
            break;
        size_t e = find_bit(cm->dirty, s, hi, 0);
        fn((struct vm_range){ cm->range.start + (s << PAGE_SHIFT),
                              cm->range.start + (e << PAGE_SHIFT) }, arg);
        lo = e;
    }
}

struct flush_state {
    int err;
};

static void flush_run(struct vm_range run, void *arg)
{
    struct flush_state *st = arg;
    int err = host_mem_discard((void *)run.start, vm_range_size(run));
    if (err && !st->err)
        st->err = err;
}

int cm_dirty_flush(struct vm_chunk_manager *cm)
{
    if (!cm->multi || cm->dirty_bytes == 0)
        return 0;
    struct flush_state st = { 0 };
    cm_dirty_for_each_run(cm, cm->range, flush_run, &st);
    if (st.err) {
        log_error("vm", "discarding dirty pages of chunk %#lx: %d",
                  (unsigned long)cm->range.start, st.err);
        return st.err;   /* keep them dirty: they were not zeroed */
    }
    size_t pages = vm_range_size(cm->range) >> PAGE_SHIFT;
    memset(cm->dirty, 0, (pages + 63) / 64 * sizeof(uint64_t));
    cm->dirty_bytes = 0;
    return 0;
}

/* ---- invariants ---- */

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            log_error("vm", "chunk %#lx: " __VA_ARGS__);                       \
            return -EUCLEAN;                                                   \
        }                                                                      \
    } while (0)

int cm_check(const struct vm_chunk_manager *cm)
{
    unsigned long cs = (unsigned long)cm->range.start;
    CHECK(rb_check(&cm->vmas, NULL) == 0, "VMA tree broken", cs);
    size_t n = 0, bytes = 0;
    const struct vm_area *prev = NULL;
    for (struct vm_area *v = cm_first(cm); v; v = cm_next(v)) {
        CHECK(!vm_range_empty(v->range), "empty VMA", cs);
        CHECK(IS_ALIGNED(v->range.start, PAGE_SIZE) && IS_ALIGNED(v->range.end, PAGE_SIZE),
              "unaligned VMA", cs);
        CHECK(vm_range_contains(cm->range, v->range), "VMA %#lx outside", cs,
              (unsigned long)v->range.start);
        CHECK(!prev || prev->range.end <= v->range.start, "VMAs overlap at %#lx", cs,
              (unsigned long)v->range.start);
        if (cm->multi) {
            CHECK(!fsm_is_free(&cm->fsm, (struct vm_range){ v->range.start,
                                                             v->range.start + PAGE_SIZE }),
                  "VMA %#lx in free space", cs, (unsigned long)v->range.start);
            CHECK(find_bit(cm->dirty, page_index(cm, v->range.start),
                           page_index(cm, v->range.end), 1) == page_index(cm, v->range.end),
                  "dirty page in VMA %#lx", cs, (unsigned long)v->range.start);
        }
        /* A shm segment may have no attacher (it lives until IPC_RMID). */
        CHECK(v->owner || (v->flags & VMA_SHM), "VMA %#lx has no owner", cs,
              (unsigned long)v->range.start);
        bytes += vma_size(v);
        n++;
        prev = v;
    }
    CHECK(n == cm->nr_vmas, "nr_vmas %zu != %zu", cs, cm->nr_vmas, n);
    CHECK(bytes == cm->vma_bytes, "vma_bytes %zu != %zu", cs, cm->vma_bytes, bytes);
    if (cm->multi) {
        CHECK(fsm_check(&cm->fsm) == 0, "fsm_check failed", cs);
        CHECK(cm->fsm.free_bytes + bytes == vm_range_size(cm->range),
              "free %zu + VMA %zu != size %zu", cs, cm->fsm.free_bytes, bytes,
              vm_range_size(cm->range));
        size_t pages = vm_range_size(cm->range) >> PAGE_SHIFT, dirty = 0;
        for (size_t w = 0; w < (pages + 63) / 64; w++)
            dirty += (size_t)__builtin_popcountll(cm->dirty[w]);
        CHECK(dirty << PAGE_SHIFT == cm->dirty_bytes, "dirty count", cs);
    }
    return 0;
}
