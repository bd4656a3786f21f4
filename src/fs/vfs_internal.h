/* VFS internals shared by vfs*.c, hostfs*.c, devfs.c, procfs.c. */
#ifndef ONESPACE_FS_VFS_INTERNAL_H
#define ONESPACE_FS_VFS_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "fs/file.h"
#include "fs/vfs.h"

/* Which file system an object lives in. Mounts sit at the root only. */
enum vfs_mnt { VFS_MNT_HOST = 0, VFS_MNT_DEV = 1, VFS_MNT_PROC = 2,
               VFS_MNT_TMP = 3 /* a host directory of its own (tmpfs) */ };

/* Host-backed mounts (objects are host files reached through fds). */
static inline bool vfs_mnt_is_host(int mnt)
{
    return mnt == VFS_MNT_HOST || mnt == VFS_MNT_TMP;
}

/* /tmp of an instance: a private host directory, shared by the fs_ctx
 * copies, removed with the last of them. */
struct fs_tmp {
    atomic_int refs;
    int fd;                     /* O_PATH dirfd */
    char host_path[PATH_MAX];
};

struct fs_ctx {
    atomic_int refs;
    int rootfd;                 /* host O_PATH dirfd of the guest root */
    struct fs_tmp *tmp;         /* /tmp, or NULL (then <root>/tmp) */
    pthread_mutex_t lock;       /* cwd, umask */
    char cwd[PATH_MAX];         /* canonical absolute guest path */
    mode_t umask;
};

/* A node of a synthetic file system (devfs, procfs). */
enum synth_type { SYN_DIR = 1, SYN_REG, SYN_LNK, SYN_FDLINK /* /proc/N/fd/M */ };
struct synth_node {
    int type;
    mode_t mode;                /* full st_mode */
    pid_t pid;                  /* procfs: owner pid (0: global) */
    int fd;                     /* SYN_FDLINK */
    char target[PATH_MAX];      /* SYN_LNK / SYN_FDLINK: link text */
};

/* The result of resolving a path. */
struct vfs_loc {
    int mnt;
    int dirfd;                  /* host: the parent directory (owned) */
    int fd;                     /* host: O_PATH fd of the object (owned) or -1 */
    bool exists;
    bool trailing_slash;        /* the path ended in '/' */
    int dots;                   /* last component was "." (1) or ".." (2) */
    struct stat st;             /* host: the object's stat if it exists */
    struct synth_node node;     /* synthetic: the node if it exists */
    char name[NAME_MAX + 1];    /* last component ("." for the root) */
    char path[PATH_MAX];        /* canonical absolute guest path */
};

enum {
    VFS_FOLLOW = 1,             /* follow a final symlink */
    VFS_MAY_BE_MISSING = 2,     /* final component may not exist */
};

/* Resolve `path` (relative to dir's path or the cwd). On success the loc
 * owns host fds: release with vfs_loc_release(). */
int vfs_resolve(struct fs_ctx *fs, struct file *dir, const char *path,
                int rflags, struct vfs_loc *loc);
void vfs_loc_release(struct vfs_loc *loc);
/* The path within a synthetic mount ("" for its root) of a canonical path. */
const char *vfs_synth_rel(const char *canon_path);

/* Synthetic file systems. */
int devfs_lookup(const char *rel, struct synth_node *n);
int procfs_lookup(const char *rel, struct synth_node *n);
int devfs_open(const char *rel, const struct synth_node *n, int flags,
               const char *path, struct file **out);
int procfs_open(const char *rel, const struct synth_node *n, int flags,
                const char *path, struct file **out);
/* Directory listing: calls add() per entry (not . and ..). */
typedef int (*synth_add_fn)(void *ctx, const char *name, unsigned char d_type);
int devfs_list(const char *rel, synth_add_fn add, void *ctx);
int procfs_list(const char *rel, synth_add_fn add, void *ctx);
/* procfs magic link /proc/N/fd/M: the open file (a new reference). */
int procfs_fd_file(pid_t pid, int fd, struct file **out);
/* A stat for a synthetic node. */
void synth_stat(int mnt, const char *path, const struct synth_node *n,
                struct stat *st);

/* Files. Every VFS file starts with struct vfs_file. */
struct vfs_file {
    struct file file;
    char *path;                 /* canonical guest path (malloc'd) or NULL */
    int mnt;
};
bool file_is_vfs(const struct file *f);

/* hostfs: a regular file opened with `flags` from host fd `hfd` (owned). */
int hostfs_file_create(int hfd, int flags, const char *path, struct file **out);
/* hostfs/synthetic directory: hfd is a readable host dir fd (owned) or -1
 * for a synthetic directory (listed through devfs_list/procfs_list). */
int vfs_dir_create(int mnt, int hfd, int flags, const char *path, struct file **out);
/* An O_PATH file: hfd an O_PATH fd (owned) or -1 (synthetic). */
int vfs_opath_create(int mnt, int hfd, int flags, const char *path,
                     const struct stat *st, struct file **out);
/* The host fd of a hostfs file, dir or O_PATH file, else -1. */
int vfs_file_hostfd(struct file *f);
bool vfs_file_is_dir(struct file *f);
/* A read-only LibOS file over a snapshot buffer (procfs); takes buf. */
int snapshot_file_create(char *buf, size_t len, int flags, const char *path,
                         int mnt, mode_t mode, struct file **out);

extern const struct file_ops vfs_dir_ops, vfs_opath_ops, hostfs_file_ops,
    vfs_snapshot_ops, devfs_file_ops;
/* The host O_PATH fd of an O_PATH file, or -1. */
int vfs_opath_hostfd(struct file *f);

/* Init helper of struct vfs_file (path copied). */
int vfs_file_init(struct vfs_file *vf, const struct file_ops *ops, int flags,
                  int mnt, const char *path);
void vfs_file_fini(struct vfs_file *vf);

#endif
