/* Sockets as host Files (see socket.h). */
#include "net/socket.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "events/waiter.h"
#include "fs/host_file.h"
#include "host/host_fd.h"
#include "host/host_socket.h"

/* A retry interval for AF_UNIX connect on a full backlog: the host does not
 * tell us (by poll) when room appears. */
#define UNIX_CONNECT_RETRY_NS 10000000ull

static _Atomic(socket_sigpipe_hook_fn) sigpipe_hook;

void socket_set_sigpipe_hook(socket_sigpipe_hook_fn hook)
{
    atomic_store_explicit(&sigpipe_hook, hook, memory_order_release);
}

/* Socket Files are host files whose read/write family goes through the
 * socket calls below (so write gets MSG_NOSIGNAL + the SIGPIPE hook and
 * the socket timeouts apply); everything else (poll, epoll, fstat, ioctl,
 * fcntl, release) is host_file.c's. The table is a copy of the host
 * file table, made once from the first socket. */
static struct file_ops socket_ops;
static _Atomic(const struct file_ops *) host_ops_template;
static pthread_once_t socket_ops_once = PTHREAD_ONCE_INIT;

bool file_is_socket(const struct file *f)
{
    return f->ops == &socket_ops;
}

int socket_host_fd(struct file *f)
{
    if (!file_is_socket(f) && !file_is_host(f))
        return -ENOTSOCK;
    int hfd = file_host_fd(f);
    return hfd < 0 ? -ENOTSOCK : hfd;
}

/* Sleep until `hfd` is ready for `events` (or in error / hung up), the
 * deadline passes (-ETIMEDOUT) or the thread is interrupted (-EINTR). */
static int wait_host_fd(int hfd, short events, uint64_t deadline)
{
    struct waiter *w = waiter_current();
    for (;;) {
        struct pollfd p = { .fd = hfd, .events = events };
        int r = waiter_wait_host(w, &p, 1, deadline);
        if (r > 0)
            return 0;
        if (r < 0)
            return r;
        /* woken by a LibOS wake-up that was not for us: sleep again */
    }
}

/* SO_RCVTIMEO / SO_SNDTIMEO: the host fd is nonblocking, so the host
 * never applies them; we read the option when a call first has to wait
 * and sleep until that deadline at most. */
struct sock_timeout {
    int hfd;
    int opt;          /* SO_RCVTIMEO or SO_SNDTIMEO */
    bool known;
    uint64_t deadline;
};

#define SOCK_TIMEOUT(h, o) { .hfd = (h), .opt = (o), .known = false, .deadline = 0 }

/* Wait for `events`: 0, -EAGAIN when the socket timeout expired (what
 * Linux returns then), -EINTR. */
static int sock_wait(struct sock_timeout *t, short events)
{
    if (!t->known) {
        struct timeval tv = { 0, 0 };
        socklen_t l = sizeof tv;
        t->deadline = WAIT_FOREVER;
        if (host_getsockopt(t->hfd, SOL_SOCKET, t->opt, &tv, &l) == 0 &&
            (tv.tv_sec > 0 || tv.tv_usec > 0))
            t->deadline = waiter_deadline_after((uint64_t)tv.tv_sec * 1000000000ull +
                                                (uint64_t)tv.tv_usec * 1000ull);
        t->known = true;
    }
    int r = wait_host_fd(t->hfd, events, t->deadline);
    return r == -ETIMEDOUT ? -EAGAIN : r;
}

static bool should_wait(struct file *f, int msg_flags)
{
    return !file_nonblocking(f) && !(msg_flags & MSG_DONTWAIT);
}

static ssize_t so_readv(struct file *f, const struct iovec *iov, int iovcnt)
{
    struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
    return socket_recvmsg(f, &m, 0);
}

static ssize_t so_read(struct file *f, void *buf, size_t len)
{
    struct iovec iov = { buf, len };
    return so_readv(f, &iov, 1);
}

static ssize_t so_writev(struct file *f, const struct iovec *iov, int iovcnt)
{
    struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };
    return socket_sendmsg(f, &m, 0);
}

static ssize_t so_write(struct file *f, const void *buf, size_t len)
{
    struct iovec iov = { (void *)buf, len };
    return so_writev(f, &iov, 1);
}

static void init_socket_ops(void)
{
    socket_ops = *atomic_load(&host_ops_template);
    socket_ops.name = "socket";
    socket_ops.read = so_read;
    socket_ops.readv = so_readv;
    socket_ops.write = so_write;
    socket_ops.writev = so_writev;
    socket_ops.pread = NULL;  /* ESPIPE, as Linux, without a host call */
    socket_ops.pwrite = NULL;
    socket_ops.lseek = NULL;
}

static int wrap_host_socket(int hfd, int type, struct file **out)
{
    int flags = O_RDWR | ((type & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
    int r = host_file_create(hfd, flags, HOST_FILE_OWN_FD, out);
    if (r < 0) {
        host_fd_close(hfd);
        return r;
    }
    atomic_store(&host_ops_template, (*out)->ops);
    pthread_once(&socket_ops_once, init_socket_ops);
    (*out)->ops = &socket_ops;
    return 0;
}

int socket_create(int domain, int type, int protocol, struct file **out)
{
    int hfd = host_socket(domain, type, protocol);
    if (hfd < 0)
        return hfd;
    return wrap_host_socket(hfd, type, out);
}

int socket_pair_create(int domain, int type, int protocol, struct file *out[2])
{
    int sv[2];
    int r = host_socketpair(domain, type, protocol, sv);
    if (r < 0)
        return r;
    r = wrap_host_socket(sv[0], type, &out[0]);
    if (r < 0) {
        host_fd_close(sv[1]);
        return r;
    }
    r = wrap_host_socket(sv[1], type, &out[1]);
    if (r < 0) {
        file_put(out[0]);
        return r;
    }
    return 0;
}

static int install(struct fd_table *t, struct file *f, int type)
{
    int fd = fd_table_install(t, f, (type & SOCK_CLOEXEC) ? O_CLOEXEC : 0);
    file_put(f);
    return fd;
}

int socket_install(struct fd_table *t, int domain, int type, int protocol)
{
    struct file *f;
    int r = socket_create(domain, type, protocol, &f);
    return r < 0 ? r : install(t, f, type);
}

int socket_pair_install(struct fd_table *t, int domain, int type, int protocol,
                        int fds[2])
{
    struct file *f[2];
    int r = socket_pair_create(domain, type, protocol, f);
    if (r < 0)
        return r;
    int cl = (type & SOCK_CLOEXEC) ? O_CLOEXEC : 0;
    int a = fd_table_install(t, f[0], cl);
    int b = a < 0 ? a : fd_table_install(t, f[1], cl);
    file_put(f[0]);
    file_put(f[1]);
    if (b < 0) {
        if (a >= 0)
            fd_table_close(t, a);
        return b;
    }
    fds[0] = a;
    fds[1] = b;
    return 0;
}

int socket_bind(struct file *f, const struct sockaddr *addr, socklen_t len)
{
    int hfd = socket_host_fd(f);
    return hfd < 0 ? hfd : host_bind(hfd, addr, len);
}

int socket_listen(struct file *f, int backlog)
{
    int hfd = socket_host_fd(f);
    return hfd < 0 ? hfd : host_listen(hfd, backlog);
}

int socket_accept(struct file *f, struct sockaddr *addr, socklen_t *len,
                  int flags, struct file **out)
{
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    int hfd = socket_host_fd(f);
    if (hfd < 0)
        return hfd;
    struct sock_timeout to = SOCK_TIMEOUT(hfd, SO_RCVTIMEO);
    for (;;) {
        socklen_t l = len ? *len : 0;
        int nfd = host_accept4(hfd, addr, len ? &l : NULL, 0);
        if (nfd >= 0) {
            if (len)
                *len = l;
            return wrap_host_socket(nfd, flags, out);
        }
        if (nfd != -EAGAIN || !should_wait(f, 0))
            return nfd;
        int w = sock_wait(&to, POLLIN);
        if (w < 0)
            return w;
    }
}

static int sock_type(int hfd)
{
    int type = 0;
    socklen_t l = sizeof type;
    int r = host_getsockopt(hfd, SOL_SOCKET, SO_TYPE, &type, &l);
    return r < 0 ? r : type;
}

int socket_connect(struct file *f, const struct sockaddr *addr, socklen_t len)
{
    int hfd = socket_host_fd(f);
    if (hfd < 0)
        return hfd;
    bool waited = false;
    struct sock_timeout to = SOCK_TIMEOUT(hfd, SO_SNDTIMEO);
    for (;;) {
        int r = host_connect(hfd, addr, len);
        if (waited && r == -EISCONN)
            return 0; /* the connection we waited for is up */
        if (!should_wait(f, 0))
            return r;
        if (r == -EINPROGRESS || (waited && r == -EALREADY)) {
            /* Wait, then connect again: like a blocking connect, that
             * returns the outcome (SO_ERROR) and marks the socket
             * connected, so a third connect is EISCONN as on Linux. */
            int w = sock_wait(&to, POLLOUT);
            if (w < 0)
                return w == -EAGAIN ? -EINPROGRESS : w;
            waited = true;
            continue;
        }
        if (r != -EAGAIN)
            return r;
        /* AF_UNIX: the listener's backlog is full; try again soon. */
        int w = wait_host_fd(hfd, POLLOUT, waiter_deadline_after(UNIX_CONNECT_RETRY_NS));
        if (w < 0 && w != -ETIMEDOUT)
            return w;
    }
}

static bool has_scm_rights(const struct msghdr *msg)
{
    if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
        return false;
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
         c = CMSG_NXTHDR((struct msghdr *)msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            return true;
    return false;
}

/* Host fds received with SCM_RIGHTS would leak into onespace: close them
 * and report the control data as truncated. */
static void drop_scm_rights(struct msghdr *msg)
{
    if (!has_scm_rights(msg))
        return;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *fds = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < n; i++)
            host_fd_close(fds[i]);
    }
    msg->msg_controllen = 0;
    msg->msg_flags |= MSG_CTRUNC;
}

/* Drop the first `n` bytes from an iovec array (in place). */
static void iov_advance(struct iovec **iov, size_t *cnt, size_t n)
{
    while (*cnt && n >= (*iov)->iov_len) {
        n -= (*iov)->iov_len;
        (*iov)++;
        (*cnt)--;
    }
    if (*cnt && n) {
        (*iov)->iov_base = (char *)(*iov)->iov_base + n;
        (*iov)->iov_len -= n;
    }
}

static size_t iov_total(const struct iovec *iov, size_t cnt)
{
    size_t t = 0;
    for (size_t i = 0; i < cnt; i++)
        t += iov[i].iov_len;
    return t;
}

/* Finish a partial stream transfer (blocking send, or recv with
 * MSG_WAITALL): `done` bytes went already. */
static ssize_t stream_finish(struct file *f, int hfd, const struct msghdr *msg,
                             int flags, size_t done, bool sending)
{
    size_t total = iov_total(msg->msg_iov, msg->msg_iovlen);
    if (done >= total || sock_type(hfd) != SOCK_STREAM)
        return (ssize_t)done;
    struct iovec *copy = malloc(msg->msg_iovlen * sizeof *copy);
    if (!copy)
        return (ssize_t)done;
    memcpy(copy, msg->msg_iov, msg->msg_iovlen * sizeof *copy);
    struct iovec *iov = copy;
    size_t cnt = msg->msg_iovlen;
    struct sock_timeout to = SOCK_TIMEOUT(hfd, sending ? SO_SNDTIMEO : SO_RCVTIMEO);
    iov_advance(&iov, &cnt, done);
    while (done < total) {
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = cnt };
        ssize_t r = sending ? host_sendmsg(hfd, &m, flags | MSG_NOSIGNAL)
                            : host_recvmsg(hfd, &m, flags & ~MSG_WAITALL);
        if (r == 0 && !sending)
            break; /* EOF */
        if (r > 0) {
            done += (size_t)r;
            iov_advance(&iov, &cnt, (size_t)r);
            continue;
        }
        if (r != -EAGAIN || !should_wait(f, flags))
            break;
        if (sock_wait(&to, sending ? POLLOUT : POLLIN) < 0)
            break;
    }
    free(copy);
    return (ssize_t)done;
}

static ssize_t sendmsg_blocking(struct file *f, int hfd, const struct msghdr *msg,
                                int flags);

ssize_t socket_sendmsg(struct file *f, const struct msghdr *msg, int flags)
{
    int hfd = socket_host_fd(f);
    if (hfd < 0)
        return hfd;
    if (has_scm_rights(msg))
        return -EOPNOTSUPP;
    ssize_t r = sendmsg_blocking(f, hfd, msg, flags);
    if (r == -EPIPE && !(flags & MSG_NOSIGNAL)) {
        socket_sigpipe_hook_fn hook =
            atomic_load_explicit(&sigpipe_hook, memory_order_acquire);
        if (hook)
            hook();
    }
    return r;
}

static ssize_t sendmsg_blocking(struct file *f, int hfd, const struct msghdr *msg,
                                int flags)
{
    /* MSG_NOSIGNAL: a host SIGPIPE would hit onespace itself; EPIPE still
     * comes back (raising the guest's SIGPIPE is the signal layer's job). */
    struct sock_timeout to = SOCK_TIMEOUT(hfd, SO_SNDTIMEO);
    for (;;) {
        ssize_t r = host_sendmsg(hfd, msg, flags | MSG_NOSIGNAL);
        if (r >= 0) {
            if (should_wait(f, flags))
                return stream_finish(f, hfd, msg, flags, (size_t)r, true);
            return r;
        }
        if (r != -EAGAIN || !should_wait(f, flags))
            return r;
        int w = sock_wait(&to, POLLOUT);
        if (w < 0)
            return w;
    }
}

ssize_t socket_recvmsg(struct file *f, struct msghdr *msg, int flags)
{
    int hfd = socket_host_fd(f);
    if (hfd < 0)
        return hfd;
    struct sock_timeout to = SOCK_TIMEOUT(hfd, SO_RCVTIMEO);
    for (;;) {
        ssize_t r = host_recvmsg(hfd, msg, flags);
        if (r >= 0) {
            drop_scm_rights(msg);
            if (r > 0 && (flags & MSG_WAITALL) && !(flags & MSG_PEEK) &&
                should_wait(f, flags))
                return stream_finish(f, hfd, msg, flags, (size_t)r, false);
            return r;
        }
        if (r != -EAGAIN || !should_wait(f, flags))
            return r;
        int w = sock_wait(&to, (flags & MSG_ERRQUEUE) ? POLLERR : POLLIN);
        if (w < 0)
            return w;
    }
}

int socket_shutdown(struct file *f, int how)
{
    int hfd = socket_host_fd(f);
    return hfd < 0 ? hfd : host_shutdown(hfd, how);
}

int socket_getsockopt(struct file *f, int level, int name, void *val, socklen_t *len)
{
    int hfd = socket_host_fd(f);
    return hfd < 0 ? hfd : host_getsockopt(hfd, level, name, val, len);
}

int socket_setsockopt(struct file *f, int level, int name, const void *val,
                      socklen_t len)
{
    int hfd = socket_host_fd(f);
    return hfd < 0 ? hfd : host_setsockopt(hfd, level, name, val, len);
}

int socket_getsockname(struct file *f, struct sockaddr *addr, socklen_t *len)
{
    int hfd = socket_host_fd(f);
    return hfd < 0 ? hfd : host_getsockname(hfd, addr, len);
}

int socket_getpeername(struct file *f, struct sockaddr *addr, socklen_t *len)
{
    int hfd = socket_host_fd(f);
    return hfd < 0 ? hfd : host_getpeername(hfd, addr, len);
}
