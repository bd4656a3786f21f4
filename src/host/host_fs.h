/* Host file-system calls relative to a directory fd: the only place that
 * calls the host's openat, fstatat, mkdirat, unlinkat, renameat2, linkat,
 * symlinkat, readlinkat, getdents64, ftruncate, fallocate, fsync,
 * fchmodat, fchownat, utimensat, and fstatfs. The VFS
 * (src/fs/vfs*.c) only ever passes single path components (or "" with
 * AT_EMPTY_PATH) so the host never resolves a multi-component path.
 * Every function returns 0 / a value or a negative errno. */
#ifndef ONESPACE_HOST_HOST_FS_H
#define ONESPACE_HOST_HOST_FS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

/* openat(2); O_CLOEXEC is always added. Returns the fd. */
int host_fs_openat(int dirfd, const char *name, int flags, mode_t mode);
int host_fs_fstatat(int dirfd, const char *name, struct stat *st, int flags);
int host_fs_mkdirat(int dirfd, const char *name, mode_t mode);
int host_fs_unlinkat(int dirfd, const char *name, int flags);
int host_fs_renameat2(int olddirfd, const char *oldname, int newdirfd,
                      const char *newname, unsigned flags);
int host_fs_linkat(int olddirfd, const char *oldname, int newdirfd,
                   const char *newname, int flags);
int host_fs_symlinkat(const char *target, int dirfd, const char *name);
/* readlinkat(2): the length (not NUL-terminated). */
ssize_t host_fs_readlinkat(int dirfd, const char *name, char *buf, size_t len);
ssize_t host_fs_getdents64(int fd, void *buf, size_t len);
int host_fs_ftruncate(int fd, off_t len);
int host_fs_fallocate(int fd, int mode, off_t off, off_t len);
int host_fs_fsync(int fd, int datasync);
int host_fs_fchmodat(int dirfd, const char *name, mode_t mode, int flags);
int host_fs_fchownat(int dirfd, const char *name, uid_t uid, gid_t gid, int flags);
int host_fs_utimensat(int dirfd, const char *name, const struct timespec ts[2],
                      int flags);
/* fchmodat2(2) (AT_EMPTY_PATH works on O_PATH fds). */
int host_fs_fchmodat2(int dirfd, const char *name, mode_t mode, int flags);
int host_fs_fchmod(int fd, mode_t mode);
int host_fs_fchown(int fd, uid_t uid, gid_t gid);
int host_fs_fstatfs(int fd, struct statfs *st);
/* faccessat2(2) (mode F_OK/R_OK/W_OK/X_OK). */
int host_fs_faccessat(int dirfd, const char *name, int mode, int flags);
/* mkdtemp(3) on an absolute host template ("/tmp/xyzXXXXXX"). */
int host_fs_mkdtemp(char *templ);
/* A new private directory (mode 01777) for an instance's /tmp: under
 * /dev/shm (memory-backed) if possible, else $TMPDIR or /tmp. Its host
 * path goes to out[len]. */
int host_fs_make_private_tmp(char *out, size_t len);
/* Remove a host directory tree (rm -rf, not following symlinks). */
int host_fs_remove_tree(const char *host_path);
/* Read up to len bytes of an absolute host file (e.g. /proc/meminfo)
 * into buf: the byte count. For host information files only. */
ssize_t host_fs_read_whole(const char *host_path, char *buf, size_t len);
/* CLOCK_BOOTTIME seconds and the host's idle time from /proc/uptime. */
int host_fs_uptime(struct timespec *ts);

#endif
