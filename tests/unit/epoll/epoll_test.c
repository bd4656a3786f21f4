/* Helpers for the epoll tests (see epoll_test.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "epoll_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs/epoll.h"
#include "fs/eventfd.h"
#include "fs/host_file.h"
#include "fs/pipe.h"
#include "fs/poll.h"
#include "util/compiler.h"

/* ---- native ---------------------------------------------------------------- */

#define NAT(x) ({ long r_ = (long)(x); r_ < 0 ? -errno : r_; })

static int n_pipe2(int fds[2], int flags) { return NAT(pipe2(fds, flags)); }

static int make_socketpair(int fds[2])
{
    return NAT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds));
}

static int make_tcp_pair(int fds[2])
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0)
        return -errno;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &al) < 0) {
        close(l);
        return -errno;
    }
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
        close(l);
        return -errno;
    }
    int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    close(l);
    if (s < 0)
        return -errno;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c, F_SETFL, O_NONBLOCK);
    fcntl(s, F_SETFL, O_NONBLOCK);
    fds[0] = c;
    fds[1] = s;
    return 0;
}

static int make_regular(void)
{
    char path[] = "/tmp/onespace-epoll-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -errno;
    unlink(path);
    return fd;
}

static int n_eventfd(unsigned init, int flags) { return NAT(eventfd(init, flags)); }
static int n_epoll_create1(int flags) { return NAT(epoll_create1(flags)); }
static int n_epoll_create(int size) { return NAT(epoll_create(size)); }
static int n_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    return NAT(epoll_ctl(ep, op, fd, ev));
}
static int n_epoll_wait(int ep, struct epoll_event *ev, int max, int t)
{
    return NAT(epoll_wait(ep, ev, max, t));
}
static int n_epoll_pwait(int ep, struct epoll_event *ev, int max, int t,
                         const uint64_t *mask, size_t sz)
{
    return NAT(syscall(SYS_epoll_pwait, ep, ev, max, t, mask, sz));
}
static int n_epoll_pwait2(int ep, struct epoll_event *ev, int max, const struct timespec *ts)
{
    return NAT(syscall(SYS_epoll_pwait2, ep, ev, max, ts, NULL, 8));
}
static ssize_t n_read(int fd, void *b, size_t n) { return NAT(read(fd, b, n)); }
static ssize_t n_write(int fd, const void *b, size_t n) { return NAT(write(fd, b, n)); }
static int n_close(int fd) { return NAT(close(fd)); }
static int n_dup(int fd) { return NAT(dup(fd)); }
static int n_shutdown_wr(int fd) { return NAT(shutdown(fd, SHUT_WR)); }
/* Raw syscalls: sanitizer interceptors would read all nfds entries. */
static int n_poll(struct pollfd *f, unsigned long n, int t) { return NAT(syscall(SYS_poll, f, n, t)); }
static int n_ppoll(struct pollfd *f, unsigned long n, struct timespec *ts,
                   const uint64_t *mask, size_t sz)
{
    return NAT(syscall(SYS_ppoll, f, n, ts, mask, sz));
}
static int n_select(int n, uint64_t *r, uint64_t *w, uint64_t *e, struct timeval *tv)
{
    return NAT(syscall(SYS_select, n, r, w, e, tv));
}
static int n_pselect6(int n, uint64_t *r, uint64_t *w, uint64_t *e, struct timespec *ts,
                      const uint64_t *mask, size_t sz)
{
    struct { const uint64_t *ss; size_t len; } arg = { mask, sz };
    return NAT(syscall(SYS_pselect6, n, r, w, e, ts, mask ? &arg : NULL));
}
static unsigned long n_nofile(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

const struct os_api native_api = {
    .name = "native",
    .pipe2 = n_pipe2,
    .socketpair = make_socketpair,
    .tcp_pair = make_tcp_pair,
    .eventfd = n_eventfd,
    .open_regular = make_regular,
    .epoll_create1 = n_epoll_create1,
    .epoll_create = n_epoll_create,
    .epoll_ctl = n_epoll_ctl,
    .epoll_wait = n_epoll_wait,
    .epoll_pwait = n_epoll_pwait,
    .epoll_pwait2 = n_epoll_pwait2,
    .read = n_read,
    .write = n_write,
    .close = n_close,
    .dup = n_dup,
    .shutdown_wr = n_shutdown_wr,
    .poll = n_poll,
    .ppoll = n_ppoll,
    .select = n_select,
    .pselect6 = n_pselect6,
    .nofile = n_nofile,
};

/* ---- onespace -------------------------------------------------------------- */

static struct fd_table *table;

struct fd_table *os_table(void)
{
    if (!table)
        assert_int_equal(fd_table_create(FD_TABLE_DEFAULT_LIMIT, &table), 0);
    return table;
}

void os_table_reset(void)
{
    if (table)
        fd_table_put(table);
    table = NULL;
}

struct file *os_file(int fd)
{
    struct file *f = NULL;
    if (fd_table_get_file(os_table(), fd, &f) < 0)
        return NULL;
    return f;
}

static int install_host(int hfd)
{
    struct file *f;
    int r = host_file_create(hfd, O_RDWR | O_NONBLOCK, HOST_FILE_OWN_FD, &f);
    if (r < 0) {
        close(hfd);
        return r;
    }
    r = fd_table_install(os_table(), f, 0);
    file_put(f);
    return r;
}

static int install_host_pair(int hfds[2], int fds[2])
{
    int a = install_host(hfds[0]);
    if (a < 0) {
        close(hfds[1]);
        return a;
    }
    int b = install_host(hfds[1]);
    if (b < 0) {
        fd_table_close(os_table(), a);
        return b;
    }
    fds[0] = a;
    fds[1] = b;
    return 0;
}

static int o_pipe2(int fds[2], int flags) { return pipe_install(os_table(), flags, fds); }
static int o_socketpair(int fds[2])
{
    int h[2];
    int r = make_socketpair(h);
    return r < 0 ? r : install_host_pair(h, fds);
}
static int o_tcp_pair(int fds[2])
{
    int h[2];
    int r = make_tcp_pair(h);
    return r < 0 ? r : install_host_pair(h, fds);
}
static int o_open_regular(void)
{
    int h = make_regular();
    return h < 0 ? h : install_host(h);
}
static int o_eventfd(unsigned init, int flags) { return eventfd_install(os_table(), init, flags); }
static int o_epoll_create1(int flags) { return epoll_create1_in(os_table(), flags); }
static int o_epoll_create(int size) { return epoll_create_in(os_table(), size); }
static int o_epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    return epoll_ctl_in(os_table(), ep, op, fd, ev);
}
static int o_epoll_wait(int ep, struct epoll_event *ev, int max, int t)
{
    return epoll_wait_in(os_table(), ep, ev, max, t, NULL, 0);
}
static int o_epoll_pwait(int ep, struct epoll_event *ev, int max, int t,
                         const uint64_t *mask, size_t sz)
{
    return epoll_wait_in(os_table(), ep, ev, max, t, mask, sz);
}
static int o_epoll_pwait2(int ep, struct epoll_event *ev, int max, const struct timespec *ts)
{
    return epoll_pwait2_in(os_table(), ep, ev, max, ts, NULL, 0);
}
static ssize_t o_read(int fd, void *b, size_t n)
{
    struct file *f;
    int r = fd_table_get_file(os_table(), fd, &f);
    if (r < 0)
        return r;
    ssize_t k = file_read(f, b, n);
    file_put(f);
    return k;
}
static ssize_t o_write(int fd, const void *b, size_t n)
{
    struct file *f;
    int r = fd_table_get_file(os_table(), fd, &f);
    if (r < 0)
        return r;
    ssize_t k = file_write(f, b, n);
    file_put(f);
    return k;
}
static int o_close(int fd) { return fd_table_close(os_table(), fd); }
static int o_dup(int fd) { return fd_table_dup(os_table(), fd); }
static int o_shutdown_wr(int fd)
{
    struct file *f = os_file(fd);
    if (!f)
        return -EBADF;
    int r = NAT(shutdown(file_host_fd(f), SHUT_WR));
    file_put(f);
    return r;
}
static int o_poll(struct pollfd *f, unsigned long n, int t) { return poll_in(os_table(), f, n, t); }
static int o_ppoll(struct pollfd *f, unsigned long n, struct timespec *ts,
                   const uint64_t *mask, size_t sz)
{
    return ppoll_in(os_table(), f, n, ts, mask, sz);
}
static int o_select(int n, uint64_t *r, uint64_t *w, uint64_t *e, struct timeval *tv)
{
    return select_in(os_table(), n, r, w, e, tv);
}
static int o_pselect6(int n, uint64_t *r, uint64_t *w, uint64_t *e, struct timespec *ts,
                      const uint64_t *mask, size_t sz)
{
    return pselect6_in(os_table(), n, r, w, e, ts, mask, sz);
}
static unsigned long o_nofile(void) { return fd_table_limit(os_table()); }

const struct os_api onespace_api = {
    .name = "onespace",
    .pipe2 = o_pipe2,
    .socketpair = o_socketpair,
    .tcp_pair = o_tcp_pair,
    .eventfd = o_eventfd,
    .open_regular = o_open_regular,
    .epoll_create1 = o_epoll_create1,
    .epoll_create = o_epoll_create,
    .epoll_ctl = o_epoll_ctl,
    .epoll_wait = o_epoll_wait,
    .epoll_pwait = o_epoll_pwait,
    .epoll_pwait2 = o_epoll_pwait2,
    .read = o_read,
    .write = o_write,
    .close = o_close,
    .dup = o_dup,
    .shutdown_wr = o_shutdown_wr,
    .poll = o_poll,
    .ppoll = o_ppoll,
    .select = o_select,
    .pselect6 = o_pselect6,
    .nofile = o_nofile,
};

/* ---- logs ------------------------------------------------------------------ */

void tlog_add(struct tlog *l, int line, long v)
{
    assert_true(l->n < (int)ARRAY_SIZE(l->val));
    l->line[l->n] = line;
    l->val[l->n] = v;
    l->n++;
}

void tlog_expect_equal(const struct tlog *a, const struct tlog *b)
{
    int n = a->n < b->n ? a->n : b->n;
    for (int i = 0; i < n; i++) {
        if (a->line[i] != b->line[i] || a->val[i] != b->val[i]) {
            print_error("log entry %d: native line %d value %ld (%s), onespace line %d value %ld (%s)\n",
                        i, a->line[i], a->val[i], a->val[i] < 0 ? strerror((int)-a->val[i]) : "",
                        b->line[i], b->val[i], b->val[i] < 0 ? strerror((int)-b->val[i]) : "");
            fail();
        }
    }
    if (a->n != b->n) {
        print_error("log lengths differ: native %d, onespace %d\n", a->n, b->n);
        fail();
    }
}

void compare_with_native(void (*scenario)(const struct os_api *api, struct tlog *log))
{
    struct tlog *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    scenario(&native_api, a);
    scenario(&onespace_api, b);
    assert_true(a->n > 0);
    tlog_expect_equal(a, b);
    free(a);
    free(b);
}

/* ---- threads and time ---------------------------------------------------------- */

struct tthread {
    pthread_t tid;
};

struct tthread *tthread_start(void *(*fn)(void *), void *arg)
{
    struct tthread *t = malloc(sizeof *t);
    assert_non_null(t);
    assert_int_equal(pthread_create(&t->tid, NULL, fn, arg), 0);
    return t;
}

void *tthread_join(struct tthread *t, int secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += secs;
    void *ret = NULL;
    int r = pthread_timedjoin_np(t->tid, &ret, &ts);
    if (r != 0) {
        print_error("thread did not finish within %d s\n", secs);
        fail();
    }
    free(t);
    return ret;
}

void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
