/* vm_layout_init: size must be a non-zero page multiple, align a power of
 * two of at least a page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "util/compiler.h"
#include "vm/vm_layout.h"

static void test_valid(void **state)
{
    struct vm_layout l;
    assert_int_equal(vm_layout_init(&l, PAGE_SIZE, PAGE_SIZE), 0);
    assert_int_equal(l.size, PAGE_SIZE);
    assert_int_equal(l.align, PAGE_SIZE);
    assert_int_equal(vm_layout_init(&l, 3 * PAGE_SIZE, 2 << 20), 0);
    assert_int_equal(l.size, 3 * PAGE_SIZE);
    assert_int_equal(l.align, 2 << 20);
    assert_int_equal(vm_layout_init(&l, PAGE_SIZE, (size_t)1 << 63), 0);
}

static void test_invalid(void **state)
{
    struct vm_layout l = { 11, 22 };
    assert_int_equal(vm_layout_init(&l, 0, PAGE_SIZE), -EINVAL);
    assert_int_equal(vm_layout_init(&l, PAGE_SIZE + 1, PAGE_SIZE), -EINVAL);
    assert_int_equal(vm_layout_init(&l, 100, PAGE_SIZE), -EINVAL);
    assert_int_equal(vm_layout_init(&l, PAGE_SIZE, 0), -EINVAL);
    assert_int_equal(vm_layout_init(&l, PAGE_SIZE, PAGE_SIZE / 2), -EINVAL);
    assert_int_equal(vm_layout_init(&l, PAGE_SIZE, 3 * PAGE_SIZE), -EINVAL);
    assert_int_equal(vm_layout_init(&l, PAGE_SIZE, PAGE_SIZE + 1), -EINVAL);
    assert_int_equal(l.size, 11);
    assert_int_equal(l.align, 22);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
