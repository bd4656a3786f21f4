/* /dev: null, zero, full, random, urandom, tty (-ENXIO: onespace gives
 * guests no controlling terminal device), sgx (Occlum's /dev/sgx: its
 * ioctls go to src/sgx/sgx_dev.c), and the links stdin, stdout, stderr, fd
 * into /proc/self/fd. Also synth_stat for every synthetic node. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fs/vfs_internal.h"
#include "host/host_fs.h"
#include "host/host_random.h"
#include "sgx/sgx_dev.h"
#include "util/compiler.h"

enum dev_kind { DEV_NULL, DEV_ZERO, DEV_FULL, DEV_RANDOM, DEV_URANDOM, DEV_TTY, DEV_SGX };

static const struct {
    const char *name;
    int kind;
    unsigned major, minor;
} devs[] = {
    { "null", DEV_NULL, 1, 3 },     { "zero", DEV_ZERO, 1, 5 },
    { "full", DEV_FULL, 1, 7 },     { "random", DEV_RANDOM, 1, 8 },
    { "urandom", DEV_URANDOM, 1, 9 }, { "tty", DEV_TTY, 5, 0 },
    { "sgx", DEV_SGX, 10, 125 },
};
static const struct { const char *name, *target; } links[] = {
    { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
    { "stderr", "/proc/self/fd/2" }, { "fd", "/proc/self/fd" },
};
#define NDEVS (sizeof devs / sizeof devs[0])
#define NLINKS (sizeof links / sizeof links[0])

int devfs_lookup(const char *rel, struct synth_node *n)
{
    if (!rel[0]) {
        n->type = SYN_DIR;
        n->mode = S_IFDIR | 0755;
        return 0;
    }
    for (size_t i = 0; i < NDEVS; i++)
        if (!strcmp(rel, devs[i].name)) {
            n->type = SYN_REG;
            n->mode = S_IFCHR | 0666;
            n->fd = (int)i;
            return 0;
        }
    for (size_t i = 0; i < NLINKS; i++)
        if (!strcmp(rel, links[i].name)) {
            n->type = SYN_LNK;
            n->mode = S_IFLNK | 0777;
            strcpy(n->target, links[i].target);
            return 0;
        }
    return -ENOENT;
}

int devfs_list(const char *rel, synth_add_fn add, void *ctx)
{
    if (rel[0])
        return -ENOTDIR;
    for (size_t i = 0; i < NDEVS; i++)
        add(ctx, devs[i].name, DT_CHR);
    for (size_t i = 0; i < NLINKS; i++)
        add(ctx, links[i].name, DT_LNK);
    return 0;
}

void synth_stat(int mnt, const char *path, const struct synth_node *n,
                struct stat *st)
{
    memset(st, 0, sizeof *st);
    uint64_t h = 1469598103934665603ull;
    for (const char *p = path; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    st->st_dev = mnt == VFS_MNT_DEV ? makedev(0, 5) : makedev(0, 22);
    st->st_ino = h ? h : 1;
    st->st_mode = n->mode;
    st->st_nlink = n->type == SYN_DIR ? 2 : 1;
    st->st_blksize = 4096;
    if (n->type == SYN_LNK || n->type == SYN_FDLINK)
        st->st_size = (off_t)strlen(n->target);
    if (mnt == VFS_MNT_DEV && n->type == SYN_REG && n->fd >= 0 && (size_t)n->fd < NDEVS)
        st->st_rdev = makedev(devs[n->fd].major, devs[n->fd].minor);
}

/* ---- device files ---------------------------------------------------- */

struct dev_file {
    struct vfs_file vf;
    int kind;
    struct synth_node node;
};

static struct dev_file *dv_of(struct file *f)
{
    return container_of(f, struct dev_file, vf.file);
}

static ssize_t dv_read(struct file *f, void *buf, size_t len)
{
    switch (dv_of(f)->kind) {
    case DEV_SGX:
        return -EINVAL; /* an ioctl-only device */
    case DEV_NULL:
        return 0;
    case DEV_ZERO:
    case DEV_FULL:
        memset(buf, 0, len);
        return (ssize_t)len;
    default: {
        /* Linux returns at most 32 MiB minus a page per call */
        if (len > (1u << 25) - 4096)
            len = (1u << 25) - 4096;
        return host_getrandom(buf, len, 0);
    }
    }
}

static ssize_t dv_write(struct file *f, const void *buf, size_t len)
{
    int kind = dv_of(f)->kind;
    if (kind == DEV_SGX)
        return -EINVAL;
    return kind == DEV_FULL ? -ENOSPC : (ssize_t)len;
}

static ssize_t dv_pread(struct file *f, void *buf, size_t len, off_t off)
{
    return dv_read(f, buf, len);
}

static ssize_t dv_pwrite(struct file *f, const void *buf, size_t len, off_t off)
{
    return dv_write(f, buf, len);
}

static off_t dv_lseek(struct file *f, off_t off, int whence)
{
    return 0; /* Linux: character devices here accept any seek, stay at 0 */
}

static int dv_stat(struct file *f, struct stat *st)
{
    struct dev_file *d = dv_of(f);
    synth_stat(VFS_MNT_DEV, d->vf.path, &d->node, st);
    return 0;
}

static int dv_ioctl(struct file *f, unsigned long cmd, void *arg)
{
    if (dv_of(f)->kind == DEV_SGX)
        return sgx_dev_ioctl(cmd, arg);
    return -ENOTTY;
}

static void dv_release(struct file *f)
{
    struct dev_file *d = dv_of(f);
    vfs_file_fini(&d->vf);
    free(d);
}

const struct file_ops devfs_file_ops = {
    .name = "dev",
    .read = dv_read,
    .write = dv_write,
    .pread = dv_pread,
    .pwrite = dv_pwrite,
    .lseek = dv_lseek,
    .stat = dv_stat,
    .ioctl = dv_ioctl,
    .release = dv_release,
};

int devfs_open(const char *rel, const struct synth_node *n, int flags,
               const char *path, struct file **out)
{
    if (n->type == SYN_DIR)
        return vfs_dir_create(VFS_MNT_DEV, -1, flags, path, out);
    if (n->type != SYN_REG)
        return -ENOENT;
    int kind = devs[n->fd].kind;
    if (kind == DEV_TTY)
        return -ENXIO;
    struct dev_file *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    d->kind = kind;
    d->node = *n;
    int r = vfs_file_init(&d->vf, &devfs_file_ops, flags, VFS_MNT_DEV, path);
    if (r < 0) {
        free(d);
        return r;
    }
    *out = &d->vf.file;
    return 0;
}
