/* File-backed mappings: MAP_SHARED through host file mappings (coherent
 * between processes and with pread/pwrite), MAP_PRIVATE copy-on-write,
 * files without a host fd (copied in; MAP_SHARED -ENODEV), EOF zeroing,
 * access checks compared with native Linux, msync, mremap, maps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/mman.h>

#include "vmcore_test_util.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 3
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define RW (PROT_READ | PROT_WRITE)

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

static void test_shared_coherent(void **state)
{
    struct vt_file *f = vt_file_open(3 * PG, O_RDWR, 0);
    struct process_vm *p1 = new_vm(1), *p2 = new_vm(2);
    long a = process_vm_mmap(p1, 0, 3 * PG, RW, MAP_SHARED, &f->base, 0);
    long b = process_vm_mmap(p2, 0, 2 * PG, RW, MAP_SHARED, &f->base, PG);
    assert_true(a > 0 && b > 0 && a != b);
    assert_int_equal(f->refs, 2);
    assert_int_equal(*(unsigned char *)(a + 5), vt_file_byte(5));
    assert_int_equal(*(unsigned char *)b, vt_file_byte(PG));
    /* p1 writes, p2 and the file see it. */
    *(volatile char *)(a + PG + 10) = 'X';
    assert_int_equal(*(volatile char *)(b + 10), 'X');
    char c;
    assert_int_equal(pread(f->fd, &c, 1, PG + 10), 1);
    assert_int_equal(c, 'X');
    /* pwrite is seen through both mappings. */
    assert_int_equal(pwrite(f->fd, "Y", 1, 2 * PG + 1), 1);
    assert_int_equal(*(volatile char *)(a + 2 * PG + 1), 'Y');
    assert_int_equal(*(volatile char *)(b + PG + 1), 'Y');
    assert_int_equal(process_vm_msync(p1, (uintptr_t)a, 3 * PG, MS_SYNC), 0);
    assert_int_equal(process_vm_msync(p1, (uintptr_t)a, 3 * PG, MS_ASYNC | MS_INVALIDATE), 0);
    /* DONTNEED on a shared file map keeps the data (it is in the file). */
    assert_int_equal(process_vm_madvise(p1, (uintptr_t)a, 3 * PG, MADV_DONTNEED), 0);
    assert_int_equal(*(volatile char *)(a + PG + 10), 'X');
    /* mremap (move) keeps it coherent. */
    long m = process_vm_mremap(p2, (uintptr_t)b, 2 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
    assert_true(m > 0);
    assert_int_equal(*(volatile char *)(m + 10), 'X');
    *(volatile char *)(m + 11) = 'Z';
    assert_int_equal(*(volatile char *)(a + PG + 11), 'Z');
    /* Unmapped file memory reused for anonymous memory reads zeros. */
    assert_int_equal(process_vm_munmap(p1, (uintptr_t)a, 3 * PG), 0);
    long z = process_vm_mmap(p1, (uintptr_t)a, 3 * PG, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
    assert_int_equal(z, a);
    assert_true(vt_all_zero((uintptr_t)z, 3 * PG));
    assert_int_equal(pread(f->fd, &c, 1, PG + 10), 1);
    assert_int_equal(c, 'X');
    process_vm_destroy(p1);
    process_vm_destroy(p2);
    assert_int_equal(f->refs, 0);
    vt_file_close(f);
}

static void test_private_cow_and_eof(void **state)
{
    for (int no_host = 0; no_host < 2; no_host++) {
        struct vt_file *f = vt_file_open(PG + 1000, O_RDONLY, no_host);
        struct process_vm *vm = new_vm(1);
        long a = process_vm_mmap(vm, 0, 2 * PG, RW, MAP_PRIVATE, &f->base, 0);
        assert_true(a > 0);
        for (size_t i = 0; i < PG + 1000; i += 97)
            assert_int_equal(*(unsigned char *)(a + (long)i), vt_file_byte(i));
        assert_true(vt_all_zero((uintptr_t)a + PG + 1000, PG - 1000));
        *(volatile char *)a = 'P';
        char c;
        assert_int_equal(pread(f->fd, &c, 1, 0), 1);
        assert_int_equal((unsigned char)c, vt_file_byte(0));
        /* A second private map does not see the first one's write. */
        long b = process_vm_mmap(vm, 0, PG, PROT_READ, MAP_PRIVATE, &f->base, 0);
        assert_int_equal(*(unsigned char *)b, vt_file_byte(0));
        assert_true(vt_write_faults((uintptr_t)b));
        /* mprotect to writable is fine for private maps of read-only files. */
        assert_int_equal(process_vm_mprotect(vm, (uintptr_t)b, PG, RW), 0);
        /* DONTNEED goes back to the file's contents. */
        assert_int_equal(process_vm_madvise(vm, (uintptr_t)a, PG, MADV_DONTNEED), 0);
        assert_int_equal(*(unsigned char *)a, vt_file_byte(0));
        /* Offsets. */
        long o = process_vm_mmap(vm, 0, PG, PROT_READ, MAP_PRIVATE, &f->base, PG);
        assert_int_equal(*(unsigned char *)(o + 999), vt_file_byte(PG + 999));
        assert_int_equal(*(unsigned char *)(o + 1000), 0);
        /* mremap move of a private file map keeps the private change. */
        *(volatile char *)(a + 1) = 'Q';
        long m = process_vm_mremap(vm, (uintptr_t)a, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
                                   (uintptr_t)user_space_vm_range(usv).start + 200 * MiB);
        assert_true(m > 0);
        assert_int_equal(*(volatile char *)(m + 1), 'Q');
        assert_int_equal(*(unsigned char *)(m + 2), vt_file_byte(2));
        process_vm_destroy(vm);
        assert_int_equal(f->refs, 0);
        vt_file_close(f);
    }
}

static void test_no_host_fd_shared_is_enodev(void **state)
{
    struct vt_file *f = vt_file_open(PG, O_RDWR, 1);
    struct process_vm *vm = new_vm(1);
    assert_int_equal(process_vm_mmap(vm, 0, PG, PROT_READ, MAP_SHARED, &f->base, 0), -ENODEV);
    assert_int_equal(f->refs, 0);
    process_vm_destroy(vm);
    vt_file_close(f);
}

/* Access checks, compared with native mmap on the same host fd. */
static void test_access_vs_native(void **state)
{
    static const struct { int access, prot, flags; } cases[] = {
        { O_RDONLY, PROT_READ, MAP_SHARED },
        { O_RDONLY, RW, MAP_SHARED },
        { O_RDONLY, RW, MAP_PRIVATE },
        { O_RDONLY, PROT_NONE, MAP_SHARED },
        { O_WRONLY, PROT_READ, MAP_SHARED },
        { O_WRONLY, PROT_NONE, MAP_PRIVATE },
        { O_WRONLY, PROT_WRITE, MAP_SHARED },
        { O_RDWR, RW, MAP_SHARED },
        { O_RDWR, RW, MAP_SHARED_VALIDATE },
        { O_RDWR, RW, MAP_SHARED_VALIDATE | 0x8000000 },
        { O_RDWR, RW, MAP_SHARED_VALIDATE | 0x200000 },
        { O_RDWR, RW, MAP_SHARED | 0x200000 },
        { O_RDWR, RW, MAP_SHARED_VALIDATE | MAP_SYNC },
        { O_RDWR, RW, MAP_SHARED | MAP_SYNC },
        { O_RDWR, RW, MAP_SHARED | MAP_PRIVATE | 0x8 },
        { O_RDWR, RW, 0 },
        { O_RDWR, RW, MAP_PRIVATE | MAP_POPULATE },
    };
    struct process_vm *vm = new_vm(1);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct vt_file *f = vt_file_open(2 * PG, cases[i].access, 0);
        void *n = mmap(NULL, 2 * PG, cases[i].prot, cases[i].flags, f->fd, 0);
        long ne = n == MAP_FAILED ? -errno : 0;
        if (n != MAP_FAILED)
            munmap(n, 2 * PG);
        long o = process_vm_mmap(vm, 0, 2 * PG, cases[i].prot, cases[i].flags, &f->base, 0);
        if (o > 0)
            assert_int_equal(process_vm_munmap(vm, (uintptr_t)o, 2 * PG), 0);
        if (ne != (o > 0 ? 0 : o))
            print_error("case %zu: native %ld onespace %ld\n", i, ne, o);
        assert_int_equal(ne, o > 0 ? 0 : o);
        /* Unaligned offset: EINVAL both ways. */
        assert_int_equal(process_vm_mmap(vm, 0, PG, PROT_READ, MAP_PRIVATE, &f->base, 100), -EINVAL);
        vt_file_close(f);
    }
    /* mprotect: writable shared map of a read-only file. */
    struct vt_file *f = vt_file_open(PG, O_RDONLY, 0);
    long a = process_vm_mmap(vm, 0, PG, PROT_READ, MAP_SHARED, &f->base, 0);
    void *n = mmap(NULL, PG, PROT_READ, MAP_SHARED, f->fd, 0);
    assert_int_equal(mprotect(n, PG, RW), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a, PG, RW), -EACCES);
    assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a, PG, PROT_READ | PROT_EXEC), 0);
    munmap(n, PG);
    process_vm_destroy(vm);
    vt_file_close(f);
}

static void test_maps_show_files(void **state)
{
    struct vt_file *f = vt_file_open(4 * PG, O_RDWR, 0);
    struct process_vm *vm = new_vm(1);
    long a = process_vm_mmap(vm, 0, 2 * PG, PROT_READ, MAP_SHARED, &f->base, 2 * PG);
    assert_true(a > 0);
    char buf[1024], want[256];
    process_vm_render_maps(vm, buf, sizeof(buf));
    int n = snprintf(want, sizeof(want), "%08lx-%08lx r--s 00002000 00:00 0 ", (unsigned long)a,
                     (unsigned long)a + 2 * PG);
    while (n < 72)
        want[n++] = ' ';
    snprintf(want + n, sizeof(want) - (size_t)n, " %s\n", f->path);
    assert_string_equal(buf, want);
    process_vm_destroy(vm);
    vt_file_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_coherent),
        cmocka_unit_test(test_private_cow_and_eof),
        cmocka_unit_test(test_no_host_fd_shared_is_enodev),
        cmocka_unit_test(test_access_vs_native),
        cmocka_unit_test(test_maps_show_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
