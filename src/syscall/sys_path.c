/* Path-based syscalls: open, directories, names, links, attributes. Thin
 * over fs/vfs.h; the stat family, readlink, getdents64 and statfs are in
 * sys_path_stat.c. */
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "syscall/sys_path_internal.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

static long do_openat(struct thread *self, int dirfd, uint64_t upath, int flags,
                      mode_t mode)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, dirfd, upath, 0, u);
    if (r == 0) {
        struct file *f;
        r = vfs_openat(SELF_FS, u->dir, u->path, flags, mode, &f);
        if (r == 0) {
            r = fd_table_install(self->proc->fds, f, flags & O_CLOEXEC);
            file_put(f);
        }
    }
    upath_put(u);
    free(u);
    return r;
}

SYS_STATIC(open) { return do_openat(self, AT_FDCWD, a[0], (int)a[1], (mode_t)a[2]); }
SYS_STATIC(openat) { return do_openat(self, (int)a[0], a[1], (int)a[2], (mode_t)a[3]); }
SYS_STATIC(creat)
{
    return do_openat(self, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (mode_t)a[1]);
}

/* ---- cwd ------------------------------------------------------------- */

SYS_STATIC(getcwd)
{
    char *buf = malloc(PATH_MAX);
    if (!buf)
        return -ENOMEM;
    size_t size = (size_t)a[1];
    long r = vfs_getcwd(SELF_FS, buf, size < PATH_MAX ? size : PATH_MAX);
    if (r > 0 && uaccess_write(self->proc, (uintptr_t)a[0], buf, (size_t)r) < 0)
        r = -EFAULT;
    free(buf);
    return r;
}

SYS_STATIC(chdir)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, AT_FDCWD, a[0], 0, u);
    if (r == 0)
        r = vfs_chdir(SELF_FS, NULL, u->path);
    free(u);
    return r;
}

SYS_STATIC(fchdir)
{
    struct file *f;
    long r = fd_table_get_file(self->proc->fds, (int)a[0], &f);
    if (r < 0)
        return r;
    r = vfs_fchdir(SELF_FS, f);
    file_put(f);
    return r;
}

SYS_STATIC(umask)
{
    return (long)fs_ctx_umask(SELF_FS, (mode_t)a[0] & 0777, true);
}

/* ---- names ------------------------------------------------------------ */

static long do_mkdirat(struct thread *self, int dirfd, uint64_t up, mode_t mode)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, dirfd, up, 0, u);
    if (r == 0)
        r = vfs_mkdirat(SELF_FS, u->dir, u->path, mode);
    upath_put(u);
    free(u);
    return r;
}
SYS_STATIC(mkdir) { return do_mkdirat(self, AT_FDCWD, a[0], (mode_t)a[1]); }
SYS_STATIC(mkdirat) { return do_mkdirat(self, (int)a[0], a[1], (mode_t)a[2]); }

static long do_unlinkat(struct thread *self, int dirfd, uint64_t up, int flags)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, dirfd, up, 0, u);
    if (r == 0)
        r = vfs_unlinkat(SELF_FS, u->dir, u->path, flags);
    upath_put(u);
    free(u);
    return r;
}
SYS_STATIC(unlink) { return do_unlinkat(self, AT_FDCWD, a[0], 0); }
SYS_STATIC(rmdir) { return do_unlinkat(self, AT_FDCWD, a[0], AT_REMOVEDIR); }
SYS_STATIC(unlinkat) { return do_unlinkat(self, (int)a[0], a[1], (int)a[2]); }

/* Two paths (rename, link): both copied and their dirfds looked up. */
static long two_paths(struct thread *self, int d1, uint64_t p1, int d2, uint64_t p2,
                      int allow_empty1, struct upath **u1, struct upath **u2)
{
    *u1 = malloc(sizeof **u1);
    *u2 = malloc(sizeof **u2);
    if (!*u1 || !*u2) {
        free(*u1);
        free(*u2);
        return -ENOMEM;
    }
    (*u1)->dir = (*u2)->dir = NULL;
    long r = upath_get(self, d1, p1, allow_empty1, *u1);
    if (r == 0)
        r = upath_get(self, d2, p2, 0, *u2);
    if (r < 0) {
        upath_put(*u1);
        upath_put(*u2);
        free(*u1);
        free(*u2);
    }
    return r;
}

static void two_put(struct upath *u1, struct upath *u2)
{
    upath_put(u1);
    upath_put(u2);
    free(u1);
    free(u2);
}

static long do_renameat2(struct thread *self, int d1, uint64_t p1, int d2,
                         uint64_t p2, unsigned flags)
{
    struct upath *u1, *u2;
    long r = two_paths(self, d1, p1, d2, p2, 0, &u1, &u2);
    if (r < 0)
        return r;
    r = vfs_renameat2(SELF_FS, u1->dir, u1->path, u2->dir, u2->path, flags);
    two_put(u1, u2);
    return r;
}
SYS_STATIC(rename) { return do_renameat2(self, AT_FDCWD, a[0], AT_FDCWD, a[1], 0); }
SYS_STATIC(renameat) { return do_renameat2(self, (int)a[0], a[1], (int)a[2], a[3], 0); }
SYS_STATIC(renameat2)
{
    return do_renameat2(self, (int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
}

static long do_linkat(struct thread *self, int d1, uint64_t p1, int d2, uint64_t p2,
                      int flags)
{
    struct upath *u1, *u2;
    long r = two_paths(self, d1, p1, d2, p2, flags & AT_EMPTY_PATH, &u1, &u2);
    if (r < 0)
        return r;
    r = vfs_linkat(SELF_FS, u1->dir, u1->path, u2->dir, u2->path, flags);
    two_put(u1, u2);
    return r;
}
SYS_STATIC(link) { return do_linkat(self, AT_FDCWD, a[0], AT_FDCWD, a[1], 0); }
SYS_STATIC(linkat) { return do_linkat(self, (int)a[0], a[1], (int)a[2], a[3], (int)a[4]); }

static long do_symlinkat(struct thread *self, uint64_t target, int dirfd, uint64_t up)
{
    struct upath *u1, *u2;
    /* the target is a string, not resolved: "" reaches vfs (ENOENT) */
    long r = two_paths(self, AT_FDCWD, target, dirfd, up, 1, &u1, &u2);
    if (r < 0)
        return r;
    r = vfs_symlinkat(SELF_FS, u1->path, u2->dir, u2->path);
    two_put(u1, u2);
    return r;
}
SYS_STATIC(symlink) { return do_symlinkat(self, a[0], AT_FDCWD, a[1]); }
SYS_STATIC(symlinkat) { return do_symlinkat(self, a[0], (int)a[1], a[2]); }

/* ---- contents and attributes ----------------------------------------- */

SYS_STATIC(truncate)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, AT_FDCWD, a[0], 0, u);
    if (r == 0)
        r = vfs_truncate(SELF_FS, u->path, (off_t)a[1]);
    free(u);
    return r;
}

/* Run `call` on the File of fd a[0]. */
#define WITH_FD(fdarg, call)                                                   \
    do {                                                                       \
        struct file *f;                                                        \
        long r_ = fd_table_get_file(self->proc->fds, (int)(fdarg), &f);        \
        if (r_ < 0)                                                            \
            return r_;                                                         \
        r_ = (call);                                                           \
        file_put(f);                                                           \
        return r_;                                                             \
    } while (0)

SYS_STATIC(ftruncate) { WITH_FD(a[0], vfs_ftruncate(f, (off_t)a[1])); }
SYS_STATIC(fallocate)
{
    WITH_FD(a[0], vfs_fallocate(f, (int)a[1], (off_t)a[2], (off_t)a[3]));
}
SYS_STATIC(fsync) { WITH_FD(a[0], vfs_fsync(f, false)); }
SYS_STATIC(fdatasync) { WITH_FD(a[0], vfs_fsync(f, true)); }
SYS_STATIC(fchmod)
{
    WITH_FD(a[0], vfs_fchmodat(SELF_FS, f, "", (mode_t)a[1], AT_EMPTY_PATH));
}
SYS_STATIC(fchown)
{
    WITH_FD(a[0], vfs_fchownat(SELF_FS, f, "", (uid_t)a[1], (gid_t)a[2], AT_EMPTY_PATH));
}

static long do_fchmodat(struct thread *self, int dirfd, uint64_t up, mode_t mode,
                        int flags)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, dirfd, up, flags & AT_EMPTY_PATH, u);
    if (r == 0)
        r = vfs_fchmodat(SELF_FS, u->dir, u->path, mode, flags);
    upath_put(u);
    free(u);
    return r;
}
SYS_STATIC(chmod) { return do_fchmodat(self, AT_FDCWD, a[0], (mode_t)a[1], 0); }
SYS_STATIC(fchmodat) { return do_fchmodat(self, (int)a[0], a[1], (mode_t)a[2], 0); }
SYS_STATIC(fchmodat2)
{
    return do_fchmodat(self, (int)a[0], a[1], (mode_t)a[2], (int)a[3]);
}

static long do_fchownat(struct thread *self, int dirfd, uint64_t up, uid_t uid,
                        gid_t gid, int flags)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, dirfd, up, flags & AT_EMPTY_PATH, u);
    if (r == 0)
        r = vfs_fchownat(SELF_FS, u->dir, u->path, uid, gid, flags);
    upath_put(u);
    free(u);
    return r;
}
SYS_STATIC(chown) { return do_fchownat(self, AT_FDCWD, a[0], (uid_t)a[1], (gid_t)a[2], 0); }
SYS_STATIC(lchown)
{
    return do_fchownat(self, AT_FDCWD, a[0], (uid_t)a[1], (gid_t)a[2], AT_SYMLINK_NOFOLLOW);
}
SYS_STATIC(fchownat)
{
    return do_fchownat(self, (int)a[0], a[1], (uid_t)a[2], (gid_t)a[3], (int)a[4]);
}

SYS_STATIC(utimensat)
{
    int dirfd = (int)a[0], flags = (int)a[3];
    struct timespec ts[2];
    if (a[2] && uaccess_read(self->proc, ts, (uintptr_t)a[2], sizeof ts) < 0)
        return -EFAULT;
    if (!a[1]) {
        /* futimens: the file of dirfd itself */
        if (dirfd == AT_FDCWD)
            return -EFAULT;
        if (flags)
            return -EINVAL;
        WITH_FD(dirfd, vfs_utimensat(SELF_FS, f, NULL, a[2] ? ts : NULL, flags));
    }
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, dirfd, a[1], flags & AT_EMPTY_PATH, u);
    if (r == 0)
        r = vfs_utimensat(SELF_FS, u->dir, u->path, a[2] ? ts : NULL, flags);
    upath_put(u);
    free(u);
    return r;
}

void sys_register_path(sys_fn *table)
{
    table[__NR_open] = sys_open;
    table[__NR_openat] = sys_openat;
    table[__NR_creat] = sys_creat;
    table[__NR_getcwd] = sys_getcwd;
    table[__NR_chdir] = sys_chdir;
    table[__NR_fchdir] = sys_fchdir;
    table[__NR_umask] = sys_umask;
    table[__NR_mkdir] = sys_mkdir;
    table[__NR_mkdirat] = sys_mkdirat;
    table[__NR_unlink] = sys_unlink;
    table[__NR_rmdir] = sys_rmdir;
    table[__NR_unlinkat] = sys_unlinkat;
    table[__NR_rename] = sys_rename;
    table[__NR_renameat] = sys_renameat;
    table[__NR_renameat2] = sys_renameat2;
    table[__NR_link] = sys_link;
    table[__NR_linkat] = sys_linkat;
    table[__NR_symlink] = sys_symlink;
    table[__NR_symlinkat] = sys_symlinkat;
    table[__NR_truncate] = sys_truncate;
    table[__NR_ftruncate] = sys_ftruncate;
    table[__NR_fallocate] = sys_fallocate;
    table[__NR_fsync] = sys_fsync;
    table[__NR_fdatasync] = sys_fdatasync;
    table[__NR_chmod] = sys_chmod;
    table[__NR_fchmod] = sys_fchmod;
    table[__NR_fchmodat] = sys_fchmodat;
    table[__NR_fchmodat2] = sys_fchmodat2;
    table[__NR_chown] = sys_chown;
    table[__NR_fchown] = sys_fchown;
    table[__NR_lchown] = sys_lchown;
    table[__NR_fchownat] = sys_fchownat;
    table[__NR_utimensat] = sys_utimensat;
    sys_register_path_stat(table);
}
