/* sendfile and copy_file_range: a read/write loop through a onespace
 * buffer (no zero-copy path yet). splice, tee and vmsplice are not
 * registered (ENOSYS). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "syscall/sys_fd_internal.h"

#define COPY_CHUNK (128u * 1024)

/* Copy up to `count` bytes from `in` (at *in_pos, or its file position
 * when in_pos is NULL) to `out` (likewise). Stops at EOF, at a short
 * write, or at an error (returned only when nothing was copied). Bytes
 * read but not written are given back to a positionless input by
 * seeking back where possible. */
static ssize_t copy_loop(struct file *in, off_t *in_pos, struct file *out,
                         off_t *out_pos, size_t count)
{
    size_t cap = count < COPY_CHUNK ? count : COPY_CHUNK;
    char *buf = malloc(cap ? cap : 1);
    if (!buf)
        return -ENOMEM;
    size_t done = 0;
    ssize_t err = 0;
    while (done < count) {
        size_t want = count - done < cap ? count - done : cap;
        ssize_t n = in_pos ? file_pread(in, buf, want, *in_pos) : file_read(in, buf, want);
        if (n <= 0) {
            err = n;
            break;
        }
        size_t w = 0;
        while (w < (size_t)n) {
            ssize_t k = out_pos ? file_pwrite(out, buf + w, (size_t)n - w, *out_pos + (off_t)w)
                                : file_write(out, buf + w, (size_t)n - w);
            if (k <= 0) {
                err = k;
                break;
            }
            w += (size_t)k;
        }
        done += w;
        if (in_pos)
            *in_pos += (off_t)w;
        else if (w < (size_t)n)
            (void)file_lseek(in, -(off_t)((size_t)n - w), SEEK_CUR);
        if (out_pos)
            *out_pos += (off_t)w;
        if (w < (size_t)n || (size_t)n < want)
            break;
    }
    free(buf);
    return done ? (ssize_t)done : err;
}

SYS_STATIC(sendfile)
{
    uintptr_t uoff = (uintptr_t)a[2];
    size_t count = a[3] > SYS_MAX_RW_COUNT ? SYS_MAX_RW_COUNT : (size_t)a[3];
    struct file *in, *out;
    int err = sys_get_file(self, a[1], &in);
    if (err)
        return err;
    err = sys_get_file(self, a[0], &out);
    if (err) {
        file_put(in);
        return err;
    }
    long r;
    off_t pos = 0;
    if (!file_readable(in) || !file_writable(out)) {
        r = -EBADF;
    } else if (file_flags(out) & O_APPEND) {
        r = -EINVAL;
    } else if (uoff && (r = uaccess_read(self->proc, &pos, uoff, sizeof pos)) != 0) {
        /* r = -EFAULT */
    } else if (uoff && pos < 0) {
        r = -EINVAL;
    } else if (uoff && !in->ops->pread) {
        r = -ESPIPE;
    } else {
        r = count ? copy_loop(in, uoff ? &pos : NULL, out, NULL, count) : 0;
        if (uoff) {
            int e = uaccess_write(self->proc, uoff, &pos, sizeof pos);
            if (e)
                r = e;
        }
    }
    file_put(out);
    file_put(in);
    return r;
}

/* copy_file_range(fd_in, off_in*, fd_out, off_out*, len, flags) */
SYS_STATIC(copy_file_range)
{
    uintptr_t uoff_in = (uintptr_t)a[1], uoff_out = (uintptr_t)a[3];
    size_t len = a[4] > SYS_MAX_RW_COUNT ? SYS_MAX_RW_COUNT : (size_t)a[4];
    if (a[5] != 0)
        return -EINVAL;
    struct file *in, *out;
    int err = sys_get_file(self, a[0], &in);
    if (err)
        return err;
    err = sys_get_file(self, a[2], &out);
    if (err) {
        file_put(in);
        return err;
    }
    long r = 0;
    off_t pin = 0, pout = 0;
    struct stat sin, sout;
    memset(&sin, 0, sizeof sin);
    memset(&sout, 0, sizeof sout);
    if (!file_readable(in) || !file_writable(out) || (file_flags(out) & O_APPEND))
        r = -EBADF;
    else if ((r = file_stat(in, &sin)) == 0 && (r = file_stat(out, &sout)) == 0) {
        if (S_ISDIR(sin.st_mode) || S_ISDIR(sout.st_mode))
            r = -EISDIR;
        else if (!S_ISREG(sin.st_mode) || !S_ISREG(sout.st_mode))
            r = -EINVAL;
    }
    if (!r && uoff_in)
        r = uaccess_read(self->proc, &pin, uoff_in, sizeof pin);
    if (!r && uoff_out)
        r = uaccess_read(self->proc, &pout, uoff_out, sizeof pout);
    if (!r && ((uoff_in && pin < 0) || (uoff_out && pout < 0)))
        r = -EINVAL;
    if (!r && len) {
        r = copy_loop(in, uoff_in ? &pin : NULL, out, uoff_out ? &pout : NULL, len);
        if (r > 0 && uoff_in && uaccess_write(self->proc, uoff_in, &pin, sizeof pin))
            r = -EFAULT;
        if (r > 0 && uoff_out && uaccess_write(self->proc, uoff_out, &pout, sizeof pout))
            r = -EFAULT;
    }
    file_put(out);
    file_put(in);
    return r;
}

void sys_register_fd_copy(sys_fn *table)
{
    table[__NR_sendfile] = sys_sendfile;
    table[__NR_copy_file_range] = sys_copy_file_range;
}
