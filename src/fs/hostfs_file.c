/* hostfs regular files: a host fd of a file under the guest root, plus a
 * vm_file so mmap can map it (with the host's mmap, through host_fd). */
#include <errno.h>
#include <stdlib.h>

#include "fs/vfs_internal.h"
#include "host/host_fd.h"
#include "host/host_fs.h"
#include "util/compiler.h"
#include "vm/vm_file.h"

struct hostfs_file {
    struct vfs_file vf;
    int hfd;
    struct vm_file vmf;
};

static struct hostfs_file *hf_of(struct file *f)
{
    return container_of(f, struct hostfs_file, vf.file);
}

static ssize_t hf_read(struct file *f, void *buf, size_t len)
{
    return host_fd_read(hf_of(f)->hfd, buf, len);
}
static ssize_t hf_write(struct file *f, const void *buf, size_t len)
{
    return host_fd_write(hf_of(f)->hfd, buf, len);
}
static ssize_t hf_readv(struct file *f, const struct iovec *iov, int cnt)
{
    return host_fd_readv(hf_of(f)->hfd, iov, cnt);
}
static ssize_t hf_writev(struct file *f, const struct iovec *iov, int cnt)
{
    return host_fd_writev(hf_of(f)->hfd, iov, cnt);
}
static ssize_t hf_pread(struct file *f, void *buf, size_t len, off_t off)
{
    return host_fd_pread(hf_of(f)->hfd, buf, len, off);
}
static ssize_t hf_pwrite(struct file *f, const void *buf, size_t len, off_t off)
{
    return host_fd_pwrite(hf_of(f)->hfd, buf, len, off);
}
static off_t hf_lseek(struct file *f, off_t off, int whence)
{
    return host_fd_lseek(hf_of(f)->hfd, off, whence);
}
static int hf_stat(struct file *f, struct stat *st)
{
    return host_fd_fstat(hf_of(f)->hfd, st);
}
static int hf_set_status_flags(struct file *f, int old_flags, int new_flags)
{
    int h = hf_of(f)->hfd;
    int hfl = host_fd_get_status_flags(h);
    if (hfl < 0)
        return hfl;
    int mask = O_APPEND | O_DIRECT | O_NOATIME;
    int want = (hfl & ~mask) | (new_flags & mask);
    return want == hfl ? 0 : host_fd_set_status_flags(h, want);
}
static int hf_host_fd(struct file *f)
{
    return hf_of(f)->hfd;
}
static struct vm_file *hf_vm_file(struct file *f)
{
    return &hf_of(f)->vmf;
}
static void hf_release(struct file *f)
{
    struct hostfs_file *h = hf_of(f);
    host_fd_close(h->hfd);
    vfs_file_fini(&h->vf);
    free(h);
}

const struct file_ops hostfs_file_ops = {
    .name = "hostfs",
    .read = hf_read,
    .write = hf_write,
    .readv = hf_readv,
    .writev = hf_writev,
    .pread = hf_pread,
    .pwrite = hf_pwrite,
    .lseek = hf_lseek,
    .set_status_flags = hf_set_status_flags,
    .stat = hf_stat,
    .host_fd = hf_host_fd,
    .vm_file = hf_vm_file,
    .release = hf_release,
};

/* ---- vm_file --------------------------------------------------------- */

static struct hostfs_file *vm_of(struct vm_file *v)
{
    return container_of(v, struct hostfs_file, vmf);
}
static ssize_t vm_read_at(struct vm_file *v, void *buf, size_t len, uint64_t off)
{
    return host_fd_pread(vm_of(v)->hfd, buf, len, (off_t)off);
}
static ssize_t vm_write_at(struct vm_file *v, const void *buf, size_t len, uint64_t off)
{
    return host_fd_pwrite(vm_of(v)->hfd, buf, len, (off_t)off);
}
static int vm_host_fd(struct vm_file *v)
{
    return vm_of(v)->hfd;
}
static int64_t vm_length(struct vm_file *v)
{
    struct stat st;
    int r = host_fd_fstat(vm_of(v)->hfd, &st);
    return r < 0 ? r : st.st_size;
}
static void vm_get(struct vm_file *v)
{
    file_get(&vm_of(v)->vf.file);
}
static void vm_put(struct vm_file *v)
{
    file_put(&vm_of(v)->vf.file);
}
static const char *vm_path(struct vm_file *v)
{
    return vm_of(v)->vf.path;
}

static const struct vm_file_ops hostfs_vm_ops = {
    .read_at = vm_read_at,
    .write_at = vm_write_at,
    .host_fd = vm_host_fd,
    .length = vm_length,
    .get = vm_get,
    .put = vm_put,
    .path = vm_path,
};

int hostfs_file_create(int hfd, int flags, const char *path, struct file **out)
{
    struct hostfs_file *h = calloc(1, sizeof *h);
    if (!h) {
        host_fd_close(hfd);
        return -ENOMEM;
    }
    h->hfd = hfd;
    h->vmf.ops = &hostfs_vm_ops;
    h->vmf.access = flags & O_ACCMODE;
    int r = vfs_file_init(&h->vf, &hostfs_file_ops, flags, VFS_MNT_HOST, path);
    if (r < 0) {
        host_fd_close(hfd);
        free(h);
        return r;
    }
    *out = &h->vf.file;
    return 0;
}
