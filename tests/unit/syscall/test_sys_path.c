/* The path syscall handlers, called through a table filled by
 * sys_register_path, for a minimal process (a real process_vm for guest
 * memory, an fd table, an fs_ctx over a temporary root): argument
 * passing, guest memory copies (-EFAULT for bad pointers), fd install,
 * and mmap of an opened file through its vm_file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs/fd_table.h"
#include "fs/vfs.h"
#include "process/process.h"
#include "syscall/syscall.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"
#include "vm/vm_file.h"

static struct user_space_vm *usv;
static struct process proc;
static struct thread self;
static sys_fn table[SYSCALL_TABLE_SIZE];
static char root[64];
static char *g;                 /* guest scratch memory (4 pages) */

static long call(long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                 uint64_t a4)
{
    const uint64_t a[6] = { a0, a1, a2, a3, a4, 0 };
    assert_non_null(table[nr]);
    return table[nr](&self, a);
}
#define U(p) ((uint64_t)(uintptr_t)(p))

/* a guest string at offset `off` of the scratch page */
static char *gstr(size_t off, const char *s)
{
    strcpy(g + off, s);
    return g + off;
}

static int setup(void **s)
{
    struct user_space_vm_config cfg = { .user_space_size = 64 << 20, .chunk_size = 8 << 20 };
    if (user_space_vm_create(&cfg, &usv))
        return -1;
    if (process_vm_create(usv, 100, &proc.vm))
        return -1;
    if (fd_table_create(FD_TABLE_DEFAULT_LIMIT, &proc.fds))
        return -1;
    strcpy(root, "/tmp/sys_path_XXXXXX");
    if (!mkdtemp(root) || fs_ctx_create(root, &proc.fs))
        return -1;
    proc.pid = 100;
    self.proc = &proc;
    self.tid = 100;
    sys_register_path(table);
    long addr = process_vm_mmap(proc.vm, 0, 4 * 4096, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    if (addr < 0)
        return -1;
    g = (char *)addr;
    return 0;
}

static int teardown(void **s)
{
    fd_table_put(proc.fds);
    fs_ctx_put(proc.fs);
    process_vm_destroy(proc.vm);
    user_space_vm_destroy(usv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) != 0;
}

static void test_open_write_stat(void **s)
{
    long fd = call(__NR_openat, (uint64_t)AT_FDCWD, U(gstr(0, "/f")),
                   O_CREAT | O_RDWR | O_CLOEXEC, 0640, 0);
    assert_true(fd >= 0);
    assert_int_equal(fd_table_get_fd_flags(proc.fds, (int)fd), FD_CLOEXEC);
    struct file *f;
    assert_int_equal(fd_table_get_file(proc.fds, (int)fd, &f), 0);
    assert_int_equal(file_write(f, "0123456789", 10), 10);
    file_put(f);
    /* stat into guest memory */
    struct stat *st = (struct stat *)(g + 1024);
    assert_int_equal(call(__NR_stat, U(gstr(0, "/f")), U(st), 0, 0, 0), 0);
    assert_int_equal(st->st_size, 10);
    assert_int_equal(st->st_mode & 0777, 0640 & ~022);
    /* fstat through newfstatat(fd, "", AT_EMPTY_PATH) */
    memset(st, 0, sizeof *st);
    assert_int_equal(call(__NR_newfstatat, (uint64_t)fd, U(gstr(0, "")), U(st),
                          AT_EMPTY_PATH, 0), 0);
    assert_int_equal(st->st_size, 10);
    assert_int_equal(call(__NR_newfstatat, (uint64_t)fd, U(gstr(0, "")), U(st), 0, 0),
                     -ENOENT);
    struct statx *sx = (struct statx *)(g + 2048);
    assert_int_equal(call(__NR_statx, (uint64_t)AT_FDCWD, U(gstr(0, "/f")), 0,
                          STATX_BASIC_STATS, U(sx)), 0);
    assert_int_equal(sx->stx_size, 10);
    /* bad pointers */
    assert_int_equal(call(__NR_stat, 16, U(st), 0, 0, 0), -EFAULT);
    assert_int_equal(call(__NR_stat, U(gstr(0, "/f")), 16, 0, 0, 0), -EFAULT);
    assert_int_equal(call(__NR_openat, 999, U(gstr(0, "rel")), O_RDONLY, 0, 0), -EBADF);
    assert_int_equal(call(__NR_openat, 999, U(gstr(0, "/f")), O_RDONLY, 0, 0) >= 0, 1);
    /* mmap the file through its vm_file */
    assert_int_equal(fd_table_get_file(proc.fds, (int)fd, &f), 0);
    struct vm_file *v = file_vm_file(f);
    assert_non_null(v);
    long m = process_vm_mmap(proc.vm, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v, 0);
    assert_true(m > 0);
    assert_memory_equal((char *)m, "0123456789", 10);
    ((char *)m)[0] = 'X';
    char buf[4];
    assert_int_equal(file_pread(f, buf, 1, 0), 1);
    assert_int_equal(buf[0], 'X');
    assert_int_equal(process_vm_munmap(proc.vm, (uintptr_t)m, 4096), 0);
    file_put(f);
    assert_int_equal(call(__NR_ftruncate, (uint64_t)fd, 3, 0, 0, 0), 0);
    assert_int_equal(call(__NR_fsync, (uint64_t)fd, 0, 0, 0, 0), 0);
    assert_int_equal(call(__NR_stat, U(gstr(0, "/f")), U(st), 0, 0, 0), 0);
    assert_int_equal(st->st_size, 3);
}

static void test_dirs_and_names(void **s)
{
    assert_int_equal(call(__NR_mkdir, U(gstr(0, "/d")), 0755, 0, 0, 0), 0);
    assert_int_equal(call(__NR_mkdir, U(gstr(0, "/d")), 0755, 0, 0, 0), -EEXIST);
    assert_int_equal(call(__NR_chdir, U(gstr(0, "/d")), 0, 0, 0, 0), 0);
    assert_int_equal(call(__NR_getcwd, U(g + 512), 64, 0, 0, 0), 3);
    assert_string_equal(g + 512, "/d");
    assert_int_equal(call(__NR_getcwd, U(g + 512), 2, 0, 0, 0), -ERANGE);
    assert_int_equal(call(__NR_symlink, U(gstr(0, "../f")), U(gstr(256, "l")), 0, 0, 0), 0);
    assert_int_equal(call(__NR_readlink, U(gstr(0, "l")), U(g + 512), 64, 0, 0), 4);
    assert_memory_equal(g + 512, "../f", 4);
    assert_int_equal(call(__NR_readlink, U(gstr(0, "l")), 16, 64, 0, 0), -EFAULT);
    assert_int_equal(call(__NR_readlink, U(gstr(0, "l")), U(g + 512), 0, 0, 0), -EINVAL);
    assert_int_equal(call(__NR_access, U(gstr(0, "l")), R_OK, 0, 0, 0), 0);
    assert_int_equal(call(__NR_rename, U(gstr(0, "l")), U(gstr(256, "/tmp/l")), 0, 0, 0), -EXDEV);
    assert_int_equal(call(__NR_rename, U(gstr(0, "l")), U(gstr(256, "l2")), 0, 0, 0), 0);
    assert_int_equal(call(__NR_link, U(gstr(0, "/f")), U(gstr(256, "hard")), 0, 0, 0), 0);
    assert_int_equal(call(__NR_unlink, U(gstr(0, "hard")), 0, 0, 0, 0), 0);
    assert_int_equal(call(__NR_unlink, U(gstr(0, "l2")), 0, 0, 0, 0), 0);
    assert_int_equal(call(__NR_umask, 077, 0, 0, 0, 0), 022);
    assert_int_equal(call(__NR_umask, 022, 0, 0, 0, 0), 077);
    /* getdents64 of the directory, through an fd */
    long dfd = call(__NR_open, U(gstr(0, "/d")), O_RDONLY | O_DIRECTORY, 0, 0, 0);
    assert_true(dfd >= 0);
    long n = call(__NR_getdents64, (uint64_t)dfd, U(g + 1024), 2048, 0, 0);
    assert_true(n > 0);
    assert_int_equal(call(__NR_getdents64, (uint64_t)dfd, 16, 2048, 0, 0), -EFAULT);
    assert_int_equal(call(__NR_fchdir, (uint64_t)dfd, 0, 0, 0, 0), 0);
    assert_int_equal(call(__NR_chdir, U(gstr(0, "/")), 0, 0, 0, 0), 0);
    assert_int_equal(call(__NR_rmdir, U(gstr(0, "/d")), 0, 0, 0, 0), 0);
    assert_int_equal(call(__NR_rmdir, U(gstr(0, "/d")), 0, 0, 0, 0), -ENOENT);
    struct statfs *sf = (struct statfs *)(g + 1024);
    assert_int_equal(call(__NR_statfs, U(gstr(0, "/proc")), U(sf), 0, 0, 0), 0);
    assert_int_equal(call(__NR_fstatfs, (uint64_t)dfd, U(sf), 0, 0, 0), 0);
    assert_int_equal(call(__NR_getdents64, 12345, U(g + 1024), 2048, 0, 0), -EBADF);
    /* utimensat with NULL path = futimens */
    struct timespec *ts = (struct timespec *)(g + 3000);
    ts[0] = (struct timespec){ 5, 0 };
    ts[1] = (struct timespec){ 6, 0 };
    long ffd = call(__NR_open, U(gstr(0, "/f")), O_RDWR, 0, 0, 0);
    assert_int_equal(call(__NR_utimensat, (uint64_t)ffd, 0, U(ts), 0, 0), 0);
    struct stat *st = (struct stat *)(g + 1024);
    assert_int_equal(call(__NR_fstatfs, (uint64_t)ffd, U(sf), 0, 0, 0), 0);
    assert_int_equal(call(__NR_lstat, U(gstr(0, "/f")), U(st), 0, 0, 0), 0);
    assert_int_equal(st->st_mtim.tv_sec, 6);
    assert_int_equal(call(__NR_fchmod, (uint64_t)ffd, 0600, 0, 0, 0), 0);
    assert_int_equal(call(__NR_chmod, U(gstr(0, "/f")), 0644, 0, 0, 0), 0);
    assert_int_equal(call(__NR_truncate, U(gstr(0, "/f")), 1, 0, 0, 0), 0);
    assert_int_equal(call(__NR_faccessat2, (uint64_t)AT_FDCWD, U(gstr(0, "/f")), W_OK, 0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_write_stat),
        cmocka_unit_test(test_dirs_and_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
