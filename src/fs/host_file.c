/* Host files (see host_file.h). */
#include "fs/host_file.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "events/pollee.h"
#include "events/waiter.h"
#include "host/host_fd.h"
#include "util/compiler.h"

struct host_file {
    struct file file;
    int hfd;
    unsigned opts;
    struct pollee pollee;
};

static inline struct host_file *hf_of(struct file *f)
{
    return container_of(f, struct host_file, file);
}

static bool host_nonblocking(struct host_file *h)
{
    return !(h->opts & HOST_FILE_KEEP_HOST_BLOCKING);
}

/* Sleep until the host fd is ready for `events` (or hung up / in error),
 * interruptibly. 0 when it is worth trying again. */
static int wait_ready(struct host_file *h, short events)
{
    struct waiter *w = waiter_current();
    for (;;) {
        struct pollfd p = { .fd = h->hfd, .events = events };
        int r = waiter_wait_host(w, &p, 1, WAIT_FOREVER);
        if (r > 0)
            return 0;
        if (r < 0 && r != -ETIMEDOUT)
            return r;
        /* woken by a LibOS wake-up that was not for us: sleep again */
    }
}

/* Run a transfer with Linux's blocking semantics over a nonblocking host
 * fd: retry after waiting while the host says EAGAIN. */
#define BLOCKING_IO(h, f, events, call)                                        \
    do {                                                                       \
        for (;;) {                                                             \
            bool nb_ = file_nonblocking(f);                                    \
            if (!nb_ && !host_nonblocking(h)) {                                \
                int w_ = wait_ready(h, events);                                \
                if (w_ < 0)                                                    \
                    return w_;                                                 \
            }                                                                  \
            ssize_t r_ = (call);                                               \
            if (r_ != -EAGAIN || nb_)                                          \
                return r_;                                                     \
            int w_ = wait_ready(h, events);                                    \
            if (w_ < 0)                                                        \
                return w_;                                                     \
        }                                                                      \
    } while (0)

static ssize_t hf_read(struct file *f, void *buf, size_t len)
{
    struct host_file *h = hf_of(f);
    BLOCKING_IO(h, f, POLLIN, host_fd_read(h->hfd, buf, len));
}

static ssize_t hf_readv(struct file *f, const struct iovec *iov, int iovcnt)
{
    struct host_file *h = hf_of(f);
    BLOCKING_IO(h, f, POLLIN, host_fd_readv(h->hfd, iov, iovcnt));
}

/* A blocking write completes fully (streams), unless interrupted. */
static ssize_t hf_write(struct file *f, const void *buf, size_t len)
{
    struct host_file *h = hf_of(f);
    size_t done = 0;
    do {
        bool nb = file_nonblocking(f);
        if (!nb && !host_nonblocking(h)) {
            int w = wait_ready(h, POLLOUT);
            if (w < 0)
                return done ? (ssize_t)done : w;
        }
        ssize_t r = host_fd_write(h->hfd, (const char *)buf + done, len - done);
        if (r >= 0) {
            done += (size_t)r;
            if (nb || r == 0)
                break;
            continue;
        }
        if (r != -EAGAIN || nb)
            return done ? (ssize_t)done : r;
        int w = wait_ready(h, POLLOUT);
        if (w < 0)
            return done ? (ssize_t)done : w;
    } while (done < len);
    return (ssize_t)done;
}

static ssize_t hf_writev(struct file *f, const struct iovec *iov, int iovcnt)
{
    struct host_file *h = hf_of(f);
    /* One host call keeps a datagram or a small write in one piece; if it
     * is short on a blocking file, finish with plain writes. */
    ssize_t r;
    for (;;) {
        bool nb = file_nonblocking(f);
        if (!nb && !host_nonblocking(h)) {
            int w = wait_ready(h, POLLOUT);
            if (w < 0)
                return w;
        }
        r = host_fd_writev(h->hfd, iov, iovcnt);
        if (r != -EAGAIN || nb)
            break;
        int w = wait_ready(h, POLLOUT);
        if (w < 0)
            return w;
    }
    if (r < 0 || file_nonblocking(f))
        return r;
    size_t done = (size_t)r, skip = (size_t)r;
    for (int i = 0; i < iovcnt; i++) {
        if (skip >= iov[i].iov_len) {
            skip -= iov[i].iov_len;
            continue;
        }
        size_t want = iov[i].iov_len - skip;
        ssize_t k = hf_write(f, (const char *)iov[i].iov_base + skip, want);
        skip = 0;
        if (k < 0)
            return (ssize_t)done;
        done += (size_t)k;
        if ((size_t)k < want)
            break;
    }
    return (ssize_t)done;
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

/* ioctls whose argument layout we know and that are safe to pass on. */
static int hf_ioctl(struct file *f, unsigned long cmd, void *arg)
{
    switch (cmd) {
    case FIONREAD:
    case TIOCOUTQ:
    case TCGETS:
    case TIOCGWINSZ:
    case TIOCGPGRP:
        return host_fd_ioctl(hf_of(f)->hfd, cmd, arg);
    }
    return -ENOTTY;
}

static int hf_set_status_flags(struct file *f, int old_flags, int new_flags)
{
    struct host_file *h = hf_of(f);
    int hfl = host_fd_get_status_flags(h->hfd);
    if (hfl < 0)
        return hfl;
    int want = (hfl & ~(O_APPEND | O_DIRECT | O_NOATIME | O_ASYNC)) |
               (new_flags & (O_APPEND | O_DIRECT | O_NOATIME));
    if (!host_nonblocking(h))
        want = (want & ~O_NONBLOCK) | (new_flags & O_NONBLOCK);
    if (want == hfl)
        return 0;
    return host_fd_set_status_flags(h->hfd, want);
}

static io_events_t hf_poll(struct file *f)
{
    struct host_file *h = hf_of(f);
    int r = host_fd_poll_now(h->hfd, POLLIN | POLLPRI | POLLOUT | POLLRDHUP);
    if (r < 0)
        return IO_ERR;
    io_events_t ev = (io_events_t)r;
    /* Remember what we saw without broadcasting it to ourselves. */
    atomic_store_explicit(&h->pollee.events, ev, memory_order_seq_cst);
    return ev;
}

static struct notifier *hf_notifier(struct file *f)
{
    return pollee_notifier(&hf_of(f)->pollee);
}

static int hf_host_fd(struct file *f)
{
    return hf_of(f)->hfd;
}

static void hf_recv_host_events(struct file *f, io_events_t events)
{
    pollee_set_events(&hf_of(f)->pollee, events);
}

static void hf_release(struct file *f)
{
    struct host_file *h = hf_of(f);
    pollee_destroy(&h->pollee);
    if (h->opts & HOST_FILE_OWN_FD)
        host_fd_close(h->hfd);
    free(h);
}

static const struct file_ops host_file_ops = {
    .name = "host",
    .read = hf_read,
    .write = hf_write,
    .readv = hf_readv,
    .writev = hf_writev,
    .pread = hf_pread,
    .pwrite = hf_pwrite,
    .lseek = hf_lseek,
    .ioctl = hf_ioctl,
    .set_status_flags = hf_set_status_flags,
    .stat = hf_stat,
    .poll = hf_poll,
    .notifier = hf_notifier,
    .host_fd = hf_host_fd,
    .recv_host_events = hf_recv_host_events,
    .release = hf_release,
};

bool file_is_host(const struct file *f)
{
    return f->ops == &host_file_ops;
}

int host_file_create(int hfd, int flags, unsigned opts, struct file **out)
{
    if (hfd < 0)
        return -EBADF;
    if (opts & ~(unsigned)(HOST_FILE_OWN_FD | HOST_FILE_KEEP_HOST_BLOCKING))
        return -EINVAL;
    int hfl = host_fd_get_status_flags(hfd);
    if (hfl < 0)
        return hfl;
    struct host_file *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    if (!(opts & HOST_FILE_KEEP_HOST_BLOCKING)) {
        int r = host_fd_set_nonblocking(hfd, true);
        if (r < 0) {
            free(h);
            return r;
        }
    }
    h->hfd = hfd;
    h->opts = opts;
    pollee_init(&h->pollee, 0);
    file_init(&h->file, &host_file_ops, flags);
    *out = &h->file;
    return 0;
}
