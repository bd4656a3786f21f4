/* user_space_vm: configuration checks, stats, tuning, the check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmcore_test_util.h"

static int create(size_t size, size_t chunk, struct user_space_vm **out)
{
    struct user_space_vm_config cfg = { .user_space_size = size, .chunk_size = chunk };
    return user_space_vm_create(&cfg, out);
}

static void test_config(void **state)
{
    struct user_space_vm *usv;
    assert_int_equal(create(0, 0, &usv), 0);                /* defaults */
    struct vm_range r = user_space_vm_range(usv);
    assert_int_equal(vm_range_size(r), 1UL << 30);
    assert_true(IS_ALIGNED(r.start, 2 * MiB));
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    assert_int_equal(st.total_bytes, 1UL << 30);
    assert_int_equal(st.free_bytes, 1UL << 30);
    assert_int_equal(st.nr_chunks + st.nr_vmas + st.nr_shm_segments, 0);
    assert_int_equal(user_space_vm_check(usv), 0);
    user_space_vm_destroy(usv);
    assert_int_equal(user_space_vm_create(NULL, &usv), 0);  /* NULL config: defaults */
    user_space_vm_destroy(usv);

    assert_int_equal(create(64 * MiB + 1, 0, &usv), -EINVAL);      /* not a page multiple */
    assert_int_equal(create(64 * MiB, 4 * MiB + 1, &usv), -EINVAL);
    assert_int_equal(create(64 * MiB, 32 * 1024, &usv), -EINVAL);   /* chunk < 64 KiB */
    assert_int_equal(create(48 * MiB, 0, &usv), -EINVAL);           /* < 2 default chunks */
    assert_int_equal(create(8 * MiB, 4 * MiB, &usv), 0);            /* exactly 2 chunks */
    user_space_vm_destroy(usv);
    assert_int_equal(create(1UL << 50, 0, &usv), -ENOMEM);          /* host refuses */
}

static void test_stats_and_tune(void **state)
{
    struct user_space_vm *usv = vt_pool(64 * MiB, 4 * MiB);
    struct user_space_vm_tuning t = { .single_min = 8 * PG, .dirty_max = 4 * PG,
                                      .release_min = 16 * PG, .zero_memset_max = 0 };
    user_space_vm_tune(usv, &t);
    struct process_vm *vm;
    assert_int_equal(process_vm_create(usv, 7, &vm), 0);
    long a = process_vm_mmap(vm, 0, 7 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    long b = process_vm_mmap(vm, 0, 8 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    assert_true(a > 0 && b > 0);
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    assert_int_equal(st.nr_multi_chunks, 1);
    assert_int_equal(st.nr_single_chunks, 1);   /* 8 pages >= single_min */
    assert_int_equal(st.nr_vmas, 2);
    assert_int_equal(st.free_bytes, 64 * MiB - 4 * MiB - 8 * PG);
    /* The dirty bound (4 pages) makes munmaps flush early; reuse is zero. */
    for (int i = 0; i < 10; i++) {
        long c = process_vm_mmap(vm, 0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
        memset((void *)c, 1, 2 * PG);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)c, 2 * PG), 0);
    }
    long c = process_vm_mmap(vm, 0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    assert_true(vt_all_zero((uintptr_t)c, 2 * PG));
    assert_int_equal(user_space_vm_check(usv), 0);
    process_vm_destroy(vm);
    assert_true(vt_pool_is_clean(usv));
    user_space_vm_destroy(usv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_stats_and_tune),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
