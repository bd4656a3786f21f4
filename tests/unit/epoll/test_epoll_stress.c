/* Stress: hundreds of pipes and socketpairs, several epoll instances (one
 * nested in another), writer threads, reader threads, and a chaos thread
 * that switches trigger modes (LT/ET/ONESHOT), moves channels between
 * instances and closes/recreates channels, all at random. Every channel
 * carries a byte stream whose value at each position is known, so the
 * readers check that nothing is lost, duplicated or reordered; at the end
 * every byte written must have been read, which only happens if every
 * readiness event (including the final HUPs) reached a reader. */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "epoll_test.h"
#include "fs/epoll.h"

enum {
    NPIPES = 160,
    NSOCKS = 80,
    NSLOTS = NPIPES + NSOCKS,
    NEP = 3,          /* ep[2] is nested inside ep[0] */
    READERS_PER_EP = 2,
    NWRITERS = 2,
    RUN_MS = 2500,
    DRAIN_S = 60,     /* a lost event shows up as a drain that never ends */
};
#define INNER_TAG UINT64_MAX
#define STOP_TAG (UINT64_MAX - 1)

static const struct os_api *A = &onespace_api;

enum slot_state { DEAD, ALIVE, RETIRING };

struct slot {
    pthread_mutex_t wlock, rlock;
    _Atomic int state;       /* enum slot_state */
    _Atomic uint32_t gen;
    int rfd, wfd;            /* rfd under rlock, wfd under wlock */
    int ep;                  /* instance index, under rlock */
    uint32_t mode;           /* 0, EPOLLET or EPOLLONESHOT, under rlock */
    uint64_t written, read;  /* bytes (under wlock / rlock) */
};

static struct slot slots[NSLOTS];
static int eps[NEP];
static int stop_efd; /* readable when the readers should stop */
static _Atomic bool stop_writing;
static _Atomic long bad_bytes, total_written, total_read, events_seen;
static _Atomic long ctl_ops, recycles;

static uint8_t byte_at(int slot, uint32_t gen, uint64_t pos)
{
    return (uint8_t)((pos * 131u) ^ (pos >> 8) ^ ((unsigned)slot * 7u) ^ (gen * 13u));
}

static uint64_t tag(int slot, uint32_t gen) { return (uint64_t)slot << 32 | gen; }

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static const uint32_t modes[3] = { 0, EPOLLET, EPOLLONESHOT };

/* Create the channel in slot i and register its read end (rlock+wlock
 * held, or single-threaded setup). */
static void slot_open(int i, uint32_t *seed)
{
    struct slot *s = &slots[i];
    int fds[2];
    int r = i < NPIPES ? A->pipe2(fds, O_NONBLOCK) : A->socketpair(fds);
    assert_int_equal(r, 0);
    s->rfd = fds[0];
    s->wfd = fds[1];
    s->written = s->read = 0;
    uint32_t gen = atomic_load(&s->gen) + 1;
    atomic_store(&s->gen, gen);
    s->ep = (int)(rnd(seed) % NEP);
    s->mode = modes[rnd(seed) % 3];
    struct epoll_event ev = { .events = EPOLLIN | s->mode, .data.u64 = tag(i, gen) };
    assert_int_equal(A->epoll_ctl(eps[s->ep], EPOLL_CTL_ADD, s->rfd, &ev), 0);
    atomic_store(&s->state, ALIVE);
}

/* ---- readers ---------------------------------------------------------------------- */

static void drain(int i, uint32_t gen)
{
    struct slot *s = &slots[i];
    pthread_mutex_lock(&s->rlock);
    if (atomic_load(&s->gen) != gen || atomic_load(&s->state) == DEAD) {
        pthread_mutex_unlock(&s->rlock); /* a stale event of a recycled slot */
        return;
    }
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = A->read(s->rfd, buf, sizeof buf);
        if (n > 0) {
            for (ssize_t k = 0; k < n; k++)
                if (buf[k] != byte_at(i, gen, s->read + (uint64_t)k))
                    atomic_fetch_add(&bad_bytes, 1);
            s->read += (uint64_t)n;
            atomic_fetch_add(&total_read, n);
            continue;
        }
        if (n == 0) {
            /* EOF: the writer retired it and everything was read. Closing
             * the last fd takes the entry out of its instance. */
            assert_int_equal(A->close(s->rfd), 0);
            s->rfd = -1;
            atomic_store(&s->state, DEAD);
            break;
        }
        assert_int_equal(n, -EAGAIN);
        if (s->mode == EPOLLONESHOT) {
            struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = tag(i, gen) };
            assert_int_equal(A->epoll_ctl(eps[s->ep], EPOLL_CTL_MOD, s->rfd, &ev), 0);
        }
        break;
    }
    pthread_mutex_unlock(&s->rlock);
}

static void handle(struct epoll_event *ev, int n);

static void handle_inner(void)
{
    struct epoll_event ev[32];
    int n = A->epoll_wait(eps[2], ev, 32, 0);
    assert_true(n >= 0);
    handle(ev, n);
}

static void handle(struct epoll_event *ev, int n)
{
    for (int k = 0; k < n; k++) {
        atomic_fetch_add(&events_seen, 1);
        if (ev[k].data.u64 == STOP_TAG)
            continue;
        if (ev[k].data.u64 == INNER_TAG) {
            handle_inner();
            continue;
        }
        drain((int)(ev[k].data.u64 >> 32), (uint32_t)ev[k].data.u64);
    }
}

static void *reader(void *arg)
{
    int ep = (int)(intptr_t)arg;
    struct epoll_event ev[32];
    /* No timeout: a lost wake-up leaves a reader asleep and the drain
     * below never ends. The stop eventfd ends the loop. */
    for (;;) {
        int n = A->epoll_wait(eps[ep], ev, 32, -1);
        assert_true(n > 0);
        handle(ev, n);
        for (int k = 0; k < n; k++)
            if (ev[k].data.u64 == STOP_TAG)
                return NULL;
    }
}

/* ---- writers ---------------------------------------------------------------------- */

static void *writer(void *arg)
{
    uint32_t seed = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
    uint8_t buf[600];
    while (!atomic_load(&stop_writing)) {
        int i = (int)(rnd(&seed) % NSLOTS);
        struct slot *s = &slots[i];
        pthread_mutex_lock(&s->wlock);
        if (atomic_load(&s->state) == ALIVE) {
            uint32_t gen = atomic_load(&s->gen);
            size_t len = 1 + rnd(&seed) % sizeof buf;
            for (size_t k = 0; k < len; k++)
                buf[k] = byte_at(i, gen, s->written + k);
            ssize_t n = A->write(s->wfd, buf, len);
            if (n > 0) {
                s->written += (uint64_t)n;
                atomic_fetch_add(&total_written, n);
            } else {
                assert_int_equal(n, -EAGAIN);
            }
        }
        pthread_mutex_unlock(&s->wlock);
    }
    return NULL;
}

/* ---- chaos -------------------------------------------------------------------------- */

/* Stop writing to slot i and close its write end: the reader sees EOF
 * (HUP) once it has read everything. */
static void retire(int i)
{
    struct slot *s = &slots[i];
    pthread_mutex_lock(&s->wlock);
    if (atomic_load(&s->state) == ALIVE) {
        atomic_store(&s->state, RETIRING);
        assert_int_equal(A->close(s->wfd), 0);
        s->wfd = -1;
    }
    pthread_mutex_unlock(&s->wlock);
}

static void *chaos(void *arg)
{
    uint32_t seed = 0x9e3779b9u;
    while (!atomic_load(&stop_writing)) {
        int i = (int)(rnd(&seed) % NSLOTS);
        struct slot *s = &slots[i];
        uint32_t what = rnd(&seed) % 8;
        if (what == 0) {
            retire(i);
        } else if (what == 1) {
            /* recreate a dead slot */
            pthread_mutex_lock(&s->rlock);
            pthread_mutex_lock(&s->wlock);
            if (atomic_load(&s->state) == DEAD) {
                slot_open(i, &seed);
                atomic_fetch_add(&recycles, 1);
            }
            pthread_mutex_unlock(&s->wlock);
            pthread_mutex_unlock(&s->rlock);
        } else {
            /* change the trigger mode, or move to another instance */
            pthread_mutex_lock(&s->rlock);
            if (atomic_load(&s->state) != DEAD) {
                struct epoll_event ev = { .data.u64 = tag(i, atomic_load(&s->gen)) };
                if (what < 5) {
                    s->mode = modes[rnd(&seed) % 3];
                    ev.events = EPOLLIN | s->mode;
                    assert_int_equal(A->epoll_ctl(eps[s->ep], EPOLL_CTL_MOD, s->rfd, &ev), 0);
                } else {
                    assert_int_equal(A->epoll_ctl(eps[s->ep], EPOLL_CTL_DEL, s->rfd, NULL), 0);
                    s->ep = (int)(rnd(&seed) % NEP);
                    ev.events = EPOLLIN | s->mode;
                    assert_int_equal(A->epoll_ctl(eps[s->ep], EPOLL_CTL_ADD, s->rfd, &ev), 0);
                }
                atomic_fetch_add(&ctl_ops, 1);
            }
            pthread_mutex_unlock(&s->rlock);
        }
        if ((rnd(&seed) & 7) == 0)
            msleep(1);
    }
    return NULL;
}

static void test_stress(void **state)
{
    uint32_t seed = 12345;
    for (int k = 0; k < NEP; k++)
        eps[k] = A->epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = INNER_TAG };
    assert_int_equal(A->epoll_ctl(eps[0], EPOLL_CTL_ADD, eps[2], &ev), 0);
    stop_efd = A->eventfd(0, 0);
    ev.data.u64 = STOP_TAG;
    assert_int_equal(A->epoll_ctl(eps[0], EPOLL_CTL_ADD, stop_efd, &ev), 0);
    assert_int_equal(A->epoll_ctl(eps[1], EPOLL_CTL_ADD, stop_efd, &ev), 0);
    for (int i = 0; i < NSLOTS; i++) {
        pthread_mutex_init(&slots[i].wlock, NULL);
        pthread_mutex_init(&slots[i].rlock, NULL);
        slot_open(i, &seed);
    }

    struct tthread *rd[2 * READERS_PER_EP], *wr[NWRITERS], *ch;
    int nr = 0;
    for (int k = 0; k < 2; k++) /* ep[2] is read through ep[0] */
        for (int j = 0; j < READERS_PER_EP; j++)
            rd[nr++] = tthread_start(reader, (void *)(intptr_t)k);
    for (int j = 0; j < NWRITERS; j++)
        wr[j] = tthread_start(writer, (void *)(intptr_t)(j + 1));
    ch = tthread_start(chaos, NULL);

    msleep(RUN_MS);
    atomic_store(&stop_writing, true);
    for (int j = 0; j < NWRITERS; j++)
        tthread_join(wr[j], 30);
    tthread_join(ch, 30);

    /* Retire everything; readers must reach EOF on every channel. */
    for (int i = 0; i < NSLOTS; i++)
        retire(i);
    uint64_t deadline = now_ns() + (uint64_t)DRAIN_S * 1000000000ull;
    int alive;
    do {
        alive = 0;
        for (int i = 0; i < NSLOTS; i++)
            alive += atomic_load(&slots[i].state) != DEAD;
        if (alive)
            msleep(5);
    } while (alive && now_ns() < deadline);
    uint64_t one = 1;
    assert_int_equal(A->write(stop_efd, &one, 8), 8);
    for (int j = 0; j < nr; j++)
        tthread_join(rd[j], 30);

    long w = atomic_load(&total_written), r = atomic_load(&total_read);
    print_message("stress: %ld bytes written, %ld read, %ld events, %ld ctl ops, %ld recycles\n",
                  w, r, atomic_load(&events_seen), atomic_load(&ctl_ops),
                  atomic_load(&recycles));
    if (alive) {
        for (int i = 0; i < NSLOTS; i++)
            if (atomic_load(&slots[i].state) != DEAD)
                print_error("slot %d (%s, ep %d, mode %#x) never reached EOF: %llu written, %llu read\n",
                            i, i < NPIPES ? "pipe" : "socket", slots[i].ep, slots[i].mode,
                            (unsigned long long)slots[i].written,
                            (unsigned long long)slots[i].read);
    }
    assert_int_equal(alive, 0);
    assert_int_equal(atomic_load(&bad_bytes), 0);
    assert_int_equal(w, r);
    assert_true(w > 0);
    for (int i = 0; i < NSLOTS; i++)
        assert_int_equal(slots[i].written, slots[i].read);
    for (int k = 0; k < NEP; k++) {
        struct file *f = os_file(eps[k]);
        assert_int_equal(epoll_file_count(f), k == 0 ? 2 : k == 1 ? 1 : 0);
        file_put(f);
    }
    for (int k = 0; k < NEP; k++)
        A->close(eps[k]);
    A->close(stop_efd);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    os_table_reset();
    return r;
}
