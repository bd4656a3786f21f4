/* epoll semantics and errnos, each scenario run on native Linux and on
 * onespace with the same sequence of calls; the logs must be equal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "epoll_test.h"

#define BAD_FD 900 /* open neither natively nor in onespace */

static int cmp_data(const void *a, const void *b)
{
    uint64_t x = ((const struct epoll_event *)a)->data.u64;
    uint64_t y = ((const struct epoll_event *)b)->data.u64;
    return x < y ? -1 : x > y;
}

/* Log a wait's result: the count, then (data, events) sorted by data
 * (the order of simultaneous events is not part of the contract). */
static void log_wait(struct tlog *l, int line, int n, struct epoll_event *ev)
{
    tlog_add(l, line, n);
    if (n <= 0)
        return;
    qsort(ev, (size_t)n, sizeof *ev, cmp_data);
    for (int i = 0; i < n; i++) {
        tlog_add(l, line, (long)ev[i].data.u64);
        tlog_add(l, line, (long)ev[i].events);
    }
}

#define WAIT(api, l, ep, max, t)                                               \
    do {                                                                       \
        struct epoll_event ev_[16];                                            \
        int n_ = (api)->epoll_wait((ep), ev_, (max), (t));                     \
        log_wait((l), __LINE__, n_, ev_);                                      \
    } while (0)

static struct epoll_event E(uint32_t events, uint64_t data)
{
    struct epoll_event e = { .events = events, .data.u64 = data };
    return e;
}

/* ---- errnos ------------------------------------------------------------------- */

static void sc_create_errnos(const struct os_api *a, struct tlog *l)
{
    LOG(l, a->epoll_create1(1));
    LOG(l, a->epoll_create1(EPOLL_CLOEXEC | 1));
    LOG(l, a->epoll_create1(O_NONBLOCK));
    LOG(l, a->epoll_create(0));
    LOG(l, a->epoll_create(-1));
    int ep = a->epoll_create(1);
    LOG(l, ep >= 0);
    int ep2 = a->epoll_create1(EPOLL_CLOEXEC);
    LOG(l, ep2 >= 0);
    LOG(l, a->close(ep));
    LOG(l, a->close(ep2));
}

static void sc_ctl_errnos(const struct os_api *a, struct tlog *l)
{
    int p[2];
    LOG(l, a->pipe2(p, 0));
    int rf = a->open_regular();
    LOG(l, rf >= 0);
    int ep = a->epoll_create1(0);
    struct epoll_event ev = E(EPOLLIN, 1);

    /* EBADF, EPERM, EINVAL in Linux's order */
    LOG(l, a->epoll_ctl(BAD_FD, EPOLL_CTL_ADD, p[0], &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, BAD_FD, &ev));
    LOG(l, a->epoll_ctl(BAD_FD, 99, BAD_FD, &ev));
    LOG(l, a->epoll_ctl(ep, 99, BAD_FD, &ev));
    LOG(l, a->epoll_ctl(ep, 99, p[0], &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    LOG(l, a->epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev));
    LOG(l, a->epoll_ctl(p[0], EPOLL_CTL_ADD, BAD_FD, &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, rf, &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, rf, &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, rf, NULL));
    LOG(l, a->epoll_ctl(ep, 99, rf, &ev));
    LOG(l, a->epoll_ctl(p[0], EPOLL_CTL_ADD, rf, &ev));

    /* ENOENT, EEXIST */
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    LOG(l, a->epoll_ctl(ep, 99, p[0], &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));

    /* EPOLLEXCLUSIVE rules */
    struct epoll_event x = E(EPOLLIN | EPOLLEXCLUSIVE, 2);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &x));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &x));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &x));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    uint32_t bad_with_x[] = { EPOLLONESHOT, EPOLLRDHUP, EPOLLPRI, EPOLLRDNORM, EPOLLMSG };
    for (size_t i = 0; i < sizeof bad_with_x / sizeof bad_with_x[0]; i++) {
        struct epoll_event b = E(EPOLLIN | EPOLLEXCLUSIVE | bad_with_x[i], 3);
        LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &b));
    }
    struct epoll_event ok = E(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP |
                              EPOLLET | EPOLLEXCLUSIVE, 4);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ok));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    /* ... with a regular file: EPERM first */
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, rf, &x));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, rf, &x));

    /* epoll targets */
    int ep2 = a->epoll_create1(0);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &x));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev));
    LOG(l, a->epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, ep2, &ev));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, ep2, NULL));
    LOG(l, a->epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev));
    LOG(l, a->epoll_ctl(ep2, EPOLL_CTL_DEL, ep, NULL));

    LOG(l, a->close(ep2));
    LOG(l, a->close(ep));
    LOG(l, a->close(rf));
    LOG(l, a->close(p[0]));
    LOG(l, a->close(p[1]));
}

static void sc_wait_errnos(const struct os_api *a, struct tlog *l)
{
    int p[2];
    a->pipe2(p, 0);
    int ep = a->epoll_create1(0);
    struct epoll_event out[4];
    LOG(l, a->epoll_wait(ep, out, 0, 0));
    LOG(l, a->epoll_wait(ep, out, -1, 0));
    LOG(l, a->epoll_wait(ep, out, INT_MAX / 12 + 1, 0));
    LOG(l, a->epoll_wait(BAD_FD, out, -1, 0));
    LOG(l, a->epoll_wait(BAD_FD, out, INT_MAX, 0));
    LOG(l, a->epoll_wait(p[0], out, INT_MAX, 0));
    LOG(l, a->epoll_wait(BAD_FD, out, 0, 0));
    LOG(l, a->epoll_wait(BAD_FD, out, 1, 0));
    LOG(l, a->epoll_wait(p[0], out, 1, 0));
    LOG(l, a->epoll_wait(p[0], out, 0, 0));

    struct timespec ts_bad = { 0, 1000000000 }, ts_neg = { -1, 0 }, ts_zero = { 0, 0 };
    LOG(l, a->epoll_pwait2(ep, out, 1, &ts_bad));
    LOG(l, a->epoll_pwait2(ep, out, 1, &ts_neg));
    LOG(l, a->epoll_pwait2(BAD_FD, out, 1, &ts_neg));
    LOG(l, a->epoll_pwait2(ep, out, 0, &ts_neg));
    LOG(l, a->epoll_pwait2(ep, out, 1, &ts_zero));
    LOG(l, a->epoll_pwait2(BAD_FD, out, 1, &ts_zero));

    uint64_t mask = 0;
    LOG(l, a->epoll_pwait(ep, out, 1, 0, &mask, 4));
    LOG(l, a->epoll_pwait(BAD_FD, out, 1, 0, &mask, 4));
    LOG(l, a->epoll_pwait(ep, out, 0, 0, &mask, 4));
    LOG(l, a->epoll_pwait(ep, out, 1, 0, &mask, 8));
    LOG(l, a->epoll_pwait(ep, out, 1, 0, NULL, 4));
    LOG(l, a->epoll_pwait(BAD_FD, out, 1, 0, &mask, 8));

    a->close(ep);
    a->close(p[0]);
    a->close(p[1]);
}

/* ---- level / edge / oneshot ------------------------------------------------------ */

static void sc_pipe_lt_et(const struct os_api *a, struct tlog *l)
{
    int p[2], q[2];
    char buf[64];
    LOG(l, a->pipe2(p, O_NONBLOCK));
    LOG(l, a->pipe2(q, O_NONBLOCK));
    int ep = a->epoll_create1(0);
    struct epoll_event lt = E(EPOLLIN, 10), et = E(EPOLLIN | EPOLLET, 20);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &lt));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &et));
    WAIT(a, l, ep, 8, 0);
    LOG(l, a->write(p[1], "ab", 2));
    LOG(l, a->write(q[1], "ab", 2));
    WAIT(a, l, ep, 8, 0);       /* both */
    WAIT(a, l, ep, 8, 0);       /* level only */
    LOG(l, a->read(p[0], buf, 1));
    LOG(l, a->read(q[0], buf, 1));
    WAIT(a, l, ep, 8, 0);       /* level: still one byte; edge: no new edge */
    LOG(l, a->write(q[1], "c", 1));
    WAIT(a, l, ep, 8, 0);       /* a new write is a new edge */
    WAIT(a, l, ep, 8, 0);
    LOG(l, a->read(p[0], buf, sizeof buf));
    LOG(l, a->read(q[0], buf, sizeof buf));
    WAIT(a, l, ep, 8, 0);       /* nothing */
    /* maxevents smaller than the ready set: the rest comes next time */
    LOG(l, a->write(p[1], "x", 1));
    LOG(l, a->write(q[1], "x", 1));
    WAIT(a, l, ep, 1, 0);
    WAIT(a, l, ep, 1, 0);
    WAIT(a, l, ep, 8, 0);
    /* HUP on the read end when the writer goes (with the byte still in) */
    LOG(l, a->close(p[1]));
    WAIT(a, l, ep, 8, 0);
    LOG(l, a->read(p[0], buf, sizeof buf));
    WAIT(a, l, ep, 8, 0);
    /* write end: OUT, then ERR when the reader goes */
    struct epoll_event w = E(EPOLLOUT, 30);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, q[1], &w));
    WAIT(a, l, ep, 8, 0);
    LOG(l, a->close(q[0]));
    WAIT(a, l, ep, 8, 0);
    a->close(ep);
    a->close(p[0]);
    a->close(q[1]);
}

static void sc_oneshot(const struct os_api *a, struct tlog *l)
{
    int p[2];
    char buf[8];
    a->pipe2(p, O_NONBLOCK);
    int ep = a->epoll_create1(0);
    struct epoll_event o = E(EPOLLIN | EPOLLONESHOT, 5);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &o));
    WAIT(a, l, ep, 4, 0);
    LOG(l, a->write(p[1], "a", 1));
    WAIT(a, l, ep, 4, 0);          /* fires once */
    WAIT(a, l, ep, 4, 0);          /* disarmed */
    LOG(l, a->write(p[1], "b", 1));
    WAIT(a, l, ep, 4, 0);          /* still disarmed */
    LOG(l, a->close(p[1]));
    WAIT(a, l, ep, 4, 0);          /* even HUP is not reported */
    o.data.u64 = 6;
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &o));
    WAIT(a, l, ep, 4, 0);          /* re-armed by MOD, ready at once */
    WAIT(a, l, ep, 4, 0);
    LOG(l, a->read(p[0], buf, sizeof buf));
    struct epoll_event et = E(EPOLLIN | EPOLLONESHOT | EPOLLET, 7);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &et));
    WAIT(a, l, ep, 4, 0);          /* HUP (no writer) */
    WAIT(a, l, ep, 4, 0);
    a->close(ep);
    a->close(p[0]);
}

static void sc_eventfd(const struct os_api *a, struct tlog *l)
{
    int e = a->eventfd(0, EFD_NONBLOCK);
    LOG(l, e >= 0);
    int ep = a->epoll_create1(0);
    struct epoll_event in = E(EPOLLIN | EPOLLOUT, 1);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, e, &in));
    WAIT(a, l, ep, 4, 0);
    uint64_t one = 1, v;
    LOG(l, a->write(e, &one, 8));
    WAIT(a, l, ep, 4, 0);
    struct epoll_event et = E(EPOLLIN | EPOLLET, 2);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, e, &et));
    WAIT(a, l, ep, 4, 0);          /* MOD of a ready file queues it */
    WAIT(a, l, ep, 4, 0);
    LOG(l, a->write(e, &one, 8));
    WAIT(a, l, ep, 4, 0);
    LOG(l, a->read(e, &v, 8));
    LOG(l, v);
    WAIT(a, l, ep, 4, 0);
    a->close(ep);
    a->close(e);
}

/* Sockets: `pair` is socketpair or TCP over 127.0.0.1. Waits that expect
 * an event use a timeout (loopback TCP may deliver a moment later). */
static void sockets_lt_et(const struct os_api *a, struct tlog *l,
                          int (*pair)(int fds[2]))
{
    int s[2];
    char buf[64];
    LOG(l, pair(s));
    int ep = a->epoll_create1(0);
    struct epoll_event lt = E(EPOLLIN, 1);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &lt));
    WAIT(a, l, ep, 4, 0);
    LOG(l, a->write(s[1], "hello", 5));
    WAIT(a, l, ep, 4, 2000);
    WAIT(a, l, ep, 4, 0);          /* level */
    LOG(l, a->read(s[0], buf, sizeof buf));
    WAIT(a, l, ep, 4, 0);
    struct epoll_event et = E(EPOLLIN | EPOLLET, 2);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, s[0], &et));
    LOG(l, a->write(s[1], "x", 1));
    WAIT(a, l, ep, 4, 2000);
    WAIT(a, l, ep, 4, 0);          /* edge: once */
    LOG(l, a->write(s[1], "y", 1));
    WAIT(a, l, ep, 4, 2000);       /* new data, new edge */
    LOG(l, a->read(s[0], buf, sizeof buf));
    /* ONESHOT, re-armed by MOD */
    struct epoll_event o = E(EPOLLIN | EPOLLONESHOT, 3);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, s[0], &o));
    LOG(l, a->write(s[1], "z", 1));
    WAIT(a, l, ep, 4, 2000);
    WAIT(a, l, ep, 4, 0);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, s[0], &o));
    WAIT(a, l, ep, 4, 0);
    LOG(l, a->read(s[0], buf, sizeof buf));
    /* OUT, and RDHUP when the peer shuts down its writing side */
    struct epoll_event rh = E(EPOLLIN | EPOLLRDHUP, 4);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_MOD, s[0], &rh));
    struct epoll_event out = E(EPOLLOUT, 5);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, s[1], &out));
    WAIT(a, l, ep, 4, 0);
    LOG(l, a->shutdown_wr(s[1]));
    WAIT(a, l, ep, 4, 2000);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, s[1], NULL));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, s[0], NULL));
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, s[0], NULL));
    a->close(ep);
    a->close(s[0]);
    a->close(s[1]);
}

static void sc_socketpair(const struct os_api *a, struct tlog *l)
{
    sockets_lt_et(a, l, a->socketpair);
}

static void sc_tcp(const struct os_api *a, struct tlog *l)
{
    sockets_lt_et(a, l, a->tcp_pair);
}

/* Every file kind in one instance. */
static void sc_mixed(const struct os_api *a, struct tlog *l)
{
    int p[2], s[2], t[2];
    a->pipe2(p, O_NONBLOCK);
    a->socketpair(s);
    a->tcp_pair(t);
    int e = a->eventfd(0, EFD_NONBLOCK);
    int inner = a->epoll_create1(0);
    int ep = a->epoll_create1(0);
    struct epoll_event ev;
    ev = E(EPOLLIN, 1);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    ev = E(EPOLLIN | EPOLLET, 2);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &ev));
    ev = E(EPOLLIN, 3);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, t[0], &ev));
    ev = E(EPOLLIN, 4);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev));
    ev = E(EPOLLIN, 5);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, inner, &ev));
    ev = E(EPOLLIN, 6);
    LOG(l, a->epoll_ctl(inner, EPOLL_CTL_ADD, s[1], &ev));
    WAIT(a, l, ep, 8, 0);
    /* TCP first, and wait until it arrived (loopback may lag a moment). */
    int tw = a->epoll_create1(0);
    ev = E(EPOLLIN, 9);
    LOG(l, a->epoll_ctl(tw, EPOLL_CTL_ADD, t[0], &ev));
    LOG(l, a->write(t[1], "c", 1));
    WAIT(a, l, tw, 8, 5000);
    uint64_t one = 1;
    LOG(l, a->write(p[1], "a", 1));
    LOG(l, a->write(e, &one, 8));
    LOG(l, a->write(s[0], "b", 1)); /* makes s[1] readable: inner ready */
    LOG(l, a->write(s[1], "d", 1)); /* s[0] readable */
    WAIT(a, l, ep, 8, 1000);
    WAIT(a, l, ep, 8, 0); /* level ones again, edge one not */
    a->close(tw);
    a->close(ep);
    a->close(inner);
    a->close(e);
    a->close(p[0]);
    a->close(p[1]);
    a->close(s[0]);
    a->close(s[1]);
    a->close(t[0]);
    a->close(t[1]);
}

/* Closing registered fds: an entry lives as long as the open file. */
static void sc_close_semantics(const struct os_api *a, struct tlog *l)
{
    int p[2], q[2];
    a->pipe2(q, O_NONBLOCK);
    a->pipe2(p, O_NONBLOCK);
    int d = a->dup(q[0]);
    int ep = a->epoll_create1(0);
    struct epoll_event ev = E(EPOLLIN, 7);
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev));
    ev.data.u64 = 8;
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, d, &ev));
    ev.data.u64 = 9;
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    LOG(l, a->close(q[0]));          /* the dup keeps the file open */
    LOG(l, a->close(p[0]));          /* the last reference: entry gone */
    LOG(l, a->write(q[1], "x", 1));
    LOG(l, a->write(p[1], "x", 1));
    WAIT(a, l, ep, 8, 0);            /* both q entries, not p's */
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));   /* EBADF */
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL));
    WAIT(a, l, ep, 8, 0);            /* the (q[0], file) entry remains */
    /* A new file at the old number is a different key. */
    int r[2];
    a->pipe2(r, O_NONBLOCK);
    LOG(l, r[0] == q[0] || r[0] == p[0] || r[1] == q[0] || r[1] == p[0]);
    ev.data.u64 = 10;
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, r[0], &ev));
    LOG(l, a->write(r[1], "y", 1));
    WAIT(a, l, ep, 8, 0);
    LOG(l, a->close(d));             /* last reference of q's read end */
    WAIT(a, l, ep, 8, 0);
    a->close(ep);
    a->close(q[1]);
    a->close(p[1]);
    a->close(r[0]);
    a->close(r[1]);
}

/* Nested epoll: readiness propagates up; LT/ET on the nested entry. */
static void sc_nested(const struct os_api *a, struct tlog *l)
{
    int p[2], s[2];
    char buf[8];
    a->pipe2(p, O_NONBLOCK);
    a->socketpair(s);
    int in1 = a->epoll_create1(0), in2 = a->epoll_create1(0), top = a->epoll_create1(0);
    struct epoll_event ev = E(EPOLLIN, 1);
    LOG(l, a->epoll_ctl(in1, EPOLL_CTL_ADD, p[0], &ev));   /* LibOS inside */
    ev.data.u64 = 2;
    LOG(l, a->epoll_ctl(in1, EPOLL_CTL_ADD, s[0], &ev));   /* host inside */
    ev.data.u64 = 3;
    LOG(l, a->epoll_ctl(in2, EPOLL_CTL_ADD, in1, &ev));
    ev.data.u64 = 4;
    LOG(l, a->epoll_ctl(top, EPOLL_CTL_ADD, in2, &ev));
    WAIT(a, l, top, 4, 0);
    LOG(l, a->write(p[1], "a", 1));
    WAIT(a, l, top, 4, 1000);
    WAIT(a, l, in2, 4, 0);
    WAIT(a, l, in1, 4, 0);
    LOG(l, a->read(p[0], buf, sizeof buf));
    WAIT(a, l, top, 4, 0);
    LOG(l, a->write(s[1], "b", 1));     /* host readiness two levels down */
    WAIT(a, l, top, 4, 1000);
    WAIT(a, l, in1, 4, 0);
    LOG(l, a->read(s[0], buf, sizeof buf));
    WAIT(a, l, top, 4, 0);
    WAIT(a, l, in1, 4, 0);
    a->close(top);
    a->close(in2);
    a->close(in1);
    a->close(p[0]);
    a->close(p[1]);
    a->close(s[0]);
    a->close(s[1]);
}

/* ELOOP: loops and more than 5 instances in a chain. */
static void sc_eloop(const struct os_api *a, struct tlog *l)
{
    struct epoll_event ev = E(EPOLLIN, 0);
    int e[8];
    for (int i = 0; i < 8; i++)
        e[i] = a->epoll_create1(0);
    for (int i = 0; i < 7; i++)             /* e[i+1] watches e[i] */
        LOG(l, a->epoll_ctl(e[i + 1], EPOLL_CTL_ADD, e[i], &ev));
    int f[8];
    for (int i = 0; i < 8; i++)
        f[i] = a->epoll_create1(0);
    for (int i = 0; i < 7; i++)             /* f[i] watches f[i+1] */
        LOG(l, a->epoll_ctl(f[i], EPOLL_CTL_ADD, f[i + 1], &ev));
    /* joining two chains of 3: 6 levels */
    int x[3], y[3];
    for (int i = 0; i < 3; i++) {
        x[i] = a->epoll_create1(0);
        y[i] = a->epoll_create1(0);
    }
    for (int i = 0; i < 2; i++) {
        LOG(l, a->epoll_ctl(x[i], EPOLL_CTL_ADD, x[i + 1], &ev));
        LOG(l, a->epoll_ctl(y[i], EPOLL_CTL_ADD, y[i + 1], &ev));
    }
    LOG(l, a->epoll_ctl(x[2], EPOLL_CTL_ADD, y[0], &ev));
    LOG(l, a->epoll_ctl(x[1], EPOLL_CTL_ADD, y[0], &ev)); /* 5 levels: fine */
    /* loops */
    LOG(l, a->epoll_ctl(y[2], EPOLL_CTL_ADD, x[0], &ev));
    LOG(l, a->epoll_ctl(y[2], EPOLL_CTL_ADD, y[0], &ev));
    LOG(l, a->epoll_ctl(e[0], EPOLL_CTL_ADD, e[3], &ev));
    /* a diamond is not a loop */
    int d[4];
    for (int i = 0; i < 4; i++)
        d[i] = a->epoll_create1(0);
    LOG(l, a->epoll_ctl(d[0], EPOLL_CTL_ADD, d[1], &ev));
    LOG(l, a->epoll_ctl(d[0], EPOLL_CTL_ADD, d[2], &ev));
    LOG(l, a->epoll_ctl(d[1], EPOLL_CTL_ADD, d[3], &ev));
    LOG(l, a->epoll_ctl(d[2], EPOLL_CTL_ADD, d[3], &ev));
    int dd = a->dup(d[1]);
    LOG(l, a->epoll_ctl(d[0], EPOLL_CTL_ADD, dd, &ev));
    /* removing an edge makes room again */
    LOG(l, a->epoll_ctl(e[5], EPOLL_CTL_DEL, e[4], NULL));
    LOG(l, a->epoll_ctl(e[5], EPOLL_CTL_ADD, e[4], &ev));
    LOG(l, a->epoll_ctl(e[4], EPOLL_CTL_DEL, e[3], NULL));
    LOG(l, a->epoll_ctl(e[5], EPOLL_CTL_ADD, e[4], &ev));
    for (int i = 0; i < 8; i++) {
        a->close(e[i]);
        a->close(f[i]);
    }
    for (int i = 0; i < 3; i++) {
        a->close(x[i]);
        a->close(y[i]);
    }
    for (int i = 0; i < 4; i++)
        a->close(d[i]);
    a->close(dd);
}

/* ---- onespace only: an epoll fd shared with a spawned child ----------------------- */

#include "fs/epoll.h"
#include "fs/pipe.h"
#include "fs/host_file.h"
#include "fs/eventfd.h"
#include "fs/file.h"
#include <unistd.h>

/* A table copied for spawn shares the epoll instance; its entries refer
 * to files, not to the parent's fd numbers (Occlum's instance kept
 * looking fds up in the parent's table). */
static void test_inherited_epoll_refers_to_files(void **state)
{
    struct fd_table *parent, *child;
    assert_int_equal(fd_table_create(64, &parent), 0);
    int p[2], q[2];
    assert_int_equal(pipe_install(parent, O_NONBLOCK, p), 0);
    int ep = epoll_create1_in(parent, 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[4];
    assert_int_equal(epoll_ctl_in(parent, ep, EPOLL_CTL_ADD, p[0], &ev), 0);
    assert_int_equal(fd_table_copy(parent, &child), 0);

    /* The parent reuses the number for another pipe. */
    assert_int_equal(fd_table_close(parent, p[0]), 0);
    assert_int_equal(pipe_install(parent, O_NONBLOCK, q), 0);
    assert_int_equal(q[0], p[0]);
    struct file *w;
    assert_int_equal(fd_table_get_file(parent, q[1], &w), 0);
    assert_int_equal(file_write(w, "n", 1), 1);
    file_put(w);
    assert_int_equal(epoll_wait_in(child, ep, out, 4, 0, NULL, 0), 0);
    assert_int_equal(fd_table_get_file(child, p[1], &w), 0);
    assert_int_equal(file_write(w, "o", 1), 1);
    file_put(w);
    assert_int_equal(epoll_wait_in(parent, ep, out, 4, 0, NULL, 0), 1);
    assert_int_equal(out[0].data.u64, 42);
    assert_int_equal(epoll_wait_in(child, ep, out, 4, 0, NULL, 0), 1);
    /* (fd, file) keys: the parent's fd is another file now */
    assert_int_equal(epoll_ctl_in(parent, ep, EPOLL_CTL_DEL, p[0], NULL), -ENOENT);
    struct epoll_event mod = { .events = EPOLLIN, .data.u64 = 43 };
    assert_int_equal(epoll_ctl_in(child, ep, EPOLL_CTL_MOD, p[0], &mod), 0);
    assert_int_equal(epoll_wait_in(parent, ep, out, 4, 0, NULL, 0), 1);
    assert_int_equal(out[0].data.u64, 43);
    /* The child exits: its last reference to the pipe goes, and the entry
     * with it; the instance lives on in the parent. */
    struct file *epf;
    assert_int_equal(fd_table_get_file(parent, ep, &epf), 0);
    assert_int_equal(epoll_file_count(epf), 1);
    fd_table_put(child);
    assert_int_equal(epoll_file_count(epf), 0);
    file_put(epf);
    fd_table_put(parent);
}

/* Host stdio is a host file: a host pipe (or a terminal) can be watched,
 * as on Linux (Occlum's stdio could not). */
static void test_host_pipe_stdio(void **state)
{
    int hp[2];
    assert_int_equal(pipe(hp), 0);
    struct file *rd;
    assert_int_equal(host_file_create(hp[0], O_RDONLY, HOST_FILE_OWN_FD | HOST_FILE_KEEP_HOST_BLOCKING, &rd), 0);
    int fd = fd_table_install(os_table(), rd, 0);
    file_put(rd);
    int ep = epoll_create1_in(os_table(), 0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 5 }, out[2];
    assert_int_equal(epoll_ctl_in(os_table(), ep, EPOLL_CTL_ADD, fd, &ev), 0);
    assert_int_equal(epoll_wait_in(os_table(), ep, out, 2, 0, NULL, 0), 0);
    assert_int_equal(write(hp[1], "x", 1), 1);
    assert_int_equal(epoll_wait_in(os_table(), ep, out, 2, 1000, NULL, 0), 1);
    assert_int_equal(out[0].data.u64, 5);
    close(hp[1]);
    assert_int_equal(epoll_wait_in(os_table(), ep, out, 2, 1000, NULL, 0), 1);
    assert_true(out[0].events & EPOLLHUP);
    fd_table_close(os_table(), ep);
    fd_table_close(os_table(), fd);
}

/* Many entries: the interest set grows and shrinks; every ready one is
 * reported exactly once per wait (level-triggered). */
static void test_many_entries(void **state)
{
    enum { N = 3000 };
    struct fd_table *t;
    assert_int_equal(fd_table_create(4 * N, &t), 0);
    int ep = epoll_create1_in(t, 0);
    static int fds[N];
    static struct epoll_event out[N];
    for (int i = 0; i < N; i++) {
        fds[i] = eventfd_install(t, 0, EFD_NONBLOCK);
        assert_true(fds[i] >= 0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
        assert_int_equal(epoll_ctl_in(t, ep, EPOLL_CTL_ADD, fds[i], &ev), 0);
    }
    uint64_t one = 1;
    int ready = 0;
    for (int i = 0; i < N; i += 7) {
        struct file *f;
        assert_int_equal(fd_table_get_file(t, fds[i], &f), 0);
        assert_int_equal(file_write(f, &one, 8), 8);
        file_put(f);
        ready++;
    }
    for (int round = 0; round < 2; round++) {
        int n = epoll_wait_in(t, ep, out, N, 0, NULL, 0);
        assert_int_equal(n, ready);
        static char seen[N];
        memset(seen, 0, sizeof seen);
        for (int k = 0; k < n; k++) {
            assert_true(out[k].data.u64 % 7 == 0);
            assert_false(seen[out[k].data.u64]);
            seen[out[k].data.u64] = 1;
        }
    }
    /* remove most (the set shrinks), the ready ones among the rest stay */
    int left_ready = 0;
    for (int i = 0; i < N; i++) {
        if (i % 10 == 0) {
            left_ready += i % 7 == 0;
            continue;
        }
        assert_int_equal(epoll_ctl_in(t, ep, EPOLL_CTL_DEL, fds[i], NULL), 0);
    }
    struct file *epf;
    assert_int_equal(fd_table_get_file(t, ep, &epf), 0);
    assert_int_equal(epoll_file_count(epf), N / 10);
    assert_int_equal(epoll_wait_in(t, ep, out, N, 0, NULL, 0), left_ready);
    for (int i = 0; i < N; i += 10) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = (uint64_t)i + 1 };
        assert_int_equal(epoll_ctl_in(t, ep, EPOLL_CTL_MOD, fds[i], &ev), 0);
        assert_int_equal(epoll_ctl_in(t, ep, EPOLL_CTL_ADD, fds[i], &ev), -EEXIST);
    }
    assert_int_equal(epoll_wait_in(t, ep, out, N, 0, NULL, 0), left_ready);
    assert_int_equal(epoll_wait_in(t, ep, out, N, 0, NULL, 0), 0);
    for (int i = 0; i < N; i++)
        fd_table_close(t, fds[i]);
    assert_int_equal(epoll_file_count(epf), 0);
    file_put(epf);
    fd_table_put(t);
}

#define CMP(name)                                                              \
    static void test_##name(void **state)                                      \
    {                                                                          \
        (void)state;                                                           \
        compare_with_native(sc_##name);                                        \
    }

CMP(create_errnos)
CMP(ctl_errnos)
CMP(wait_errnos)
CMP(pipe_lt_et)
CMP(oneshot)
CMP(eventfd)
CMP(socketpair)
CMP(tcp)
CMP(mixed)
CMP(close_semantics)
CMP(nested)
CMP(eloop)

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* writes to pipes without readers */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_errnos),
        cmocka_unit_test(test_ctl_errnos),
        cmocka_unit_test(test_wait_errnos),
        cmocka_unit_test(test_pipe_lt_et),
        cmocka_unit_test(test_oneshot),
        cmocka_unit_test(test_eventfd),
        cmocka_unit_test(test_socketpair),
        cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_close_semantics),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_eloop),
        cmocka_unit_test(test_inherited_epoll_refers_to_files),
        cmocka_unit_test(test_host_pipe_stdio),
        cmocka_unit_test(test_many_entries),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    os_table_reset();
    return r;
}
