/* Pipes and eventfd: onespace's LibOS objects against native Linux, two
 * host threads, same run.
 *   pipe_pingpong_thread     1-byte round trip over two pipes (ns)
 *   eventfd_pingpong_thread  round trip over two eventfds (ns)
 *   pipe_throughput_thread   128 KiB writes, 128 KiB reads (MB/s)
 *   *_pingpong_thread_pinned the same with the two threads pinned to two
 *                            different CPUs (the cross-CPU hand-off)
 * BENCH_SCALE scales the iteration counts. Each figure is the best of a
 * few rounds (the machine is shared; the best round is the least
 * disturbed one), native and onespace alternating. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"
#include "util/compiler.h"
#include "fs/eventfd.h"
#include "fs/pipe.h"

#define ROUNDS 5

/* One side of a channel: native fds or onespace files. */
struct chan {
    bool native;
    int fd_r, fd_w;
    struct file *f_r, *f_w;
};

static inline ssize_t ch_read(struct chan *c, void *buf, size_t n)
{
    return c->native ? read(c->fd_r, buf, n) : file_read(c->f_r, buf, n);
}

static inline ssize_t ch_write(struct chan *c, const void *buf, size_t n)
{
    return c->native ? write(c->fd_w, buf, n) : file_write(c->f_w, buf, n);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_pipe: %s failed\n", what);
    exit(1);
}

static void open_pipe(struct chan *c, bool native)
{
    memset(c, 0, sizeof *c);
    c->native = native;
    if (native) {
        int p[2];
        if (pipe(p) < 0)
            die("pipe");
        c->fd_r = p[0];
        c->fd_w = p[1];
    } else if (pipe_create(0, &c->f_r, &c->f_w) < 0) {
        die("pipe_create");
    }
}

static void open_eventfd(struct chan *c, bool native)
{
    memset(c, 0, sizeof *c);
    c->native = native;
    if (native) {
        c->fd_r = c->fd_w = eventfd(0, 0);
        if (c->fd_r < 0)
            die("eventfd");
    } else {
        if (eventfd_create(0, 0, &c->f_r) < 0)
            die("eventfd_create");
        c->f_w = c->f_r;
    }
}

static void close_chan(struct chan *c, bool same)
{
    if (c->native) {
        close(c->fd_r);
        if (!same)
            close(c->fd_w);
    } else {
        file_put(c->f_r);
        if (!same)
            file_put(c->f_w);
    }
}

/* ---- ping-pong ----------------------------------------------------------- */

struct pp {
    struct chan a2b, b2a;
    long iters;
    size_t msg; /* 1 for pipes, 8 for eventfd */
    int cpu[2]; /* -1: not pinned */
};

static void pin_self(int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/* Two CPUs this process may use, or false. */
static bool two_cpus(int cpu[2])
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return false;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &set))
            cpu[n++] = c;
    return n == 2;
}

static void *pp_echo(void *p)
{
    struct pp *pp = p;
    pin_self(pp->cpu[1]);
    uint64_t v = 1;
    for (long i = 0; i < pp->iters; i++) {
        if (ch_read(&pp->a2b, &v, pp->msg) != (ssize_t)pp->msg)
            die("echo read");
        if (ch_write(&pp->b2a, &v, pp->msg) != (ssize_t)pp->msg)
            die("echo write");
    }
    return NULL;
}

static double pingpong(bool native, bool use_eventfd, long iters, const int *cpus)
{
    struct pp pp = { .iters = iters, .msg = use_eventfd ? 8 : 1, .cpu = { -1, -1 } };
    cpu_set_t saved;
    if (cpus) {
        pp.cpu[0] = cpus[0];
        pp.cpu[1] = cpus[1];
        pthread_getaffinity_np(pthread_self(), sizeof saved, &saved);
        pin_self(cpus[0]);
    }
    if (use_eventfd) {
        open_eventfd(&pp.a2b, native);
        open_eventfd(&pp.b2a, native);
    } else {
        open_pipe(&pp.a2b, native);
        open_pipe(&pp.b2a, native);
    }
    pthread_t th;
    pthread_create(&th, NULL, pp_echo, &pp);
    uint64_t v = 1;
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < iters; i++) {
        if (ch_write(&pp.a2b, &v, pp.msg) != (ssize_t)pp.msg)
            die("ping write");
        if (ch_read(&pp.b2a, &v, pp.msg) != (ssize_t)pp.msg)
            die("ping read");
    }
    uint64_t t1 = bench_now_ns();
    pthread_join(th, NULL);
    if (cpus)
        pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
    close_chan(&pp.a2b, use_eventfd);
    close_chan(&pp.b2a, use_eventfd);
    return (double)(t1 - t0) / (double)iters;
}

/* ---- throughput ---------------------------------------------------------- */

#define CHUNK (128u * 1024)

struct tp {
    struct chan c;
    uint64_t total;
};

static void *tp_reader(void *p)
{
    struct tp *tp = p;
    static __thread char buf[CHUNK];
    uint64_t got = 0;
    while (got < tp->total) {
        ssize_t n = ch_read(&tp->c, buf, CHUNK);
        if (n <= 0)
            die("throughput read");
        got += (uint64_t)n;
    }
    return NULL;
}

static double throughput(bool native, uint64_t total)
{
    static char buf[CHUNK];
    memset(buf, 'x', sizeof buf);
    struct tp tp = { .total = total };
    open_pipe(&tp.c, native);
    pthread_t th;
    pthread_create(&th, NULL, tp_reader, &tp);
    uint64_t t0 = bench_now_ns();
    for (uint64_t sent = 0; sent < total; sent += CHUNK)
        if (ch_write(&tp.c, buf, CHUNK) != (ssize_t)CHUNK)
            die("throughput write");
    pthread_join(th, NULL);
    uint64_t t1 = bench_now_ns();
    close_chan(&tp.c, false);
    return (double)total / 1e6 / ((double)(t1 - t0) / 1e9);
}

/* An optional argument selects benchmarks whose name contains it. */
static const char *only;
static bool want(const char *name)
{
    return !only || strstr(name, only);
}

int main(int argc, char **argv)
{
    only = argc > 1 ? argv[1] : NULL;
    double s = bench_scale();
    long pp_iters = (long)(50000 * s);
    uint64_t tp_bytes = (uint64_t)(2048.0 * s) * CHUNK; /* 256 MiB at scale 1 */
    if (pp_iters < 100)
        pp_iters = 100;
    if (tp_bytes < 16 * CHUNK)
        tp_bytes = 16 * CHUNK;

    /* warm up both paths (page faults, thread creation, CPU clocks) */
    pingpong(true, false, pp_iters / 10 + 10, NULL);
    pingpong(false, false, pp_iters / 10 + 10, NULL);

    int cpus[2];
    bool pinnable = two_cpus(cpus);
    static const struct {
        const char *name;
        bool eventfd, pinned;
    } pps[] = {
        { "pipe_pingpong_thread", false, false },
        { "eventfd_pingpong_thread", true, false },
        { "pipe_pingpong_thread_pinned", false, true },
        { "eventfd_pingpong_thread_pinned", true, true },
    };
    double best_n, best_o;
    for (unsigned k = 0; k < ARRAY_SIZE(pps); k++) {
        if (!want(pps[k].name) || (pps[k].pinned && !pinnable))
            continue;
        const int *c = pps[k].pinned ? cpus : NULL;
        best_n = best_o = 1e18;
        for (int r = 0; r < ROUNDS; r++) {
            best_n = MIN(best_n, pingpong(true, pps[k].eventfd, pp_iters, c));
            best_o = MIN(best_o, pingpong(false, pps[k].eventfd, pp_iters, c));
        }
        bench_report_lower(pps[k].name, best_o, best_n, "ns");
    }
    if (want("pipe_throughput_thread")) {
        best_n = best_o = 0;
        for (int r = 0; r < ROUNDS; r++) {
            best_n = MAX(best_n, throughput(true, tp_bytes));
            best_o = MAX(best_o, throughput(false, tp_bytes));
        }
        bench_report_higher("pipe_throughput_thread", best_o, best_n, "MB/s");
    }
    return 0;
}
