/* /dev and /proc: device files, the /proc provider interface (a fake
 * process layer here), magic fd links, read-only snapshots, and the errnos
 * of writes and cross-mount renames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/magic.h>
#include <sys/sysmacros.h>

#include "fs/host_file.h"
#include "fs/procfs.h"
#include "vfs_fixture.h"

static struct vfx X;
static struct file *fake_fd3;   /* fd 3 of the fake pid 42 */
static int renders;

static pid_t f_self(void) { return 42; }
static int f_list_pids(pid_t *out, int max)
{
    out[0] = 1;
    out[1] = 42;
    return 2;
}
static int f_exists(pid_t p) { return p == 1 || p == 42; }
static ssize_t f_render(pid_t pid, const char *name, char *buf, size_t len)
{
    renders++;
    if (!strcmp(name, "status"))
        return snprintf(buf, len, "Name:\tfake\nPid:\t%d\n", (int)pid);
    if (!strcmp(name, "maps")) {
        /* more than the first buffer: procfs must retry bigger */
        size_t want = 10000;
        if (len >= want)
            for (size_t i = 0; i < want; i++)
                buf[i] = (char)('a' + i % 26);
        return (ssize_t)want;
    }
    return snprintf(buf, len, "%s", "");
}
static ssize_t f_exe(pid_t pid, char *buf, size_t len)
{
    return snprintf(buf, len, "/bin/fake");
}
static int f_fd_link(pid_t pid, int fd, char *buf, size_t len)
{
    if (pid != 42 || fd != 3)
        return -ENOENT;
    return snprintf(buf, len, "/etc/passwd");
}
static int f_list_fds(pid_t pid, int *out, int max)
{
    out[0] = 3;
    return 1;
}
static int f_fd_file(pid_t pid, int fd, struct file **out)
{
    if (pid != 42 || fd != 3)
        return -ENOENT;
    *out = file_get(fake_fd3);
    return 0;
}
static ssize_t f_cwd(pid_t pid, char *buf, size_t len)
{
    return snprintf(buf, len, "/a/b");
}
static const struct procfs_provider fake = {
    .cwd = f_cwd,
    .self_pid = f_self, .list_pids = f_list_pids, .exists = f_exists,
    .render = f_render, .exe = f_exe, .fd_link = f_fd_link,
    .list_fds = f_list_fds, .fd_file = f_fd_file,
};

static int setup(void **s)
{
    vfx_setup(&X);
    procfs_set_provider(&fake);
    return vfs_openat(X.fs, NULL, "/etc/passwd", O_RDONLY, 0, &fake_fd3);
}
static int teardown(void **s)
{
    procfs_set_provider(NULL);
    file_put(fake_fd3);
    vfx_teardown(&X);
    return 0;
}

static void test_dev_files(void **s)
{
    struct file *f;
    char buf[64];
    struct stat st;
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/null", O_RDWR, 0, &f), 0);
    assert_int_equal(file_read(f, buf, sizeof buf), 0);
    assert_int_equal(file_write(f, "abc", 3), 3);
    assert_int_equal(file_stat(f, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_rdev, makedev(1, 3));
    assert_string_equal(vfs_file_path(f), "/dev/null");
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/zero", O_RDONLY, 0, &f), 0);
    memset(buf, 1, sizeof buf);
    assert_int_equal(file_read(f, buf, sizeof buf), sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(file_write(f, "x", 1), -EBADF);
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/full", O_WRONLY, 0, &f), 0);
    assert_int_equal(file_write(f, "x", 1), -ENOSPC);
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/urandom", O_RDONLY, 0, &f), 0);
    assert_int_equal(file_read(f, buf, 32), 32);
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/tty", O_RDWR, 0, &f), -ENXIO);
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/nothere", O_RDONLY, 0, &f), -ENOENT);
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/new", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/dev", &st, 0), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/dev/null/", &st, 0), -ENOTDIR);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/dev/../etc/passwd", &st, 0), 0);
    /* /dev/stdin -> /proc/self/fd/0 (the fake has no fd 0) */
    char link[64] = { 0 };
    assert_int_equal(vfs_readlinkat(X.fs, NULL, "/dev/stdin", link, sizeof link), 15);
    assert_string_equal(link, "/proc/self/fd/0");
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/stdin", O_RDONLY, 0, &f), -ENOENT);
    /* writes to the namespace */
    assert_int_equal(vfs_unlinkat(X.fs, NULL, "/dev/null", 0), -EROFS);
    assert_int_equal(vfs_mkdirat(X.fs, NULL, "/dev/x", 0755), -EROFS);
    assert_int_equal(vfs_mkdirat(X.fs, NULL, "/dev", 0755), -EEXIST);
    assert_int_equal(vfs_unlinkat(X.fs, NULL, "/dev", AT_REMOVEDIR), -EBUSY);
    assert_int_equal(vfs_renameat2(X.fs, NULL, "/etc/passwd", NULL, "/dev/x", 0), -EXDEV);
    assert_int_equal(vfs_renameat2(X.fs, NULL, "/dev/null", NULL, "/dev/x", 0), -EROFS);
    assert_int_equal(vfs_linkat(X.fs, NULL, "/etc/passwd", NULL, "/proc/x", 0), -EXDEV);
    assert_int_equal(vfs_truncate(X.fs, "/dev/null", 0), -EINVAL);
}

static void test_proc_files(void **s)
{
    struct file *f;
    char buf[256];
    char link[64] = { 0 };
    struct stat st;
    assert_int_equal(vfs_readlinkat(X.fs, NULL, "/proc/self", link, sizeof link), 2);
    assert_string_equal(link, "42");
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/self/status", O_RDONLY, 0, &f), 0);
    assert_string_equal(vfs_file_path(f), "/proc/42/status");
    assert_string_equal(vfx_read_all(f, buf, sizeof buf), "Name:\tfake\nPid:\t42\n");
    /* a snapshot: pread and lseek over the same bytes */
    assert_int_equal(file_pread(f, buf, 4, 1), 4);
    assert_memory_equal(buf, "ame:", 4);
    assert_int_equal(file_lseek(f, 0, SEEK_SET), 0);
    assert_int_equal(file_read(f, buf, 5), 5);
    assert_int_equal(file_write(f, "x", 1), -EBADF);
    assert_int_equal(file_stat(f, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/42/maps", O_RDONLY, 0, &f), 0);
    assert_int_equal(file_lseek(f, 0, SEEK_END), 10000);
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/42/status", O_WRONLY, 0, &f), -EACCES);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/7/status", O_RDONLY, 0, &f), -ENOENT);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/042/status", O_RDONLY, 0, &f), -ENOENT);
    assert_int_equal(vfs_mkdirat(X.fs, NULL, "/proc/x", 0755), -EROFS);
    assert_int_equal(vfs_unlinkat(X.fs, NULL, "/proc/42/status", 0), -EROFS);
    /* exe and fd links */
    memset(link, 0, sizeof link);
    assert_int_equal(vfs_readlinkat(X.fs, NULL, "/proc/self/exe", link, sizeof link), 9);
    assert_string_equal(link, "/bin/fake");
    memset(link, 0, sizeof link);
    assert_int_equal(vfs_readlinkat(X.fs, NULL, "/proc/self/fd/3", link, sizeof link), 11);
    assert_string_equal(link, "/etc/passwd");
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/self/fd/3", O_RDONLY, 0, &f), 0);
    assert_ptr_equal(f, fake_fd3);
    file_put(f);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/proc/self/fd/3", &st, 0), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/proc/self/fd/3", &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/proc/self/fd/4", &st, 0), -ENOENT);
    memset(link, 0, sizeof link);
    assert_int_equal(vfs_readlinkat(X.fs, NULL, "/proc/self/cwd", link, sizeof link), 4);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/proc/self/cwd/c/file", &st, 0), 0);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/proc/self/root/etc/passwd", &st, 0), 0);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/self/mounts", O_RDONLY, 0, &f), 0);
    assert_true(strstr(vfx_read_all(f, buf, sizeof buf), " /proc proc ") != NULL);
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/stat", O_RDONLY, 0, &f), 0);
    assert_true(strncmp(vfx_read_all(f, buf, sizeof buf), "cpu ", 4) == 0);
    file_put(f);
    /* host-derived files */
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/meminfo", O_RDONLY, 0, &f), 0);
    assert_true(strstr(vfx_read_all(f, buf, sizeof buf), "MemTotal:") != NULL);
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/cpuinfo", O_RDONLY, 0, &f), 0);
    assert_true(file_lseek(f, 0, SEEK_END) > 100);
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/uptime", O_RDONLY, 0, &f), 0);
    double up = 0, idle = 0;
    assert_int_equal(sscanf(vfx_read_all(f, buf, sizeof buf), "%lf %lf", &up, &idle), 2);
    assert_true(up > 0);
    file_put(f);
    struct statfs sf;
    assert_int_equal(vfs_statfs(X.fs, "/proc/self", &sf), 0);
    assert_int_equal(sf.f_type, PROC_SUPER_MAGIC);
    /* chdir into /proc and back out by .. */
    assert_int_equal(vfs_chdir(X.fs, NULL, "/proc/self/fd"), 0);
    assert_int_equal(vfs_getcwd(X.fs, buf, sizeof buf), (int)strlen("/proc/42/fd") + 1);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "../../../etc/passwd", &st, 0), 0);
    assert_int_equal(vfs_chdir(X.fs, NULL, "/"), 0);
}

static void test_link_text(void **s)
{
    char buf[PATH_MAX];
    assert_int_equal(vfs_file_link_text(fake_fd3, buf, sizeof buf), 11);
    assert_string_equal(buf, "/etc/passwd");
    assert_int_equal(vfs_file_link_text(fake_fd3, buf, 5), -ERANGE);
    struct file *f;
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev/null", O_RDONLY, 0, &f), 0);
    assert_int_equal(vfs_file_link_text(f, buf, sizeof buf), 9);
    file_put(f);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(host_file_create(p[0], O_RDONLY, HOST_FILE_OWN_FD, &f), 0);
    struct stat st;
    assert_int_equal(fstat(p[0], &st), 0);
    char want[64];
    snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)st.st_ino);
    assert_true(vfs_file_link_text(f, buf, sizeof buf) > 0);
    assert_string_equal(buf, want);
    file_put(f);
    close(p[1]);
}

static int has(char *list, size_t n, const char *name)
{
    for (size_t off = 0; off < n;) {
        unsigned short reclen;
        memcpy(&reclen, list + off + 16, 2);
        if (!strcmp(list + off + 19, name))
            return 1;
        off += reclen;
    }
    return 0;
}

static void test_proc_listing(void **s)
{
    struct file *d;
    static char buf[8192];
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc", O_RDONLY | O_DIRECTORY, 0, &d), 0);
    ssize_t n = vfs_getdents64(d, buf, sizeof buf);
    assert_true(n > 0);
    assert_true(has(buf, (size_t)n, "self") && has(buf, (size_t)n, "42") &&
                has(buf, (size_t)n, "1") && has(buf, (size_t)n, "meminfo"));
    assert_int_equal(vfs_getdents64(d, buf, sizeof buf), 0);
    file_put(d);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/self/fd", O_RDONLY | O_DIRECTORY, 0, &d), 0);
    n = vfs_getdents64(d, buf, sizeof buf);
    assert_true(has(buf, (size_t)n, "3") && !has(buf, (size_t)n, "4"));
    file_put(d);
    assert_int_equal(vfs_openat(X.fs, NULL, "/proc/42", O_RDONLY | O_DIRECTORY, 0, &d), 0);
    n = vfs_getdents64(d, buf, sizeof buf);
    assert_true(has(buf, (size_t)n, "status") && has(buf, (size_t)n, "exe") &&
                has(buf, (size_t)n, "fd"));
    file_put(d);
    /* no provider: no self, no pids */
    procfs_set_provider(NULL);
    struct stat st;
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/proc/self", &st, 0), -ENOENT);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/proc/meminfo", &st, 0), 0);
    procfs_set_provider(&fake);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dev_files),
        cmocka_unit_test(test_proc_files),
        cmocka_unit_test(test_proc_listing),
        cmocka_unit_test(test_link_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
