/* epoll with threads: wake-ups of blocked waiters (EPOLL_CTL_MOD, ADD,
 * LibOS and host events through one sleep, nesting), closing while
 * waiting, EINTR, timeouts, the sigmask hook, EPOLLEXCLUSIVE. Where Linux
 * can be asked, the same scenario runs natively too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "epoll_test.h"
#include "events/waiter.h"
#include "util/barrier.h"
#include "fs/epoll.h"
#include "fs/poll.h"

/* ---- a thread blocked in epoll_wait ------------------------------------------- */

struct waiter_arg {
    const struct os_api *api;
    int ep;
    int timeout_ms;
    int max;
    struct epoll_event ev[8];
    int result;
    uint64_t elapsed_ns;
    struct waiter *waiter;  /* onespace: for interrupting it */
    atomic_int started;
};

static void *wait_thread(void *p)
{
    struct waiter_arg *w = p;
    w->waiter = waiter_current();
    atomic_store(&w->started, 1);
    uint64_t t0 = now_ns();
    w->result = w->api->epoll_wait(w->ep, w->ev, w->max ? w->max : 8, w->timeout_ms);
    w->elapsed_ns = now_ns() - t0;
    return NULL;
}

static struct tthread *start_waiter(struct waiter_arg *w, const struct os_api *a,
                                    int ep, int timeout_ms)
{
    memset(w, 0, sizeof *w);
    w->api = a;
    w->ep = ep;
    w->timeout_ms = timeout_ms;
    struct tthread *t = tthread_start(wait_thread, w);
    while (!atomic_load(&w->started))
        msleep(1);
    msleep(50); /* let it block (only makes the interleaving likely) */
    return t;
}

static const struct os_api *apis[] = { &native_api, &onespace_api };

/* ---- EPOLL_CTL_MOD wakes a blocked waiter ----------------------------------- */

static void mod_wakes(const struct os_api *a, int fds[2])
{
    int ep = a->epoll_create1(0);
    /* The write end is never readable: the waiter blocks. */
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
    assert_int_equal(a->epoll_ctl(ep, EPOLL_CTL_ADD, fds[1], &ev), 0);
    struct waiter_arg w;
    struct tthread *t = start_waiter(&w, a, ep, 10000);
    ev.events = EPOLLOUT;
    ev.data.u64 = 2;
    assert_int_equal(a->epoll_ctl(ep, EPOLL_CTL_MOD, fds[1], &ev), 0);
    tthread_join(t, 20);
    assert_int_equal(w.result, 1);
    assert_int_equal(w.ev[0].data.u64, 2);
    assert_true(w.ev[0].events & EPOLLOUT);
    a->close(ep);
    a->close(fds[0]);
    a->close(fds[1]);
}

static void test_mod_wakes_blocked_waiter(void **state)
{
    for (int i = 0; i < 2; i++) {
        int p[2], s[2];
        assert_int_equal(apis[i]->pipe2(p, O_NONBLOCK), 0);
        mod_wakes(apis[i], p);
        assert_int_equal(apis[i]->socketpair(s), 0);
        mod_wakes(apis[i], s);
    }
}

/* ONESHOT re-armed by MOD while a thread waits. */
static void test_oneshot_rearm_wakes(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        int p[2];
        a->pipe2(p, O_NONBLOCK);
        int ep = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };
        a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        a->write(p[1], "x", 1);
        struct epoll_event out[2];
        assert_int_equal(a->epoll_wait(ep, out, 2, 0), 1);
        struct waiter_arg w;
        struct tthread *t = start_waiter(&w, a, ep, 300);
        tthread_join(t, 20);
        assert_int_equal(w.result, 0); /* disarmed: data there, no event */
        t = start_waiter(&w, a, ep, 10000);
        assert_int_equal(a->epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0);
        tthread_join(t, 20);
        assert_int_equal(w.result, 1);
        a->close(ep);
        a->close(p[0]);
        a->close(p[1]);
    }
}

/* ---- one sleep for LibOS and host files --------------------------------------- */

static void test_mixed_wakes_by_either_kind(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        int p[2], s[2];
        char buf[8];
        a->pipe2(p, O_NONBLOCK);
        a->socketpair(s);
        int ep = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
        a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        ev.data.u64 = 2;
        a->epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &ev);
        if (a == &onespace_api) {
            struct file *f = os_file(ep);
            assert_int_equal(epoll_file_uses_host(f), 1);
            file_put(f);
        }
        for (int round = 0; round < 3; round++) {
            struct waiter_arg w;
            struct tthread *t = start_waiter(&w, a, ep, 10000);
            a->write(p[1], "a", 1); /* a LibOS event */
            tthread_join(t, 20);
            assert_int_equal(w.result, 1);
            assert_int_equal(w.ev[0].data.u64, 1);
            a->read(p[0], buf, sizeof buf);

            t = start_waiter(&w, a, ep, 10000);
            a->write(s[1], "b", 1); /* a host event */
            tthread_join(t, 20);
            assert_int_equal(w.result, 1);
            assert_int_equal(w.ev[0].data.u64, 2);
            a->read(s[0], buf, sizeof buf);
        }
        a->close(ep);
        a->close(p[0]);
        a->close(p[1]);
        a->close(s[0]);
        a->close(s[1]);
    }
}

/* A LibOS-only instance never uses the host epoll; adding a ready host
 * file while a thread sleeps (on the futex) wakes it. */
static void test_host_add_wakes_futex_sleeper(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        int p[2], s[2];
        a->pipe2(p, O_NONBLOCK);
        a->socketpair(s);
        int ep = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
        a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        if (a == &onespace_api) {
            struct file *f = os_file(ep);
            assert_int_equal(epoll_file_uses_host(f), 0);
            file_put(f);
        }
        a->write(s[1], "b", 1);
        struct waiter_arg w;
        struct tthread *t = start_waiter(&w, a, ep, 10000);
        ev.data.u64 = 2;
        assert_int_equal(a->epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &ev), 0);
        tthread_join(t, 20);
        assert_int_equal(w.result, 1);
        assert_int_equal(w.ev[0].data.u64, 2);
        /* and a later host event wakes a new sleeper */
        char buf[4];
        a->read(s[0], buf, sizeof buf);
        t = start_waiter(&w, a, ep, 10000);
        a->write(s[1], "c", 1);
        tthread_join(t, 20);
        assert_int_equal(w.result, 1);
        a->close(ep);
        a->close(p[0]);
        a->close(p[1]);
        a->close(s[0]);
        a->close(s[1]);
    }
}

/* Nested: a LibOS file inside an instance that also holds a host file,
 * inside another instance. Either event wakes a thread on the top one. */
static void test_nested_wakes(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        int p[2], s[2];
        char buf[8];
        a->pipe2(p, O_NONBLOCK);
        a->socketpair(s);
        int inner = a->epoll_create1(0), mid = a->epoll_create1(0), top = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
        a->epoll_ctl(inner, EPOLL_CTL_ADD, p[0], &ev);
        ev.data.u64 = 2;
        a->epoll_ctl(mid, EPOLL_CTL_ADD, inner, &ev);
        ev.data.u64 = 3;
        a->epoll_ctl(mid, EPOLL_CTL_ADD, s[0], &ev);
        ev.data.u64 = 4;
        a->epoll_ctl(top, EPOLL_CTL_ADD, mid, &ev);
        for (int round = 0; round < 2; round++) {
            struct waiter_arg w;
            struct tthread *t = start_waiter(&w, a, top, 10000);
            a->write(p[1], "a", 1);
            tthread_join(t, 20);
            assert_int_equal(w.result, 1);
            assert_int_equal(w.ev[0].data.u64, 4);
            a->read(p[0], buf, sizeof buf);
            t = start_waiter(&w, a, top, 10000);
            a->write(s[1], "b", 1);
            tthread_join(t, 20);
            assert_int_equal(w.result, 1);
            assert_int_equal(w.ev[0].data.u64, 4);
            /* the middle one tells which */
            struct epoll_event out[4];
            assert_int_equal(a->epoll_wait(mid, out, 4, 0), 1);
            assert_int_equal(out[0].data.u64, 3);
            a->read(s[0], buf, sizeof buf);
        }
        a->close(top);
        a->close(mid);
        a->close(inner);
        a->close(p[0]);
        a->close(p[1]);
        a->close(s[0]);
        a->close(s[1]);
    }
}

/* ---- closing while waiting ------------------------------------------------------ */

static void test_close_registered_fd_while_waiting(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        int p[2], q[2];
        a->pipe2(p, O_NONBLOCK);
        a->pipe2(q, O_NONBLOCK);
        int ep = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
        a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        int d = a->dup(q[0]);
        ev.data.u64 = 2;
        a->epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev);

        /* The last reference goes: the entry goes, the waiter sleeps on. */
        struct waiter_arg w;
        struct tthread *t = start_waiter(&w, a, ep, 300);
        assert_int_equal(a->close(p[0]), 0);
        a->write(p[1], "x", 1);
        tthread_join(t, 20);
        assert_int_equal(w.result, 0);

        /* One of two fds goes: the entry stays and still wakes it. */
        t = start_waiter(&w, a, ep, 10000);
        assert_int_equal(a->close(q[0]), 0);
        a->write(q[1], "y", 1);
        tthread_join(t, 20);
        assert_int_equal(w.result, 1);
        assert_int_equal(w.ev[0].data.u64, 2);
        if (a == &onespace_api) {
            struct file *f = os_file(ep);
            assert_int_equal(epoll_file_count(f), 1);
            a->close(d);
            assert_int_equal(epoll_file_count(f), 0);
            file_put(f);
        } else {
            a->close(d);
        }
        a->close(ep);
        a->close(p[1]);
        a->close(q[1]);
    }
}

static void test_close_epoll_fd_while_waiting(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
#ifdef ONESPACE_TSAN
        /* TSan reports closing a host fd that another thread uses as a
         * race: only the onespace half runs there. */
        if (a == &native_api)
            continue;
#endif
        int p[2], s[2];
        a->pipe2(p, O_NONBLOCK);
        a->socketpair(s);
        int ep = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
        a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        ev.data.u64 = 2;
        a->epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &ev);
        /* Closing the fd does not end the wait (Linux: the waiter's
         * reference keeps the instance); an event still reaches it. */
        struct waiter_arg w;
        struct tthread *t = start_waiter(&w, a, ep, 10000);
        assert_int_equal(a->close(ep), 0);
        msleep(50);
        a->write(p[1], "x", 1);
        tthread_join(t, 20);
        assert_int_equal(w.result, 1);
        assert_int_equal(w.ev[0].data.u64, 1);
        /* And with a timeout and no event: it times out, no crash. */
        ep = a->epoll_create1(0);
        ev.data.u64 = 3;
        a->epoll_ctl(ep, EPOLL_CTL_ADD, s[0], &ev);
        t = start_waiter(&w, a, ep, 200);
        assert_int_equal(a->close(ep), 0);
        tthread_join(t, 20);
        assert_int_equal(w.result, 0);
        a->close(p[0]);
        a->close(p[1]);
        a->close(s[0]);
        a->close(s[1]);
    }
}

/* ---- EINTR, timeouts ------------------------------------------------------------- */

static void test_eintr(void **state)
{
    const struct os_api *a = &onespace_api;
    int p[2], s[2];
    a->pipe2(p, O_NONBLOCK);
    a->socketpair(s);
    for (int host = 0; host < 2; host++) {
        int ep = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
        a->epoll_ctl(ep, EPOLL_CTL_ADD, host ? s[0] : p[0], &ev);
        struct waiter_arg w;
        struct tthread *t = start_waiter(&w, a, ep, -1);
        waiter_interrupt(w.waiter);
        tthread_join(t, 20);
        assert_int_equal(w.result, -EINTR);

        /* Pending interrupt + ready events: events win (Linux). With a
         * zero timeout there is never EINTR. */
        a->write(host ? s[1] : p[1], "x", 1);
        struct waiter *me = waiter_current();
        waiter_interrupt(me);
        struct epoll_event out[2];
        assert_int_equal(a->epoll_wait(ep, out, 2, host ? 1000 : 0), 1);
        char buf[4];
        a->read(host ? s[0] : p[0], buf, sizeof buf);
        assert_int_equal(a->epoll_wait(ep, out, 2, 0), 0);
        assert_int_equal(a->epoll_wait(ep, out, 2, 1000), -EINTR);
        waiter_clear_interrupt(me);
        assert_int_equal(a->epoll_wait(ep, out, 2, 10), 0);
        a->close(ep);
    }
    a->close(p[0]);
    a->close(p[1]);
    a->close(s[0]);
    a->close(s[1]);
}

static void test_timeouts(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        int p[2], s[2];
        a->pipe2(p, O_NONBLOCK);
        a->socketpair(s);
        int ep = a->epoll_create1(0), eh = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN };
        a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        a->epoll_ctl(eh, EPOLL_CTL_ADD, s[0], &ev);
        int eps[2] = { ep, eh };
        for (int k = 0; k < 2; k++) {
            struct epoll_event out[2];
            uint64_t t0 = now_ns();
            assert_int_equal(a->epoll_wait(eps[k], out, 2, 30), 0);
            assert_true(now_ns() - t0 >= 29000000ull); /* never early */
            struct timespec ts = { 0, 30000000 };
            t0 = now_ns();
            assert_int_equal(a->epoll_pwait2(eps[k], out, 2, &ts), 0);
            assert_true(now_ns() - t0 >= 29000000ull);
        }
        a->close(ep);
        a->close(eh);
        a->close(p[0]);
        a->close(p[1]);
        a->close(s[0]);
        a->close(s[1]);
    }
}

/* ---- the sigmask hook -------------------------------------------------------------- */

static struct {
    int installs, restores;
    uint64_t installed, restored;
    int result;
} hk;

static void hk_install(const guest_sigset_t *mask, guest_sigset_t *saved)
{
    hk.installs++;
    hk.installed = *mask;
    *saved = 0x1234;
}

static void hk_restore(const guest_sigset_t *saved, int result)
{
    hk.restores++;
    hk.restored = *saved;
    hk.result = result;
}

static const struct wait_sigmask_hooks hooks = { hk_install, hk_restore };

static void test_sigmask_hook(void **state)
{
    const struct os_api *a = &onespace_api;
    wait_sigmask_set_hooks(&hooks);
    int p[2];
    a->pipe2(p, O_NONBLOCK);
    int ep = a->epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN }, out[2];
    a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    uint64_t mask = 1ull << (SIGUSR1 - 1);

    memset(&hk, 0, sizeof hk);
    assert_int_equal(a->epoll_pwait(ep, out, 2, 0, &mask, 8), 0);
    assert_int_equal(hk.installs, 1);
    assert_int_equal(hk.restores, 1);
    assert_int_equal(hk.installed, mask);
    assert_int_equal(hk.restored, 0x1234);
    /* installed before the other checks, restored with the result */
    memset(&hk, 0, sizeof hk);
    assert_int_equal(a->epoll_pwait(900, out, 2, 0, &mask, 8), -EBADF);
    assert_int_equal(hk.installs, 1);
    assert_int_equal(hk.result, -EBADF);
    /* bad size: nothing installed */
    memset(&hk, 0, sizeof hk);
    assert_int_equal(a->epoll_pwait(ep, out, 2, 0, &mask, 4), -EINVAL);
    assert_int_equal(hk.installs, 0);
    /* no mask: nothing installed */
    assert_int_equal(a->epoll_pwait(ep, out, 2, 0, NULL, 8), 0);
    assert_int_equal(hk.installs, 0);
    /* an interrupted wait restores with -EINTR */
    waiter_interrupt(waiter_current());
    assert_int_equal(a->epoll_pwait(ep, out, 2, 1000, &mask, 8), -EINTR);
    assert_int_equal(hk.restores, 1);
    assert_int_equal(hk.result, -EINTR);
    waiter_clear_interrupt(waiter_current());
    /* epoll_pwait2 */
    struct timespec ts = { 0, 0 };
    memset(&hk, 0, sizeof hk);
    assert_int_equal(epoll_pwait2_in(os_table(), ep, out, 2, &ts, &mask, 8), 0);
    assert_int_equal(hk.installs, 1);
    assert_int_equal(hk.restores, 1);
    /* ppoll, pselect6 */
    struct pollfd pf = { .fd = p[0], .events = POLLIN };
    memset(&hk, 0, sizeof hk);
    assert_int_equal(a->ppoll(&pf, 1, &ts, &mask, 8), 0);
    assert_int_equal(hk.installs, 1);
    assert_int_equal(hk.restores, 1);
    uint64_t rs = 1ull << p[0];
    memset(&hk, 0, sizeof hk);
    assert_int_equal(a->pselect6(p[0] + 1, &rs, NULL, NULL, &ts, &mask, 8), 0);
    assert_int_equal(hk.installs, 1);
    assert_int_equal(hk.restores, 1);
    memset(&hk, 0, sizeof hk);
    assert_int_equal(a->pselect6(p[0] + 1, &rs, NULL, NULL, &ts, &mask, 16), -EINVAL);
    assert_int_equal(hk.installs, 0);
    wait_sigmask_set_hooks(NULL);
    a->close(ep);
    a->close(p[0]);
    a->close(p[1]);
}

/* ---- EPOLLEXCLUSIVE -------------------------------------------------------------- */

enum { NX = 4 };

/* NX instances watch one eventfd, one thread waiting in each; one write:
 * with EXCLUSIVE exactly one thread wakes, without it all do. Whether a
 * thread is already asleep when the write comes is up to the scheduler,
 * so a round where one was late is tried again. */
static int exclusive_round(const struct os_api *a, bool exclusive)
{
    int efd = a->eventfd(0, EFD_NONBLOCK);
    int ep[NX];
    struct waiter_arg w[NX];
    struct tthread *t[NX];
    for (int i = 0; i < NX; i++) {
        ep[i] = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0),
                                  .data.u64 = (uint64_t)i };
        assert_int_equal(a->epoll_ctl(ep[i], EPOLL_CTL_ADD, efd, &ev), 0);
    }
    for (int i = 0; i < NX; i++)
        t[i] = start_waiter(&w[i], a, ep[i], 400);
    msleep(100);
    uint64_t one = 1;
    a->write(efd, &one, 8);
    int woke = 0;
    for (int i = 0; i < NX; i++) {
        tthread_join(t[i], 20);
        woke += w[i].result > 0;
    }
    for (int i = 0; i < NX; i++)
        a->close(ep[i]);
    a->close(efd);
    return woke;
}

static void test_exclusive_wakes_one(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        int woke = -1;
        for (int round = 0; round < 5 && woke != 1; round++)
            woke = exclusive_round(a, true);
        if (woke != 1)
            print_error("%s: EXCLUSIVE woke %d of %d\n", a->name, woke, NX);
        assert_int_equal(woke, 1);
        woke = exclusive_round(a, false);
        assert_int_equal(woke, NX);
    }
}

/* Several threads in the same instance: an edge-triggered event goes to
 * one of them; the others time out. */
static void test_one_instance_many_waiters(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        int p[2];
        a->pipe2(p, O_NONBLOCK);
        int ep = a->epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 9 };
        a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        struct waiter_arg w[3];
        struct tthread *t[3];
        for (int k = 0; k < 3; k++)
            t[k] = start_waiter(&w[k], a, ep, 300);
        a->write(p[1], "x", 1);
        int got = 0;
        for (int k = 0; k < 3; k++) {
            tthread_join(t[k], 20);
            got += w[k].result;
        }
        assert_int_equal(got, 1);
        a->close(ep);
        a->close(p[0]);
        a->close(p[1]);
    }
}


/* ---- poll / select blocking -------------------------------------------------------- */

struct pwait_arg {
    const struct os_api *api;
    struct pollfd f[4];
    int n;
    int use_select;
    int result;
    struct waiter *waiter;
    atomic_int started;
};

static void *poll_thread(void *p)
{
    struct pwait_arg *w = p;
    w->waiter = waiter_current();
    atomic_store(&w->started, 1);
    if (w->use_select) {
        uint64_t r[16] = { 0 };
        int n = 0;
        for (int i = 0; i < w->n; i++) {
            r[w->f[i].fd / 64] |= 1ull << (w->f[i].fd % 64);
            if (w->f[i].fd + 1 > n)
                n = w->f[i].fd + 1;
        }
        w->result = w->api->select(n, r, NULL, NULL, NULL);
        for (int i = 0; i < w->n; i++)
            w->f[i].revents = (r[w->f[i].fd / 64] >> (w->f[i].fd % 64)) & 1 ? POLLIN : 0;
    } else {
        w->result = w->api->poll(w->f, (unsigned long)w->n, -1);
    }
    return NULL;
}

static struct tthread *start_poller(struct pwait_arg *w)
{
    atomic_store(&w->started, 0);
    struct tthread *t = tthread_start(poll_thread, w);
    while (!atomic_load(&w->started))
        msleep(1);
    msleep(50);
    return t;
}

/* poll and select sleep once on LibOS and host fds (and an epoll fd with a
 * host file inside); each kind wakes them. */
static void test_poll_select_wake(void **state)
{
    for (int i = 0; i < 2; i++) {
        const struct os_api *a = apis[i];
        for (int sel = 0; sel < 2; sel++) {
            int p[2], s[2], h[2];
            char buf[8];
            a->pipe2(p, O_NONBLOCK);
            a->socketpair(s);
            a->socketpair(h);
            int ep = a->epoll_create1(0);
            struct epoll_event ev = { .events = EPOLLIN };
            a->epoll_ctl(ep, EPOLL_CTL_ADD, h[0], &ev);
            int wfd[3] = { p[1], s[1], h[1] };
            int rfd[3] = { p[0], s[0], h[0] };
            for (int k = 0; k < 3; k++) {
                struct pwait_arg w = { .api = a, .n = 3, .use_select = sel };
                w.f[0] = (struct pollfd){ p[0], POLLIN, 0 };
                w.f[1] = (struct pollfd){ s[0], POLLIN, 0 };
                w.f[2] = (struct pollfd){ ep, POLLIN, 0 };
                struct tthread *t = start_poller(&w);
                a->write(wfd[k], "x", 1);
                tthread_join(t, 20);
                assert_int_equal(w.result, 1);
                assert_true(w.f[k].revents & POLLIN);
                a->read(rfd[k], buf, sizeof buf);
            }
            a->close(ep);
            a->close(p[0]);
            a->close(p[1]);
            a->close(s[0]);
            a->close(s[1]);
            a->close(h[0]);
            a->close(h[1]);
        }
    }
}

static void test_poll_select_eintr(void **state)
{
    const struct os_api *a = &onespace_api;
    int p[2], s[2];
    a->pipe2(p, O_NONBLOCK);
    a->socketpair(s);
    for (int sel = 0; sel < 2; sel++) {
        for (int host = 0; host < 2; host++) {
            struct pwait_arg w = { .api = a, .n = 1, .use_select = sel };
            w.f[0] = (struct pollfd){ host ? s[0] : p[0], POLLIN, 0 };
            struct tthread *t = start_poller(&w);
            waiter_interrupt(w.waiter);
            tthread_join(t, 20);
            assert_int_equal(w.result, -EINTR);
        }
    }
    a->close(p[0]);
    a->close(p[1]);
    a->close(s[0]);
    a->close(s[1]);
}

/* ---- no lost wake-ups: strict ping-pong through epoll ------------------------------ */

struct pp_side {
    const struct os_api *api;
    int ep, rfd, wfd, rounds;
    bool et;
    int done;
};

static void *pp_thread(void *p)
{
    struct pp_side *s = p;
    struct epoll_event ev[2];
    char c;
    for (int i = 0; i < s->rounds; i++) {
        int n = s->api->epoll_wait(s->ep, ev, 2, -1);
        if (n != 1)
            return NULL;
        if (s->api->read(s->rfd, &c, 1) != 1)
            return NULL;
        if (s->api->write(s->wfd, &c, 1) != 1)
            return NULL;
        s->done++;
    }
    return NULL;
}

/* Each side sleeps in epoll_wait until the other writes: any wake-up lost
 * between "nothing ready" and "asleep" stops the game (join times out). */
static void ping_pong(const struct os_api *a, bool sockets, bool et, int rounds)
{
    int x[2], y[2];
    if (sockets) {
        assert_int_equal(a->socketpair(x), 0);
        assert_int_equal(a->socketpair(y), 0);
    } else {
        assert_int_equal(a->pipe2(x, O_NONBLOCK), 0);
        assert_int_equal(a->pipe2(y, O_NONBLOCK), 0);
    }
    struct pp_side s1 = { a, a->epoll_create1(0), x[0], y[1], rounds, et, 0 };
    struct pp_side s2 = { a, a->epoll_create1(0), y[0], x[1], rounds, et, 0 };
    struct epoll_event ev = { .events = EPOLLIN | (et ? EPOLLET : 0) };
    assert_int_equal(a->epoll_ctl(s1.ep, EPOLL_CTL_ADD, s1.rfd, &ev), 0);
    assert_int_equal(a->epoll_ctl(s2.ep, EPOLL_CTL_ADD, s2.rfd, &ev), 0);
    struct tthread *t1 = tthread_start(pp_thread, &s1);
    struct tthread *t2 = tthread_start(pp_thread, &s2);
    assert_int_equal(a->write(x[1], "p", 1), 1); /* serve */
    tthread_join(t1, 60);
    tthread_join(t2, 60);
    assert_int_equal(s1.done, rounds);
    assert_int_equal(s2.done, rounds);
    a->close(s1.ep);
    a->close(s2.ep);
    a->close(x[0]);
    a->close(x[1]);
    a->close(y[0]);
    a->close(y[1]);
}

static void test_ping_pong_no_lost_wakeup(void **state)
{
#ifdef ONESPACE_TSAN
    int scale = 10;
#else
    int scale = 1;
#endif
    ping_pong(&onespace_api, false, false, 20000 / scale);
    ping_pong(&onespace_api, false, true, 20000 / scale);
    ping_pong(&onespace_api, true, false, 3000 / scale);
    ping_pong(&onespace_api, true, true, 3000 / scale);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mod_wakes_blocked_waiter),
        cmocka_unit_test(test_oneshot_rearm_wakes),
        cmocka_unit_test(test_mixed_wakes_by_either_kind),
        cmocka_unit_test(test_host_add_wakes_futex_sleeper),
        cmocka_unit_test(test_nested_wakes),
        cmocka_unit_test(test_close_registered_fd_while_waiting),
        cmocka_unit_test(test_close_epoll_fd_while_waiting),
        cmocka_unit_test(test_eintr),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_sigmask_hook),
        cmocka_unit_test(test_exclusive_wakes_one),
        cmocka_unit_test(test_one_instance_many_waiters),
        cmocka_unit_test(test_poll_select_wake),
        cmocka_unit_test(test_poll_select_eintr),
        cmocka_unit_test(test_ping_pong_no_lost_wakeup),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    os_table_reset();
    return r;
}
