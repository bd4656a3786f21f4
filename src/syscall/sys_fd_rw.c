/* read, write and their vector / positioned forms; lseek. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fs/pipe.h"
#include "syscall/sys_fd_internal.h"

#define PIPE_BOUNCE_MAX (64u * 1024)

#ifndef RWF_HIPRI
#define RWF_HIPRI 0x1
#endif
#ifndef RWF_DSYNC
#define RWF_DSYNC 0x2
#endif
#ifndef RWF_SYNC
#define RWF_SYNC 0x4
#endif
/* preadv2/pwritev2 flags with nothing to do here (polling, and the sync
 * flags: the host files we pass to do not promise more durability than
 * a plain write anyway). */
#define RWF_ACCEPTED (RWF_HIPRI | RWF_DSYNC | RWF_SYNC)

/* A blocking pipe writer may park its buffer for reader threads to copy
 * from (fs/pipe.h): guest memory could be unmapped meanwhile by another
 * guest thread, so such writes go through a onespace copy. */
static bool needs_bounce(struct file *f)
{
    return file_is_pipe(f) && !file_nonblocking(f);
}

static ssize_t write_bounced(struct file *f, const char *buf, size_t len)
{
    char small[PIPE_BUF];
    size_t cap = len <= sizeof small ? sizeof small : PIPE_BOUNCE_MAX;
    char *b = cap == sizeof small ? small : malloc(cap);
    if (!b)
        return -ENOMEM;
    size_t done = 0;
    ssize_t err = 0;
    while (done < len) {
        size_t n = len - done < cap ? len - done : cap;
        memcpy(b, buf + done, n);
        ssize_t r = file_write(f, b, n);
        if (r < 0) {
            err = r;
            break;
        }
        done += (size_t)r;
        if ((size_t)r < n)
            break;
    }
    if (b != small)
        free(b);
    return done ? (ssize_t)done : err;
}

static ssize_t do_write(struct file *f, const void *buf, size_t len)
{
    if (len && needs_bounce(f))
        return write_bounced(f, buf, len);
    return file_write(f, buf, len);
}

static ssize_t do_writev(struct file *f, const struct iovec *iov, int cnt, size_t total)
{
    if (!total || !needs_bounce(f))
        return file_writev(f, iov, cnt);
    if (total <= PIPE_BOUNCE_MAX) {
        /* One write keeps writev's PIPE_BUF atomicity. */
        char *b = malloc(total);
        if (!b)
            return -ENOMEM;
        size_t off = 0;
        for (int i = 0; i < cnt; i++) {
            memcpy(b + off, iov[i].iov_base, iov[i].iov_len);
            off += iov[i].iov_len;
        }
        ssize_t r = write_bounced(f, b, total);
        free(b);
        return r;
    }
    size_t done = 0;
    for (int i = 0; i < cnt; i++) {
        if (!iov[i].iov_len)
            continue;
        ssize_t r = write_bounced(f, iov[i].iov_base, iov[i].iov_len);
        if (r < 0)
            return done ? (ssize_t)done : r;
        done += (size_t)r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return (ssize_t)done;
}

/* read(2) / pread64(2). pos < 0: use the file position. */
static long rw_one(struct thread *self, const uint64_t a[6], bool writing,
                   bool positioned)
{
    off_t pos = positioned ? (off_t)a[3] : -1;
    if (positioned && pos < 0)
        return -EINVAL;
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    long r;
    size_t len = a[2] > SYS_MAX_RW_COUNT ? SYS_MAX_RW_COUNT : (size_t)a[2];
    void *buf = (void *)(uintptr_t)a[1];
    if (writing ? !file_writable(f) : !file_readable(f)) {
        r = -EBADF;
    } else if (positioned && (writing ? !f->ops->pwrite : !f->ops->pread)) {
        r = -ESPIPE;
    } else if ((r = uaccess_check(self->proc, (uintptr_t)buf, len,
                                  writing ? PROT_READ : PROT_WRITE)) == 0) {
        if (writing)
            r = positioned ? file_pwrite(f, buf, len, pos) : do_write(f, buf, len);
        else
            r = positioned ? file_pread(f, buf, len, pos) : file_read(f, buf, len);
    }
    file_put(f);
    return r;
}

SYS_STATIC(read) { return rw_one(self, a, false, false); }
SYS_STATIC(write) { return rw_one(self, a, true, false); }
SYS_STATIC(pread64) { return rw_one(self, a, false, true); }
SYS_STATIC(pwrite64) { return rw_one(self, a, true, true); }

/* Positioned vector transfer: one pread/pwrite per iovec, stopping at the
 * first short one. */
static ssize_t prw_vec(struct file *f, const struct iovec *iov, int cnt, off_t pos,
                       bool writing)
{
    size_t done = 0;
    for (int i = 0; i < cnt; i++) {
        if (!iov[i].iov_len)
            continue;
        ssize_t r = writing ? file_pwrite(f, iov[i].iov_base, iov[i].iov_len, pos)
                            : file_pread(f, iov[i].iov_base, iov[i].iov_len, pos);
        if (r < 0)
            return done ? (ssize_t)done : r;
        done += (size_t)r;
        pos += r;
        if ((size_t)r < iov[i].iov_len)
            break;
    }
    return (ssize_t)done;
}

/* readv/writev (pos -1), preadv/pwritev/preadv2/pwritev2. */
static long rw_vec(struct thread *self, uint64_t fd, uint64_t uiov, uint64_t cnt,
                   bool positioned, off_t pos, uint64_t flags, bool writing)
{
    if (positioned && pos < 0)
        return -EINVAL;
    struct file *f;
    int err = sys_get_file(self, fd, &f);
    if (err)
        return err;
    long r;
    struct iovec fast[SYS_FAST_IOV], *iov = fast;
    size_t total = 0;
    if (writing ? !file_writable(f) : !file_readable(f)) {
        r = -EBADF;
    } else if (flags & ~(uint64_t)RWF_ACCEPTED) {
        r = -EOPNOTSUPP; /* RWF_NOWAIT, RWF_APPEND, ...: not yet */
    } else if (positioned && (writing ? !f->ops->pwrite : !f->ops->pread)) {
        r = -ESPIPE;
    } else if ((r = sys_iov_import(self, uiov, cnt, writing ? PROT_READ : PROT_WRITE,
                                   fast, &iov, &total)) == 0) {
        if (positioned)
            r = prw_vec(f, iov, (int)cnt, pos, writing);
        else if (writing)
            r = do_writev(f, iov, (int)cnt, total);
        else
            r = file_readv(f, iov, (int)cnt);
    }
    sys_iov_free(iov, fast);
    file_put(f);
    return r;
}

SYS_STATIC(readv) { return rw_vec(self, a[0], a[1], a[2], false, 0, 0, false); }
SYS_STATIC(writev) { return rw_vec(self, a[0], a[1], a[2], false, 0, 0, true); }
/* x86-64: the offset is a[3] (a[4], the "high" half, is unused). */
SYS_STATIC(preadv) { return rw_vec(self, a[0], a[1], a[2], true, (off_t)a[3], 0, false); }
SYS_STATIC(pwritev) { return rw_vec(self, a[0], a[1], a[2], true, (off_t)a[3], 0, true); }
/* preadv2/pwritev2: offset -1 means the file position. */
SYS_STATIC(preadv2)
{
    off_t pos = (off_t)a[3];
    return rw_vec(self, a[0], a[1], a[2], pos != -1, pos, a[5], false);
}
SYS_STATIC(pwritev2)
{
    off_t pos = (off_t)a[3];
    return rw_vec(self, a[0], a[1], a[2], pos != -1, pos, a[5], true);
}

SYS_STATIC(lseek)
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    long r = file_lseek(f, (off_t)a[1], (int)a[2]);
    file_put(f);
    return r;
}

void sys_register_fd_rw(sys_fn *table)
{
    table[__NR_read] = sys_read;
    table[__NR_write] = sys_write;
    table[__NR_pread64] = sys_pread64;
    table[__NR_pwrite64] = sys_pwrite64;
    table[__NR_readv] = sys_readv;
    table[__NR_writev] = sys_writev;
    table[__NR_preadv] = sys_preadv;
    table[__NR_pwritev] = sys_pwritev;
    table[__NR_preadv2] = sys_preadv2;
    table[__NR_pwritev2] = sys_pwritev2;
    table[__NR_lseek] = sys_lseek;
}
