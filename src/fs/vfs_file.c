/* Common parts of VFS files, O_PATH files and snapshot files. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/vfs_internal.h"
#include "host/host_fd.h"
#include "util/compiler.h"

int vfs_file_init(struct vfs_file *vf, const struct file_ops *ops, int flags,
                  int mnt, const char *path)
{
    vf->path = path ? strdup(path) : NULL;
    if (path && !vf->path)
        return -ENOMEM;
    vf->mnt = mnt;
    file_init(&vf->file, ops, flags);
    return 0;
}

void vfs_file_fini(struct vfs_file *vf)
{
    free(vf->path);
}

const char *vfs_file_path(struct file *f)
{
    return file_is_vfs(f) ? container_of(f, struct vfs_file, file)->path : NULL;
}

int vfs_file_link_text(struct file *f, char *buf, size_t len)
{
    const char *p = vfs_file_path(f);
    int n;
    if (p) {
        n = snprintf(buf, len, "%s", p);
    } else {
        const char *name = f->ops->name ? f->ops->name : "file";
        /* an id: the inode if the file has one, else the File's address */
        struct stat st;
        if (file_stat(f, &st) < 0)
            memset(&st, 0, sizeof st);
        uintptr_t a = (uintptr_t)f;
        unsigned long id = st.st_ino ? (unsigned long)st.st_ino
                                     : (unsigned long)((a >> 4) & 0xffffffful);
        if (S_ISSOCK(st.st_mode) || !strcmp(name, "socket"))
            n = snprintf(buf, len, "socket:[%lu]", id);
        else if (S_ISFIFO(st.st_mode) || !strcmp(name, "pipe"))
            n = snprintf(buf, len, "pipe:[%lu]", id);
        else if (S_ISCHR(st.st_mode))
            n = snprintf(buf, len, "/dev/tty");
        else if (!strcmp(name, "epoll"))
            n = snprintf(buf, len, "anon_inode:[eventpoll]");
        else
            n = snprintf(buf, len, "anon_inode:[%s]", name);
    }
    return n < 0 || (size_t)n >= len ? -ERANGE : n;
}

/* ---- O_PATH files ---------------------------------------------------- */

struct opath_file {
    struct vfs_file vf;
    int hfd;
    struct stat st;             /* synthetic objects: stat at open */
};

static struct opath_file *op_of(struct file *f)
{
    return container_of(f, struct opath_file, vf.file);
}

/* Linux: read/write/ioctl... on an O_PATH fd are -EBADF. */
static ssize_t op_read(struct file *f, void *buf, size_t len) { return -EBADF; }
static ssize_t op_write(struct file *f, const void *buf, size_t len) { return -EBADF; }
static ssize_t op_pread(struct file *f, void *buf, size_t len, off_t off) { return -EBADF; }
static ssize_t op_pwrite(struct file *f, const void *buf, size_t len, off_t off) { return -EBADF; }
static off_t op_lseek(struct file *f, off_t off, int whence) { return -EBADF; }
static int op_ioctl(struct file *f, unsigned long cmd, void *arg) { return -EBADF; }

static int op_stat(struct file *f, struct stat *st)
{
    struct opath_file *o = op_of(f);
    if (o->hfd >= 0)
        return host_fd_fstat(o->hfd, st);
    *st = o->st;
    return 0;
}

static void op_release(struct file *f)
{
    struct opath_file *o = op_of(f);
    if (o->hfd >= 0)
        host_fd_close(o->hfd);
    vfs_file_fini(&o->vf);
    free(o);
}

const struct file_ops vfs_opath_ops = {
    .name = "opath",
    .read = op_read,
    .write = op_write,
    .pread = op_pread,
    .pwrite = op_pwrite,
    .lseek = op_lseek,
    .ioctl = op_ioctl,
    .stat = op_stat,
    .release = op_release,
};

int vfs_opath_create(int mnt, int hfd, int flags, const char *path,
                     const struct stat *st, struct file **out)
{
    struct opath_file *o = calloc(1, sizeof *o);
    if (!o) {
        if (hfd >= 0)
            host_fd_close(hfd);
        return -ENOMEM;
    }
    o->hfd = hfd;
    if (st)
        o->st = *st;
    int r = vfs_file_init(&o->vf, &vfs_opath_ops, O_PATH | (flags & O_NOFOLLOW ? 0 : 0),
                          mnt, path);
    if (r < 0) {
        if (hfd >= 0)
            host_fd_close(hfd);
        free(o);
        return r;
    }
    *out = &o->vf.file;
    return 0;
}

/* ---- snapshot files (procfs): read-only, content fixed at open -------- */

struct snapshot_file {
    struct vfs_file vf;
    char *buf;
    size_t len;
    mode_t mode;
    pthread_mutex_t lock;
    off_t pos;
};

static struct snapshot_file *sn_of(struct file *f)
{
    return container_of(f, struct snapshot_file, vf.file);
}

static ssize_t sn_pread(struct file *f, void *buf, size_t len, off_t off)
{
    struct snapshot_file *s = sn_of(f);
    if ((size_t)off >= s->len)
        return 0;
    size_t n = s->len - (size_t)off;
    if (n > len)
        n = len;
    memcpy(buf, s->buf + off, n);
    return (ssize_t)n;
}

static ssize_t sn_read(struct file *f, void *buf, size_t len)
{
    struct snapshot_file *s = sn_of(f);
    pthread_mutex_lock(&s->lock);
    ssize_t r = sn_pread(f, buf, len, s->pos);
    if (r > 0)
        s->pos += r;
    pthread_mutex_unlock(&s->lock);
    return r;
}

static ssize_t sn_write(struct file *f, const void *buf, size_t len)
{
    return -EBADF; /* opened read-only: the generic layer answers first */
}

static off_t sn_lseek(struct file *f, off_t off, int whence)
{
    struct snapshot_file *s = sn_of(f);
    pthread_mutex_lock(&s->lock);
    off_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos
               : whence == SEEK_END ? (off_t)s->len : -1;
    off_t r;
    if (base < 0 || base + off < 0)
        r = -EINVAL;
    else
        r = s->pos = base + off;
    pthread_mutex_unlock(&s->lock);
    return r;
}

static int sn_stat(struct file *f, struct stat *st)
{
    struct snapshot_file *s = sn_of(f);
    struct synth_node n = { .type = SYN_REG, .mode = s->mode };
    synth_stat(s->vf.mnt, s->vf.path ? s->vf.path : "", &n, st);
    return 0;
}

static void sn_release(struct file *f)
{
    struct snapshot_file *s = sn_of(f);
    pthread_mutex_destroy(&s->lock);
    free(s->buf);
    vfs_file_fini(&s->vf);
    free(s);
}

const struct file_ops vfs_snapshot_ops = {
    .name = "snapshot",
    .read = sn_read,
    .write = sn_write,
    .pread = sn_pread,
    .lseek = sn_lseek,
    .stat = sn_stat,
    .release = sn_release,
};

int snapshot_file_create(char *buf, size_t len, int flags, const char *path,
                         int mnt, mode_t mode, struct file **out)
{
    struct snapshot_file *s = calloc(1, sizeof *s);
    if (!s) {
        free(buf);
        return -ENOMEM;
    }
    s->buf = buf;
    s->len = len;
    s->mode = mode;
    pthread_mutex_init(&s->lock, NULL);
    int r = vfs_file_init(&s->vf, &vfs_snapshot_ops, flags, mnt, path);
    if (r < 0) {
        sn_release(&s->vf.file);
        return r;
    }
    *out = &s->vf.file;
    return 0;
}

int vfs_opath_hostfd(struct file *f)
{
    return f->ops == &vfs_opath_ops ? op_of(f)->hfd : -1;
}
