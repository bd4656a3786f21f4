/* Shared by the test_vfs*.c tests: a temporary host tree used as a guest
 * root, with symlinks that try to escape it. */
#ifndef VFS_FIXTURE_H
#define VFS_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/vfs.h"

struct vfx {
    char base[64];          /* base/root is the guest root, base/outside not */
    char root[PATH_MAX];
    char outside[PATH_MAX];
    int rootfd;             /* host fd of root (O_PATH), for native checks */
    struct fs_ctx *fs;
};

static inline void vfx_write(const char *dir, const char *rel, const char *text)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    if (!f)
        abort();
    fputs(text, f);
    fclose(f);
}

static inline void vfx_mkdir(const char *dir, const char *rel)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    if (mkdir(p, 0755) < 0)
        abort();
}

static inline void vfx_symlink(const char *dir, const char *rel, const char *target)
{
    char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    if (symlink(target, p) < 0)
        abort();
}

/* The standard tree (under `dir`). */
static inline void vfx_tree(const char *dir, const char *outside)
{
    vfx_mkdir(dir, "etc");
    vfx_write(dir, "etc/passwd", "guest passwd\n");
    vfx_mkdir(dir, "a");
    vfx_mkdir(dir, "a/b");
    vfx_mkdir(dir, "a/b/c");
    vfx_write(dir, "a/b/c/file", "abc");
    vfx_write(dir, "a/file", "a");
    vfx_mkdir(dir, "empty");
    vfx_symlink(dir, "etclink", "/etc");            /* absolute: guest /etc */
    vfx_symlink(dir, "passwdlink", "/etc/passwd");
    vfx_symlink(dir, "uplink", "../../../../..");   /* stays at the root */
    vfx_symlink(dir, "esc", "../outside/secret");   /* outside: must miss */
    char abs[PATH_MAX + 16];
    snprintf(abs, sizeof abs, "%s/secret", outside);
    vfx_symlink(dir, "absesc", abs);                /* host path: inside */
    vfx_symlink(dir, "loop1", "loop2");
    vfx_symlink(dir, "loop2", "loop1");
    vfx_symlink(dir, "selfloop", "selfloop");
    vfx_symlink(dir, "dangling", "nothere");
    vfx_symlink(dir, "a/b/up", "../..");
    vfx_symlink(dir, "dirlink", "a/b");
    vfx_symlink(dir, "filelink", "a/file");
}

static inline void vfx_setup(struct vfx *x)
{
    strcpy(x->base, "/tmp/vfs_test_XXXXXX");
    if (!mkdtemp(x->base))
        abort();
    snprintf(x->root, sizeof x->root, "%s/root", x->base);
    snprintf(x->outside, sizeof x->outside, "%s/outside", x->base);
    mkdir(x->root, 0755);
    mkdir(x->outside, 0755);
    vfx_write(x->outside, "secret", "host secret\n");
    vfx_tree(x->root, x->outside);
    x->rootfd = open(x->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (x->rootfd < 0 || fs_ctx_create(x->root, &x->fs) != 0)
        abort();
}

static inline void vfx_teardown(struct vfx *x)
{
    fs_ctx_put(x->fs);
    close(x->rootfd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->base);
    if (system(cmd) != 0)
        abort();
}

static inline char *vfx_read_all(struct file *f, char *buf, size_t len)
{
    ssize_t n = file_read(f, buf, len - 1);
    buf[n < 0 ? 0 : n] = 0;
    return buf;
}

#endif
