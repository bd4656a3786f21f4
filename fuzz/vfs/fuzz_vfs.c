/* Fuzz VFS path resolution against a small temporary tree (the VFS unit
 * tests' tree: symlinks that try to escape, loops, dangling links, "..")
 * next to an "outside" directory holding a secret. The input is up to 8
 * records separated by NUL bytes; each record is an operation byte and a
 * path (symlink records: "target\x01linkpath"). Whatever the result, no
 * file opened or stat'ed may be outside the root: its (dev, inode) is never
 * one of the outside tree's, and a file backed by a host fd has a host
 * realpath (/proc/self/fd/N) under the root. Files created by an input go
 * into the tree and are removed after it (the fixed tree is restored). */
#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/vfs_fixture.h"

static struct vfx X;
static char root_real[PATH_MAX];
static struct { dev_t dev; ino_t ino; } forbidden[8];
static int nforbidden;

static void forbid(const char *host_path)
{
    struct stat st;
    if (stat(host_path, &st) != 0)
        abort();
    forbidden[nforbidden].dev = st.st_dev;
    forbidden[nforbidden].ino = st.st_ino;
    nforbidden++;
}

static void cleanup(void)
{
    vfx_teardown(&X);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    vfx_setup(&X);
    if (!realpath(X.root, root_real))
        abort();
    char p[PATH_MAX + 16];
    forbid(X.base);
    forbid(X.outside);
    snprintf(p, sizeof p, "%s/secret", X.outside);
    forbid(p);
    forbid("/");
    atexit(cleanup);
    return 0;
}

static void check_stat(const struct stat *st)
{
    for (int i = 0; i < nforbidden; i++)
        if (st->st_dev == forbidden[i].dev && st->st_ino == forbidden[i].ino) {
            fprintf(stderr, "fuzz_vfs: resolved outside the root\n");
            abort();
        }
}

static void check_file(struct file *f)
{
    struct stat st;
    if (file_stat(f, &st) == 0)
        check_stat(&st);
    int hfd = file_host_fd(f);
    if (hfd < 0)
        return;
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", hfd);
    ssize_t n = readlink(link, real, sizeof real - 1);
    if (n < 0)
        abort();
    real[n] = 0;
    size_t rl = strlen(root_real);
    bool inside = strncmp(real, root_real, rl) == 0 && (real[rl] == 0 || real[rl] == '/');
    /* devfs passes a few host devices through; memfd/anon files are not paths */
    bool device = strncmp(real, "/dev/", 5) == 0;
    bool anon = real[0] != '/';
    if (!inside && !device && !anon) {
        fprintf(stderr, "fuzz_vfs: host fd %d is %s, outside %s\n", hfd, real, root_real);
        abort();
    }
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

/* Undo what an input created or changed: empty the root and rebuild the
 * fixed tree, and start from a fresh context (cwd "/"). Only after inputs
 * that may have changed something; no shell (it runs per input). */
static void restore_tree(void)
{
    chmod(X.root, 0755);
    nftw(X.root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    vfx_tree(X.root, X.outside);
    fs_ctx_put(X.fs);
    if (fs_ctx_create(X.root, &X.fs) != 0)
        abort();
}

static const int open_flags[] = {
    O_RDONLY, O_PATH, O_RDONLY | O_DIRECTORY, O_RDONLY | O_NOFOLLOW,
    O_PATH | O_NOFOLLOW, O_WRONLY | O_CREAT, O_RDWR | O_CREAT | O_EXCL,
    O_WRONLY | O_TRUNC,
};

static bool run_record(const char *rec, size_t len, struct file **dir)
{
    unsigned op = (unsigned char)rec[0];
    char path[PATH_MAX * 3];
    size_t plen = len - 1 < sizeof path - 1 ? len - 1 : sizeof path - 1;
    memcpy(path, rec + 1, plen);
    path[plen] = 0;
    struct file *f = NULL;
    struct stat st;
    char buf[PATH_MAX];
    bool changed = false;
    switch (op % 12) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: {
        int fl = open_flags[op % 8];
        changed = fl & (O_CREAT | O_TRUNC);
        if (vfs_openat(X.fs, (op & 0x80) ? *dir : NULL, path, fl | O_NONBLOCK,
                       0644, &f) == 0) {
            check_file(f);
            if (vfs_file_is_dir(f)) {   /* becomes the dirfd of later records */
                if (*dir)
                    file_put(*dir);
                *dir = f;
            } else {
                file_put(f);
            }
        }
        break;
    }
    case 8:
        if (vfs_fstatat(X.fs, *dir, path, &st, (op & 0x80) ? AT_SYMLINK_NOFOLLOW : 0) == 0)
            check_stat(&st);
        break;
    case 9:
        vfs_readlinkat(X.fs, *dir, path, buf, sizeof buf);
        vfs_faccessat(X.fs, *dir, path, R_OK, 0);
        break;
    case 10: {
        char *sep = memchr(path, 1, plen);
        if (sep) {
            *sep = 0;
            changed = true;
            vfs_symlinkat(X.fs, path, *dir, sep + 1);
        } else {
            changed = true;
            vfs_mkdirat(X.fs, *dir, path, 0755);
        }
        break;
    }
    case 11:
        /* chdir, then a relative path resolves from there */
        if (vfs_chdir(X.fs, *dir, path) == 0 &&
            vfs_fstatat(X.fs, NULL, ".", &st, 0) == 0)
            check_stat(&st);
        changed = true;     /* the cwd is part of the context */
        break;
    }
    return changed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct file *dir = NULL;
    bool changed = false;
    size_t pos = 0;
    for (int n = 0; n < 8 && pos < size; n++) {
        const uint8_t *end = memchr(data + pos, 0, size - pos);
        size_t len = end ? (size_t)(end - (data + pos)) : size - pos;
        if (len > 0)
            changed |= run_record((const char *)data + pos, len, &dir);
        pos += len + 1;
    }
    if (dir)
        file_put(dir);
    if (changed)
        restore_tree();
    return 0;
}
