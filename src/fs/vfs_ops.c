/* Path operations: stat, access, readlink, mkdir, unlink, rename, link,
 * symlink, truncate, chmod, chown, utimes, statfs. Host objects are acted
 * on through the O_PATH fd or (parent dirfd, single name) of a resolved
 * vfs_loc, never through a host path. */
#include <errno.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/vfs_internal.h"
#include "host/host_fd.h"
#include "host/host_fs.h"
#include "util/compiler.h"

static struct vfs_loc *loc_new(void)
{
    return malloc(sizeof(struct vfs_loc));
}

static void loc_free(struct vfs_loc *l)
{
    if (l) {
        vfs_loc_release(l);
        free(l);
    }
}

/* Resolve into a new loc; NULL + *err on failure. */
static struct vfs_loc *lookup(struct fs_ctx *fs, struct file *dir, const char *path,
                              int rflags, int *err)
{
    struct vfs_loc *l = loc_new();
    if (!l) {
        *err = -ENOMEM;
        return NULL;
    }
    *err = vfs_resolve(fs, dir, path, rflags, l);
    if (*err) {
        free(l);
        return NULL;
    }
    return l;
}

static bool is_mount_point(const struct vfs_loc *l)
{
    return l->mnt != VFS_MNT_HOST && !strcmp(vfs_synth_rel(l->path), "");
}

static int loc_stat(struct vfs_loc *l, struct stat *st)
{
    if (vfs_mnt_is_host(l->mnt)) {
        *st = l->st;
        return 0;
    }
    if (l->node.type == SYN_FDLINK) {
        struct file *f;
        if (procfs_fd_file(l->node.pid, l->node.fd, &f) == 0) {
            int r = file_stat(f, st);
            file_put(f);
            return r;
        }
    }
    synth_stat(l->mnt, l->path, &l->node, st);
    return 0;
}

int vfs_fstatat(struct fs_ctx *fs, struct file *dir, const char *path,
                struct stat *st, int at_flags)
{
    if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    if (!path[0] && (at_flags & AT_EMPTY_PATH)) {
        if (dir)
            return file_stat(dir, st);
        path = ".";
    }
    int err;
    struct vfs_loc *l = lookup(fs, dir, path,
                               at_flags & AT_SYMLINK_NOFOLLOW ? 0 : VFS_FOLLOW, &err);
    if (!l)
        return err;
    err = loc_stat(l, st);
    loc_free(l);
    return err;
}

int vfs_faccessat(struct fs_ctx *fs, struct file *dir, const char *path,
                  int mode, int at_flags)
{
    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH))
        return -EINVAL;
    if (!path[0] && (at_flags & AT_EMPTY_PATH)) {
        int hfd = dir ? vfs_file_hostfd(dir) : -1;
        if (dir && hfd < 0)
            return 0; /* synthetic or LibOS file: exists */
        if (!dir)
            path = ".";
        else
            return host_fs_faccessat(hfd, "", mode, AT_EMPTY_PATH | (at_flags & AT_EACCESS));
    }
    int err;
    struct vfs_loc *l = lookup(fs, dir, path,
                               at_flags & AT_SYMLINK_NOFOLLOW ? 0 : VFS_FOLLOW, &err);
    if (!l)
        return err;
    if (vfs_mnt_is_host(l->mnt)) {
        err = mode ? host_fs_faccessat(l->fd, "", mode,
                                       AT_EMPTY_PATH | (at_flags & AT_EACCESS))
                   : 0;
    } else {
        struct stat st;
        loc_stat(l, &st);
        if (((mode & W_OK) && !(st.st_mode & 0222)) ||
            ((mode & X_OK) && !(st.st_mode & 0111)) ||
            ((mode & R_OK) && !(st.st_mode & 0444)))
            err = -EACCES;
    }
    loc_free(l);
    return err;
}

ssize_t vfs_readlinkat(struct fs_ctx *fs, struct file *dir, const char *path,
                       char *buf, size_t len)
{
    if ((ssize_t)len <= 0)
        return -EINVAL;
    if (!path[0]) {
        int hfd = dir ? vfs_opath_hostfd(dir) : -1;
        if (hfd < 0)
            return -ENOENT;
        return host_fs_readlinkat(hfd, "", buf, len);
    }
    int err;
    struct vfs_loc *l = lookup(fs, dir, path, 0, &err);
    if (!l)
        return err;
    ssize_t r;
    if (vfs_mnt_is_host(l->mnt)) {
        r = S_ISLNK(l->st.st_mode) ? host_fs_readlinkat(l->fd, "", buf, len) : -EINVAL;
    } else if (l->node.type == SYN_LNK || l->node.type == SYN_FDLINK) {
        size_t n = strlen(l->node.target);
        r = (ssize_t)(n < len ? n : len);
        memcpy(buf, l->node.target, (size_t)r);
    } else {
        r = -EINVAL;
    }
    loc_free(l);
    return r;
}

int vfs_mkdirat(struct fs_ctx *fs, struct file *dir, const char *path, mode_t mode)
{
    int err;
    struct vfs_loc *l = lookup(fs, dir, path, VFS_MAY_BE_MISSING, &err);
    if (!l)
        return err;
    if (l->exists)
        err = -EEXIST;
    else if (!vfs_mnt_is_host(l->mnt))
        err = -EROFS;
    else
        err = host_fs_mkdirat(l->dirfd, l->name,
                              mode & ~fs_ctx_umask(fs, 0, false) & 07777);
    loc_free(l);
    return err;
}

int vfs_unlinkat(struct fs_ctx *fs, struct file *dir, const char *path, int at_flags)
{
    if (at_flags & ~AT_REMOVEDIR)
        return -EINVAL;
    bool rmdir = at_flags & AT_REMOVEDIR;
    int err;
    struct vfs_loc *l = lookup(fs, dir, path, 0, &err);
    if (!l)
        return err;
    if (l->dots)
        err = !rmdir ? -EISDIR : l->dots == 1 ? -EINVAL : -ENOTEMPTY;
    else if (!strcmp(l->path, "/") || is_mount_point(l))
        err = -EBUSY;
    else if (!vfs_mnt_is_host(l->mnt))
        err = -EROFS;
    else if (!rmdir && l->trailing_slash)
        err = S_ISDIR(l->st.st_mode) ? -EISDIR : -ENOTDIR;
    else
        err = host_fs_unlinkat(l->dirfd, l->name, rmdir ? AT_REMOVEDIR : 0);
    loc_free(l);
    return err;
}

int vfs_renameat2(struct fs_ctx *fs, struct file *olddir, const char *oldpath,
                  struct file *newdir, const char *newpath, unsigned flags)
{
    if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
        return -EINVAL;
    int err;
    struct vfs_loc *o = lookup(fs, olddir, oldpath, 0, &err);
    if (!o)
        return err;
    struct vfs_loc *n = lookup(fs, newdir, newpath, VFS_MAY_BE_MISSING, &err);
    if (!n) {
        loc_free(o);
        return err;
    }
    if (o->dots || n->dots)
        err = -EBUSY;
    else if (!strcmp(o->path, "/") || !strcmp(n->path, "/") ||
             is_mount_point(o) || is_mount_point(n))
        err = -EBUSY;
    else if (o->mnt != n->mnt)
        err = -EXDEV;
    else if (!vfs_mnt_is_host(o->mnt))
        err = -EROFS;
    else
        err = host_fs_renameat2(o->dirfd, o->name, n->dirfd, n->name, flags);
    loc_free(o);
    loc_free(n);
    return err;
}

int vfs_linkat(struct fs_ctx *fs, struct file *olddir, const char *oldpath,
               struct file *newdir, const char *newpath, int at_flags)
{
    if (at_flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!oldpath[0])
        return (at_flags & AT_EMPTY_PATH) ? -EPERM : -ENOENT; /* needs CAP_DAC_READ_SEARCH */
    int err;
    struct vfs_loc *o = lookup(fs, olddir, oldpath,
                               at_flags & AT_SYMLINK_FOLLOW ? VFS_FOLLOW : 0, &err);
    if (!o)
        return err;
    struct vfs_loc *n = lookup(fs, newdir, newpath, VFS_MAY_BE_MISSING, &err);
    if (!n) {
        loc_free(o);
        return err;
    }
    if (n->exists)
        err = -EEXIST;
    else if (o->mnt != n->mnt)
        err = -EXDEV;
    else if (!vfs_mnt_is_host(o->mnt))
        err = -EROFS;
    else if (S_ISDIR(o->st.st_mode))
        err = -EPERM;
    else if (n->trailing_slash)
        err = -ENOENT;
    else
        err = host_fs_linkat(o->dirfd, o->name, n->dirfd, n->name, 0);
    loc_free(o);
    loc_free(n);
    return err;
}

int vfs_symlinkat(struct fs_ctx *fs, const char *target, struct file *dir,
                  const char *path)
{
    if (!target[0])
        return -ENOENT;
    int err;
    struct vfs_loc *l = lookup(fs, dir, path, VFS_MAY_BE_MISSING, &err);
    if (!l)
        return err;
    if (l->exists)
        err = -EEXIST;
    else if (!vfs_mnt_is_host(l->mnt))
        err = -EROFS;
    else if (l->trailing_slash)
        err = -ENOENT;
    else
        err = host_fs_symlinkat(target, l->dirfd, l->name);
    loc_free(l);
    return err;
}

int vfs_truncate(struct fs_ctx *fs, const char *path, off_t len)
{
    if (len < 0)
        return -EINVAL;
    int err;
    struct vfs_loc *l = lookup(fs, NULL, path, VFS_FOLLOW, &err);
    if (!l)
        return err;
    if (l->mnt == VFS_MNT_PROC)
        err = -EACCES;
    else if (l->mnt == VFS_MNT_DEV)
        err = l->node.type == SYN_DIR ? -EISDIR : -EINVAL;
    else if (S_ISDIR(l->st.st_mode))
        err = -EISDIR;
    else if (!S_ISREG(l->st.st_mode))
        err = -EINVAL;
    else {
        int hfd = host_fs_openat(l->dirfd, l->name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK, 0);
        err = hfd;
        if (hfd >= 0) {
            err = host_fs_ftruncate(hfd, len);
            host_fd_close(hfd);
        }
    }
    loc_free(l);
    return err;
}

/* Host fd for an "" + AT_EMPTY_PATH operation on `dir`, or a negative
 * errno / 1 for "not a host object". */
static int empty_path_fd(struct file *dir, int *hfd)
{
    if (!dir)
        return -EBADF;
    *hfd = vfs_file_hostfd(dir);
    return *hfd >= 0 ? 0 : 1;
}

int vfs_fchmodat(struct fs_ctx *fs, struct file *dir, const char *path,
                 mode_t mode, int at_flags)
{
    if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    mode &= 07777;
    if (!path[0] && (at_flags & AT_EMPTY_PATH) && dir) {
        int hfd, r = empty_path_fd(dir, &hfd);
        if (r)
            return r < 0 ? r : dir->ops == &vfs_snapshot_ops ? -EPERM : 0;
        return host_fs_fchmodat2(hfd, "", mode, AT_EMPTY_PATH);
    }
    int err;
    struct vfs_loc *l = lookup(fs, dir, path[0] ? path : ".",
                               at_flags & AT_SYMLINK_NOFOLLOW ? 0 : VFS_FOLLOW, &err);
    if (!l)
        return err;
    if (!vfs_mnt_is_host(l->mnt))
        err = -EPERM;
    else if (S_ISLNK(l->st.st_mode))
        err = -EOPNOTSUPP;
    else
        err = host_fs_fchmodat2(l->fd, "", mode, AT_EMPTY_PATH);
    loc_free(l);
    return err;
}

int vfs_fchownat(struct fs_ctx *fs, struct file *dir, const char *path,
                 uid_t uid, gid_t gid, int at_flags)
{
    if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!path[0] && (at_flags & AT_EMPTY_PATH) && dir) {
        int hfd, r = empty_path_fd(dir, &hfd);
        if (r)
            return r < 0 ? r : 0;
        return host_fs_fchownat(hfd, "", uid, gid, AT_EMPTY_PATH);
    }
    int err;
    struct vfs_loc *l = lookup(fs, dir, path[0] ? path : ".",
                               at_flags & AT_SYMLINK_NOFOLLOW ? 0 : VFS_FOLLOW, &err);
    if (!l)
        return err;
    err = !vfs_mnt_is_host(l->mnt) ? -EPERM
                                 : host_fs_fchownat(l->fd, "", uid, gid, AT_EMPTY_PATH);
    loc_free(l);
    return err;
}

int vfs_utimensat(struct fs_ctx *fs, struct file *dir, const char *path,
                  const struct timespec ts[2], int at_flags)
{
    if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!path || (!path[0] && (at_flags & AT_EMPTY_PATH))) {
        int hfd, r = empty_path_fd(dir, &hfd);
        if (r)
            return r < 0 ? r : 0;
        return host_fs_utimensat(hfd, "", ts, AT_EMPTY_PATH);
    }
    int err;
    struct vfs_loc *l = lookup(fs, dir, path,
                               at_flags & AT_SYMLINK_NOFOLLOW ? 0 : VFS_FOLLOW, &err);
    if (!l)
        return err;
    err = !vfs_mnt_is_host(l->mnt) ? -EACCES
                                 : host_fs_utimensat(l->fd, "", ts, AT_EMPTY_PATH);
    loc_free(l);
    return err;
}

static void synth_statfs(int mnt, struct statfs *st)
{
    memset(st, 0, sizeof *st);
    st->f_type = mnt == VFS_MNT_PROC ? PROC_SUPER_MAGIC : TMPFS_MAGIC;
    st->f_bsize = 4096;
    st->f_namelen = NAME_MAX;
    st->f_frsize = 4096;
}

int vfs_statfs(struct fs_ctx *fs, const char *path, struct statfs *st)
{
    int err;
    struct vfs_loc *l = lookup(fs, NULL, path, VFS_FOLLOW, &err);
    if (!l)
        return err;
    if (vfs_mnt_is_host(l->mnt))
        err = host_fs_fstatfs(l->fd, st);
    else
        synth_statfs(l->mnt, st);
    loc_free(l);
    return err;
}

/* ---- fd-based -------------------------------------------------------- */

int vfs_ftruncate(struct file *f, off_t len)
{
    if (f->ops == &vfs_opath_ops)
        return -EBADF;
    if (len < 0)
        return -EINVAL;
    if (f->ops != &hostfs_file_ops)
        return -EINVAL;
    if (!file_writable(f))
        return -EINVAL;
    return host_fs_ftruncate(file_host_fd(f), len);
}

int vfs_fallocate(struct file *f, int mode, off_t off, off_t len)
{
    if (f->ops == &vfs_opath_ops)
        return -EBADF;
    if (off < 0 || len <= 0)
        return -EINVAL;
    if (!file_writable(f))
        return -EBADF;
    if (f->ops == &vfs_dir_ops)
        return -EISDIR;
    if (f->ops != &hostfs_file_ops)
        return file_is_vfs(f) ? -ENODEV : -ESPIPE;
    return host_fs_fallocate(file_host_fd(f), mode, off, len);
}

int vfs_fsync(struct file *f, bool datasync)
{
    if (f->ops == &vfs_opath_ops)
        return -EBADF;
    if (f->ops == &hostfs_file_ops || f->ops == &vfs_dir_ops) {
        int hfd = vfs_file_hostfd(f);
        return hfd >= 0 ? host_fs_fsync(hfd, datasync) : 0;
    }
    return f->ops == &vfs_snapshot_ops || f->ops == &vfs_dir_ops ? 0 : -EINVAL;
}

int vfs_fstatfs(struct file *f, struct statfs *st)
{
    int hfd = file_is_vfs(f) ? vfs_file_hostfd(f) : -1;
    if (hfd >= 0)
        return host_fs_fstatfs(hfd, st);
    if (file_is_vfs(f)) {
        synth_statfs(container_of(f, struct vfs_file, file)->mnt, st);
        return 0;
    }
    memset(st, 0, sizeof *st);
    st->f_type = PIPEFS_MAGIC;
    st->f_bsize = 4096;
    st->f_namelen = NAME_MAX;
    return 0;
}
