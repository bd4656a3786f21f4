/* process_vm: mmap, munmap, mprotect basics, isolation between processes,
 * faults, zeroing, and the pool coming back whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmcore_test_util.h"

static void test_mmap_munmap_basic(void **state)
{
    struct user_space_vm *usv = vt_pool(256 * MiB, 8 * MiB);
    struct process_vm *vm;
    assert_int_equal(process_vm_create(usv, 1, &vm), 0);
    long a = process_vm_mmap(vm, 0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    assert_true(a > 0);
    struct vm_range pool = user_space_vm_range(usv);
    assert_true(vm_range_contains(pool, vm_range_make((uintptr_t)a, 3 * PG)));
    assert_true(vt_all_zero((uintptr_t)a, 3 * PG));
    memset((void *)a, 0x5a, 3 * PG);
    assert_int_equal(user_space_vm_check(usv), 0);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 3 * PG), 0);
    assert_true(vt_read_faults((uintptr_t)a));
    long b = process_vm_mmap(vm, 0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    assert_true(b > 0);
    assert_true(vt_all_zero((uintptr_t)b, 3 * PG));
    assert_int_equal(user_space_vm_check(usv), 0);
    process_vm_destroy(vm);
    assert_true(vt_pool_is_clean(usv));
    user_space_vm_destroy(usv);
}

static void test_mprotect_faults(void **state)
{
    struct user_space_vm *usv = vt_pool(256 * MiB, 8 * MiB);
    struct process_vm *vm;
    assert_int_equal(process_vm_create(usv, 1, &vm), 0);
    long a = process_vm_mmap(vm, 0, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    assert_true(a > 0);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + PG, PG, PROT_READ), 0);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + 2 * PG, PG, PROT_NONE), 0);
    assert_false(vt_write_faults((uintptr_t)a));
    assert_true(vt_write_faults((uintptr_t)a + PG));
    assert_false(vt_read_faults((uintptr_t)a + PG));
    assert_true(vt_read_faults((uintptr_t)a + 2 * PG));
    assert_int_equal(user_space_vm_check(usv), 0);
    char maps[1024];
    assert_true(process_vm_render_maps(vm, maps, sizeof(maps)) > 0);
    print_message("%s", maps);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a, 4 * PG, PROT_READ | PROT_WRITE), 0);
    process_vm_render_maps(vm, maps, sizeof(maps));
    print_message("%s", maps);
    process_vm_destroy(vm);
    assert_true(vt_pool_is_clean(usv));
    user_space_vm_destroy(usv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmap_munmap_basic),
        cmocka_unit_test(test_mprotect_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
