/* VFS path resolution and confinement: every path is compared with the
 * host's own confined resolution (openat2 RESOLVE_IN_ROOT on the same tree,
 * i.e. what Linux does in a chroot), and escapes are checked directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/openat2.h>
#include <sys/syscall.h>

#include "vfs_fixture.h"

static struct vfx X;

static int setup(void **s) { vfx_setup(&X); return 0; }
static int teardown(void **s) { vfx_teardown(&X); return 0; }

/* Native oracle: stat of `path` as if chrooted into the root. */
static int native_stat(const char *path, bool follow, struct stat *st)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, X.rootfd, path, &how, sizeof how);
    if (fd < 0)
        return -errno;
    int r = fstat(fd, st) < 0 ? -errno : 0;
    close(fd);
    return r;
}

static const char *const paths[] = {
    "/", ".", "..", "/..", "/../../..", "etc", "/etc/passwd", "etc/passwd/",
    "etc/passwd/x", "/a/b/c/file", "a/b/c/../../file", "a/b/c/../../../etc",
    "etclink", "etclink/", "etclink/passwd", "passwdlink", "passwdlink/",
    "uplink", "uplink/etc/passwd", "esc", "absesc", "loop1", "loop1/x",
    "selfloop", "dangling", "dangling/", "a/b/up", "a/b/up/a/b/up/etc",
    "dirlink/c/file", "dirlink/../file", "filelink", "filelink/", "nothere",
    "a//b///c/./file", "/a/./b/../b/c/file", "a/file/..", "empty/..",
    "a/b/c/file/.",
};

static void test_resolution_matches_chroot(void **s)
{
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        for (int follow = 0; follow < 2; follow++) {
            struct stat a, b;
            int ra = vfs_fstatat(X.fs, NULL, paths[i], &a,
                                 follow ? 0 : AT_SYMLINK_NOFOLLOW);
            int rb = native_stat(paths[i], follow, &b);
            if (ra != rb || (ra == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev)))
                fail_msg("%s (follow %d): vfs %d ino %lu, native %d ino %lu",
                         paths[i], follow, ra, ra ? 0ul : (unsigned long)a.st_ino,
                         rb, rb ? 0ul : (unsigned long)b.st_ino);
        }
    }
}

static void test_escapes_fail(void **s)
{
    struct file *f;
    char buf[64];
    /* a file outside the root can be named in no way */
    assert_int_equal(vfs_openat(X.fs, NULL, "esc", O_RDONLY, 0, &f), -ENOENT);
    assert_int_equal(vfs_openat(X.fs, NULL, "absesc", O_RDONLY, 0, &f), -ENOENT);
    assert_int_equal(vfs_openat(X.fs, NULL, "../outside/secret", O_RDONLY, 0, &f), -ENOENT);
    assert_int_equal(vfs_openat(X.fs, NULL, "/../../outside/secret", O_RDONLY, 0, &f), -ENOENT);
    assert_int_equal(vfs_openat(X.fs, NULL, "uplink/outside/secret", O_RDONLY, 0, &f), -ENOENT);
    /* /etc/passwd is the guest's */
    assert_int_equal(vfs_openat(X.fs, NULL, "etclink/passwd", O_RDONLY, 0, &f), 0);
    assert_string_equal(vfx_read_all(f, buf, sizeof buf), "guest passwd\n");
    assert_string_equal(vfs_file_path(f), "/etc/passwd");
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/a/b/up/../../../etc/passwd", O_RDONLY, 0, &f), 0);
    assert_string_equal(vfx_read_all(f, buf, sizeof buf), "guest passwd\n");
    file_put(f);
    /* creating through an escaping dangling link stays inside */
    assert_int_equal(vfs_mkdirat(X.fs, NULL, "/outside", 0755), 0);
    assert_int_equal(vfs_symlinkat(X.fs, "/../../outside/created", NULL, "esc2"), 0);
    assert_int_equal(vfs_openat(X.fs, NULL, "esc2", O_CREAT | O_WRONLY, 0644, &f), 0);
    assert_string_equal(vfs_file_path(f), "/outside/created");
    file_put(f);
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/created", X.outside);
    assert_int_equal(access(p, F_OK), -1);
    snprintf(p, sizeof p, "%s/outside/created", X.root);
    assert_int_equal(access(p, F_OK), 0);
}

static void test_loops_and_limits(void **s)
{
    struct stat st;
    assert_int_equal(vfs_fstatat(X.fs, NULL, "loop1", &st, 0), -ELOOP);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "selfloop/x", &st, 0), -ELOOP);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "loop1", &st, AT_SYMLINK_NOFOLLOW), 0);
    /* a chain of 40 links is fine, 41 is ELOOP (Linux's MAXSYMLINKS) */
    char name[32], target[32];
    for (int i = 1; i <= 41; i++) {
        snprintf(name, sizeof name, "ch%d", i);
        if (i == 1)
            snprintf(target, sizeof target, "a/file");
        else
            snprintf(target, sizeof target, "ch%d", i - 1);
        assert_int_equal(vfs_symlinkat(X.fs, target, NULL, name), 0);
    }
    assert_int_equal(vfs_fstatat(X.fs, NULL, "ch40", &st, 0), 0);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "ch41", &st, 0), -ELOOP);
    struct stat nb;
    assert_int_equal(native_stat("ch40", true, &nb), 0);
    assert_int_equal(native_stat("ch41", true, &nb), -ELOOP);
    /* names and paths too long */
    char longname[NAME_MAX + 2];
    memset(longname, 'x', NAME_MAX + 1);
    longname[NAME_MAX + 1] = 0;
    assert_int_equal(vfs_fstatat(X.fs, NULL, longname, &st, 0), -ENAMETOOLONG);
    char *longpath = malloc(PATH_MAX + 10);
    memset(longpath, 'a', PATH_MAX + 9);
    for (int i = 1; i < PATH_MAX + 9; i += 2)
        longpath[i] = '/';
    longpath[PATH_MAX + 9] = 0;
    assert_int_equal(vfs_fstatat(X.fs, NULL, longpath, &st, 0), -ENAMETOOLONG);
    free(longpath);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "", &st, 0), -ENOENT);
}

static void test_cwd_and_dirfd(void **s)
{
    char buf[PATH_MAX];
    assert_int_equal(vfs_getcwd(X.fs, buf, sizeof buf), 2);
    assert_string_equal(buf, "/");
    assert_int_equal(vfs_chdir(X.fs, NULL, "dirlink/c"), 0);
    assert_int_equal(vfs_getcwd(X.fs, buf, sizeof buf), (int)strlen("/a/b/c") + 1);
    assert_string_equal(buf, "/a/b/c");
    assert_int_equal(vfs_getcwd(X.fs, buf, 3), -ERANGE);
    struct file *f;
    assert_int_equal(vfs_openat(X.fs, NULL, "file", O_RDONLY, 0, &f), 0);
    assert_string_equal(vfs_file_path(f), "/a/b/c/file");
    file_put(f);
    assert_int_equal(vfs_chdir(X.fs, NULL, "file"), -ENOTDIR);
    assert_int_equal(vfs_chdir(X.fs, NULL, "../../../../.."), 0);
    assert_int_equal(vfs_getcwd(X.fs, buf, sizeof buf), 2);
    /* relative to a directory file */
    struct file *d;
    assert_int_equal(vfs_openat(X.fs, NULL, "a", O_RDONLY | O_DIRECTORY, 0, &d), 0);
    assert_int_equal(vfs_openat(X.fs, d, "b/c/file", O_RDONLY, 0, &f), 0);
    file_put(f);
    /* relative to a non-directory: ENOTDIR */
    assert_int_equal(vfs_openat(X.fs, NULL, "a/file", O_RDONLY, 0, &f), 0);
    assert_int_equal(vfs_openat(X.fs, f, "x", O_RDONLY, 0, &d), -ENOTDIR);
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "a", O_PATH, 0, &f), 0);
    assert_int_equal(vfs_fchdir(X.fs, f), 0);
    assert_int_equal(vfs_getcwd(X.fs, buf, sizeof buf), 3);
    assert_string_equal(buf, "/a");
    file_put(f);
    file_put(d);
    assert_int_equal(vfs_chdir(X.fs, NULL, "/"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolution_matches_chroot),
        cmocka_unit_test(test_escapes_fail),
        cmocka_unit_test(test_loops_and_limits),
        cmocka_unit_test(test_cwd_and_dirfd),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
