/* Red-black tree: random insert/erase sequences against a sorted-array
 * model, with augmented values (subtree max of a per-node weight, subtree
 * size) verified by rb_check after every operation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/compiler.h"
#include "util/rbtree.h"

struct item {
    struct rb_node rb;
    int key;
    int weight;      /* independent of the order: exercised by rb_propagate */
    int max_weight;  /* augmented: max weight in the subtree */
    int size;        /* augmented: nodes in the subtree */
    bool in_tree;
};

#define ITEM(n) rb_entry(n, struct item, rb)

static int sub_max(const struct rb_node *n) { return n ? ITEM(n)->max_weight : -1; }
static int sub_size(const struct rb_node *n) { return n ? ITEM(n)->size : 0; }

static int compute_max(const struct item *it)
{
    return MAX(it->weight, MAX(sub_max(it->rb.left), sub_max(it->rb.right)));
}

/* Max only: returns false when nothing changed, so early stops happen. */
static bool augment_max(struct rb_node *n)
{
    struct item *it = ITEM(n);
    int m = compute_max(it);
    if (m == it->max_weight)
        return false;
    it->max_weight = m;
    return true;
}

static bool augment_both(struct rb_node *n)
{
    struct item *it = ITEM(n);
    int m = compute_max(it);
    int s = 1 + sub_size(n->left) + sub_size(n->right);
    bool changed = m != it->max_weight || s != it->size;
    it->max_weight = m;
    it->size = s;
    return changed;
}

static int check_max(const struct rb_node *n)
{
    const struct item *it = ITEM(n);
    if (it->max_weight != compute_max(it))
        return -EDOM;
    return 0;
}

static int check_both(const struct rb_node *n)
{
    const struct item *it = ITEM(n);
    if (check_max(n))
        return -EDOM;
    if (it->size != 1 + sub_size(n->left) + sub_size(n->right))
        return -ERANGE;
    return 0;
}

static void insert_item(struct rb_tree *t, struct item *it)
{
    struct rb_node **link = &t->root, *parent = NULL;
    while (*link) {
        parent = *link;
        link = it->key < ITEM(parent)->key ? &parent->left : &parent->right;
    }
    rb_insert(t, &it->rb, parent, link);
    it->in_tree = true;
}

static struct item *find_item(struct rb_tree *t, int key)
{
    struct rb_node *n = t->root;
    while (n) {
        if (key == ITEM(n)->key)
            return ITEM(n);
        n = key < ITEM(n)->key ? n->left : n->right;
    }
    return NULL;
}

/* ---- sorted-array model ---- */

struct model {
    int keys[8192];
    int n;
};

static int model_pos(const struct model *m, int key)
{
    int lo = 0, hi = m->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (m->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void model_insert(struct model *m, int key)
{
    int p = model_pos(m, key);
    memmove(&m->keys[p + 1], &m->keys[p], (size_t)(m->n - p) * sizeof(int));
    m->keys[p] = key;
    m->n++;
}

static void model_erase(struct model *m, int key)
{
    int p = model_pos(m, key);
    assert_true(p < m->n && m->keys[p] == key);
    memmove(&m->keys[p], &m->keys[p + 1], (size_t)(m->n - p - 1) * sizeof(int));
    m->n--;
}

static void compare_with_model(struct rb_tree *t, const struct model *m,
                               int (*check)(const struct rb_node *))
{
    assert_int_equal(rb_check(t, check), 0);
    int i = 0;
    for (struct rb_node *n = rb_first(t); n; n = rb_next(n)) {
        assert_true(i < m->n);
        assert_int_equal(ITEM(n)->key, m->keys[i]);
        i++;
    }
    assert_int_equal(i, m->n);
    for (struct rb_node *n = rb_last(t); n; n = rb_prev(n)) {
        i--;
        assert_int_equal(ITEM(n)->key, m->keys[i]);
    }
    assert_int_equal(i, 0);
    assert_int_equal(rb_tree_empty(t), m->n == 0);
    if (t->augment == augment_both && t->root)
        assert_int_equal(ITEM(t->root)->size, m->n);
}

#define NKEYS 4096

static struct item *new_items(void)
{
    struct item *items = calloc(NKEYS, sizeof(*items));
    assert_non_null(items);
    for (int i = 0; i < NKEYS; i++)
        items[i].key = i;
    return items;
}

/* Random toggles of keys (insert if absent, erase if present), occasional
 * weight changes via rb_propagate; fully checked after every operation. */
static void random_ops(bool (*augment)(struct rb_node *),
                       int (*check)(const struct rb_node *), unsigned seed,
                       int ops, int key_space)
{
    struct item *items = new_items();
    struct model *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    struct rb_tree t;
    rb_tree_init(&t, augment);
    srand(seed);

    for (int op = 0; op < ops; op++) {
        int key = rand() % key_space;
        struct item *it = &items[key];
        int what = rand() % 8;
        if (what == 0 && it->in_tree && augment) {
            it->weight = rand() % 100000;
            rb_propagate(&t, &it->rb);
        } else if (it->in_tree) {
            assert_ptr_equal(find_item(&t, key), it);
            rb_erase(&t, &it->rb);
            it->in_tree = false;
            model_erase(m, key);
            assert_null(find_item(&t, key));
        } else {
            it->weight = rand() % 100000;
            /* Leave stale values in the node: rb_insert must not trust them. */
            it->max_weight = 1 << 30;
            it->size = 12345;
            insert_item(&t, it);
            model_insert(m, key);
        }
        compare_with_model(&t, m, check);
    }
    /* Drain in random order. */
    while (m->n) {
        int key = m->keys[rand() % m->n];
        rb_erase(&t, &items[key].rb);
        items[key].in_tree = false;
        model_erase(m, key);
        compare_with_model(&t, m, check);
    }
    assert_null(t.root);
    free(m);
    free(items);
}

static void test_random_plain(void **state)
{
    random_ops(NULL, NULL, 1, 20000, 1000);
}

static void test_random_augmented_max(void **state)
{
    /* Small key space: the tree oscillates around ~half full. */
    random_ops(augment_max, check_max, 2, 20000, 300);
    random_ops(augment_max, check_max, 3, 20000, 3000);
}

static void test_random_augmented_max_and_size(void **state)
{
    random_ops(augment_both, check_both, 4, 20000, 64);
    random_ops(augment_both, check_both, 5, 30000, NKEYS);
}

/* Monotonic insertion is the classic rebalancing stress. */
static void test_sequential_patterns(void **state)
{
    struct item *items = new_items();
    struct rb_tree t;
    rb_tree_init(&t, augment_both);

    for (int i = 0; i < NKEYS; i++) {
        items[i].weight = i % 777;
        insert_item(&t, &items[i]);
    }
    assert_int_equal(rb_check(&t, check_both), 0);
    assert_int_equal(ITEM(t.root)->size, NKEYS);
    assert_int_equal(ITEM(t.root)->max_weight, 776);

    /* Height bound of a red-black tree: <= 2 log2(n + 1). */
    int height = 0;
    for (struct rb_node *n = rb_first(&t); n; n = rb_next(n)) {
        int d = 0;
        for (const struct rb_node *p = n; p; p = p->parent)
            d++;
        height = MAX(height, d);
    }
    assert_true(height <= 2 * 13);

    /* Erase from the front, then the rest from the back. */
    for (int i = 0; i < NKEYS / 2; i++) {
        assert_ptr_equal(rb_first(&t), &items[i].rb);
        rb_erase(&t, &items[i].rb);
        if (i % 64 == 0)
            assert_int_equal(rb_check(&t, check_both), 0);
    }
    for (int i = NKEYS - 1; i >= NKEYS / 2; i--) {
        assert_ptr_equal(rb_last(&t), &items[i].rb);
        rb_erase(&t, &items[i].rb);
        if (i % 64 == 0)
            assert_int_equal(rb_check(&t, check_both), 0);
    }
    assert_true(rb_tree_empty(&t));
    assert_null(rb_first(&t));
    assert_null(rb_last(&t));

    /* Descending insertion. */
    for (int i = NKEYS - 1; i >= 0; i--)
        insert_item(&t, &items[i]);
    assert_int_equal(rb_check(&t, check_both), 0);
    int expect = 0;
    for (struct rb_node *n = rb_first(&t); n; n = rb_next(n))
        assert_int_equal(ITEM(n)->key, expect++);
    assert_int_equal(expect, NKEYS);
    free(items);
}

/* Equal keys are allowed (the caller decides where they go). */
static void test_duplicates_keep_insertion_order(void **state)
{
    struct item items[50];
    struct rb_tree t;
    rb_tree_init(&t, augment_both);
    memset(items, 0, sizeof(items));
    for (int i = 0; i < 50; i++) {
        items[i].key = i % 5;
        items[i].weight = i;
        insert_item(&t, &items[i]);   /* equal keys go right: after */
    }
    assert_int_equal(rb_check(&t, check_both), 0);
    struct rb_node *n = rb_first(&t);
    for (int k = 0; k < 5; k++)
        for (int j = 0; j < 10; j++, n = rb_next(n))
            assert_ptr_equal(n, &items[j * 5 + k].rb);
    assert_null(n);
}

/* rb_propagate: changing a weight in place fixes the aggregate upward. */
static void test_propagate(void **state)
{
    struct item *items = new_items();
    struct rb_tree t;
    rb_tree_init(&t, augment_max);
    for (int i = 0; i < 1000; i++)
        insert_item(&t, &items[i]);
    assert_int_equal(ITEM(t.root)->max_weight, 0);
    items[500].weight = 42;
    rb_propagate(&t, &items[500].rb);
    assert_int_equal(rb_check(&t, check_max), 0);
    assert_int_equal(ITEM(t.root)->max_weight, 42);
    items[500].weight = 1;
    rb_propagate(&t, &items[500].rb);
    assert_int_equal(rb_check(&t, check_max), 0);
    assert_int_equal(ITEM(t.root)->max_weight, 1);
    /* Without propagating, the check notices. */
    items[3].weight = 7;
    assert_int_equal(rb_check(&t, check_max), -EDOM);
    rb_propagate(&t, &items[3].rb);
    assert_int_equal(rb_check(&t, check_max), 0);

    /* Plain tree: rb_propagate is a no-op. */
    struct rb_tree plain;
    rb_tree_init(&plain, NULL);
    rb_propagate(&plain, NULL);
    free(items);
}

/* rb_check finds broken colours, black heights and parent links. */
static void test_check_detects_corruption(void **state)
{
    struct item items[64];
    struct rb_tree t;
    memset(items, 0, sizeof(items));
    rb_tree_init(&t, NULL);
    assert_int_equal(rb_check(&t, NULL), 0);
    for (int i = 0; i < 64; i++) {
        items[i].key = i;
        insert_item(&t, &items[i]);
    }
    assert_int_equal(rb_check(&t, NULL), 0);

    /* Red root. */
    t.root->red = 1;
    assert_int_equal(rb_check(&t, NULL), -EUCLEAN);
    t.root->red = 0;

    /* Black-height mismatch: paint a black leaf red is fine only if its
     * parent is black; flipping a black leaf to red changes the height. */
    struct rb_node *leaf = NULL;
    for (struct rb_node *n = rb_first(&t); n; n = rb_next(n))
        if (!n->left && !n->right && !n->red && !n->parent->red) {
            leaf = n;
            break;
        }
    assert_non_null(leaf);
    leaf->red = 1;
    assert_int_equal(rb_check(&t, NULL), -EUCLEAN);
    leaf->red = 0;
    assert_int_equal(rb_check(&t, NULL), 0);

    /* Red-red: a red node under a red parent. */
    struct rb_node *red = NULL;
    for (struct rb_node *n = rb_first(&t); n; n = rb_next(n))
        if (n->red && (n->left || n->right)) {
            red = n;
            break;
        }
    assert_non_null(red);
    struct rb_node *child = red->left ? red->left : red->right;
    int saved = child->red;
    child->red = 1;
    assert_int_equal(rb_check(&t, NULL), -EUCLEAN);
    child->red = saved;

    /* Wrong parent link. */
    struct rb_node *p = child->parent;
    child->parent = child;
    assert_int_equal(rb_check(&t, NULL), -EUCLEAN);
    child->parent = p;
    assert_int_equal(rb_check(&t, NULL), 0);

    /* The per-node callback's error comes back. */
    assert_int_equal(rb_check(&t, check_max), 0);   /* all weights 0, max 0 */
    items[10].weight = 5;
    assert_int_equal(rb_check(&t, check_max), -EDOM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_plain),
        cmocka_unit_test(test_random_augmented_max),
        cmocka_unit_test(test_random_augmented_max_and_size),
        cmocka_unit_test(test_sequential_patterns),
        cmocka_unit_test(test_duplicates_keep_insertion_order),
        cmocka_unit_test(test_propagate),
        cmocka_unit_test(test_check_detects_corruption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
