/* Pool use per process (vm_stats.h): mapped and peak bytes through mmap,
 * munmap, MAP_FIXED over old mappings, mremap and brk; the records
 * of destroyed processes; the pool's peak. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/mman.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "vm/vm_stats.h"
#include "vmcore_test_util.h"

#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)

VT_POOL_FIXTURE()

static void expect(struct process_vm *vm, size_t mapped, size_t peak)
{
    assert_int_equal(process_vm_mapped_bytes(vm), mapped);
    assert_int_equal(process_vm_peak_bytes(vm), peak);
    assert_int_equal(process_vm_check(vm), 0);     /* counts against the VMAs */
}

static void test_mapped_and_peak(void **state)
{
    struct process_vm *vm = new_vm(7);
    expect(vm, 0, 0);
    long a = process_vm_mmap(vm, 0, 16 * PG, RW, PA, NULL, 0);
    assert_true(a > 0);
    expect(vm, 16 * PG, 16 * PG);
    long big = process_vm_mmap(vm, 0, 4 * MiB, RW, PA, NULL, 0);     /* a single chunk */
    assert_true(big > 0);
    expect(vm, 16 * PG + 4 * MiB, 16 * PG + 4 * MiB);
    /* A hole in the middle, then MAP_FIXED over part of what is left. */
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a + 4 * PG, 4 * PG), 0);
    expect(vm, 12 * PG + 4 * MiB, 16 * PG + 4 * MiB);
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)a, 8 * PG, RW, PA | MAP_FIXED, NULL, 0), a);
    expect(vm, 16 * PG + 4 * MiB, 16 * PG + 4 * MiB);
    /* mremap: grow (in place or moved), then shrink. */
    long g = process_vm_mremap(vm, (uintptr_t)big, 4 * MiB, 6 * MiB, MREMAP_MAYMOVE, 0);
    assert_true(g > 0);
    expect(vm, 16 * PG + 6 * MiB, 16 * PG + 6 * MiB);
    assert_int_equal(process_vm_mremap(vm, (uintptr_t)g, 6 * MiB, 1 * MiB, 0, 0), g);
    expect(vm, 16 * PG + 1 * MiB, 16 * PG + 6 * MiB);
    /* brk. */
    assert_int_equal(process_vm_init_heap(vm, 0, 1 * MiB), 0);
    uintptr_t h = process_vm_brk(vm, 0);
    assert_int_equal(process_vm_brk(vm, h + 3 * PG), h + 3 * PG);
    expect(vm, 19 * PG + 1 * MiB, 16 * PG + 6 * MiB);
    assert_int_equal(process_vm_brk(vm, h + PG), h + PG);
    expect(vm, 17 * PG + 1 * MiB, 16 * PG + 6 * MiB);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 16 * PG), 0);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)g, 1 * MiB), 0);
    expect(vm, PG, 16 * PG + 6 * MiB);
    process_vm_destroy(vm);
}

static void test_records(void **state)
{
    struct vm_pool_use before, after;
    user_space_vm_pool_use(usv, &before);
    assert_int_equal(before.total_bytes, 256 * MiB);
    assert_true(before.peak_used_bytes >= before.used_bytes);
    user_space_vm_record_procs(usv);
    struct process_vm *unused = new_vm(1);      /* never used: no record */
    process_vm_destroy(unused);
    struct process_vm *vm = new_vm(2);
    process_vm_set_name(vm, "/bin/prog\0arg one\0", 18);
    assert_true(process_vm_mmap(vm, 0, 40 * MiB, RW, PA, NULL, 0) > 0);
    user_space_vm_pool_use(usv, &after);
    assert_true(after.used_bytes >= before.used_bytes + 40 * MiB);
    assert_true(after.peak_used_bytes >= after.used_bytes);
    process_vm_destroy(vm);
    struct process_vm *vm3 = new_vm(3);
    assert_true(process_vm_mmap(vm3, 0, PG, RW, PA, NULL, 0) > 0);
    process_vm_destroy(vm3);

    struct vm_proc_record r[4];
    assert_int_equal(user_space_vm_proc_records(usv, r, 1), 2);     /* count, one copied */
    assert_int_equal(user_space_vm_proc_records(usv, r, 4), 2);
    assert_int_equal(r[0].pid, 2);
    assert_string_equal(r[0].name, "/bin/prog arg one");
    assert_int_equal(r[0].peak_bytes, 40 * MiB);
    assert_int_equal(r[1].pid, 3);
    assert_string_equal(r[1].name, "");
    assert_int_equal(r[1].peak_bytes, PG);
    struct vm_pool_use end;
    user_space_vm_pool_use(usv, &end);
    assert_true(end.peak_used_bytes >= after.used_bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapped_and_peak),
        cmocka_unit_test(test_records),
    };
    return vt_run_both(tests, setup, teardown);
}
