/* vm_area: split, merge rules, shared access. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "util/compiler.h"
#include "vm/vm_area.h"
#include "vm/vm_perms.h"

static int refs;
static void fget(struct vm_file *f) { refs++; }
static void fput(struct vm_file *f) { refs--; }
static const struct vm_file_ops ops = { .get = fget, .put = fput };

#define OWNER1 ((struct process_vm *)0x1000)
#define OWNER2 ((struct process_vm *)0x2000)
#define R(a, b) ((struct vm_range){ (a) * PAGE_SIZE, (b) * PAGE_SIZE })

static void test_split_keeps_attributes(void **state)
{
    struct vm_file f = { .ops = &ops };
    refs = 0;
    struct vm_area *v = vma_new(R(10, 20), VM_PERM_READ, VMA_SHARED, OWNER1, &f, 5 * PAGE_SIZE);
    assert_int_equal(refs, 1);
    struct vm_area *right = vma_alloc_blank();
    vma_split(v, 14 * PAGE_SIZE, right);
    assert_int_equal(refs, 2);
    assert_int_equal(v->range.end, 14 * PAGE_SIZE);
    assert_int_equal(right->range.start, 14 * PAGE_SIZE);
    assert_int_equal(right->range.end, 20 * PAGE_SIZE);
    assert_int_equal(right->offset, 9 * PAGE_SIZE);
    assert_int_equal(right->perms, VM_PERM_READ);
    assert_ptr_equal(right->owner, OWNER1);
    assert_true(vma_can_merge(v, right));
    vma_free(v);
    vma_free(right);
    assert_int_equal(refs, 0);
}

static void test_merge_rules(void **state)
{
    struct vm_file f = { .ops = &ops }, g = { .ops = &ops };
    struct vm_area *a = vma_new(R(0, 2), 3, 0, OWNER1, NULL, 0);
    struct vm_area *b = vma_new(R(2, 4), 3, 0, OWNER1, NULL, 0);
    assert_true(vma_can_merge(a, b));
    assert_false(vma_can_merge(b, a));                /* order matters */
    b->owner = OWNER2;
    assert_false(vma_can_merge(a, b));                /* other owner */
    b->owner = OWNER1;
    b->perms = 1;
    assert_false(vma_can_merge(a, b));                /* other perms */
    b->perms = 3;
    b->flags = VMA_STACK;
    assert_false(vma_can_merge(a, b));                /* other flags */
    b->flags = 0;
    b->range = R(3, 5);
    assert_false(vma_can_merge(a, b));                /* not adjacent */
    b->range = R(2, 4);
    b->chunk = (struct chunk *)0x10;
    assert_false(vma_can_merge(a, b));                /* other chunk */
    b->chunk = NULL;
    vma_free(a);
    vma_free(b);

    a = vma_new(R(0, 2), 1, 0, OWNER1, &f, 0);
    b = vma_new(R(2, 4), 1, 0, OWNER1, &f, 2 * PAGE_SIZE);
    assert_true(vma_can_merge(a, b));                 /* contiguous offsets */
    b->offset = 3 * PAGE_SIZE;
    assert_false(vma_can_merge(a, b));
    b->offset = 2 * PAGE_SIZE;
    b->file = &g;
    assert_false(vma_can_merge(a, b));                /* other file */
    b->file = &f;
    struct vm_area *anon = vma_new(R(2, 4), 1, 0, OWNER1, NULL, 0);
    assert_false(vma_can_merge(a, anon));             /* file vs anonymous */
    vma_free(a);
    vma_free(b);
    vma_free(anon);
}

static void test_shared_access(void **state)
{
    struct vm_area *v = vma_new(R(0, 1), 0, VMA_SHM | VMA_SHARED, NULL, NULL, 0);
    assert_true(vma_is_shared_access(v));
    assert_false(vma_visible_to(v, OWNER1));
    assert_int_equal(vma_add_sharer(v, OWNER1, VM_PERM_READ, VM_PERM_READ), 0);
    assert_int_equal(vma_add_sharer(v, OWNER2, VM_PERM_READ | VM_PERM_WRITE, VM_PERM_RWX), 0);
    assert_true(vma_visible_to(v, OWNER1));
    assert_int_equal(vma_perms_for(v, OWNER1), VM_PERM_READ);
    assert_int_equal(vma_max_perms_for(v, OWNER1), VM_PERM_READ);
    assert_int_equal(vma_sharers_perms(v), VM_PERM_READ | VM_PERM_WRITE);
    struct vm_area *w = vma_new(R(1, 2), 0, VMA_SHM | VMA_SHARED, NULL, NULL, 0);
    assert_false(vma_can_merge(v, w));               /* never shared ones */
    vma_free(w);
    /* per-pid refcount */
    assert_int_equal(vma_add_sharer(v, OWNER1, VM_PERM_READ, VM_PERM_READ), 0);
    assert_int_equal(vma_remove_sharer(v, OWNER1), 2);
    assert_int_equal(vma_remove_sharer(v, OWNER1), 1);
    assert_int_equal(vma_remove_sharer(v, OWNER1), -ENOENT);
    assert_int_equal(vma_sharers_perms(v), VM_PERM_READ | VM_PERM_WRITE);
    assert_int_equal(vma_remove_sharer(v, OWNER2), 0);
    assert_int_equal(vma_perms_for(v, OWNER2), 0);
    vma_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_keeps_attributes),
        cmocka_unit_test(test_merge_rules),
        cmocka_unit_test(test_shared_access),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
