/* vm_util: mmap/mremap/msync argument parsing (the errno order follows
 * Linux; test_process_vm_native.c compares the results end to end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <sys/mman.h>

#include "util/compiler.h"
#include "vm/vm_area.h"
#include "vm/vm_perms.h"
#include "vm/vm_util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 3
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PG PAGE_SIZE
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)

static int fd_of(struct vm_file *f) { return 42; }
static ssize_t rd(struct vm_file *f, void *b, size_t l, uint64_t o) { return 0; }
static const struct vm_file_ops with_fd = { .host_fd = fd_of, .read_at = rd };
static const struct vm_file_ops no_fd = { .read_at = rd };

static void test_mmap_parse(void **state)
{
    struct vm_mmap_req q;
    struct vm_file rw = { &with_fd, O_RDWR }, ro = { &with_fd, O_RDONLY },
                   wo = { &with_fd, O_WRONLY }, nofd = { &no_fd, O_RDWR };

    assert_int_equal(vm_mmap_req_parse(0, PG, PROT_READ, PA, NULL, 0, &q), 0);
    assert_int_equal(q.kind, VM_ADDR_ANY);
    assert_int_equal(q.size, PG);
    assert_int_equal(vm_mmap_req_parse(0x10001, 10, 7, PA, NULL, 0, &q), 0);
    assert_int_equal(q.kind, VM_ADDR_HINT);
    assert_int_equal(q.addr, 0x10000);                      /* hint rounded down */
    assert_int_equal(q.perms, VM_PERM_RWX);
    assert_int_equal(vm_mmap_req_parse(0x10000, PG, 3, PA | MAP_FIXED, NULL, 0, &q), 0);
    assert_int_equal(q.kind, VM_ADDR_FORCE);
    assert_int_equal(vm_mmap_req_parse(0x10000, PG, 3, PA | MAP_FIXED_NOREPLACE, NULL, 0, &q), 0);
    assert_int_equal(q.kind, VM_ADDR_NEED);
    assert_int_equal(vm_mmap_req_parse(0x10001, PG, 3, PA | MAP_FIXED, NULL, 0, &q), -EINVAL);
    assert_int_equal(vm_mmap_req_parse(0, 0, 3, PA, NULL, 0, &q), -EINVAL);
    assert_int_equal(vm_mmap_req_parse(0, SIZE_MAX, 3, PA, NULL, 0, &q), -ENOMEM);
    assert_int_equal(vm_mmap_req_parse(0, 1UL << 48, 3, PA, NULL, 0, &q), -ENOMEM);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, PA, NULL, 5, &q), -EINVAL);       /* offset */
    assert_int_equal(vm_mmap_req_parse(0, 2 * PG, 3, MAP_PRIVATE, &rw, UINT64_MAX & ~(PG - 1), &q), -EOVERFLOW);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_PRIVATE, NULL, 0, &q), -EBADF);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_ANONYMOUS, NULL, 0, &q), -EINVAL);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, NULL, 0, &q), -EINVAL);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, NULL, 0, &q), -EINVAL);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, PA | MAP_HUGETLB, NULL, 0, &q), -ENOMEM);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_SHARED | MAP_ANONYMOUS, NULL, 0, &q), 0);
    assert_true(q.vma_flags & VMA_SHARED);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, PA | MAP_POPULATE, NULL, 0, &q), 0);
    assert_true(q.populate);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, PA | MAP_POPULATE | MAP_NONBLOCK, NULL, 0, &q), 0);
    assert_false(q.populate);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, PA | MAP_32BIT, NULL, 0, &q), 0);
    assert_true(q.low_2g);
    /* The anonymous fd is ignored. */
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, PA, &ro, 0, &q), 0);
    assert_null(q.file);

    /* Files. */
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_SHARED, &rw, PG, &q), 0);
    assert_int_equal(q.host_fd, 42);
    assert_int_equal(q.offset, PG);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_SHARED, &ro, 0, &q), -EACCES);
    assert_int_equal(vm_mmap_req_parse(0, PG, 1, MAP_SHARED, &ro, 0, &q), 0);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_PRIVATE, &ro, 0, &q), 0);
    assert_int_equal(vm_mmap_req_parse(0, PG, 0, MAP_PRIVATE, &wo, 0, &q), -EACCES);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_SHARED_VALIDATE | 0x200000, &rw, 0, &q), -EOPNOTSUPP);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_SHARED | 0x200000, &rw, 0, &q), 0);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_SHARED, &nofd, 0, &q), -ENODEV);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, MAP_PRIVATE, &nofd, 0, &q), 0);
    assert_int_equal(q.host_fd, -1);
    assert_int_equal(vm_mmap_req_parse(0, PG, 3, 0, &rw, 0, &q), -EINVAL);
}

static void test_mremap_parse(void **state)
{
    struct vm_mremap_req q;
    assert_int_equal(vm_mremap_req_parse(PG, PG, 2 * PG, 0, 0, &q), 0);
    assert_false(q.may_move);
    assert_int_equal(vm_mremap_req_parse(PG, 1, 5000, MREMAP_MAYMOVE, 0, &q), 0);
    assert_int_equal(q.old_size, PG);
    assert_int_equal(q.new_size, 2 * PG);
    assert_int_equal(vm_mremap_req_parse(PG, PG, PG, 8, 0, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(PG, PG, PG, MREMAP_FIXED, 4 * PG, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(PG, PG, PG, MREMAP_DONTUNMAP, 0, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(PG, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(PG + 1, PG, PG, 0, 0, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(PG, PG, 0, 0, 0, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(PG, 0, PG, MREMAP_MAYMOVE, 0, &q), 0);
    assert_int_equal(vm_mremap_req_parse(PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, 8 * PG + 1, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(PG, 4 * PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, 2 * PG, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(8 * PG, PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, 6 * PG, &q), -EINVAL);
    assert_int_equal(vm_mremap_req_parse(8 * PG, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, 6 * PG, &q), 0);
    assert_true(q.fixed);
    assert_int_equal(vm_mremap_req_parse(PG, SIZE_MAX, PG, 0, 0, &q), -EINVAL);
}

static void test_msync_flags(void **state)
{
    assert_int_equal(vm_msync_flags_check(MS_SYNC), 0);
    assert_int_equal(vm_msync_flags_check(MS_ASYNC | MS_INVALIDATE), 0);
    assert_int_equal(vm_msync_flags_check(0), 0);
    assert_int_equal(vm_msync_flags_check(MS_SYNC | MS_ASYNC), -EINVAL);
    assert_int_equal(vm_msync_flags_check(0x100), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mmap_parse),
        cmocka_unit_test(test_mremap_parse),
        cmocka_unit_test(test_msync_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
