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
#include <sys/types.h>

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

#endif
