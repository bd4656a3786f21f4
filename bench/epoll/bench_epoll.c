/* epoll benchmarks: onespace's epoll (LibOS eventfds, in-process) against
 * native Linux epoll (host eventfds), measured in the same run.
 *
 *   epoll_wait_N_ready        N of 10,000 registered eventfds ready (level-
 *                             triggered), one epoll_wait(maxevents = N):
 *                             ns per call, and per ready fd
 *   epoll_wait_1_ready_host   the same with one host socket also registered
 *                             (onespace then asks its host epoll each wait)
 *   epoll_ctl_add_del         EPOLL_CTL_ADD + EPOLL_CTL_DEL of one eventfd
 *                             into the instance holding 10,000
 *   epoll_pingpong_rtt        two host threads bouncing a byte through two
 *                             pipes, each sleeping in epoll_wait
 *
 * onespace figures exclude the syscall path (the syscall layer's cost comes
 * on top); native figures are real system calls. BENCH_SCALE=0.1 runs
 * fewer iterations. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "fs/epoll.h"
#include "fs/eventfd.h"
#include "fs/fd_table.h"
#include "fs/host_file.h"
#include "fs/pipe.h"

enum { REGISTERED = 10000 };

static struct fd_table *T;

static void die(const char *what, long r)
{
    fprintf(stderr, "bench_epoll: %s failed: %ld (%s)\n", what, r, strerror((int)(r < 0 ? -r : r)));
    exit(1);
}

static long iters(long base)
{
    long n = (long)(base * bench_scale());
    return n < 10 ? 10 : n;
}

/* ---- the two sides --------------------------------------------------------------- */

struct side {
    int ep;
    int fds[REGISTERED];
    int sock[2];
};

static uint64_t one = 1;

static void native_setup(struct side *s, bool host)
{
    s->ep = epoll_create1(0);
    if (s->ep < 0)
        die("native epoll_create1", -errno);
    for (int i = 0; i < REGISTERED; i++) {
        s->fds[i] = eventfd(0, EFD_NONBLOCK);
        if (s->fds[i] < 0)
            die("native eventfd", -errno);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->fds[i], &ev) < 0)
            die("native epoll_ctl", -errno);
    }
    s->sock[0] = s->sock[1] = -1;
    if (host) {
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, s->sock);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = REGISTERED };
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sock[0], &ev);
    }
}

static void native_teardown(struct side *s)
{
    for (int i = 0; i < REGISTERED; i++)
        close(s->fds[i]);
    if (s->sock[0] >= 0) {
        close(s->sock[0]);
        close(s->sock[1]);
    }
    close(s->ep);
}

static void os_setup(struct side *s, bool host)
{
    s->ep = epoll_create1_in(T, 0);
    if (s->ep < 0)
        die("epoll_create1_in", s->ep);
    for (int i = 0; i < REGISTERED; i++) {
        s->fds[i] = eventfd_install(T, 0, EFD_NONBLOCK);
        if (s->fds[i] < 0)
            die("eventfd_install", s->fds[i]);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
        int r = epoll_ctl_in(T, s->ep, EPOLL_CTL_ADD, s->fds[i], &ev);
        if (r < 0)
            die("epoll_ctl_in", r);
    }
    s->sock[0] = s->sock[1] = -1;
    if (host) {
        int h[2];
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, h);
        for (int k = 0; k < 2; k++) {
            struct file *f;
            if (host_file_create(h[k], O_RDWR | O_NONBLOCK, HOST_FILE_OWN_FD, &f) < 0)
                die("host_file_create", -1);
            s->sock[k] = fd_table_install(T, f, 0);
            file_put(f);
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = REGISTERED };
        int r = epoll_ctl_in(T, s->ep, EPOLL_CTL_ADD, s->sock[0], &ev);
        if (r < 0)
            die("epoll_ctl_in host", r);
    }
}

static void os_teardown(struct side *s)
{
    for (int i = 0; i < REGISTERED; i++)
        fd_table_close(T, s->fds[i]);
    if (s->sock[0] >= 0) {
        fd_table_close(T, s->sock[0]);
        fd_table_close(T, s->sock[1]);
    }
    fd_table_close(T, s->ep);
}

static void os_write(int fd, const void *buf, size_t len)
{
    struct file *f;
    if (fd_table_get_file(T, fd, &f) < 0)
        die("get_file", fd);
    ssize_t r = file_write(f, buf, len);
    file_put(f);
    if (r != (ssize_t)len)
        die("file_write", r);
}

/* Make `ready` of the eventfds readable, spread over the 10,000. */
static void make_ready(struct side *s, int ready, bool native)
{
    int step = REGISTERED / ready;
    for (int k = 0; k < ready; k++) {
        int fd = s->fds[k * step];
        if (native) {
            if (write(fd, &one, 8) != 8)
                die("native write", -errno);
        } else {
            os_write(fd, &one, 8);
        }
    }
}

static struct epoll_event evbuf[REGISTERED + 1];

/* Best (lowest) ns per call of three runs of n calls. */
static double time_waits(struct side *s, int ready, long n, bool native)
{
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        uint64_t t0 = bench_now_ns();
        for (long i = 0; i < n; i++) {
            int got = native ? epoll_wait(s->ep, evbuf, ready, 0)
                             : epoll_wait_in(T, s->ep, evbuf, ready, 0, NULL, 0);
            if (got != ready)
                die("epoll_wait count", got);
        }
        double ns = (double)(bench_now_ns() - t0) / (double)n;
        if (ns < best)
            best = ns;
    }
    return best;
}

static void bench_wait(int ready, bool host)
{
    long n = iters(ready >= 1000 ? 2000 : ready >= 100 ? 20000 : 200000);
    struct side *s = malloc(sizeof *s);
    native_setup(s, host);
    make_ready(s, ready, true);
    double nat = time_waits(s, ready, n, true);
    native_teardown(s);
    os_setup(s, host);
    make_ready(s, ready, false);
    double os = time_waits(s, ready, n, false);
    os_teardown(s);
    free(s);

    char name[64];
    snprintf(name, sizeof name, "epoll_wait_%d_ready%s", ready, host ? "_host" : "");
    bench_report_lower(name, os, nat, "ns");
    if (!host && ready > 1) {
        snprintf(name, sizeof name, "epoll_wait_%d_ready_per_fd", ready);
        bench_report_lower(name, os / ready, nat / ready, "ns");
    }
}

static void bench_ctl(void)
{
    long n = iters(200000);
    struct side *s = malloc(sizeof *s);
    double nat = 1e30, os = 1e30;

    native_setup(s, false);
    int efd = eventfd(0, EFD_NONBLOCK);
    for (int rep = 0; rep < 3; rep++) {
        uint64_t t0 = bench_now_ns();
        for (long i = 0; i < n; i++) {
            struct epoll_event ev = { .events = EPOLLIN };
            if (epoll_ctl(s->ep, EPOLL_CTL_ADD, efd, &ev) < 0 ||
                epoll_ctl(s->ep, EPOLL_CTL_DEL, efd, NULL) < 0)
                die("native ctl", -errno);
        }
        double ns = (double)(bench_now_ns() - t0) / (double)n;
        if (ns < nat)
            nat = ns;
    }
    close(efd);
    native_teardown(s);

    os_setup(s, false);
    efd = eventfd_install(T, 0, EFD_NONBLOCK);
    for (int rep = 0; rep < 3; rep++) {
        uint64_t t0 = bench_now_ns();
        for (long i = 0; i < n; i++) {
            struct epoll_event ev = { .events = EPOLLIN };
            if (epoll_ctl_in(T, s->ep, EPOLL_CTL_ADD, efd, &ev) < 0 ||
                epoll_ctl_in(T, s->ep, EPOLL_CTL_DEL, efd, NULL) < 0)
                die("ctl", -1);
        }
        double ns = (double)(bench_now_ns() - t0) / (double)n;
        if (ns < os)
            os = ns;
    }
    fd_table_close(T, efd);
    os_teardown(s);
    free(s);
    bench_report_lower("epoll_ctl_add_del", os, nat, "ns");
}

/* ---- ping-pong through epoll between two host threads -------------------------------- */

struct pp {
    bool native;
    int ep, rfd, wfd;
    long rounds;
};

static void pp_read(struct pp *p)
{
    char c;
    struct epoll_event ev;
    for (;;) {
        ssize_t r;
        if (p->native)
            r = read(p->rfd, &c, 1);
        else {
            struct file *f;
            fd_table_get_file(T, p->rfd, &f);
            r = file_read(f, &c, 1);
            file_put(f);
        }
        if (r == 1)
            return;
        int n = p->native ? epoll_wait(p->ep, &ev, 1, -1)
                          : epoll_wait_in(T, p->ep, &ev, 1, -1, NULL, 0);
        if (n < 0 && n != -EINTR && errno != EINTR)
            die("pingpong wait", n);
    }
}

static void pp_write(struct pp *p)
{
    if (p->native) {
        if (write(p->wfd, "x", 1) != 1)
            die("pingpong write", -errno);
    } else {
        os_write(p->wfd, "x", 1);
    }
}

static void *pp_thread(void *arg)
{
    struct pp *p = arg;
    for (long i = 0; i < p->rounds; i++) {
        pp_read(p);
        pp_write(p);
    }
    return NULL;
}

static double pingpong(bool native, long rounds)
{
    int x[2], y[2];
    if (native) {
        if (pipe2(x, O_NONBLOCK) < 0 || pipe2(y, O_NONBLOCK) < 0)
            die("pipe2", -errno);
    } else if (pipe_install(T, O_NONBLOCK, x) < 0 || pipe_install(T, O_NONBLOCK, y) < 0) {
        die("pipe_install", -1);
    }
    struct pp a = { native, -1, x[0], y[1], rounds }, b = { native, -1, y[0], x[1], rounds };
    a.ep = native ? epoll_create1(0) : epoll_create1_in(T, 0);
    b.ep = native ? epoll_create1(0) : epoll_create1_in(T, 0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
    if (native) {
        epoll_ctl(a.ep, EPOLL_CTL_ADD, a.rfd, &ev);
        epoll_ctl(b.ep, EPOLL_CTL_ADD, b.rfd, &ev);
    } else {
        epoll_ctl_in(T, a.ep, EPOLL_CTL_ADD, a.rfd, &ev);
        epoll_ctl_in(T, b.ep, EPOLL_CTL_ADD, b.rfd, &ev);
    }
    pthread_t tb;
    pthread_create(&tb, NULL, pp_thread, &b);
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < rounds; i++) {
        pp_write(&a);
        pp_read(&a);
    }
    double ns = (double)(bench_now_ns() - t0) / (double)rounds;
    pthread_join(tb, NULL);
    int all[6] = { x[0], x[1], y[0], y[1], a.ep, b.ep };
    for (int i = 0; i < 6; i++) {
        if (native)
            close(all[i]);
        else
            fd_table_close(T, all[i]);
    }
    return ns;
}

static void bench_pingpong(void)
{
    long rounds = iters(50000);
    pingpong(true, rounds / 10); /* warm up */
    double nat = pingpong(true, rounds);
    pingpong(false, rounds / 10);
    double os = pingpong(false, rounds);
    bench_report_lower("epoll_pingpong_rtt", os, nat, "ns");
}

int main(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 3 * REGISTERED && rl.rlim_max > rl.rlim_cur) {
        rl.rlim_cur = rl.rlim_max < 3 * REGISTERED ? rl.rlim_max : 3 * REGISTERED;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int r = fd_table_create(4 * REGISTERED, &T);
    if (r < 0)
        die("fd_table_create", r);
    /* BENCH_ONLY=substring runs the matching groups only. */
    const char *only = getenv("BENCH_ONLY");
#define WANT(name) (!only || strstr(name, only))
    if (WANT("epoll_wait")) {
        bench_wait(1, false);
        bench_wait(10, false);
        bench_wait(100, false);
        bench_wait(1000, false);
        bench_wait(1, true);
    }
    if (WANT("epoll_ctl"))
        bench_ctl();
    if (WANT("epoll_pingpong"))
        bench_pingpong();
    fd_table_put(T);
    return 0;
}
