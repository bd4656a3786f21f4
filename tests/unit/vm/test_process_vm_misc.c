/* brk, madvise, mincore, check_access, /proc/<pid>/maps and mremap
 * details the differential test does not see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/mman.h>

#include "vmcore_test_util.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)

static struct user_space_vm *usv;

static int setup(void **state)
{
    usv = vt_pool(256 * MiB, 8 * MiB);
    return 0;
}

static int teardown(void **state)
{
    assert_true(vt_pool_is_clean(usv));
    user_space_vm_destroy(usv);
    return 0;
}

static struct process_vm *new_vm(pid_t pid)
{
    struct process_vm *vm;
    assert_int_equal(process_vm_create(usv, pid, &vm), 0);
    return vm;
}

static void test_brk(void **state)
{
    struct process_vm *vm = new_vm(1);
    assert_int_equal(process_vm_brk(vm, 0), 0);             /* no heap yet */
    assert_int_equal(process_vm_brk(vm, 0x1234000), 0);
    assert_int_equal(process_vm_init_heap(vm, 0, 0), -EINVAL);
    assert_int_equal(process_vm_init_heap(vm, 123, PG), -EINVAL);
    assert_int_equal(process_vm_init_heap(vm, 0, 1 * MiB), 0);
    assert_int_equal(process_vm_init_heap(vm, 0, 1 * MiB), -EEXIST);
    uintptr_t start = process_vm_brk(vm, 0);
    assert_true(start != 0 && IS_ALIGNED(start, PG));
    /* Grow by a byte count that is not a page multiple: the value is kept. */
    assert_int_equal(process_vm_brk(vm, start + 10000), start + 10000);
    assert_true(vt_all_zero(start, 3 * PG));
    memset((void *)start, 0xab, 10000);
    assert_false(vt_write_faults(start + 3 * PG - 1));     /* page granular */
    assert_true(vt_read_faults(start + 3 * PG));
    /* Impossible values return the current break. */
    assert_int_equal(process_vm_brk(vm, start - 1), start + 10000);
    assert_int_equal(process_vm_brk(vm, start + 2 * MiB), start + 10000);
    assert_int_equal(process_vm_brk(vm, 0), start + 10000);
    char maps[512];
    process_vm_render_maps(vm, maps, sizeof(maps));
    assert_non_null(strstr(maps, "[heap]"));
    /* Shrink releases the pages; growing again reads zeros. */
    assert_int_equal(process_vm_brk(vm, start + PG), start + PG);
    assert_true(vt_read_faults(start + PG));
    assert_int_equal(process_vm_brk(vm, start + 3 * PG), start + 3 * PG);
    assert_int_equal(*(unsigned char *)start, 0xab);
    assert_true(vt_all_zero(start + PG, 2 * PG));
    /* Something mapped above the break blocks growth through it. */
    assert_int_equal(process_vm_mmap(vm, start + 5 * PG, PG, RW, PA | MAP_FIXED, NULL, 0),
                     (long)(start + 5 * PG));
    assert_int_equal(process_vm_brk(vm, start + 6 * PG), start + 3 * PG);
    assert_int_equal(process_vm_brk(vm, start + 5 * PG), start + 5 * PG);
    assert_int_equal(process_vm_brk(vm, start), start);
    assert_true(vt_read_faults(start));
    assert_int_equal(user_space_vm_check(usv), 0);
    /* A heap at a chosen address. */
    struct process_vm *vm2 = new_vm(2);
    uintptr_t at = user_space_vm_range(usv).start + 128 * MiB;
    assert_int_equal(process_vm_init_heap(vm2, at, 64 * PG), 0);
    assert_int_equal(process_vm_brk(vm2, 0), at);
    struct process_vm *vm3 = new_vm(3);
    assert_int_equal(process_vm_init_heap(vm3, at, 64 * PG), -ENOMEM);
    process_vm_destroy(vm3);
    process_vm_destroy(vm2);
    process_vm_destroy(vm);
}

static void test_mark_stack(void **state)
{
    struct process_vm *vm = new_vm(1);
    long s = process_vm_mmap(vm, 0, 16 * PG, RW, PA | MAP_STACK, NULL, 0);
    assert_true(s > 0);
    assert_int_equal(process_vm_mark_stack(vm, (uintptr_t)s + 4 * PG, 12 * PG), 0);
    char buf[1024];
    process_vm_render_maps(vm, buf, sizeof(buf));
    char *line2 = strchr(buf, '\n') + 1;
    assert_null(strstr(buf, "[stack]") < line2 ? (void *)1 : NULL);   /* first line: no name */
    assert_non_null(strstr(line2, "[stack]"));
    assert_int_equal(process_vm_mark_stack(vm, (uintptr_t)s, 17 * PG), -ENOMEM);
    assert_int_equal(process_vm_mark_stack(vm, (uintptr_t)s + 1, PG), -EINVAL);
    assert_int_equal(process_vm_mark_stack(vm, (uintptr_t)s, 0), -EINVAL);
    /* Marking the rest makes one [stack] line. */
    assert_int_equal(process_vm_mark_stack(vm, (uintptr_t)s, 16 * PG), 0);
    process_vm_render_maps(vm, buf, sizeof(buf));
    assert_int_equal(strchr(buf, '\n') - buf + 1, (long)strlen(buf));
    assert_non_null(strstr(buf, "[stack]"));
    assert_int_equal(user_space_vm_check(usv), 0);
    process_vm_destroy(vm);
}

static void test_madvise(void **state)
{
    struct process_vm *vm = new_vm(1);
    long a = process_vm_mmap(vm, 0, 4 * PG, RW, PA, NULL, 0);
    memset((void *)a, 5, 4 * PG);
    assert_int_equal(process_vm_madvise(vm, (uintptr_t)a, 2 * PG, MADV_DONTNEED), 0);
    assert_true(vt_all_zero((uintptr_t)a, 2 * PG));
    assert_int_equal(*(unsigned char *)(a + 2 * (long)PG), 5);
    static const int ok[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
                              MADV_FREE, MADV_DONTFORK, MADV_DOFORK, MADV_DONTDUMP,
                              MADV_DODUMP, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_COLD,
                              MADV_WIPEONFORK, MADV_KEEPONFORK };
    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        assert_int_equal(process_vm_madvise(vm, (uintptr_t)a, 4 * PG, ok[i]), 0);
    assert_int_equal(process_vm_madvise(vm, (uintptr_t)a, PG, 12345), -EINVAL);
    assert_int_equal(process_vm_madvise(vm, (uintptr_t)a + 1, PG, MADV_NORMAL), -EINVAL);
    assert_int_equal(process_vm_madvise(vm, (uintptr_t)a, 8 * PG, MADV_NORMAL), -ENOMEM);
    assert_int_equal(process_vm_madvise(vm, (uintptr_t)a, 0, MADV_NORMAL), 0);
    /* Shared anonymous memory keeps its data on DONTNEED (shmem-like). */
    long s = process_vm_mmap(vm, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
    *(volatile char *)s = 9;
    assert_int_equal(process_vm_madvise(vm, (uintptr_t)s, PG, MADV_DONTNEED), 0);
    assert_int_equal(*(volatile char *)s, 9);
    assert_int_equal(process_vm_madvise(vm, (uintptr_t)s, PG, MADV_FREE), -EINVAL);
    process_vm_destroy(vm);
}

static void test_mincore_and_access(void **state)
{
    struct process_vm *vm = new_vm(1);
    long a = process_vm_mmap(vm, 0, 4 * PG, RW, PA, NULL, 0);
    *(volatile char *)(a + (long)PG) = 1;
    unsigned char vec[4];
    assert_int_equal(process_vm_mincore(vm, (uintptr_t)a, 4 * PG, vec), 0);
    assert_false(vec[0] & 1);
    assert_true(vec[1] & 1);
    assert_int_equal(process_vm_mincore(vm, (uintptr_t)a, 4 * PG, NULL), -EFAULT);
    assert_int_equal(process_vm_mincore(vm, (uintptr_t)a + 1, PG, vec), -EINVAL);
    assert_int_equal(process_vm_mincore(vm, (uintptr_t)a, 5 * PG, vec), -ENOMEM);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + 2 * PG, PG, PROT_READ), 0);
    assert_int_equal(process_vm_check_access(vm, (uintptr_t)a + 5, 2 * PG - 5, RW), 0);
    assert_int_equal(process_vm_check_access(vm, (uintptr_t)a + 5, 2 * PG - 4, RW), -EFAULT);
    assert_int_equal(process_vm_check_access(vm, (uintptr_t)a + 5, 3 * PG, PROT_READ), 0);
    assert_int_equal(process_vm_check_access(vm, (uintptr_t)a, 4 * PG + 1, PROT_READ), -EFAULT);
    assert_int_equal(process_vm_check_access(vm, (uintptr_t)a, 0, RW), 0);
    assert_int_equal(process_vm_check_access(vm, UINTPTR_MAX - 3, 10, PROT_READ), -EFAULT);
    assert_int_equal(process_vm_check_access(vm, 0, 1, PROT_READ), -EFAULT);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + 3 * PG, PG, PROT_NONE), 0);
    assert_int_equal(process_vm_check_access(vm, (uintptr_t)a + 3 * PG, 1, PROT_NONE), 0);
    assert_int_equal(process_vm_check_access(vm, (uintptr_t)a + 3 * PG, 1, PROT_READ), -EFAULT);
    process_vm_destroy(vm);
}

/* The maps text follows Linux's format to the byte (checked against a
 * line of this process's own /proc/self/maps of the same shape). */
static void test_maps_format(void **state)
{
    struct process_vm *vm = new_vm(1);
    long a = process_vm_mmap(vm, 0, 2 * PG, RW, PA, NULL, 0);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + PG, PG, PROT_READ | PROT_EXEC), 0);
    assert_int_equal(process_vm_init_heap(vm, 0, 16 * PG), 0);
    uintptr_t h = process_vm_brk(vm, 0);
    process_vm_brk(vm, h + PG);
    char buf[1024], want[1024];
    ssize_t need = process_vm_render_maps(vm, buf, sizeof(buf));
    int n = snprintf(want, sizeof(want),
                     "%08lx-%08lx rw-p 00000000 00:00 0 \n"
                     "%08lx-%08lx r-xp 00000000 00:00 0 \n"
                     "%08lx-%08lx rw-p 00000000 00:00 0",
                     (unsigned long)a, (unsigned long)a + PG, (unsigned long)a + PG,
                     (unsigned long)a + 2 * PG, (unsigned long)h, (unsigned long)h + PG);
    /* Linux pads names to column 73. */
    int line_start = n - (int)strlen(strrchr(want, '\n') + 1);
    while (n - line_start < 72)
        want[n++] = ' ';
    n += snprintf(want + n, sizeof(want) - (size_t)n, " [heap]\n");
    assert_true((uintptr_t)a < h);     /* small maps come first in the pool */
    assert_string_equal(buf, want);
    assert_int_equal(need, (ssize_t)strlen(buf));
    /* Truncation: like snprintf. */
    char small[10];
    assert_int_equal(process_vm_render_maps(vm, small, sizeof(small)), need);
    assert_int_equal(strlen(small), 9);
    assert_int_equal(process_vm_render_maps(vm, NULL, 0), need);
    /* Same shape as a real [heap]/anonymous line of this process. */
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        char *name = strstr(line, "[heap]");
        if (name) {
            assert_int_equal(name - line, 73);
        }
    }
    fclose(f);
    process_vm_destroy(vm);
}

static void test_mremap_moves(void **state)
{
    struct process_vm *vm = new_vm(1);
    /* Growing in place gives zeros; moving keeps the data. */
    long a = process_vm_mmap(vm, 0, 2 * PG, RW, PA, NULL, 0);
    memset((void *)a, 0x42, 2 * PG);
    long g = process_vm_mremap(vm, (uintptr_t)a, 2 * PG, 4 * PG, 0, 0);
    assert_int_equal(g, a);
    assert_true(vt_all_zero((uintptr_t)a + 2 * PG, 2 * PG));
    long blocker = process_vm_mmap(vm, (uintptr_t)a + 4 * PG, PG, RW, PA | MAP_FIXED, NULL, 0);
    assert_int_equal(blocker, a + 4 * (long)PG);
    assert_int_equal(process_vm_mremap(vm, (uintptr_t)a, 4 * PG, 8 * PG, 0, 0), -ENOMEM);
    long m = process_vm_mremap(vm, (uintptr_t)a, 4 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
    assert_true(m > 0 && m != a);
    assert_int_equal(*(unsigned char *)(m + 2 * (long)PG - 1), 0x42);
    assert_true(vt_all_zero((uintptr_t)m + 2 * PG, 6 * PG));
    assert_true(vt_read_faults((uintptr_t)a));
    /* DONTUNMAP: the old range stays mapped and reads zeros. */
    memset((void *)m, 0x17, PG);
    long d = process_vm_mremap(vm, (uintptr_t)m, 8 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
    assert_true(d > 0 && d != m);
    assert_int_equal(*(unsigned char *)d, 0x17);
    assert_true(vt_all_zero((uintptr_t)m, 8 * PG));
    assert_int_equal(process_vm_check_access(vm, (uintptr_t)m, 8 * PG, RW), 0);
    /* A VMA made of two separately touched maps is two host mappings: the
     * host move fails for the whole and the data is moved piece by piece
     * (or copied); either way it arrives. */
    long x = process_vm_mmap(vm, 0, 2 * PG, RW, PA, NULL, 0);
    memset((void *)x, 0x61, 2 * PG);
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)x + 2 * PG, PG, RW, PA | MAP_FIXED, NULL, 0),
                     x + 2 * (long)PG);
    memset((void *)(x + 2 * (long)PG), 0x62, PG);
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)x + 3 * PG, PG, PROT_READ, PA | MAP_FIXED, NULL, 0),
                     x + 3 * (long)PG);
    long y = process_vm_mremap(vm, (uintptr_t)x, 3 * PG, 6 * PG, MREMAP_MAYMOVE, 0);
    assert_true(y > 0 && y != x);
    assert_int_equal(*(unsigned char *)(y + 2 * (long)PG - 1), 0x61);
    assert_int_equal(*(unsigned char *)(y + 2 * (long)PG), 0x62);
    assert_int_equal(*(unsigned char *)(y + 3 * (long)PG - 1), 0x62);
    assert_true(vt_all_zero((uintptr_t)y + 3 * PG, 3 * PG));
    /* A big single-chunk mapping grows in place when the pool allows. */
    long big = process_vm_mmap(vm, 0, 16 * MiB, RW, PA, NULL, 0);
    *(volatile char *)big = 3;
    long big2 = process_vm_mremap(vm, (uintptr_t)big, 16 * MiB, 20 * MiB, MREMAP_MAYMOVE, 0);
    assert_true(big2 > 0);
    assert_int_equal(*(volatile char *)big2, 3);
    assert_int_equal(process_vm_mremap(vm, (uintptr_t)big2, 20 * MiB, PG, 0, 0), big2);
    assert_true(vt_read_faults((uintptr_t)big2 + PG));
    /* Heap and shm are not mremapped here. */
    assert_int_equal(process_vm_init_heap(vm, 0, 16 * PG), 0);
    uintptr_t h = process_vm_brk(vm, 0);
    process_vm_brk(vm, h + PG);
    assert_int_equal(process_vm_mremap(vm, h, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EINVAL);
    assert_int_equal(user_space_vm_check(usv), 0);
    process_vm_destroy(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brk),
        cmocka_unit_test(test_mark_stack),
        cmocka_unit_test(test_madvise),
        cmocka_unit_test(test_mincore_and_access),
        cmocka_unit_test(test_maps_format),
        cmocka_unit_test(test_mremap_moves),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
