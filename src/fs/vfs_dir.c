/* Directory files: a host directory (getdents64 from the host; the root
 * also lists the mount points the host directory lacks) or a synthetic
 * directory (a listing snapshot taken at open). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/vfs_internal.h"
#include "host/host_fd.h"
#include "host/host_fs.h"
#include "util/compiler.h"

struct dirent64_hdr {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

struct dir_file {
    struct vfs_file vf;
    int hfd;                    /* host directory fd (O_RDONLY), or -1 */
    pthread_mutex_t lock;
    bool host_done;             /* host listing exhausted: now the extras */
    char *ents;                 /* packed dirent64 records (synthetic or extras) */
    size_t ents_len, ents_cap, pos;
};

static struct dir_file *df_of(struct file *f)
{
    return container_of(f, struct dir_file, vf.file);
}

static uint64_t name_ino(const char *path, const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = path; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ '/') * 1099511628211ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h ? h : 1;
}

struct add_ctx {
    struct dir_file *d;
    int err;
};

static int add_ent(void *ctx, const char *name, unsigned char type)
{
    struct add_ctx *c = ctx;
    struct dir_file *d = c->d;
    size_t nl = strlen(name);
    size_t rec = (sizeof(struct dirent64_hdr) + nl + 1 + 7) & ~(size_t)7;
    if (d->ents_len + rec > d->ents_cap) {
        size_t ncap = d->ents_cap ? d->ents_cap * 2 : 1024;
        while (ncap < d->ents_len + rec)
            ncap *= 2;
        char *n = realloc(d->ents, ncap);
        if (!n)
            return c->err = -ENOMEM;
        d->ents = n;
        d->ents_cap = ncap;
    }
    struct dirent64_hdr *e = (struct dirent64_hdr *)(d->ents + d->ents_len);
    memset(e, 0, rec);
    e->d_ino = name_ino(d->vf.path ? d->vf.path : "", name);
    e->d_off = (int64_t)(d->ents_len + rec);
    e->d_reclen = (unsigned short)rec;
    e->d_type = type;
    memcpy(e->d_name, name, nl + 1);
    d->ents_len += rec;
    return 0;
}

/* Copy whole records from the snapshot; -EINVAL if none fits. */
static ssize_t emit_ents(struct dir_file *d, char *buf, size_t len)
{
    size_t done = 0;
    while (d->pos < d->ents_len) {
        struct dirent64_hdr *e = (struct dirent64_hdr *)(d->ents + d->pos);
        if (done + e->d_reclen > len)
            break;
        memcpy(buf + done, e, e->d_reclen);
        done += e->d_reclen;
        d->pos += e->d_reclen;
    }
    if (done == 0 && d->pos < d->ents_len)
        return -EINVAL;
    return (ssize_t)done;
}

static ssize_t df_getdents(struct dir_file *d, void *buf, size_t len)
{
    ssize_t r;
    pthread_mutex_lock(&d->lock);
    if (d->hfd >= 0 && !d->host_done) {
        r = host_fs_getdents64(d->hfd, buf, len);
        if (r != 0 || !d->ents_len) {
            pthread_mutex_unlock(&d->lock);
            return r;
        }
        d->host_done = true;
    }
    r = emit_ents(d, buf, len);
    pthread_mutex_unlock(&d->lock);
    return r;
}

static ssize_t df_read(struct file *f, void *buf, size_t len) { return -EISDIR; }
static ssize_t df_pread(struct file *f, void *buf, size_t len, off_t off) { return -EISDIR; }

static off_t df_lseek(struct file *f, off_t off, int whence)
{
    struct dir_file *d = df_of(f);
    off_t r;
    pthread_mutex_lock(&d->lock);
    if (whence != SEEK_SET && !(whence == SEEK_CUR && off == 0)) {
        r = -EINVAL;
    } else if (d->hfd >= 0) {
        if (whence == SEEK_CUR) {
            r = d->host_done ? (off_t)(INT64_MAX / 2 + d->pos) : host_fd_lseek(d->hfd, 0, SEEK_CUR);
        } else if ((uint64_t)off >= (uint64_t)INT64_MAX / 2 && d->ents_len) {
            d->host_done = true;
            d->pos = (size_t)(off - INT64_MAX / 2);
            r = off;
        } else {
            d->host_done = false;
            d->pos = 0;
            r = host_fd_lseek(d->hfd, off, SEEK_SET);
        }
    } else {
        if (whence == SEEK_SET) {
            if (off < 0)
                r = -EINVAL;
            else
                d->pos = (size_t)off > d->ents_len ? d->ents_len : (size_t)off;
        }
        r = (off_t)d->pos;
    }
    pthread_mutex_unlock(&d->lock);
    return r;
}

static int df_stat(struct file *f, struct stat *st)
{
    struct dir_file *d = df_of(f);
    if (d->hfd >= 0)
        return host_fd_fstat(d->hfd, st);
    struct synth_node n = { .type = SYN_DIR, .mode = S_IFDIR | 0555 };
    synth_stat(d->vf.mnt, d->vf.path, &n, st);
    return 0;
}

static void df_release(struct file *f)
{
    struct dir_file *d = df_of(f);
    if (d->hfd >= 0)
        host_fd_close(d->hfd);
    free(d->ents);
    pthread_mutex_destroy(&d->lock);
    vfs_file_fini(&d->vf);
    free(d);
}

const struct file_ops vfs_dir_ops = {
    .name = "dir",
    .read = df_read,
    .pread = df_pread,
    .lseek = df_lseek,
    .stat = df_stat,
    .release = df_release,
};

int vfs_dir_create(int mnt, int hfd, int flags, const char *path, struct file **out)
{
    struct dir_file *d = calloc(1, sizeof *d);
    if (!d) {
        if (hfd >= 0)
            host_fd_close(hfd);
        return -ENOMEM;
    }
    d->hfd = hfd;
    pthread_mutex_init(&d->lock, NULL);
    int r = vfs_file_init(&d->vf, &vfs_dir_ops, flags, mnt, path);
    if (r < 0) {
        d->vf.path = NULL;
        df_release(&d->vf.file);
        return r;
    }
    struct add_ctx c = { d, 0 };
    if (hfd < 0) {
        add_ent(&c, ".", DT_DIR);
        add_ent(&c, "..", DT_DIR);
        const char *rel = vfs_synth_rel(path);
        r = mnt == VFS_MNT_DEV ? devfs_list(rel, add_ent, &c)
                               : procfs_list(rel, add_ent, &c);
    } else if (!strcmp(path, "/")) {
        /* mount points the host root does not have */
        static const char *const mps[] = { "dev", "proc", "tmp" };
        for (size_t i = 0; i < 3; i++) {
            struct stat st;
            if (host_fs_fstatat(hfd, mps[i], &st, AT_SYMLINK_NOFOLLOW) == -ENOENT)
                add_ent(&c, mps[i], DT_DIR);
        }
    }
    if (r >= 0)
        r = c.err;
    if (r < 0) {
        df_release(&d->vf.file);
        return r;
    }
    *out = &d->vf.file;
    return 0;
}

ssize_t vfs_getdents64(struct file *dir, void *buf, size_t len)
{
    if (dir->ops == &vfs_opath_ops)
        return -EBADF;
    if (dir->ops != &vfs_dir_ops)
        return -ENOTDIR;
    return df_getdents(df_of(dir), buf, len);
}

bool vfs_file_is_dir(struct file *f)
{
    if (f->ops == &vfs_dir_ops)
        return true;
    if (f->ops == &vfs_opath_ops) {
        struct stat st;
        return file_stat(f, &st) == 0 && S_ISDIR(st.st_mode);
    }
    return false;
}

bool file_is_vfs(const struct file *f)
{
    return f->ops == &vfs_dir_ops || f->ops == &vfs_opath_ops ||
           f->ops == &hostfs_file_ops || f->ops == &vfs_snapshot_ops ||
           f->ops == &devfs_file_ops;
}

int vfs_file_hostfd(struct file *f)
{
    if (f->ops == &vfs_dir_ops)
        return df_of(f)->hfd;
    if (f->ops == &vfs_opath_ops || f->ops == &hostfs_file_ops)
        return file_host_fd(f) >= 0 ? file_host_fd(f) : vfs_opath_hostfd(f);
    return -1;
}
