/* process_vm: mmap/munmap/mprotect semantics that the differential test
 * (test_process_vm_native.c) cannot cover: isolation of processes sharing
 * one pool and its chunks, zeroing on reuse, faults, placement, errno
 * paths specific to a single address space, and the pool coming back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/mman.h>

#include "vmcore_test_util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
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
    assert_int_equal(process_vm_pid(vm), pid);
    return vm;
}

static long map(struct process_vm *vm, size_t len, int prot)
{
    long a = process_vm_mmap(vm, 0, len, prot, PA, NULL, 0);
    assert_true(a > 0);
    return a;
}

static void test_mmap_munmap_basic(void **state)
{
    struct process_vm *vm = new_vm(1);
    long a = map(vm, 3 * PG, RW);
    assert_true(vm_range_contains(user_space_vm_range(usv), vm_range_make((uintptr_t)a, 3 * PG)));
    assert_true(vt_all_zero((uintptr_t)a, 3 * PG));
    memset((void *)a, 0x5a, 3 * PG);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 3 * PG), 0);
    assert_true(vt_read_faults((uintptr_t)a));
    assert_int_equal(user_space_vm_check(usv), 0);
    assert_int_equal(process_vm_check(vm), 0);
    process_vm_destroy(vm);
}

/* Freed memory that held data always comes back as zeros, whatever the
 * zeroing path (memset of resident pages, discard, batch flush). */
static void test_reuse_is_zero(void **state)
{
    struct process_vm *vm = new_vm(1);
    for (int round = 0; round < 50; round++) {
        size_t len = (size_t)(1 + round % 7) * PG;
        int prot = round % 3 == 0 ? PROT_READ : RW;
        long a = map(vm, len, RW);
        assert_true(vt_all_zero((uintptr_t)a, len));
        memset((void *)a, 0xee, len);
        if (round % 5 == 0)
            assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a, len, PROT_NONE), 0);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, len), 0);
        long b = map(vm, len, prot);
        assert_true(vt_all_zero((uintptr_t)b, len));
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)b, len), 0);
    }
    /* Reuse after touching all, some or none of the pages, many times over
     * (the zeroing path switches between memset and discard). */
    for (int round = 0; round < 100; round++) {
        long a = map(vm, 16 * PG, RW);
        assert_true(vt_all_zero((uintptr_t)a, 16 * PG));
        int pattern = (round / 20) % 3;
        for (int p = 0; p < 16; p++)
            if (pattern == 0 || (pattern == 1 && p % 3 == 0))
                ((volatile char *)a)[p * PG + 7] = 0x5c;
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 16 * PG), 0);
    }
    /* Many small dirty frees: past the dirty bound they are flushed. */
    long big[600];
    for (int i = 0; i < 600; i++) {
        big[i] = map(vm, PG, RW);
        memset((void *)big[i], 0x77, PG);
    }
    for (int i = 0; i < 600; i += 2)
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)big[i], PG), 0);
    for (int i = 0; i < 300; i++) {
        long a = map(vm, PG, RW);
        assert_true(vt_all_zero((uintptr_t)a, PG));
    }
    assert_int_equal(user_space_vm_check(usv), 0);
    assert_int_equal(process_vm_check(vm), 0);
    process_vm_destroy(vm);
}

static void test_protections_fault(void **state)
{
    struct process_vm *vm = new_vm(1);
    long a = map(vm, 4 * PG, RW);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + PG, PG, PROT_READ), 0);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + 2 * PG, PG, PROT_NONE), 0);
    assert_false(vt_write_faults((uintptr_t)a));
    assert_true(vt_write_faults((uintptr_t)a + PG));
    assert_false(vt_read_faults((uintptr_t)a + PG));
    assert_true(vt_read_faults((uintptr_t)a + 2 * PG));
    long n = process_vm_mmap(vm, 0, PG, PROT_NONE, PA, NULL, 0);
    assert_true(n > 0);
    assert_true(vt_read_faults((uintptr_t)n));
    long r = process_vm_mmap(vm, 0, PG, PROT_READ, PA, NULL, 0);
    assert_true(r > 0);
    assert_true(vt_write_faults((uintptr_t)r));
    assert_false(vt_read_faults((uintptr_t)r));
    process_vm_destroy(vm);
}

/* Two processes share a multi-VMA chunk; nothing one does reaches the
 * other's VMAs. */
static void test_isolation(void **state)
{
    struct process_vm *p1 = new_vm(1), *p2 = new_vm(2);
    long a1 = map(p1, 4 * PG, RW);
    long a2 = map(p2, 4 * PG, RW);
    memset((void *)a1, 0x11, 4 * PG);
    memset((void *)a2, 0x22, 4 * PG);
    /* Same multi chunk (p2 found room in p1's chunk? at least both valid). */
    assert_int_equal(process_vm_munmap(p2, (uintptr_t)a1, 4 * PG), 0);
    assert_int_equal(*(unsigned char *)a1, 0x11);
    assert_int_equal(process_vm_mprotect(p2, (uintptr_t)a1, 4 * PG, PROT_READ), -ENOMEM);
    assert_false(vt_write_faults((uintptr_t)a1));
    assert_int_equal(process_vm_mmap(p2, (uintptr_t)a1, PG, RW, PA | MAP_FIXED, NULL, 0), -ENOMEM);
    assert_int_equal(process_vm_mmap(p2, (uintptr_t)a1, PG, RW, PA | MAP_FIXED_NOREPLACE, NULL, 0),
                     -EEXIST);
    /* A hint at p1's memory goes elsewhere. */
    long h = process_vm_mmap(p2, (uintptr_t)a1, PG, RW, PA, NULL, 0);
    assert_true(h > 0 && h != a1);
    assert_int_equal(process_vm_mremap(p2, (uintptr_t)a1, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
    assert_int_equal(process_vm_msync(p2, (uintptr_t)a1, PG, MS_SYNC), -ENOMEM);
    assert_int_equal(process_vm_madvise(p2, (uintptr_t)a1, PG, MADV_DONTNEED), -ENOMEM);
    assert_int_equal(*(unsigned char *)a1, 0x11);
    unsigned char vec[4];
    assert_int_equal(process_vm_mincore(p2, (uintptr_t)a1, PG, vec), -ENOMEM);
    assert_int_equal(process_vm_check_access(p2, (uintptr_t)a1, 1, PROT_READ), -EFAULT);
    assert_int_equal(process_vm_check_access(p1, (uintptr_t)a1, 4 * PG, PROT_READ | PROT_WRITE), 0);
    /* munmap over a range holding both: only its own go. */
    uintptr_t lo = (uintptr_t)MIN(a1, a2), hi = (uintptr_t)MAX(a1, a2) + 4 * PG;
    assert_int_equal(process_vm_munmap(p2, lo, hi - lo), 0);
    assert_int_equal(*(unsigned char *)a1, 0x11);
    assert_true(vt_read_faults((uintptr_t)a2));
    char buf[4096], needle[32];
    assert_true(process_vm_render_maps(p2, buf, sizeof(buf)) > 0);
    snprintf(needle, sizeof(needle), "%08lx-", (unsigned long)a1);
    assert_null(strstr(buf, needle));
    process_vm_render_maps(p1, buf, sizeof(buf));
    assert_non_null(strstr(buf, needle));
    assert_int_equal(user_space_vm_check(usv), 0);
    process_vm_destroy(p2);
    assert_int_equal(*(unsigned char *)a1, 0x11);
    assert_int_equal(process_vm_check_access(p1, (uintptr_t)a1, 4 * PG, PROT_WRITE), 0);
    process_vm_destroy(p1);
}

/* Small maps of several processes share multi chunks; single chunks are
 * per owner. After exit, everything is back. */
static void test_many_processes_pool_whole(void **state)
{
    struct process_vm *vms[5];
    for (int i = 0; i < 5; i++)
        vms[i] = new_vm(10 + i);
    long addrs[5][40];
    for (int k = 0; k < 40; k++)
        for (int i = 0; i < 5; i++) {
            size_t len = (size_t)(1 + (k + i) % 5) * PG;
            addrs[i][k] = map(vms[i], k == 39 ? 9 * MiB : len, RW);
            *(volatile char *)addrs[i][k] = (char)i;
        }
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    assert_true(st.nr_multi_chunks >= 1);
    assert_int_equal(st.nr_single_chunks, 5);   /* the 9 MiB maps */
    assert_int_equal(user_space_vm_check(usv), 0);
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 40; k++)
            assert_int_equal(*(volatile char *)addrs[i][k], (char)i);
    for (int i = 4; i >= 0; i--) {
        assert_int_equal(process_vm_check(vms[i]), 0);
        process_vm_destroy(vms[i]);
        assert_int_equal(user_space_vm_check(usv), 0);
        for (int j = 0; j < i; j++)
            assert_int_equal(*(volatile char *)addrs[j][0], (char)j);
    }
}

static void test_fixed_replace_and_noreplace(void **state)
{
    struct process_vm *vm = new_vm(1);
    long a = map(vm, 8 * PG, RW);
    memset((void *)a, 0x33, 8 * PG);
    /* MAP_FIXED over own mappings: replaced, zero. */
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)a + 2 * PG, 2 * PG, PROT_READ, PA | MAP_FIXED, NULL, 0),
                     a + 2 * (long)PG);
    assert_true(vt_all_zero((uintptr_t)a + 2 * PG, 2 * PG));
    assert_int_equal(*(unsigned char *)(a + 4 * (long)PG), 0x33);
    assert_true(vt_write_faults((uintptr_t)a + 2 * PG));
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)a, PG, RW, PA | MAP_FIXED_NOREPLACE, NULL, 0), -EEXIST);
    /* Outside the pool: not ours to give. */
    struct vm_range pool = user_space_vm_range(usv);
    assert_int_equal(process_vm_mmap(vm, pool.end, PG, RW, PA | MAP_FIXED, NULL, 0), -ENOMEM);
    assert_int_equal(process_vm_mmap(vm, pool.start - PG, 2 * PG, RW, PA | MAP_FIXED, NULL, 0), -ENOMEM);
    assert_int_equal(process_vm_mmap(vm, 0x10000, PG, RW, PA | MAP_FIXED_NOREPLACE, NULL, 0), -ENOMEM);
    /* A hint outside the pool is only a hint. */
    long h = process_vm_mmap(vm, 0x10000, PG, RW, PA, NULL, 0);
    assert_true(h > 0 && vm_range_contains_addr(pool, (uintptr_t)h));
    /* A free hint inside the pool is honoured (in free pool space too). */
    uintptr_t want = pool.start + 100 * MiB;
    assert_int_equal(process_vm_mmap(vm, want, 3 * PG, RW, PA, NULL, 0), (long)want);
    assert_int_equal(process_vm_mmap(vm, want + 3 * PG + 5, PG, RW, PA, NULL, 0), (long)(want + 3 * PG));
    /* MAP_FIXED spanning two chunks and free pool space. */
    long big = process_vm_mmap(vm, pool.start + 150 * MiB, 12 * MiB, RW, PA | MAP_FIXED, NULL, 0);
    assert_int_equal(big, (long)(pool.start + 150 * MiB));
    memset((void *)big, 1, 12 * MiB);
    long over = process_vm_mmap(vm, pool.start + 148 * MiB, 16 * MiB, PROT_READ, PA | MAP_FIXED, NULL, 0);
    assert_int_equal(over, (long)(pool.start + 148 * MiB));
    assert_true(vt_all_zero((uintptr_t)big, PG));
    assert_int_equal(user_space_vm_check(usv), 0);
    /* The 32-bit and huge page flags never crash. */
    long r32 = process_vm_mmap(vm, 0, PG, RW, PA | MAP_32BIT, NULL, 0);
    assert_true(r32 == -ENOMEM || (r32 > 0 && (uintptr_t)r32 + PG <= (1UL << 31)));
    assert_int_equal(process_vm_mmap(vm, 0, 2 * MiB, RW, PA | MAP_HUGETLB, NULL, 0), -ENOMEM);
    /* Anonymous maps ignore fd/file; file maps need one. */
    assert_int_equal(process_vm_mmap(vm, 0, PG, RW, MAP_PRIVATE, NULL, 0), -EBADF);
    process_vm_destroy(vm);
}

static void test_populate_and_flags(void **state)
{
    struct process_vm *vm = new_vm(1);
    long a = process_vm_mmap(vm, 0, 4 * PG, RW, PA | MAP_POPULATE, NULL, 0);
    assert_true(a > 0);
    unsigned char vec[4];
    assert_int_equal(process_vm_mincore(vm, (uintptr_t)a, 4 * PG, vec), 0);
    for (int i = 0; i < 4; i++)
        assert_true(vec[i] & 1);
    long s = process_vm_mmap(vm, 0, 4 * PG, RW, PA | MAP_STACK | MAP_GROWSDOWN | MAP_NORESERVE, NULL, 0);
    assert_true(s > 0);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)s + 2 * PG, PG, PROT_READ | PROT_GROWSDOWN), 0);
    assert_true(vt_write_faults((uintptr_t)s));     /* applied down to the start */
    assert_false(vt_write_faults((uintptr_t)s + 3 * PG));
    long sh = process_vm_mmap(vm, 0, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
    assert_true(sh > 0);
    assert_true(vt_all_zero((uintptr_t)sh, 2 * PG));
    process_vm_destroy(vm);
}

/* Large and single-chunk maps: partial munmap trims and splits the chunk,
 * giving address space back to the pool. */
static void test_single_chunk_trim_split(void **state)
{
    struct process_vm *vm = new_vm(1);
    struct user_space_vm_stats st0, st;
    user_space_vm_get_stats(usv, &st0);
    long a = map(vm, 16 * MiB, RW);
    memset((void *)a, 9, 16 * MiB);
    user_space_vm_get_stats(usv, &st);
    assert_int_equal(st.free_bytes, st0.free_bytes - 16 * MiB);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + 4 * MiB, 4 * MiB, PROT_READ), 0);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a + 2 * MiB, 4 * MiB), 0);
    user_space_vm_get_stats(usv, &st);
    assert_int_equal(st.free_bytes, st0.free_bytes - 12 * MiB);
    assert_int_equal(st.nr_single_chunks, 2);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, PG), 0);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a + 16 * MiB - PG, PG), 0);
    user_space_vm_get_stats(usv, &st);
    assert_int_equal(st.free_bytes, st0.free_bytes - 12 * MiB + 2 * PG);
    assert_int_equal(*(unsigned char *)(a + 6 * (long)MiB), 9);
    assert_true(vt_write_faults((uintptr_t)a + 6 * MiB));
    assert_false(vt_write_faults((uintptr_t)a + 8 * MiB));
    assert_int_equal(user_space_vm_check(usv), 0);
    /* Fill a hole again with MAP_FIXED (new single chunk) and unmap all. */
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)a + 2 * MiB, 4 * MiB, RW, PA | MAP_FIXED, NULL, 0),
                     a + 2 * (long)MiB);
    assert_true(vt_all_zero((uintptr_t)a + 2 * MiB, 4 * MiB));
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 16 * MiB), 0);
    user_space_vm_get_stats(usv, &st);
    assert_int_equal(st.free_bytes, st0.free_bytes);
    process_vm_destroy(vm);
}

static void test_pool_exhaustion(void **state)
{
    struct process_vm *vm = new_vm(1);
    assert_int_equal(process_vm_mmap(vm, 0, 300 * MiB, RW, PA, NULL, 0), -ENOMEM);
    long a = map(vm, 200 * MiB, RW);
    assert_int_equal(process_vm_mmap(vm, 0, 100 * MiB, RW, PA, NULL, 0), -ENOMEM);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 200 * MiB), 0);
    long b = map(vm, 100 * MiB, RW);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)b, 100 * MiB), 0);
    process_vm_destroy(vm);
}

/* Empty chunks kept as spares are reclaimed when a large map needs the
 * address space. */
static void test_spare_chunks_reclaimed(void **state)
{
    struct user_space_vm *u = vt_pool(64 * MiB, 4 * MiB);
    struct process_vm *vms[10];
    for (int i = 0; i < 10; i++) {
        assert_int_equal(process_vm_create(u, 50 + i, &vms[i]), 0);
        long a = process_vm_mmap(vms[i], 0, PG, RW, PA, NULL, 0);
        assert_true(a > 0);
        assert_int_equal(process_vm_munmap(vms[i], (uintptr_t)a, PG), 0);
    }
    struct user_space_vm_stats st;
    user_space_vm_get_stats(u, &st);
    assert_true(st.nr_multi_chunks >= 4);       /* kept as spares */
    assert_int_equal(st.nr_vmas, 0);
    long big = process_vm_mmap(vms[0], 0, 56 * MiB, RW, PA, NULL, 0);
    assert_true(big > 0);
    assert_int_equal(user_space_vm_check(u), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(process_vm_check(vms[i]), 0);
    /* The others still work (they lost their spares). */
    for (int i = 1; i < 10; i++) {
        long a = process_vm_mmap(vms[i], 0, PG, RW, PA, NULL, 0);
        assert_true(a > 0);
    }
    for (int i = 0; i < 10; i++)
        process_vm_destroy(vms[i]);
    assert_true(vt_pool_is_clean(u));
    user_space_vm_destroy(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmap_munmap_basic),
        cmocka_unit_test(test_reuse_is_zero),
        cmocka_unit_test(test_protections_fault),
        cmocka_unit_test(test_isolation),
        cmocka_unit_test(test_many_processes_pool_whole),
        cmocka_unit_test(test_fixed_replace_and_noreplace),
        cmocka_unit_test(test_populate_and_flags),
        cmocka_unit_test(test_single_chunk_trim_split),
        cmocka_unit_test(test_pool_exhaustion),
        cmocka_unit_test(test_spare_chunks_reclaimed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
