/* The generic file layer (see file.h): access checks, argument checks and
 * Linux's errno for every operation a file type leaves out. */
#include "util/barrier.h"
#include "fs/file.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/compiler.h"
#include <sys/ioctl.h>

#ifndef F_GETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

/* Linux's MAX_RW_COUNT: one transfer moves at most this much. */
#define MAX_RW_COUNT (INT_MAX & ~(int)(PAGE_SIZE - 1))

void file_init(struct file *f, const struct file_ops *ops, int flags)
{
    f->ops = ops;
    atomic_init(&f->refs, 1);
    atomic_init(&f->flags, flags & FILE_KEPT_FLAGS);
    notifier_init(&f->release_notifier);
}

bool file_tryget(struct file *f)
{
    long r = atomic_load_explicit(&f->refs, memory_order_relaxed);
    while (r > 0) {
        if (atomic_compare_exchange_weak_explicit(&f->refs, &r, r + 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return true;
    }
    return false;
}

void file_put(struct file *f)
{
    long r = atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel);
    if (r != 1)
        return;
    if (notifier_count(&f->release_notifier))
        notifier_broadcast_info(&f->release_notifier, IO_CLOSED, f);
    notifier_destroy(&f->release_notifier);
    f->ops->release(f);
}

/* ---- flags ------------------------------------------------------------ */

int file_get_status_flags(struct file *f)
{
    return file_flags(f);
}

int file_set_status_flags(struct file *f, int flags)
{
    int old = atomic_load_explicit(&f->flags, memory_order_relaxed);
    for (;;) {
        int nf = (old & ~FILE_SETFL_MASK) | (flags & FILE_SETFL_MASK);
        if (nf == old)
            return 0;
        if (f->ops->set_status_flags) {
            int r = f->ops->set_status_flags(f, old, nf);
            if (r < 0)
                return r;
        } else if ((nf & O_DIRECT) && !(old & O_DIRECT)) {
            return -EINVAL;
        }
        if (atomic_compare_exchange_weak_explicit(&f->flags, &old, nf,
                                                  memory_order_acq_rel,
                                                  memory_order_relaxed))
            return 0;
    }
}

/* ---- read / write ----------------------------------------------------- */

ssize_t file_read(struct file *f, void *buf, size_t len)
{
    if (!file_readable(f))
        return -EBADF;
    if (len > (size_t)MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    if (f->ops->read)
        return f->ops->read(f, buf, len);
    if (f->ops->readv) {
        struct iovec iov = { buf, len };
        return f->ops->readv(f, &iov, 1);
    }
    return -EINVAL;
}

ssize_t file_write(struct file *f, const void *buf, size_t len)
{
    if (!file_writable(f))
        return -EBADF;
    if (len > (size_t)MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    if (f->ops->write)
        return f->ops->write(f, buf, len);
    if (f->ops->writev) {
        struct iovec iov = { (void *)buf, len };
        return f->ops->writev(f, &iov, 1);
    }
    return -EINVAL;
}


/* Linux's iovec rules: -EINVAL for a bad count or a negative (as ssize_t)
 * length; the total is silently capped at MAX_RW_COUNT. *tmp is set when
 * a truncated copy had to be made (the caller frees it). */
static int check_iov(const struct iovec **iov, int iovcnt, struct iovec **tmp)
{
    *tmp = NULL;
    if (iovcnt < 0 || iovcnt > IOV_MAX)
        return -EINVAL;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        size_t len = (*iov)[i].iov_len;
        if (len > (size_t)SSIZE_MAX)
            return -EINVAL;
        if (len > (size_t)MAX_RW_COUNT - total && !*tmp) {
            *tmp = malloc((size_t)iovcnt * sizeof **tmp);
            if (!*tmp)
                return -ENOMEM;
            memcpy(*tmp, *iov, (size_t)iovcnt * sizeof **tmp);
        }
        if (*tmp) {
            (*tmp)[i].iov_len = MIN(len, (size_t)MAX_RW_COUNT - total);
            len = (*tmp)[i].iov_len;
        }
        total += len;
    }
    if (*tmp)
        *iov = *tmp;
    return 0;
}

static ssize_t do_readv(struct file *f, const struct iovec *iov, int iovcnt);
static ssize_t do_writev(struct file *f, const struct iovec *iov, int iovcnt);

ssize_t file_readv(struct file *f, const struct iovec *iov, int iovcnt)
{
    struct iovec *tmp;
    int e = check_iov(&iov, iovcnt, &tmp);
    if (e < 0)
        return e;
    ssize_t r = file_readable(f) ? do_readv(f, iov, iovcnt) : -EBADF;
    free(tmp);
    return r;
}

ssize_t file_writev(struct file *f, const struct iovec *iov, int iovcnt)
{
    struct iovec *tmp;
    int e = check_iov(&iov, iovcnt, &tmp);
    if (e < 0)
        return e;
    ssize_t r = file_writable(f) ? do_writev(f, iov, iovcnt) : -EBADF;
    free(tmp);
    return r;
}

static ssize_t do_readv(struct file *f, const struct iovec *iov, int iovcnt)
{
    if (f->ops->readv)
        return f->ops->readv(f, iov, iovcnt);
    if (!f->ops->read)
        return -EINVAL;
    ssize_t done = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].iov_len)
            continue;
        ssize_t r = f->ops->read(f, iov[i].iov_base, iov[i].iov_len);
        if (r < 0)
            return done ? done : r;
        done += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return done;
}

static ssize_t do_writev(struct file *f, const struct iovec *iov, int iovcnt)
{
    if (f->ops->writev)
        return f->ops->writev(f, iov, iovcnt);
    if (!f->ops->write)
        return -EINVAL;
    ssize_t done = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].iov_len)
            continue;
        ssize_t r = f->ops->write(f, iov[i].iov_base, iov[i].iov_len);
        if (r < 0)
            return done ? done : r;
        done += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return done;
}

ssize_t file_pread(struct file *f, void *buf, size_t len, off_t off)
{
    if (off < 0)
        return -EINVAL;
    if (!f->ops->pread)
        return -ESPIPE;
    if (!file_readable(f))
        return -EBADF;
    if (len > (size_t)MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    return f->ops->pread(f, buf, len, off);
}

ssize_t file_pwrite(struct file *f, const void *buf, size_t len, off_t off)
{
    if (off < 0)
        return -EINVAL;
    if (!f->ops->pwrite)
        return -ESPIPE;
    if (!file_writable(f))
        return -EBADF;
    if (len > (size_t)MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    return f->ops->pwrite(f, buf, len, off);
}

off_t file_lseek(struct file *f, off_t off, int whence)
{
    if (!f->ops->lseek)
        return -ESPIPE;
    return f->ops->lseek(f, off, whence);
}

/* ---- ioctl / fcntl / stat -------------------------------------------- */

int file_ioctl(struct file *f, unsigned long cmd, void *arg)
{
    if (cmd == FIONBIO) {
        if (!arg)
            return -EFAULT;
        int on = *(int *)arg;
        int fl = file_flags(f);
        int r = file_set_status_flags(f, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
        return r < 0 ? r : 0;
    }
    if (f->ops->ioctl)
        return f->ops->ioctl(f, cmd, arg);
    return -ENOTTY;
}

long file_fcntl(struct file *f, int cmd, unsigned long arg)
{
    switch (cmd) {
    case F_GETFL:
        return file_get_status_flags(f);
    case F_SETFL:
        return file_set_status_flags(f, (int)arg);
    }
    if (f->ops->fcntl)
        return f->ops->fcntl(f, cmd, arg);
    if (cmd == F_GETPIPE_SZ || cmd == F_SETPIPE_SZ)
        return -EBADF;
    return -EINVAL;
}

int file_stat(struct file *f, struct stat *st)
{
    memset(st, 0, sizeof *st);
    if (f->ops->stat)
        return f->ops->stat(f, st);
    st->st_blksize = 4096;
    st->st_nlink = 1;
    return 0;
}

/* ---- poll ------------------------------------------------------------- */

io_events_t file_poll(struct file *f, io_events_t mask)
{
    io_events_t ev = f->ops->poll ? f->ops->poll(f) : (IO_READABLE | IO_WRITABLE);
    return io_events_filter(ev, mask);
}

int file_poll_register(struct file *f, io_events_t mask, struct observer *obs,
                       io_events_t *events)
{
    struct notifier *n = file_notifier(f);
    if (!n)
        return -EPERM;
    io_events_t filter = mask | IO_ALWAYS;
    if (obs->notifier == n) {
        notifier_set_mask(n, obs, filter);
    } else {
        int r = notifier_register(n, obs, filter);
        if (r < 0)
            return r;
    }
    /* The registration was a seq_cst update: any state change after this
     * point is broadcast to `obs`, so reading the state now misses nothing. */
    smp_mb();
    *events = file_poll(f, mask);
    return 0;
}

int file_poll_unregister(struct file *f, struct observer *obs)
{
    struct notifier *n = file_notifier(f);
    if (!n)
        return -ENOENT;
    return notifier_unregister(n, obs);
}
