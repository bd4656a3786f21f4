/* vm_range_from_user: alignment, rounding, overflow and the 47-bit limit,
 * compared with native mprotect/munmap where the native errno does not
 * depend on what is mapped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/mman.h>

#include "util/compiler.h"
#include "vm/vm_range.h"

#define USER_END 0x800000000000UL

static int native_mprotect(uintptr_t addr, size_t len)
{
    return mprotect((void *)addr, len, PROT_READ) ? -errno : 0;
}

static void test_rounds_len_up(void **state)
{
    struct vm_range r;
    assert_int_equal(vm_range_from_user(0x10000, 1, false, &r), 0);
    assert_int_equal(r.start, 0x10000);
    assert_int_equal(r.end, 0x11000);
    assert_int_equal(vm_range_from_user(0x10000, PAGE_SIZE, false, &r), 0);
    assert_int_equal(r.end, 0x11000);
    assert_int_equal(vm_range_from_user(0x10000, PAGE_SIZE + 1, false, &r), 0);
    assert_int_equal(r.end, 0x12000);
    assert_int_equal(vm_range_size(r), 2 * PAGE_SIZE);
    /* The very last user page, and the whole user space. */
    assert_int_equal(vm_range_from_user(USER_END - PAGE_SIZE, 1, false, &r), 0);
    assert_int_equal(r.end, USER_END);
    assert_int_equal(vm_range_from_user(0, USER_END, false, &r), 0);
    assert_int_equal(r.start, 0);
    assert_int_equal(r.end, USER_END);
}

static void test_unaligned_addr_einval(void **state)
{
    struct vm_range r = { 7, 7 };
    assert_int_equal(vm_range_from_user(0x10001, PAGE_SIZE, false, &r), -EINVAL);
    assert_int_equal(vm_range_from_user(0x10800, 0, true, &r), -EINVAL);
    assert_int_equal(r.start, 7);   /* untouched */
    assert_int_equal(native_mprotect(0x10001, PAGE_SIZE), -EINVAL);
    assert_int_equal(native_mprotect(0x10800, 0), -EINVAL);
}

static void test_empty(void **state)
{
    struct vm_range r = { 7, 7 };
    assert_int_equal(vm_range_from_user(0x10000, 0, false, &r), -EINVAL);
    assert_int_equal(r.start, 7);
    /* munmap(addr, 0) is EINVAL natively. */
    assert_int_equal(munmap((void *)0x10000, 0) ? -errno : 0, -EINVAL);

    assert_int_equal(vm_range_from_user(0x10000, 0, true, &r), 0);
    assert_true(vm_range_empty(r));
    assert_int_equal(r.start, 0x10000);
    /* mprotect(addr, 0) succeeds natively, even beyond user space. */
    assert_int_equal(vm_range_from_user(0x900000000000UL, 0, true, &r), 0);
    assert_int_equal(native_mprotect(0x900000000000UL, 0), 0);
}

static void test_overflow_and_limit_enomem(void **state)
{
    struct vm_range r = { 7, 7 };
    /* len rounds up past SIZE_MAX. */
    assert_int_equal(vm_range_from_user(0x10000, SIZE_MAX, false, &r), -ENOMEM);
    assert_int_equal(native_mprotect(0x10000, SIZE_MAX), -ENOMEM);
    assert_int_equal(vm_range_from_user(0x10000, SIZE_MAX - PAGE_SIZE + 2, false, &r), -ENOMEM);
    /* addr + len wraps. */
    assert_int_equal(vm_range_from_user(0x10000, SIZE_MAX - 0x8000 - PAGE_SIZE, false, &r),
                     -ENOMEM);
    /* Beyond the 47-bit user space. */
    assert_int_equal(vm_range_from_user(USER_END - PAGE_SIZE, PAGE_SIZE + 1, false, &r),
                     -ENOMEM);
    assert_int_equal(native_mprotect(USER_END - PAGE_SIZE, 2 * PAGE_SIZE), -ENOMEM);
    assert_int_equal(vm_range_from_user(USER_END, PAGE_SIZE, false, &r), -ENOMEM);
    assert_int_equal(vm_range_from_user(0xfffffffffffff000UL, PAGE_SIZE, false, &r), -ENOMEM);
    assert_int_equal(vm_range_from_user(0, USER_END + 1, false, &r), -ENOMEM);
    assert_int_equal(r.start, 7);
}

static void test_inline_helpers(void **state)
{
    struct vm_range a = vm_range_make(0x1000, 0x3000);   /* [1000, 4000) */
    struct vm_range b = { 0x3000, 0x5000 };
    struct vm_range c = { 0x4000, 0x5000 };
    assert_true(vm_range_overlaps(a, b));
    assert_false(vm_range_overlaps(a, c));
    assert_true(vm_range_contains_addr(a, 0x3fff));
    assert_false(vm_range_contains_addr(a, 0x4000));
    assert_true(vm_range_contains(a, (struct vm_range){ 0x2000, 0x4000 }));
    assert_false(vm_range_contains(a, b));
    struct vm_range i = vm_range_intersect(a, b);
    assert_int_equal(i.start, 0x3000);
    assert_int_equal(i.end, 0x4000);
    assert_true(vm_range_empty(vm_range_intersect(a, c)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rounds_len_up),
        cmocka_unit_test(test_unaligned_addr_einval),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_overflow_and_limit_enomem),
        cmocka_unit_test(test_inline_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
