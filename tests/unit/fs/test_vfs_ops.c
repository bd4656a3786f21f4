/* VFS operations against native Linux: the same operations run on the
 * guest root through the VFS and on an identical twin tree natively (by
 * dirfd-relative paths), results compared. Plus open flags, getdents64,
 * and the vm_file of a host file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <linux/fs.h>
#include <sys/syscall.h>

#include "vfs_fixture.h"
#include "vm/vm_file.h"

static struct vfx X;
static int twin = -1;
static char twin_path[PATH_MAX];

static int setup(void **s)
{
    vfx_setup(&X);
    snprintf(twin_path, sizeof twin_path, "%s/twin", X.base);
    mkdir(twin_path, 0755);
    vfx_tree(twin_path, X.outside);
    mkdir(strcat(strcpy((char[PATH_MAX + 8]){0}, twin_path), "/tmp"), 01777);
    twin = open(twin_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    umask(022);
    return twin < 0;
}
static int teardown(void **s)
{
    close(twin);
    vfx_teardown(&X);
    return 0;
}

/* native path: guest paths here are relative, or absolute -> strip "/" */
static const char *np(const char *p)
{
    while (*p == '/')
        p++;
    return *p ? p : ".";
}
#define NAT(expr) ((expr) < 0 ? -errno : 0)

#define SAME(vfs_call, native_call, what)                                      \
    do {                                                                       \
        int a_ = (vfs_call);                                                   \
        int b_ = (native_call);                                                \
        if (a_ != b_)                                                          \
            fail_msg("%s: vfs %d native %d", what, a_, b_);                    \
    } while (0)

static void test_namespace_ops_match_native(void **s)
{
    static const char *const dirs[] = { "n", "n/", "a", "a/file", "etc/passwd/x",
                                        "nothere/x", "dangling", "n/sub" };
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        SAME(vfs_mkdirat(X.fs, NULL, dirs[i], 0750),
             NAT(mkdirat(twin, np(dirs[i]), 0750)), dirs[i]);
    SAME(vfs_unlinkat(X.fs, NULL, "a", AT_REMOVEDIR), NAT(unlinkat(twin, "a", AT_REMOVEDIR)), "rmdir a");
    SAME(vfs_unlinkat(X.fs, NULL, "a", 0), NAT(unlinkat(twin, "a", 0)), "unlink a");
    SAME(vfs_unlinkat(X.fs, NULL, "a/file", AT_REMOVEDIR), NAT(unlinkat(twin, "a/file", AT_REMOVEDIR)), "rmdir file");
    SAME(vfs_unlinkat(X.fs, NULL, "empty/.", AT_REMOVEDIR), NAT(unlinkat(twin, "empty/.", AT_REMOVEDIR)), "rmdir .");
    SAME(vfs_unlinkat(X.fs, NULL, "empty/..", AT_REMOVEDIR), NAT(unlinkat(twin, "empty/..", AT_REMOVEDIR)), "rmdir ..");
    SAME(vfs_unlinkat(X.fs, NULL, "a/file/", 0), NAT(unlinkat(twin, "a/file/", 0)), "unlink file/");
    SAME(vfs_unlinkat(X.fs, NULL, "nothere", 0), NAT(unlinkat(twin, "nothere", 0)), "unlink nothere");
    SAME(vfs_unlinkat(X.fs, NULL, "dirlink", 0), NAT(unlinkat(twin, "dirlink", 0)), "unlink dirlink");
    SAME(vfs_unlinkat(X.fs, NULL, "n/sub", AT_REMOVEDIR), NAT(unlinkat(twin, "n/sub", AT_REMOVEDIR)), "rmdir n/sub");
    SAME(vfs_unlinkat(X.fs, NULL, "n", AT_REMOVEDIR), NAT(unlinkat(twin, "n", AT_REMOVEDIR)), "rmdir n");

    /* rename */
    SAME(vfs_renameat2(X.fs, NULL, "a/file", NULL, "a/renamed", 0),
         NAT(renameat2(twin, "a/file", twin, "a/renamed", 0)), "rename");
    SAME(vfs_renameat2(X.fs, NULL, "a/renamed", NULL, "etc/passwd", RENAME_NOREPLACE),
         NAT(renameat2(twin, "a/renamed", twin, "etc/passwd", RENAME_NOREPLACE)), "noreplace");
    SAME(vfs_renameat2(X.fs, NULL, "a", NULL, "a/b/c/inside", 0),
         NAT(renameat2(twin, "a", twin, "a/b/c/inside", 0)), "into itself");
    SAME(vfs_renameat2(X.fs, NULL, "a/b", NULL, "empty", 0),
         NAT(renameat2(twin, "a/b", twin, "empty", 0)), "dir over empty dir");
    SAME(vfs_renameat2(X.fs, NULL, "empty", NULL, "etc", 0),
         NAT(renameat2(twin, "empty", twin, "etc", 0)), "dir over full dir");
    SAME(vfs_renameat2(X.fs, NULL, "etc/passwd", NULL, "empty", 0),
         NAT(renameat2(twin, "etc/passwd", twin, "empty", 0)), "file over dir");
    SAME(vfs_renameat2(X.fs, NULL, "nothere", NULL, "x", 0),
         NAT(renameat2(twin, "nothere", twin, "x", 0)), "missing source");
    SAME(vfs_renameat2(X.fs, NULL, "etc", NULL, "a/renamed", RENAME_EXCHANGE),
         NAT(renameat2(twin, "etc", twin, "a/renamed", RENAME_EXCHANGE)), "exchange");

    /* link / symlink / readlink */
    SAME(vfs_linkat(X.fs, NULL, "etc", NULL, "hl", 0), NAT(linkat(twin, "etc", twin, "hl", 0)), "link dir");
    SAME(vfs_linkat(X.fs, NULL, "filelink", NULL, "hl1", 0), NAT(linkat(twin, "filelink", twin, "hl1", 0)), "link symlink");
    SAME(vfs_linkat(X.fs, NULL, "a/renamed", NULL, "hl2", AT_SYMLINK_FOLLOW),
         NAT(linkat(twin, "a/renamed", twin, "hl2", AT_SYMLINK_FOLLOW)), "link follow");
    SAME(vfs_linkat(X.fs, NULL, "a/renamed", NULL, "hl2", 0), NAT(linkat(twin, "a/renamed", twin, "hl2", 0)), "link exists");
    SAME(vfs_symlinkat(X.fs, "x", NULL, "hl2"), NAT(symlinkat("x", twin, "hl2")), "symlink exists");
    SAME(vfs_symlinkat(X.fs, "target", NULL, "sl"), NAT(symlinkat("target", twin, "sl")), "symlink");
    SAME(vfs_symlinkat(X.fs, "", NULL, "sl2"), NAT(symlinkat("", twin, "sl2")), "symlink empty");
    char a[64] = { 0 }, b[64] = { 0 };
    SAME((int)vfs_readlinkat(X.fs, NULL, "sl", a, sizeof a), (int)readlinkat(twin, "sl", b, sizeof b), "readlink");
    assert_string_equal(a, b);
    SAME((int)vfs_readlinkat(X.fs, NULL, "sl", a, 3), (int)readlinkat(twin, "sl", b, 3), "readlink short");
    SAME((int)vfs_readlinkat(X.fs, NULL, "etc", a, sizeof a), NAT(readlinkat(twin, "etc", b, sizeof b)), "readlink dir");
    SAME((int)vfs_readlinkat(X.fs, NULL, "nothere", a, sizeof a), NAT(readlinkat(twin, "nothere", b, sizeof b)), "readlink missing");

    /* stat after everything: same shapes */
    static const char *const check[] = { "a", "a/renamed", "etc", "etc/passwd", "hl", "hl1",
                                         "hl2", "empty", "n", "sl", "a/b", "dirlink" };
    for (size_t i = 0; i < sizeof check / sizeof *check; i++) {
        struct stat sa, sb;
        int ra = vfs_fstatat(X.fs, NULL, check[i], &sa, AT_SYMLINK_NOFOLLOW);
        int rb = NAT(fstatat(twin, check[i], &sb, AT_SYMLINK_NOFOLLOW));
        if (ra != rb || (ra == 0 && (sa.st_mode != sb.st_mode || sa.st_size != sb.st_size ||
                                     sa.st_nlink != sb.st_nlink)))
            fail_msg("stat %s: vfs %d mode %o, native %d mode %o", check[i], ra,
                     ra ? 0 : sa.st_mode, rb, rb ? 0 : sb.st_mode);
    }
    /* access, truncate, chmod */
    SAME(vfs_faccessat(X.fs, NULL, "etc/passwd", R_OK | W_OK, 0), NAT(faccessat(twin, "etc/passwd", R_OK | W_OK, 0)), "access");
    SAME(vfs_faccessat(X.fs, NULL, "etc/passwd", X_OK, 0), NAT(faccessat(twin, "etc/passwd", X_OK, 0)), "access x");
    SAME(vfs_faccessat(X.fs, NULL, "nothere", F_OK, 0), NAT(faccessat(twin, "nothere", F_OK, 0)), "access missing");
    char tp[PATH_MAX + 32];
    snprintf(tp, sizeof tp, "%s/a/renamed/passwd", twin_path);
    SAME(vfs_truncate(X.fs, "a/renamed/passwd", 3), NAT(truncate(tp, 3)), "truncate");
    snprintf(tp, sizeof tp, "%s/a/renamed", twin_path);
    SAME(vfs_truncate(X.fs, "a/renamed", 3), NAT(truncate(tp, 3)), "truncate dir");
    SAME(vfs_fchmodat(X.fs, NULL, "a/renamed/passwd", 0600, 0),
         NAT(fchmodat(twin, "a/renamed/passwd", 0600, 0)), "chmod");
    struct stat sa, sb;
    assert_int_equal(vfs_fstatat(X.fs, NULL, "a/renamed/passwd", &sa, 0), 0);
    assert_int_equal(fstatat(twin, "a/renamed/passwd", &sb, 0), 0);
    assert_int_equal(sa.st_mode, sb.st_mode);
    assert_int_equal(sa.st_size, 3);
    assert_int_equal(sb.st_size, 3);
    struct timespec ts[2] = { { 1000, 0 }, { 2000, 5 } };
    assert_int_equal(vfs_utimensat(X.fs, NULL, "a/renamed/passwd", ts, 0), 0);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "a/renamed/passwd", &sa, 0), 0);
    assert_int_equal(sa.st_mtim.tv_sec, 2000);
    assert_int_equal(sa.st_atim.tv_sec, 1000);
    /* mkdir honours the umask */
    fs_ctx_umask(X.fs, 077, true);
    assert_int_equal(vfs_mkdirat(X.fs, NULL, "private", 0777), 0);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "private", &sa, 0), 0);
    assert_int_equal(sa.st_mode & 0777, 0700);
    assert_int_equal(fs_ctx_umask(X.fs, 022, true), 077);
}

/* open(2) flags, each compared with native */
static int vopen(const char *p, int flags, mode_t mode)
{
    struct file *f;
    int r = vfs_openat(X.fs, NULL, p, flags, mode, &f);
    if (r == 0)
        file_put(f);
    return r;
}
static int nopen(const char *p, int flags, mode_t mode)
{
    int fd = openat(twin, np(p), flags | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    close(fd);
    return 0;
}

static void test_open_flags_match_native(void **s)
{
    static const struct { const char *p; int flags; } cases[] = {
        { "new1", O_CREAT | O_WRONLY },
        { "new1", O_CREAT | O_EXCL | O_WRONLY },
        { "new1/", O_CREAT | O_WRONLY },
        { "new2/", O_CREAT | O_WRONLY },
        { "new1", O_RDONLY | O_DIRECTORY },
        { "a", O_RDONLY | O_DIRECTORY },
        { "a", O_WRONLY },
        { "a", O_RDWR },
        { "a", O_RDONLY },
        { "a", O_CREAT | O_RDONLY },
        { "filelink", O_RDONLY | O_NOFOLLOW },
        { "filelink", O_PATH | O_NOFOLLOW },
        { "filelink", O_RDONLY },
        { "dangling", O_CREAT | O_EXCL | O_WRONLY },
        { "dangling", O_CREAT | O_WRONLY },
        { "dangling", O_CREAT | O_WRONLY },
        { "loop1", O_CREAT | O_WRONLY },
        { "nothere/x", O_CREAT | O_WRONLY },
        { "a/b/c/file/x", O_CREAT | O_WRONLY },
        { "a/b/c/file", O_RDONLY | O_TRUNC | O_WRONLY },
        { "etc/passwd/", O_RDONLY },
        { "a", O_PATH | O_DIRECTORY },
        { "/", O_RDONLY },
        { "/", O_WRONLY },
        { "..", O_RDONLY },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int a = vopen(cases[i].p, cases[i].flags, 0644);
        int b = nopen(cases[i].p, cases[i].flags, 0644);
        if (a != b)
            fail_msg("open %s flags %#x: vfs %d native %d", cases[i].p, cases[i].flags, a, b);
    }
}

static void test_file_io(void **s)
{
    struct file *f;
    char buf[64];
    assert_int_equal(vfs_openat(X.fs, NULL, "/io", O_CREAT | O_RDWR | O_TRUNC, 0600, &f), 0);
    assert_int_equal(file_write(f, "hello", 5), 5);
    assert_int_equal(file_pread(f, buf, 5, 0), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(file_lseek(f, 1, SEEK_SET), 1);
    assert_int_equal(file_read(f, buf, 2), 2);
    assert_memory_equal(buf, "el", 2);
    assert_int_equal(vfs_ftruncate(f, 2), 0);
    struct stat st;
    assert_int_equal(file_stat(f, &st), 0);
    assert_int_equal(st.st_size, 2);
    assert_int_equal(vfs_fsync(f, false), 0);
    assert_int_equal(vfs_fallocate(f, 0, 0, 8192), 0);
    assert_int_equal(file_stat(f, &st), 0);
    assert_int_equal(st.st_size, 8192);
    assert_int_equal(vfs_fchmodat(X.fs, f, "", 0640, AT_EMPTY_PATH), 0);
    assert_int_equal(file_stat(f, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(vfs_fstatat(X.fs, f, "", &st, AT_EMPTY_PATH), 0);
    assert_int_equal(st.st_size, 8192);
    /* the vm_file maps the same bytes */
    struct vm_file *v = file_vm_file(f);
    assert_non_null(v);
    assert_int_equal(v->access, O_RDWR);
    assert_int_equal(v->ops->length(v), 8192);
    assert_int_equal(v->ops->write_at(v, "XY", 2, 100), 2);
    assert_int_equal(file_pread(f, buf, 2, 100), 2);
    assert_memory_equal(buf, "XY", 2);
    assert_int_equal(v->ops->read_at(v, buf, 2, 0), 2);
    assert_memory_equal(buf, "he", 2);
    assert_true(v->ops->host_fd(v) >= 0);
    assert_string_equal(v->ops->path(v), "/io");
    v->ops->get(v);
    file_put(f);                 /* the VMA's reference keeps it alive */
    assert_int_equal(v->ops->read_at(v, buf, 2, 100), 2);
    v->ops->put(v);
    /* O_APPEND */
    assert_int_equal(vfs_openat(X.fs, NULL, "/io", O_WRONLY | O_APPEND, 0, &f), 0);
    assert_int_equal(file_write(f, "Z", 1), 1);
    assert_int_equal(file_stat(f, &st), 0);
    assert_int_equal(st.st_size, 8193);
    assert_int_equal(vfs_ftruncate(f, -1), -EINVAL);
    file_put(f);
    /* read-only: ftruncate EINVAL, like Linux */
    assert_int_equal(vfs_openat(X.fs, NULL, "/io", O_RDONLY, 0, &f), 0);
    int nfd = openat(twin, "ionative", O_CREAT | O_RDONLY | O_CLOEXEC, 0600);
    assert_int_equal(vfs_ftruncate(f, 0), NAT(ftruncate(nfd, 0)));
    assert_int_equal(vfs_fallocate(f, 0, 0, 10), NAT(fallocate(nfd, 0, 0, 10)));
    close(nfd);
    assert_int_equal(file_write(f, "x", 1), -EBADF);
    file_put(f);
    /* directories: read EISDIR, not mappable; O_PATH: EBADF */
    assert_int_equal(vfs_openat(X.fs, NULL, "/a", O_RDONLY, 0, &f), 0);
    assert_int_equal(file_read(f, buf, 1), -EISDIR);
    assert_null(file_vm_file(f));
    file_put(f);
    assert_int_equal(vfs_openat(X.fs, NULL, "/io", O_PATH, 0, &f), 0);
    assert_int_equal(file_read(f, buf, 1), -EBADF);
    assert_int_equal(file_stat(f, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(vfs_getdents64(f, buf, sizeof buf), -EBADF);
    file_put(f);
}

/* getdents64: the same names as the host directory (+ /dev, /proc at /) */
struct dent {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static int collect(struct file *d, char names[][64], int max)
{
    char buf[256]; /* small: several calls */
    int n = 0;
    for (;;) {
        ssize_t r = vfs_getdents64(d, buf, sizeof buf);
        assert_true(r >= 0);
        if (r == 0)
            return n;
        for (ssize_t off = 0; off < r;) {
            struct dent *e = (struct dent *)(buf + off);
            if (n < max)
                snprintf(names[n++], 64, "%.63s", e->name);
            off += e->reclen;
        }
    }
}

static int cmpstr(const void *a, const void *b) { return strcmp(a, b); }

static void test_getdents(void **s)
{
    static char got[256][64], want[256][64];
    struct file *d;
    assert_int_equal(vfs_openat(X.fs, NULL, "/", O_RDONLY | O_DIRECTORY, 0, &d), 0);
    int n = collect(d, got, 256);
    int m = 0;
    DIR *dd = opendir(X.root);
    struct dirent *e;
    while ((e = readdir(dd)))
        snprintf(want[m++], 64, "%.63s", e->d_name);
    closedir(dd);
    strcpy(want[m++], "dev");
    strcpy(want[m++], "proc");
    strcpy(want[m++], "tmp");   /* the instance's private /tmp */
    qsort(got, (size_t)n, 64, cmpstr);
    qsort(want, (size_t)m, 64, cmpstr);
    assert_int_equal(n, m);
    for (int i = 0; i < n; i++)
        assert_string_equal(got[i], want[i]);
    /* rewind and list again */
    assert_int_equal(file_lseek(d, 0, SEEK_SET), 0);
    assert_int_equal(collect(d, got, 256), m);
    char tiny[8];
    assert_int_equal(file_lseek(d, 0, SEEK_SET), 0);
    assert_int_equal(vfs_getdents64(d, tiny, sizeof tiny), -EINVAL);
    file_put(d);
    /* not a directory */
    assert_int_equal(vfs_openat(X.fs, NULL, "/io", O_RDONLY, 0, &d), 0);
    assert_int_equal(vfs_getdents64(d, tiny, sizeof tiny), -ENOTDIR);
    file_put(d);
    /* /dev */
    assert_int_equal(vfs_openat(X.fs, NULL, "/dev", O_RDONLY | O_DIRECTORY, 0, &d), 0);
    n = collect(d, got, 256);
    qsort(got, (size_t)n, 64, cmpstr);
    bool has_null = false, has_dot = false;
    for (int i = 0; i < n; i++) {
        has_null |= !strcmp(got[i], "null");
        has_dot |= !strcmp(got[i], ".");
    }
    assert_true(has_null && has_dot);
    file_put(d);
}


/* O_PATH files, AT_EMPTY_PATH, readlinkat(fd, ""), a FIFO in the image */
static void test_opath_and_special(void **s)
{
    struct file *f, *g;
    struct stat st;
    char buf[64] = { 0 };
    assert_int_equal(vfs_symlinkat(X.fs, "some/target", NULL, "/opl"), 0);
    assert_int_equal(vfs_openat(X.fs, NULL, "/opl", O_PATH | O_NOFOLLOW, 0, &f), 0);
    assert_int_equal(vfs_fstatat(X.fs, f, "", &st, AT_EMPTY_PATH), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(vfs_readlinkat(X.fs, f, "", buf, sizeof buf), 11);
    assert_string_equal(buf, "some/target");
    file_put(f);
    /* an O_PATH directory as dirfd */
    assert_int_equal(vfs_mkdirat(X.fs, NULL, "/opd", 0755), 0);
    assert_int_equal(vfs_openat(X.fs, NULL, "/opd", O_PATH | O_DIRECTORY, 0, &f), 0);
    assert_int_equal(vfs_openat(X.fs, f, "new", O_CREAT | O_RDWR, 0600, &g), 0);
    assert_string_equal(vfs_file_path(g), "/opd/new");
    file_put(g);
    assert_int_equal(vfs_faccessat(X.fs, f, "new", R_OK | W_OK, 0), 0);
    assert_int_equal(vfs_faccessat(X.fs, f, "", F_OK, AT_EMPTY_PATH), 0);
    file_put(f);
    /* a FIFO does not block the opener */
    char fp[PATH_MAX + 16];
    snprintf(fp, sizeof fp, "%s/fifo", X.root);
    assert_int_equal(mkfifo(fp, 0600), 0);
    assert_int_equal(vfs_openat(X.fs, NULL, "/fifo", O_RDONLY | O_NONBLOCK, 0, &f), 0);
    assert_int_equal(vfs_openat(X.fs, NULL, "/fifo", O_WRONLY, 0, &g), 0);
    assert_int_equal(file_write(g, "p", 1), 1);
    assert_int_equal(file_read(f, buf, sizeof buf), 1);
    file_put(g);
    file_put(f);
    /* exec needs a regular file with an execute bit */
    char path[PATH_MAX];
    assert_int_equal(vfs_open_exec(X.fs, "/opd/new", &f, path, sizeof path), -EACCES);
    assert_int_equal(vfs_open_exec(X.fs, "/opd", &f, path, sizeof path), -EACCES);
    assert_int_equal(vfs_fchmodat(X.fs, NULL, "/opd/new", 0755, 0), 0);
    assert_int_equal(vfs_symlinkat(X.fs, "opd/new", NULL, "/exelink"), 0);
    assert_int_equal(vfs_open_exec(X.fs, "exelink", &f, path, sizeof path), 0);
    assert_string_equal(path, "/opd/new");
    assert_non_null(file_vm_file(f));
    assert_int_equal(file_vm_file(f)->access, O_RDONLY);
    file_put(f);
    assert_int_equal(vfs_open_exec(X.fs, "/nothere2", &f, path, sizeof path), -ENOENT);
}

/* /tmp: a private host directory per instance, shared by copies, gone
 * with the last context */
static void test_tmp_mount(void **s)
{
    struct fs_ctx *fs, *copy;
    assert_int_equal(fs_ctx_create(X.root, &fs), 0);
    assert_int_equal(fs_ctx_copy(fs, &copy), 0);
    struct file *f;
    struct stat st, rst;
    assert_int_equal(vfs_fstatat(fs, NULL, "/tmp", &st, 0), 0);
    assert_int_equal(st.st_mode & 07777, 01777);
    assert_int_equal(vfs_openat(fs, NULL, "/tmp/x", O_CREAT | O_RDWR, 0600, &f), 0);
    assert_string_equal(vfs_file_path(f), "/tmp/x");
    assert_int_equal(file_write(f, "tmp", 3), 3);
    assert_non_null(file_vm_file(f));
    file_put(f);
    /* the copy sees the same /tmp; another instance does not */
    assert_int_equal(vfs_fstatat(copy, NULL, "/tmp/x", &st, 0), 0);
    assert_int_equal(st.st_size, 3);
    assert_int_equal(vfs_fstatat(X.fs, NULL, "/tmp/x", &st, 0), -ENOENT);
    /* nothing in the image */
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/tmp/x", X.root);
    assert_int_equal(access(p, F_OK), -1);
    /* a mount: .. leads back to the root, rename across is EXDEV */
    assert_int_equal(vfs_fstatat(fs, NULL, "/tmp/../etc", &st, 0), 0);
    assert_int_equal(vfs_fstatat(fs, NULL, "/etc", &rst, 0), 0);
    assert_int_equal(st.st_ino, rst.st_ino);
    assert_int_equal(vfs_renameat2(fs, NULL, "/tmp/x", NULL, "/x", 0), -EXDEV);
    assert_int_equal(vfs_linkat(fs, NULL, "/tmp/x", NULL, "/x", 0), -EXDEV);
    assert_int_equal(vfs_renameat2(fs, NULL, "/tmp/x", NULL, "/tmp/y", 0), 0);
    assert_int_equal(vfs_unlinkat(fs, NULL, "/tmp", AT_REMOVEDIR), -EBUSY);
    assert_int_equal(vfs_renameat2(fs, NULL, "/tmp", NULL, "/t2", 0), -EBUSY);
    assert_int_equal(vfs_mkdirat(fs, NULL, "/tmp", 0755), -EEXIST);
    assert_int_equal(vfs_mkdirat(fs, NULL, "/tmp/d", 0755), 0);
    assert_int_equal(vfs_symlinkat(fs, "/tmp/d", NULL, "/tmp/dl"), 0);
    assert_int_equal(vfs_chdir(fs, NULL, "/tmp/dl"), 0);
    char buf[64];
    assert_int_equal(vfs_getcwd(fs, buf, sizeof buf), 7);
    assert_string_equal(buf, "/tmp/d");
    assert_int_equal(vfs_fstatat(fs, NULL, "../y", &st, 0), 0);
    assert_int_equal(vfs_fstatat(fs, NULL, "../../../opd/new", &st, 0), 0);
    struct statfs sf;
    assert_int_equal(vfs_statfs(fs, "/tmp", &sf), 0);
    /* gone with the last context */
    struct file *keep;
    assert_int_equal(vfs_openat(fs, NULL, "/tmp/y", O_RDONLY, 0, &keep), 0);
    int hfd = file_host_fd(keep);
    char link[64], host_tmp[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", hfd);
    ssize_t n = readlink(link, host_tmp, sizeof host_tmp - 1);
    assert_true(n > 2);
    host_tmp[n - 2] = 0;      /* strip "/y" */
    file_put(keep);
    assert_int_equal(access(host_tmp, F_OK), 0);
    fs_ctx_put(fs);
    assert_int_equal(access(host_tmp, F_OK), 0);
    fs_ctx_put(copy);
    assert_int_equal(access(host_tmp, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namespace_ops_match_native),
        cmocka_unit_test(test_open_flags_match_native),
        cmocka_unit_test(test_file_io),
        cmocka_unit_test(test_getdents),
        cmocka_unit_test(test_opath_and_special),
        cmocka_unit_test(test_tmp_mount),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
