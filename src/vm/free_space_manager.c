/* Free space manager: free ranges in a red-black tree keyed by start and
 * augmented with the largest range size in each subtree.
 *
 * Allocation is an in-order search that skips every subtree whose largest
 * range is smaller than the request. Without alignment beyond a page any
 * range that large fits, so the search descends into exactly one such
 * subtree per level: O(log n). With a larger alignment a range of size in
 * [size, size + align - PAGE_SIZE) may fail to fit; the search then looks
 * at the next candidate, so the result is always the exact lowest fit and
 * the cost is O((1 + k) log n) for k such misaligned candidates below it. */
#include "vm/free_space_manager.h"

#include <errno.h>
#include <stdlib.h>

#include "util/compiler.h"

struct fsm_range {
    struct rb_node rb;
    uintptr_t start, end;
    size_t max_free;        /* largest range size in this subtree */
};

/* Alloc needs at most one new node and free releases at most one. */
#define FSM_MAX_SPARE 8

#define RANGE(n) rb_entry(n, struct fsm_range, rb)

static inline size_t range_size(const struct fsm_range *r) { return r->end - r->start; }

static size_t compute_max(const struct fsm_range *r)
{
    size_t m = range_size(r);
    if (r->rb.left)
        m = MAX(m, RANGE(r->rb.left)->max_free);
    if (r->rb.right)
        m = MAX(m, RANGE(r->rb.right)->max_free);
    return m;
}

static bool augment_max_free(struct rb_node *n)
{
    struct fsm_range *r = RANGE(n);
    size_t m = compute_max(r);
    if (m == r->max_free)
        return false;
    r->max_free = m;
    return true;
}

/* ---- node cache ---- */

static struct fsm_range *get_node(struct free_space_manager *fsm)
{
    struct fsm_range *r = fsm->spare;
    if (r) {
        fsm->spare = rb_entry_safe(r->rb.parent, struct fsm_range, rb);
        fsm->nr_spare--;
        return r;
    }
    return malloc(sizeof(*r));
}

static void put_node(struct free_space_manager *fsm, struct fsm_range *r)
{
    if (fsm->nr_spare >= FSM_MAX_SPARE) {
        free(r);
        return;
    }
    r->rb.parent = fsm->spare ? &fsm->spare->rb : NULL;
    fsm->spare = r;
    fsm->nr_spare++;
}

/* ---- tree helpers ---- */

/* The last range with start <= addr, or NULL. */
static struct fsm_range *floor_range(const struct free_space_manager *fsm, uintptr_t addr)
{
    struct rb_node *n = fsm->tree.root;
    struct fsm_range *best = NULL;
    while (n) {
        if (RANGE(n)->start <= addr) {
            best = RANGE(n);
            n = n->right;
        } else {
            n = n->left;
        }
    }
    return best;
}

static void insert_range(struct free_space_manager *fsm, struct fsm_range *r)
{
    struct rb_node **link = &fsm->tree.root, *parent = NULL;
    while (*link) {
        parent = *link;
        link = r->start < RANGE(parent)->start ? &parent->left : &parent->right;
    }
    r->max_free = range_size(r);
    rb_insert(&fsm->tree, &r->rb, parent, link);
    fsm->nr_ranges++;
}

static bool layout_valid(struct vm_layout l)
{
    return l.size != 0 && IS_ALIGNED(l.size, PAGE_SIZE) && IS_POW2(l.align) &&
           l.align >= PAGE_SIZE;
}

static bool range_valid(struct vm_range r)
{
    return r.start < r.end && IS_ALIGNED(r.start, PAGE_SIZE) && IS_ALIGNED(r.end, PAGE_SIZE);
}

/* ---- init / destroy ---- */

int fsm_init(struct free_space_manager *fsm, struct vm_range whole)
{
    if (!range_valid(whole))
        return -EINVAL;
    struct fsm_range *r = malloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    *fsm = (struct free_space_manager){ .whole = whole };
    rb_tree_init(&fsm->tree, augment_max_free);
    r->start = whole.start;
    r->end = whole.end;
    insert_range(fsm, r);
    fsm->free_bytes = vm_range_size(whole);
    return 0;
}

void fsm_destroy(struct free_space_manager *fsm)
{
    /* Post-order walk, unlinking leaves: no rebalancing needed. */
    struct rb_node *n = fsm->tree.root;
    while (n) {
        if (n->left) {
            n = n->left;
        } else if (n->right) {
            n = n->right;
        } else {
            struct rb_node *p = n->parent;
            if (p) {
                if (p->left == n)
                    p->left = NULL;
                else
                    p->right = NULL;
            }
            free(RANGE(n));
            n = p;
        }
    }
    while (fsm->spare) {
        struct fsm_range *r = fsm->spare;
        fsm->spare = rb_entry_safe(r->rb.parent, struct fsm_range, rb);
        free(r);
    }
    *fsm = (struct free_space_manager){ 0 };
}

/* ---- allocation ---- */

/* Where `l` fits in `r` at or above `lo`, if it does. */
static bool fit_in(const struct fsm_range *r, uintptr_t lo, struct vm_layout l, uintptr_t *out)
{
    uintptr_t s = MAX(r->start, lo);
    if (s > UINTPTR_MAX - (l.align - 1))
        return false;
    s = ALIGN_UP(s, l.align);
    if (s >= r->end || r->end - s < l.size)
        return false;
    *out = s;
    return true;
}

/* The lowest-addressed range in the subtree `n` where `l` fits at or above
 * `lo`. Recursion depth is the tree height. */
static struct fsm_range *search(struct free_space_manager *fsm, struct rb_node *n,
                                uintptr_t lo, struct vm_layout l, uintptr_t *out)
{
    while (n) {
        struct fsm_range *r = RANGE(n);
        fsm->nr_visits++;
        if (r->max_free < l.size)
            return NULL;
        if (r->end <= lo) {         /* r and its left subtree are below lo */
            n = n->right;
            continue;
        }
        struct fsm_range *found = search(fsm, n->left, lo, l, out);
        if (found)
            return found;
        if (fit_in(r, lo, l, out))
            return r;
        n = n->right;
    }
    return NULL;
}

/* Remove [s, e) (inside r) from the free space. `extra` is a node for the
 * right-hand piece if r must be split; unused otherwise (returned to the
 * cache). */
static void carve(struct free_space_manager *fsm, struct fsm_range *r, uintptr_t s,
                  uintptr_t e, struct fsm_range *extra)
{
    bool keep_left = s > r->start, keep_right = e < r->end;

    if (keep_left && keep_right) {
        extra->start = e;
        extra->end = r->end;
        r->end = s;
        rb_propagate(&fsm->tree, &r->rb);
        insert_range(fsm, extra);
        extra = NULL;
    } else if (keep_left) {
        r->end = s;
        rb_propagate(&fsm->tree, &r->rb);
    } else if (keep_right) {
        r->start = e;
        rb_propagate(&fsm->tree, &r->rb);
    } else {
        rb_erase(&fsm->tree, &r->rb);
        fsm->nr_ranges--;
        put_node(fsm, r);
    }
    if (extra)
        put_node(fsm, extra);
    fsm->free_bytes -= e - s;
}

/* Carve [s, s + size) out of r, getting a node first if a split needs one
 * so that a failed malloc changes nothing. */
static int take(struct free_space_manager *fsm, struct fsm_range *r, uintptr_t s, size_t size)
{
    uintptr_t e = s + size;
    struct fsm_range *extra = NULL;
    if (s > r->start && e < r->end) {
        extra = get_node(fsm);
        if (!extra)
            return -ENOMEM;
    }
    carve(fsm, r, s, e, extra);
    return 0;
}

int fsm_alloc(struct free_space_manager *fsm, struct vm_layout layout,
              uintptr_t hint, uintptr_t *out)
{
    if (!layout_valid(layout))
        return -EINVAL;
    uintptr_t s = 0;
    struct fsm_range *r = NULL;
    if (hint)
        r = search(fsm, fsm->tree.root, hint, layout, &s);
    if (!r)
        r = search(fsm, fsm->tree.root, 0, layout, &s);
    if (!r)
        return -ENOMEM;
    int err = take(fsm, r, s, layout.size);
    if (err)
        return err;
    *out = s;
    return 0;
}

int fsm_alloc_at(struct free_space_manager *fsm, struct vm_range want)
{
    if (!range_valid(want))
        return -EINVAL;
    if (!vm_range_contains(fsm->whole, want))
        return -ENOMEM;
    struct fsm_range *r = floor_range(fsm, want.start);
    if (!r || r->end < want.end)
        return -ENOMEM;
    return take(fsm, r, want.start, vm_range_size(want));
}

/* ---- free ---- */

int fsm_free(struct free_space_manager *fsm, struct vm_range give)
{
    if (!range_valid(give) || !vm_range_contains(fsm->whole, give))
        return -EINVAL;
    /* Ranges are disjoint and sorted: only the last one starting before
     * give.end can overlap it. */
    struct fsm_range *prev = floor_range(fsm, give.end - 1);
    if (prev && prev->end > give.start)
        return -EINVAL;
    struct rb_node *nn = prev ? rb_next(&prev->rb) : rb_first(&fsm->tree);
    struct fsm_range *next = rb_entry_safe(nn, struct fsm_range, rb);
    bool join_prev = prev && prev->end == give.start;
    bool join_next = next && next->start == give.end;

    if (join_prev && join_next) {
        uintptr_t end = next->end;
        rb_erase(&fsm->tree, &next->rb);
        fsm->nr_ranges--;
        put_node(fsm, next);
        prev->end = end;
        rb_propagate(&fsm->tree, &prev->rb);
    } else if (join_prev) {
        prev->end = give.end;
        rb_propagate(&fsm->tree, &prev->rb);
    } else if (join_next) {
        next->start = give.start;
        rb_propagate(&fsm->tree, &next->rb);
    } else {
        struct fsm_range *r = get_node(fsm);
        if (!r)
            return -ENOMEM;
        r->start = give.start;
        r->end = give.end;
        insert_range(fsm, r);
    }
    fsm->free_bytes += vm_range_size(give);
    return 0;
}

/* ---- queries ---- */

bool fsm_is_free(const struct free_space_manager *fsm, struct vm_range r)
{
    if (vm_range_empty(r))
        return false;
    const struct fsm_range *f = floor_range(fsm, r.start);
    return f && f->end >= r.end;
}

bool fsm_find_containing(const struct free_space_manager *fsm, uintptr_t addr,
                         struct vm_range *out)
{
    const struct fsm_range *f = floor_range(fsm, addr);
    if (!f || addr >= f->end)
        return false;
    *out = (struct vm_range){ f->start, f->end };
    return true;
}

size_t fsm_largest_free(const struct free_space_manager *fsm)
{
    return fsm->tree.root ? RANGE(fsm->tree.root)->max_free : 0;
}

int fsm_for_each(const struct free_space_manager *fsm,
                 int (*fn)(struct vm_range r, void *arg), void *arg)
{
    for (struct rb_node *n = rb_first(&fsm->tree); n; n = rb_next(n)) {
        int ret = fn((struct vm_range){ RANGE(n)->start, RANGE(n)->end }, arg);
        if (ret)
            return ret;
    }
    return 0;
}

static int check_node(const struct rb_node *n)
{
    const struct fsm_range *r = RANGE(n);
    return r->max_free == compute_max(r) ? 0 : -EUCLEAN;
}

int fsm_check(const struct free_space_manager *fsm)
{
    int err = rb_check(&fsm->tree, check_node);
    if (err)
        return err;
    size_t bytes = 0, count = 0;
    const struct fsm_range *prev = NULL;
    for (struct rb_node *n = rb_first(&fsm->tree); n; n = rb_next(n)) {
        const struct fsm_range *r = RANGE(n);
        struct vm_range vr = { r->start, r->end };
        if (!range_valid(vr) || !vm_range_contains(fsm->whole, vr))
            return -EUCLEAN;
        /* Strictly apart: touching ranges should have been coalesced. */
        if (prev && prev->end >= r->start)
            return -EUCLEAN;
        bytes += range_size(r);
        count++;
        prev = r;
    }
    if (bytes != fsm->free_bytes || count != fsm->nr_ranges)
        return -EUCLEAN;
    if (fsm->nr_spare > FSM_MAX_SPARE)
        return -EUCLEAN;
    return 0;
}
