/* Path syscalls that return information: the stat family, statx, access,
 * readlink, getdents64, statfs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "syscall/sys_path_internal.h"

#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif

/* On x86-64 the kernel's struct stat is glibc's: copied as is. */
static long do_fstatat(struct thread *self, int dirfd, uint64_t up, uint64_t ubuf,
                       int flags)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    struct stat st;
    long r = upath_get(self, dirfd, up, flags & AT_EMPTY_PATH, u);
    if (r == 0 && !u->path[0] && dirfd != AT_FDCWD && !u->dir)
        r = fd_table_get_file(self->proc->fds, dirfd, &u->dir);
    if (r == 0)
        r = vfs_fstatat(SELF_FS, u->dir, u->path, &st, flags);
    if (r == 0 && uaccess_write(self->proc, (uintptr_t)ubuf, &st, sizeof st) < 0)
        r = -EFAULT;
    upath_put(u);
    free(u);
    return r;
}

SYS_STATIC(stat) { return do_fstatat(self, AT_FDCWD, a[0], a[1], 0); }
SYS_STATIC(lstat) { return do_fstatat(self, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW); }
SYS_STATIC(newfstatat) { return do_fstatat(self, (int)a[0], a[1], a[2], (int)a[3]); }

static void stat_to_statx(const struct stat *st, struct statx *sx)
{
    memset(sx, 0, sizeof *sx);
    sx->stx_mask = STATX_BASIC_STATS;
    sx->stx_blksize = (uint32_t)st->st_blksize;
    sx->stx_nlink = (uint32_t)st->st_nlink;
    sx->stx_uid = st->st_uid;
    sx->stx_gid = st->st_gid;
    sx->stx_mode = (uint16_t)st->st_mode;
    sx->stx_ino = st->st_ino;
    sx->stx_size = (uint64_t)st->st_size;
    sx->stx_blocks = (uint64_t)st->st_blocks;
    sx->stx_atime.tv_sec = st->st_atim.tv_sec;
    sx->stx_atime.tv_nsec = (uint32_t)st->st_atim.tv_nsec;
    sx->stx_mtime.tv_sec = st->st_mtim.tv_sec;
    sx->stx_mtime.tv_nsec = (uint32_t)st->st_mtim.tv_nsec;
    sx->stx_ctime.tv_sec = st->st_ctim.tv_sec;
    sx->stx_ctime.tv_nsec = (uint32_t)st->st_ctim.tv_nsec;
    sx->stx_rdev_major = major(st->st_rdev);
    sx->stx_rdev_minor = minor(st->st_rdev);
    sx->stx_dev_major = major(st->st_dev);
    sx->stx_dev_minor = minor(st->st_dev);
}

SYS_STATIC(statx)
{
    int dirfd = (int)a[0], flags = (int)a[2];
    unsigned mask = (unsigned)a[3];
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
                  AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
        return -EINVAL;
    if (mask & STATX__RESERVED)
        return -EINVAL;
    flags &= AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH;
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    struct stat st;
    struct statx sx;
    long r = upath_get(self, dirfd, a[1], flags & AT_EMPTY_PATH, u);
    if (r == 0 && !u->path[0] && dirfd != AT_FDCWD && !u->dir)
        r = fd_table_get_file(self->proc->fds, dirfd, &u->dir);
    if (r == 0)
        r = vfs_fstatat(SELF_FS, u->dir, u->path, &st, flags);
    if (r == 0) {
        stat_to_statx(&st, &sx);
        if (uaccess_write(self->proc, (uintptr_t)a[4], &sx, sizeof sx) < 0)
            r = -EFAULT;
    }
    upath_put(u);
    free(u);
    return r;
}

static long do_faccessat(struct thread *self, int dirfd, uint64_t up, int mode,
                         int flags)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    long r = upath_get(self, dirfd, up, flags & AT_EMPTY_PATH, u);
    if (r == 0 && !u->path[0] && dirfd != AT_FDCWD && !u->dir)
        r = fd_table_get_file(self->proc->fds, dirfd, &u->dir);
    if (r == 0)
        r = vfs_faccessat(SELF_FS, u->dir, u->path, mode, flags);
    upath_put(u);
    free(u);
    return r;
}

SYS_STATIC(access) { return do_faccessat(self, AT_FDCWD, a[0], (int)a[1], 0); }
SYS_STATIC(faccessat) { return do_faccessat(self, (int)a[0], a[1], (int)a[2], 0); }
SYS_STATIC(faccessat2)
{
    return do_faccessat(self, (int)a[0], a[1], (int)a[2], (int)a[3]);
}

static long do_readlinkat(struct thread *self, int dirfd, uint64_t up, uint64_t ubuf,
                          long size)
{
    if (size <= 0)
        return -EINVAL;
    if ((size_t)size > PATH_MAX)
        size = PATH_MAX;
    struct upath *u = malloc(sizeof *u);
    char *buf = malloc(PATH_MAX);
    long r = !u || !buf ? -ENOMEM : upath_get(self, dirfd, up, 1, u);
    /* readlinkat(fd, "") reads the symlink that fd (O_PATH) is */
    if (r == 0 && !u->path[0] && dirfd != AT_FDCWD && !u->dir)
        r = fd_table_get_file(self->proc->fds, dirfd, &u->dir);
    if (r == 0)
        r = vfs_readlinkat(SELF_FS, u->dir, u->path, buf, (size_t)size);
    if (r > 0 && uaccess_write(self->proc, (uintptr_t)ubuf, buf, (size_t)r) < 0)
        r = -EFAULT;
    if (u)
        upath_put(u);
    free(u);
    free(buf);
    return r;
}

SYS_STATIC(readlink) { return do_readlinkat(self, AT_FDCWD, a[0], a[1], (long)a[2]); }
SYS_STATIC(readlinkat)
{
    return do_readlinkat(self, (int)a[0], a[1], a[2], (long)a[3]);
}

SYS_STATIC(getdents64)
{
    size_t len = (size_t)(unsigned)a[2];
    struct file *f;
    long r = fd_table_get_file(self->proc->fds, (int)a[0], &f);
    if (r < 0)
        return r;
    /* large transfer: check once, then write in place */
    r = uaccess_check(self->proc, (uintptr_t)a[1], len, PROT_WRITE);
    if (r == 0)
        r = vfs_getdents64(f, (void *)(uintptr_t)a[1], len);
    file_put(f);
    return r;
}

SYS_STATIC(statfs)
{
    struct upath *u = malloc(sizeof *u);
    if (!u)
        return -ENOMEM;
    struct statfs st;
    long r = upath_get(self, AT_FDCWD, a[0], 0, u);
    if (r == 0)
        r = vfs_statfs(SELF_FS, u->path, &st);
    if (r == 0 && uaccess_write(self->proc, (uintptr_t)a[1], &st, sizeof st) < 0)
        r = -EFAULT;
    free(u);
    return r;
}

SYS_STATIC(fstatfs)
{
    struct file *f;
    struct statfs st;
    long r = fd_table_get_file(self->proc->fds, (int)a[0], &f);
    if (r < 0)
        return r;
    r = vfs_fstatfs(f, &st);
    file_put(f);
    if (r == 0 && uaccess_write(self->proc, (uintptr_t)a[1], &st, sizeof st) < 0)
        r = -EFAULT;
    return r;
}

void sys_register_path_stat(sys_fn *table)
{
    table[__NR_stat] = sys_stat;
    table[__NR_lstat] = sys_lstat;
    table[__NR_newfstatat] = sys_newfstatat;
    table[__NR_statx] = sys_statx;
    table[__NR_access] = sys_access;
    table[__NR_faccessat] = sys_faccessat;
    table[__NR_faccessat2] = sys_faccessat2;
    table[__NR_readlink] = sys_readlink;
    table[__NR_readlinkat] = sys_readlinkat;
    table[__NR_getdents64] = sys_getdents64;
    table[__NR_statfs] = sys_statfs;
    table[__NR_fstatfs] = sys_fstatfs;
}
