/* The VFS: a guest's view of files by path.
 *
 * The root is a host directory (an instance's image/), confined: no path
 * ("..", absolute or relative symlinks, races with renames) resolves to
 * anything outside it. Mounted on top: /dev (devfs), /proc (procfs, fed by
 * the process layer through procfs_provider), /tmp (an in-memory tmpfs).
 *
 * An fs_ctx is a process's file-system context: root, cwd, umask. It is
 * copied for spawn and shared by the threads of a process.
 *
 * Every function returns 0 / a value, or a negative errno with Linux's
 * meaning (ENOENT, ENOTDIR, ELOOP, EACCES, EEXIST, EISDIR, ENAMETOOLONG...).
 * Paths are guest paths (absolute, or relative to dirfd's directory or the
 * cwd). `dir` arguments are the File of a dirfd, or NULL for AT_FDCWD. */
#ifndef ONESPACE_FS_VFS_H
#define ONESPACE_FS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

#include "fs/file.h"

struct fs_ctx;

/* A context whose root is host directory `host_root` (must exist), cwd "/",
 * umask 022. */
int fs_ctx_create(const char *host_root, struct fs_ctx **out);
/* A copy (same root, same cwd, same umask) for a new process. */
int fs_ctx_copy(struct fs_ctx *src, struct fs_ctx **out);
void fs_ctx_put(struct fs_ctx *fs);

mode_t fs_ctx_umask(struct fs_ctx *fs, mode_t new_mask, bool set);

/* Open `path` like openat(2): flags O_* (O_CREAT, O_EXCL, O_TRUNC,
 * O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_NONBLOCK...; O_CLOEXEC is
 * the caller's business: it is an fd flag). */
int vfs_openat(struct fs_ctx *fs, struct file *dir, const char *path, int flags,
               mode_t mode, struct file **out);

/* Open a program for execution: a regular file with an execute bit
 * (-EACCES otherwise). *out_path gets the absolute guest path. */
int vfs_open_exec(struct fs_ctx *fs, const char *path, struct file **out,
                  char *out_path, size_t out_len);

/* ---- fs_ctx (additions) ---------------------------------------------- */

/* One more reference (threads sharing a process's context). */
struct fs_ctx *fs_ctx_get(struct fs_ctx *fs);
/* getcwd(2): copies the cwd with its NUL; returns the length including
 * the NUL, -ERANGE if len is too small. */
int vfs_getcwd(struct fs_ctx *fs, char *buf, size_t len);
/* chdir(2) / fchdir(2) (dir: a directory File). */
int vfs_chdir(struct fs_ctx *fs, struct file *dir, const char *path);
int vfs_fchdir(struct fs_ctx *fs, struct file *dir);

/* ---- path operations (at_flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH,
 * AT_SYMLINK_FOLLOW, AT_REMOVEDIR, AT_EACCESS as the matching *at call) */

/* stat/lstat/newfstatat. AT_EMPTY_PATH with "" stats `dir` (or the cwd). */
int vfs_fstatat(struct fs_ctx *fs, struct file *dir, const char *path,
                struct stat *st, int at_flags);
/* access/faccessat/faccessat2: mode F_OK or R_OK|W_OK|X_OK. */
int vfs_faccessat(struct fs_ctx *fs, struct file *dir, const char *path,
                  int mode, int at_flags);
/* readlinkat(2): bytes copied (no NUL); -EINVAL if not a symlink. */
ssize_t vfs_readlinkat(struct fs_ctx *fs, struct file *dir, const char *path,
                       char *buf, size_t len);
/* mkdirat(2): mode is masked with the umask. */
int vfs_mkdirat(struct fs_ctx *fs, struct file *dir, const char *path, mode_t mode);
/* unlinkat(2) (AT_REMOVEDIR: rmdir). */
int vfs_unlinkat(struct fs_ctx *fs, struct file *dir, const char *path, int at_flags);
/* renameat2(2): RENAME_NOREPLACE, RENAME_EXCHANGE; -EXDEV across mounts. */
int vfs_renameat2(struct fs_ctx *fs, struct file *olddir, const char *oldpath,
                  struct file *newdir, const char *newpath, unsigned flags);
/* linkat(2) (AT_SYMLINK_FOLLOW, AT_EMPTY_PATH). */
int vfs_linkat(struct fs_ctx *fs, struct file *olddir, const char *oldpath,
               struct file *newdir, const char *newpath, int at_flags);
int vfs_symlinkat(struct fs_ctx *fs, const char *target, struct file *dir,
                  const char *path);
/* truncate(2). */
int vfs_truncate(struct fs_ctx *fs, const char *path, off_t len);
/* fchmodat/fchownat/utimensat: AT_EMPTY_PATH with "" acts on `dir`
 * (fchmod, fchown, futimens: pass path ""). ts NULL: now. */
int vfs_fchmodat(struct fs_ctx *fs, struct file *dir, const char *path,
                 mode_t mode, int at_flags);
int vfs_fchownat(struct fs_ctx *fs, struct file *dir, const char *path,
                 uid_t uid, gid_t gid, int at_flags);
int vfs_utimensat(struct fs_ctx *fs, struct file *dir, const char *path,
                  const struct timespec ts[2], int at_flags);
int vfs_statfs(struct fs_ctx *fs, const char *path, struct statfs *st);

/* ---- fd-based operations on VFS files -------------------------------- */

/* getdents64(2) on a directory File: bytes written, 0 at the end,
 * -ENOTDIR for anything else, -EINVAL if buf cannot hold one entry. */
ssize_t vfs_getdents64(struct file *dir, void *buf, size_t len);
/* ftruncate/fallocate/fsync/fdatasync/fchmod/fchown/fstatfs on a File:
 * -EINVAL (ftruncate, fallocate) / -EINVAL (fsync of a pipe...) / -EBADF
 * (O_PATH) like Linux for files that do not support them. */
int vfs_ftruncate(struct file *f, off_t len);
int vfs_fallocate(struct file *f, int mode, off_t off, off_t len);
int vfs_fsync(struct file *f, bool datasync);
int vfs_fstatfs(struct file *f, struct statfs *st);

/* The canonical guest path of a VFS file (for /proc/N/fd and maps), or
 * NULL (pipes, sockets, files that are not the VFS's). Valid while the
 * file is. */
const char *vfs_file_path(struct file *f);
/* The text of a /proc/N/fd/M link for `f`, NUL-terminated, into buf[len]:
 * the VFS path, else like Linux "pipe:[id]", "socket:[id]" (by the
 * file's stat type or ops name), "/dev/tty" for a host character device,
 * "anon_inode:[eventfd]", "anon_inode:[eventpoll]"; id is the inode, or
 * derived from the File's address. Returns the length or -ERANGE. */
int vfs_file_link_text(struct file *f, char *buf, size_t len);

/* Is `f` a directory File (from vfs_openat)? */
bool vfs_file_is_dir(struct file *f);

/* Added by bigtests (AF_UNIX path names, sys_net.c): the host fd behind a
 * VFS file (a directory, an O_PATH file or a host file), or -1 when it is
 * not on the host (procfs, devfs, not a VFS file). Valid while f is. */
int vfs_file_hostfd(struct file *f);

#endif
