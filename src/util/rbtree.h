/* Intrusive red-black tree with optional augmentation.
 *
 * The caller embeds a struct rb_node in its objects and does its own
 * descent to find where a new node goes (as in Linux), then calls
 * rb_insert(). Augmentation: a tree may carry an `augment` callback that
 * recomputes a node's aggregate (e.g. the largest free gap in its subtree)
 * from the node and its two children and returns true if the aggregate
 * changed. The tree calls it on every node whose subtree changes (rotated
 * nodes bottom-up, then the path to the root until nothing changes), so the
 * aggregate is always right after rb_insert()/rb_erase(). After changing a
 * node's own key data in place (without moving it in the order), call
 * rb_propagate(tree, node).
 *
 * Not thread-safe: the owner locks. All operations are O(log n). */
#ifndef ONESPACE_UTIL_RBTREE_H
#define ONESPACE_UTIL_RBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include "util/compiler.h"

struct rb_node {
    struct rb_node *parent;
    struct rb_node *left, *right;
    int red;
};

struct rb_tree {
    struct rb_node *root;
    /* Optional: recompute node's aggregate from itself and its children;
     * return true if it changed. NULL for a plain tree. */
    bool (*augment)(struct rb_node *node);
};

#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member) \
    ((ptr) ? rb_entry(ptr, type, member) : NULL)

static inline void rb_tree_init(struct rb_tree *t, bool (*augment)(struct rb_node *))
{
    t->root = NULL;
    t->augment = augment;
}

static inline bool rb_tree_empty(const struct rb_tree *t) { return t->root == NULL; }

/* Insert `node` as child `*link` of `parent` (found by the caller's descent;
 * parent NULL and link &tree->root for an empty tree), then rebalance. */
void rb_insert(struct rb_tree *t, struct rb_node *node, struct rb_node *parent,
               struct rb_node **link);

/* Remove `node` from the tree and rebalance. */
void rb_erase(struct rb_tree *t, struct rb_node *node);

/* Recompute aggregates from `node` up to the root (stops early when a
 * node's aggregate does not change). No-op for a plain tree. */
void rb_propagate(struct rb_tree *t, struct rb_node *node);

/* In-order navigation. */
struct rb_node *rb_first(const struct rb_tree *t);
struct rb_node *rb_last(const struct rb_tree *t);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/* Debug: verify red-black properties and parent links; returns 0 or
 * -EUCLEAN. Calls `check` (if non-NULL) on every node, which may verify the
 * augmented value and returns 0 or a negative errno. O(n). */
int rb_check(const struct rb_tree *t, int (*check)(const struct rb_node *node));

#endif
