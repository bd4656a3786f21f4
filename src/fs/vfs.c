/* fs_ctx (root, cwd, umask), open, open for exec. */
#include "fs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/host_file.h"
#include "fs/vfs_internal.h"
#include "host/host_fd.h"
#include "host/host_fs.h"

static void tmp_put(struct fs_tmp *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    host_fd_close(t->fd);
    host_fs_remove_tree(t->host_path);
    free(t);
}

/* The instance's /tmp: a private host directory (memory-backed when
 * /dev/shm is available); NULL if none can be made (then <root>/tmp). */
static struct fs_tmp *tmp_create(void)
{
    struct fs_tmp *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (host_fs_make_private_tmp(t->host_path, sizeof t->host_path) < 0) {
        free(t);
        return NULL;
    }
    t->fd = host_fs_openat(AT_FDCWD, t->host_path, O_PATH | O_DIRECTORY, 0);
    if (t->fd < 0) {
        host_fs_remove_tree(t->host_path);
        free(t);
        return NULL;
    }
    atomic_init(&t->refs, 1);
    return t;
}

int fs_ctx_create(const char *host_root, struct fs_ctx **out)
{
    int fd = host_fs_openat(AT_FDCWD, host_root, O_PATH | O_DIRECTORY, 0);
    if (fd < 0)
        return fd;
    struct fs_ctx *fs = calloc(1, sizeof *fs);
    if (!fs) {
        host_fd_close(fd);
        return -ENOMEM;
    }
    fs->tmp = tmp_create();
    if (!fs->tmp && host_fs_mkdirat(fd, "tmp", 01777) == 0)
        host_fs_fchmodat2(fd, "tmp", 01777, 0);
    atomic_init(&fs->refs, 1);
    fs->rootfd = fd;
    pthread_mutex_init(&fs->lock, NULL);
    strcpy(fs->cwd, "/");
    fs->umask = 022;
    *out = fs;
    return 0;
}

int fs_ctx_copy(struct fs_ctx *src, struct fs_ctx **out)
{
    struct fs_ctx *fs = calloc(1, sizeof *fs);
    if (!fs)
        return -ENOMEM;
    fs->rootfd = host_fd_dup(src->rootfd);
    if (fs->rootfd < 0) {
        int r = fs->rootfd;
        free(fs);
        return r;
    }
    atomic_init(&fs->refs, 1);
    fs->tmp = src->tmp;
    if (fs->tmp)
        atomic_fetch_add(&fs->tmp->refs, 1);
    pthread_mutex_init(&fs->lock, NULL);
    pthread_mutex_lock(&src->lock);
    memcpy(fs->cwd, src->cwd, sizeof fs->cwd);
    fs->umask = src->umask;
    pthread_mutex_unlock(&src->lock);
    *out = fs;
    return 0;
}

struct fs_ctx *fs_ctx_get(struct fs_ctx *fs)
{
    atomic_fetch_add(&fs->refs, 1);
    return fs;
}

void fs_ctx_put(struct fs_ctx *fs)
{
    if (!fs || atomic_fetch_sub(&fs->refs, 1) != 1)
        return;
    host_fd_close(fs->rootfd);
    tmp_put(fs->tmp);
    pthread_mutex_destroy(&fs->lock);
    free(fs);
}

mode_t fs_ctx_umask(struct fs_ctx *fs, mode_t new_mask, bool set)
{
    pthread_mutex_lock(&fs->lock);
    mode_t old = fs->umask;
    if (set)
        fs->umask = new_mask & 0777;
    pthread_mutex_unlock(&fs->lock);
    return old;
}

static mode_t cur_umask(struct fs_ctx *fs)
{
    return fs_ctx_umask(fs, 0, false);
}

int vfs_getcwd(struct fs_ctx *fs, char *buf, size_t len)
{
    pthread_mutex_lock(&fs->lock);
    size_t n = strlen(fs->cwd) + 1;
    int r = n > len ? -ERANGE : (int)n;
    if (r > 0)
        memcpy(buf, fs->cwd, n);
    pthread_mutex_unlock(&fs->lock);
    return r;
}

static int set_cwd(struct fs_ctx *fs, struct vfs_loc *loc)
{
    bool dir = vfs_mnt_is_host(loc->mnt) ? S_ISDIR(loc->st.st_mode)
                                        : loc->node.type == SYN_DIR;
    if (!dir)
        return -ENOTDIR;
    if (vfs_mnt_is_host(loc->mnt)) {
        int r = host_fs_faccessat(loc->fd, "", X_OK, AT_EMPTY_PATH);
        if (r < 0)
            return r;
    }
    pthread_mutex_lock(&fs->lock);
    strcpy(fs->cwd, loc->path);
    pthread_mutex_unlock(&fs->lock);
    return 0;
}

int vfs_chdir(struct fs_ctx *fs, struct file *dir, const char *path)
{
    struct vfs_loc *loc = malloc(sizeof *loc);
    if (!loc)
        return -ENOMEM;
    int r = vfs_resolve(fs, dir, path, VFS_FOLLOW, loc);
    if (r == 0)
        r = set_cwd(fs, loc);
    vfs_loc_release(loc);
    free(loc);
    return r;
}

int vfs_fchdir(struct fs_ctx *fs, struct file *dir)
{
    const char *p = vfs_file_path(dir);
    if (!p || !vfs_file_is_dir(dir))
        return -ENOTDIR;
    return vfs_chdir(fs, NULL, p);
}

/* Flags passed on to the host's openat for a file we open for real. */
#define HOST_OPEN_FLAGS (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC | \
                         O_DIRECT | O_NOATIME | O_LARGEFILE | O_NONBLOCK)

static int open_host(struct fs_ctx *fs, struct vfs_loc *loc, int flags,
                     mode_t mode, struct file **out)
{
    int kept = flags & FILE_KEPT_FLAGS;
    if (!loc->exists) {
        if (loc->trailing_slash)
            return -EISDIR;
        int hfd = host_fs_openat(loc->dirfd, loc->name,
                                 (flags & (HOST_OPEN_FLAGS | O_EXCL)) | O_CREAT |
                                     O_NOFOLLOW,
                                 mode & ~cur_umask(fs) & 07777);
        if (hfd < 0)
            return hfd;
        return hostfs_file_create(hfd, kept, loc->path, out);
    }
    mode_t m = loc->st.st_mode;
    if (flags & O_PATH) {
        if ((flags & O_DIRECTORY) && !S_ISDIR(m))
            return -ENOTDIR;
        int r = vfs_opath_create(loc->mnt, loc->fd, flags, loc->path, NULL, out);
        loc->fd = -1;
        return r;
    }
    if (S_ISLNK(m))
        return -ELOOP;
    if ((flags & O_DIRECTORY) && !S_ISDIR(m))
        return -ENOTDIR;
    if (S_ISDIR(m)) {
        if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
            return -EISDIR;
        int hfd = host_fs_openat(loc->fd, ".", O_RDONLY | O_DIRECTORY, 0);
        if (hfd < 0)
            return hfd;
        return vfs_dir_create(loc->mnt, hfd, kept, loc->path, out);
    }
    if (!S_ISREG(m)) {
        /* FIFOs, sockets, devices in the image: opened without blocking
         * the host thread (a FIFO open does not wait for its peer), then
         * served as host files (interruptible blocking I/O). */
        int hfd = host_fs_openat(loc->dirfd, loc->name,
                                 (flags & HOST_OPEN_FLAGS) | O_NOFOLLOW | O_NONBLOCK, 0);
        if (hfd < 0)
            return hfd;
        int r = host_file_create(hfd, kept, HOST_FILE_OWN_FD, out);
        if (r < 0)
            host_fd_close(hfd);
        return r;
    }
    int hfd = host_fs_openat(loc->dirfd, loc->name,
                             (flags & HOST_OPEN_FLAGS) | O_NOFOLLOW, 0);
    if (hfd < 0)
        return hfd;
    return hostfs_file_create(hfd, kept, loc->path, out);
}

static int open_synth(struct vfs_loc *loc, int flags, struct file **out)
{
    if (!loc->exists)
        return -EROFS;
    struct synth_node *n = &loc->node;
    int kept = flags & FILE_KEPT_FLAGS;
    if (flags & O_PATH) {
        if ((flags & O_DIRECTORY) && n->type != SYN_DIR)
            return -ENOTDIR;
        struct stat st;
        synth_stat(loc->mnt, loc->path, n, &st);
        return vfs_opath_create(loc->mnt, -1, flags, loc->path, &st, out);
    }
    if (n->type == SYN_LNK)
        return -ELOOP;
    if (n->type == SYN_FDLINK)
        return procfs_fd_file(n->pid, n->fd, out);
    if ((flags & O_DIRECTORY) && n->type != SYN_DIR)
        return -ENOTDIR;
    if (n->type == SYN_DIR && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
        return -EISDIR;
    const char *rel = vfs_synth_rel(loc->path);
    return loc->mnt == VFS_MNT_DEV ? devfs_open(rel, n, kept, loc->path, out)
                                   : procfs_open(rel, n, kept, loc->path, out);
}

int vfs_openat(struct fs_ctx *fs, struct file *dir, const char *path, int flags,
               mode_t mode, struct file **out)
{
    if ((flags & O_TMPFILE) == O_TMPFILE)
        return -EOPNOTSUPP;
    if (flags & O_PATH)
        flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    if ((flags & O_CREAT) && (flags & O_DIRECTORY))
        return -EINVAL; /* Linux >= 6.4 */
    int rflags = 0;
    if (flags & O_CREAT)
        rflags |= VFS_MAY_BE_MISSING;
    if (!(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL)))
        rflags |= VFS_FOLLOW;
    /* O_CREAT with a trailing slash: the parent must resolve, then it is
     * EISDIR whatever the last component is (Linux's open_last_lookups) */
    char *stripped = NULL;
    size_t pl = strlen(path);
    if ((flags & O_CREAT) && pl > 1 && path[pl - 1] == '/') {
        stripped = strdup(path);
        if (!stripped)
            return -ENOMEM;
        while (pl > 1 && stripped[pl - 1] == '/')
            stripped[--pl] = 0;
        path = stripped;
    }
    struct vfs_loc *loc = malloc(sizeof *loc);
    if (!loc) {
        free(stripped);
        return -ENOMEM;
    }
    int r = vfs_resolve(fs, dir, path, rflags, loc);
    if (r == 0 && stripped)
        r = -EISDIR;
    free(stripped);
    if (r == 0 && loc->exists && (flags & O_CREAT) && (flags & O_EXCL))
        r = -EEXIST;
    if (r == 0)
        r = vfs_mnt_is_host(loc->mnt) ? open_host(fs, loc, flags, mode, out)
                                     : open_synth(loc, flags, out);
    vfs_loc_release(loc);
    free(loc);
    return r;
}

int vfs_open_exec(struct fs_ctx *fs, const char *path, struct file **out,
                  char *out_path, size_t out_len)
{
    struct vfs_loc *loc = malloc(sizeof *loc);
    if (!loc)
        return -ENOMEM;
    int r = vfs_resolve(fs, NULL, path, VFS_FOLLOW, loc);
    if (r == 0 && (!vfs_mnt_is_host(loc->mnt) || !S_ISREG(loc->st.st_mode)))
        r = -EACCES;
    if (r == 0 && !(loc->st.st_mode & 0111))
        r = -EACCES;
    if (r == 0 && strlen(loc->path) >= out_len)
        r = -ENAMETOOLONG;
    if (r == 0)
        r = open_host(fs, loc, O_RDONLY, 0, out);
    if (r == 0)
        strcpy(out_path, loc->path);
    vfs_loc_release(loc);
    free(loc);
    return r;
}
