/* Intrusive red-black tree (CLRS algorithms with NULL leaves).
 *
 * Augmentation scheme: after a structural change (linking a new node, or
 * unlinking one) the aggregates on the changed path are recomputed first,
 * so the whole tree is consistent; rebalancing then only rotates, and a
 * rotation keeps the aggregate of the subtree it rotates (same set of
 * nodes), so recomputing the two rotated nodes, lower one first, keeps the
 * tree consistent. Recoloring never changes aggregates. */
#include "util/rbtree.h"

#include <errno.h>

static inline bool is_red(const struct rb_node *n) { return n && n->red; }

static inline void augment_one(struct rb_tree *t, struct rb_node *n)
{
    if (t->augment)
        t->augment(n);
}

/* Replace `old` by `new` (may be NULL) in old's parent. */
static void replace_child(struct rb_tree *t, struct rb_node *old, struct rb_node *new,
                          struct rb_node *parent)
{
    if (!parent)
        t->root = new;
    else if (parent->left == old)
        parent->left = new;
    else
        parent->right = new;
    if (new)
        new->parent = parent;
}

/*     x              y
 *    / \            / \
 *   a   y    ->    x   c
 *      / \        / \
 *     b   c      a   b        */
static void rotate_left(struct rb_tree *t, struct rb_node *x)
{
    struct rb_node *y = x->right;
    struct rb_node *p = x->parent;

    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    replace_child(t, x, y, p);
    y->left = x;
    x->parent = y;
    augment_one(t, x);
    augment_one(t, y);
}

static void rotate_right(struct rb_tree *t, struct rb_node *x)
{
    struct rb_node *y = x->left;
    struct rb_node *p = x->parent;

    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    replace_child(t, x, y, p);
    y->right = x;
    x->parent = y;
    augment_one(t, x);
    augment_one(t, y);
}

void rb_propagate(struct rb_tree *t, struct rb_node *node)
{
    if (!t->augment)
        return;
    for (; node; node = node->parent)
        if (!t->augment(node))
            break;
}

void rb_insert(struct rb_tree *t, struct rb_node *node, struct rb_node *parent,
               struct rb_node **link)
{
    node->parent = parent;
    node->left = node->right = NULL;
    node->red = 1;
    *link = node;

    if (t->augment) {
        /* The new node's value may "not change" (whatever the caller left in
         * it), but its parent gained a child either way. */
        t->augment(node);
        rb_propagate(t, parent);
    }

    while ((parent = node->parent) && parent->red) {
        struct rb_node *gp = parent->parent;   /* exists: the root is black */
        if (parent == gp->left) {
            struct rb_node *uncle = gp->right;
            if (is_red(uncle)) {
                parent->red = 0;
                uncle->red = 0;
                gp->red = 1;
                node = gp;
                continue;
            }
            if (node == parent->right) {
                rotate_left(t, parent);
                node = parent;
                parent = node->parent;
            }
            parent->red = 0;
            gp->red = 1;
            rotate_right(t, gp);
        } else {
            struct rb_node *uncle = gp->left;
            if (is_red(uncle)) {
                parent->red = 0;
                uncle->red = 0;
                gp->red = 1;
                node = gp;
                continue;
            }
            if (node == parent->left) {
                rotate_right(t, parent);
                node = parent;
                parent = node->parent;
            }
            parent->red = 0;
            gp->red = 1;
            rotate_left(t, gp);
        }
    }
    t->root->red = 0;
}

/* Restore the black height after removing a black node; `x` (maybe NULL)
 * carries the extra black and `parent` is its parent. */
static void erase_fixup(struct rb_tree *t, struct rb_node *x, struct rb_node *parent)
{
    while (x != t->root && !is_red(x)) {
        if (x == parent->left) {
            struct rb_node *w = parent->right;   /* non-NULL: black height >= 1 */
            if (w->red) {
                w->red = 0;
                parent->red = 1;
                rotate_left(t, parent);
                w = parent->right;
            }
            if (!is_red(w->left) && !is_red(w->right)) {
                w->red = 1;
                x = parent;
                parent = x->parent;
            } else {
                if (!is_red(w->right)) {
                    w->left->red = 0;
                    w->red = 1;
                    rotate_right(t, w);
                    w = parent->right;
                }
                w->red = parent->red;
                parent->red = 0;
                w->right->red = 0;
                rotate_left(t, parent);
                x = t->root;
                parent = NULL;
            }
        } else {
            struct rb_node *w = parent->left;
            if (w->red) {
                w->red = 0;
                parent->red = 1;
                rotate_right(t, parent);
                w = parent->left;
            }
            if (!is_red(w->left) && !is_red(w->right)) {
                w->red = 1;
                x = parent;
                parent = x->parent;
            } else {
                if (!is_red(w->left)) {
                    w->right->red = 0;
                    w->red = 1;
                    rotate_left(t, w);
                    w = parent->left;
                }
                w->red = parent->red;
                parent->red = 0;
                w->left->red = 0;
                rotate_right(t, parent);
                x = t->root;
                parent = NULL;
            }
        }
    }
    if (x)
        x->red = 0;
}

void rb_erase(struct rb_tree *t, struct rb_node *node)
{
    struct rb_node *x, *xparent;
    bool removed_black;

    if (!node->left || !node->right) {
        x = node->left ? node->left : node->right;
        xparent = node->parent;
        removed_black = !node->red;
        replace_child(t, node, x, xparent);
        /* xparent lost `node` from its subtree. */
        rb_propagate(t, xparent);
    } else {
        /* Two children: the successor `s` (leftmost of the right subtree,
         * no left child) takes node's place and colour. */
        struct rb_node *s = node->right;
        while (s->left)
            s = s->left;
        removed_black = !s->red;
        x = s->right;
        if (s->parent == node) {
            xparent = s;
        } else {
            xparent = s->parent;
            replace_child(t, s, x, xparent);
            s->right = node->right;
            s->right->parent = s;
        }
        replace_child(t, node, s, node->parent);
        s->left = node->left;
        s->left->parent = s;
        s->red = node->red;

        if (t->augment) {
            /* Every node from s's old parent up to s changed; s's stored
             * value describes its old subtree, so no early stop below s. */
            for (struct rb_node *n = xparent; n != s; n = n->parent)
                t->augment(n);
            t->augment(s);
            rb_propagate(t, s->parent);
        }
    }

    if (removed_black)
        erase_fixup(t, x, xparent);
    node->parent = node->left = node->right = NULL;
}

struct rb_node *rb_first(const struct rb_tree *t)
{
    struct rb_node *n = t->root;
    if (!n)
        return NULL;
    while (n->left)
        n = n->left;
    return n;
}

struct rb_node *rb_last(const struct rb_tree *t)
{
    struct rb_node *n = t->root;
    if (!n)
        return NULL;
    while (n->right)
        n = n->right;
    return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
    if (node->right) {
        node = node->right;
        while (node->left)
            node = node->left;
        return (struct rb_node *)node;
    }
    while (node->parent && node == node->parent->right)
        node = node->parent;
    return node->parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
    if (node->left) {
        node = node->left;
        while (node->right)
            node = node->right;
        return (struct rb_node *)node;
    }
    while (node->parent && node == node->parent->left)
        node = node->parent;
    return node->parent;
}

/* Returns the black height of the subtree (counting NULL leaves as 1), or a
 * negative errno. `depth` bounds the recursion on a corrupted tree. */
static int check_subtree(const struct rb_node *n, const struct rb_node *parent,
                         int (*check)(const struct rb_node *), int depth)
{
    if (!n)
        return 1;
    if (depth > 200)               /* deeper than any valid tree in memory */
        return -EUCLEAN;
    if (n->parent != parent)
        return -EUCLEAN;
    if (n->red && (is_red(n->left) || is_red(n->right)))
        return -EUCLEAN;
    int lh = check_subtree(n->left, n, check, depth + 1);
    if (lh < 0)
        return lh;
    int rh = check_subtree(n->right, n, check, depth + 1);
    if (rh < 0)
        return rh;
    if (lh != rh)
        return -EUCLEAN;
    if (check) {
        int err = check(n);
        if (err < 0)
            return err;
    }
    return lh + !n->red;
}

int rb_check(const struct rb_tree *t, int (*check)(const struct rb_node *node))
{
    if (!t->root)
        return 0;
    if (t->root->red)
        return -EUCLEAN;
    int h = check_subtree(t->root, NULL, check, 0);
    return h < 0 ? h : 0;
}
