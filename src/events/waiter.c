/* Waiter and WaiterQueue (see waiter.h). */
#include "util/barrier.h"
#include "events/waiter.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "host/host_fd.h"
#include "host/host_wait.h"

/* Adaptive spin budget (ns). A futex sleep + wake costs the woken thread
 * 5-15 us in these VMs (and the waker a syscall), so a waiter spins for
 * longer than that when wake-ups usually come quickly. The spin is a pure
 * busy-wait with pause: yielding instead was measured to hurt on a busy
 * machine (a yielding thread loses its place to CPU hogs, while a thread
 * woken from a futex gets wake-up preemption). The policy must not
 * collapse: once both sides of a ping-pong sleep, every wait takes a
 * futex round trip and a short spin never succeeds again. So the budget
 * shrinks only after a run of failures (down to no spinning at all: on a
 * busy machine the peer often shares our CPU, and then every spin is
 * lost time), and now and then (every PROBE_MIN_EVERY sleeps, backing
 * off to PROBE_MAX_EVERY while probes fail) one wait spins the full
 * initial budget to find out whether spinning pays again. */
enum {
    SPIN_MIN_NS      = 0,
    SPIN_INIT_NS     = 30000,
    SPIN_MAX_NS      = 100000,
    SPIN_FAILS_SHRINK = 4,
    PROBE_MIN_EVERY  = 64,    /* probe interval (sleeps), doubling after */
    PROBE_MAX_EVERY  = 2048,  /* each failed probe up to this */
};

/* ---- time ------------------------------------------------------------ */

uint64_t waiter_now_ns(void) { return host_monotonic_ns(); }

uint64_t waiter_deadline_after(uint64_t rel_ns)
{
    uint64_t now = host_monotonic_ns();
    return rel_ns >= WAIT_FOREVER - now ? WAIT_FOREVER : now + rel_ns;
}

int waiter_deadline_from_timespec(const struct timespec *ts, bool absolute,
                                  uint64_t *deadline_ns)
{
    if (!ts) {
        *deadline_ns = WAIT_FOREVER;
        return 0;
    }
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
        return -EINVAL;
    uint64_t ns;
    if ((uint64_t)ts->tv_sec >= (WAIT_FOREVER - 1000000000ull) / 1000000000ull)
        ns = WAIT_FOREVER;
    else
        ns = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
    *deadline_ns = absolute ? ns : waiter_deadline_after(ns);
    return 0;
}

int waiter_deadline_from_timeout(const struct timespec *ts, uint64_t *deadline_ns)
{
    int r = waiter_deadline_from_timespec(ts, false, deadline_ns);
    if (r == 0 && ts && ts->tv_sec == 0 && ts->tv_nsec == 0)
        *deadline_ns = 0;
    return r;
}

uint64_t waiter_remaining_ns(uint64_t deadline_ns)
{
    if (deadline_ns == WAIT_FOREVER)
        return WAIT_FOREVER;
    uint64_t now = host_monotonic_ns();
    return deadline_ns > now ? deadline_ns - now : 0;
}

/* ---- per-thread waiter ------------------------------------------------ */

static __thread struct waiter *tls_bound;
static __thread struct waiter *tls_own;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_free(void *p)
{
    struct waiter *w = p;
    waiter_destroy(w);
    free(w);
}

static void tls_key_create(void) { pthread_key_create(&tls_key, tls_free); }

void waiter_init(struct waiter *w)
{
    atomic_init(&w->state, WAITER_RUNNING);
    atomic_init(&w->interrupted, false);
    atomic_init(&w->host_efd, -1);
    w->host_efd_dirty = false;
    w->spin_ns = SPIN_INIT_NS;
    w->spin_fails = 0;
    w->spin_probe = 0;
    w->probe_every = PROBE_MIN_EVERY;
    w->probing = false;
    w->owned_by_tls = false;
}

void waiter_destroy(struct waiter *w)
{
    int efd = atomic_exchange(&w->host_efd, -1);
    if (efd >= 0)
        host_fd_close(efd);
}

struct waiter *waiter_current(void)
{
    if (tls_bound)
        return tls_bound;
    if (!tls_own) {
        pthread_once(&tls_once, tls_key_create);
        struct waiter *w = malloc(sizeof *w);
        if (!w)
            abort(); /* a thread that cannot wait cannot go on */
        waiter_init(w);
        w->owned_by_tls = true;
        tls_own = w;
        pthread_setspecific(tls_key, w);
    }
    return tls_own;
}

void waiter_bind_current(struct waiter *w) { tls_bound = w; }

/* ---- wake / interrupt ------------------------------------------------- */

/* The state change of a wake. Returns the waiter's futex word if a futex
 * wake is still needed (the caller makes it, possibly after dropping a
 * lock), else NULL. A host sleeper's eventfd is written here. */
static atomic_uint *wake_begin(struct waiter *w)
{
    if (atomic_load_explicit(&w->state, memory_order_relaxed) == WAITER_WOKEN) {
        /* Already woken; the fence orders the caller's condition change
         * before the waiter's next look at it, as the xchg would. */
        smp_mb();
        if (atomic_load_explicit(&w->state, memory_order_relaxed) == WAITER_WOKEN)
            return NULL;
    }
    /* Read the eventfd before the state changes: once WOKEN is visible
     * the waiter may return and go away. */
    int efd = atomic_load_explicit(&w->host_efd, memory_order_acquire);
    unsigned old = atomic_exchange_explicit(&w->state, WAITER_WOKEN,
                                            memory_order_seq_cst);
    if (old == WAITER_FUTEX_SLEEP)
        return &w->state;
    if (old == WAITER_HOST_SLEEP) {
        /* First host sleep: the eventfd may have been created after our
         * first look. The state we just took was set after it was stored,
         * so a second look sees it. (Wakers keep the waiter alive while
         * they wake it: the queue lock, or the observer's pin that the
         * waiter's owner waits out when it unregisters.) */
        if (efd < 0)
            efd = atomic_load_explicit(&w->host_efd, memory_order_acquire);
        if (efd >= 0)
            host_eventfd_signal(efd);
    }
    return NULL;
}

/* A futex wake on a word whose waiter may already have left (even freed
 * its memory) is harmless: at worst a spurious wake-up for whoever sleeps
 * on that address now, and every futex user re-checks. */
static void wake_finish(atomic_uint *word)
{
    if (word)
        host_futex_wake(word, 1);
}

void waiter_wake(struct waiter *w)
{
    wake_finish(wake_begin(w));
}

void waiter_interrupt(struct waiter *w)
{
    atomic_store_explicit(&w->interrupted, true, memory_order_seq_cst);
    waiter_wake(w);
}

void waiter_clear_interrupt(struct waiter *w)
{
    atomic_store_explicit(&w->interrupted, false, memory_order_seq_cst);
}

/* ---- wait ------------------------------------------------------------- */

/* Take a WOKEN state back to RUNNING; the result for the caller. */
static int consume_wake(struct waiter *w)
{
    /* The fence keeps the caller's next look at its condition after this
     * store: a waker that still sees WOKEN skips the wake (waiter_wake's
     * fast path), so the condition it set must be visible to that look. */
    atomic_store_explicit(&w->state, WAITER_RUNNING, memory_order_seq_cst);
    smp_mb();
    return waiter_interrupt_pending(w) ? -EINTR : 0;
}

static void spin_succeeded(struct waiter *w, uint64_t spent)
{
    w->probing = false;
    w->probe_every = PROBE_MIN_EVERY;
    /* Keep room for four times what it took; climb back towards the
     * initial budget quickly. */
    w->spin_fails = 0;
    unsigned want = (unsigned)MIN(spent * 4, (uint64_t)SPIN_MAX_NS);
    if (w->spin_ns < SPIN_INIT_NS)
        want = MAX(want, MIN(MAX(w->spin_ns * 2u, 2000u), (unsigned)SPIN_INIT_NS));
    if (want > w->spin_ns)
        w->spin_ns = want;
}

static void spin_failed(struct waiter *w)
{
    if (w->probing) {
        w->probing = false;
        w->probe_every = MIN(w->probe_every * 2, (unsigned)PROBE_MAX_EVERY);
        return;
    }
    if (++w->spin_fails >= SPIN_FAILS_SHRINK) {
        w->spin_fails = 0;
        w->spin_ns = w->spin_ns / 2 < 500 ? SPIN_MIN_NS : w->spin_ns / 2;
    }
}

/* The budget for this spin (a full probe now and then). */
static uint64_t spin_budget(struct waiter *w)
{
    if (w->spin_ns < SPIN_INIT_NS && ++w->spin_probe >= w->probe_every) {
        w->spin_probe = 0;
        w->probing = true;
        return SPIN_INIT_NS;
    }
    return w->spin_ns;
}

/* Spin while the state is SPINNING; true if a wake arrived. */
static bool spin_for_wake(struct waiter *w, uint64_t deadline_ns)
{
    uint64_t budget = spin_budget(w);
    if (budget == 0)
        return false;
    uint64_t start = host_monotonic_ns(), now = start;
    uint64_t end = start + budget;
    if (end > deadline_ns)
        end = deadline_ns;
    for (unsigned i = 1;; i++) {
        cpu_relax();
        if (atomic_load_explicit(&w->state, memory_order_acquire) == WAITER_WOKEN) {
            spin_succeeded(w, host_monotonic_ns() - start);
            return true;
        }
        if ((i & 7) == 0) {
            now = host_monotonic_ns();
            if (now >= end) {
                spin_failed(w);
                return false;
            }
        }
    }
}

static int wait_common(struct waiter *w, uint64_t deadline_ns, bool spin);

int waiter_wait(struct waiter *w, uint64_t deadline_ns)
{
    return wait_common(w, deadline_ns, true);
}

static int wait_common(struct waiter *w, uint64_t deadline_ns, bool spin)
{
    if (waiter_interrupt_pending(w))
        return -EINTR;
    unsigned s = atomic_load_explicit(&w->state, memory_order_acquire);
    if (s == WAITER_WOKEN)
        return consume_wake(w);
    if (deadline_ns != WAIT_FOREVER && host_monotonic_ns() >= deadline_ns)
        return -ETIMEDOUT;

    unsigned expect = WAITER_RUNNING;
    if (spin) {
        if (!atomic_compare_exchange_strong(&w->state, &expect, WAITER_SPINNING))
            return consume_wake(w); /* only a waker changes RUNNING */
        if (spin_for_wake(w, deadline_ns))
            return consume_wake(w);
        expect = WAITER_SPINNING;
    }
    if (!atomic_compare_exchange_strong(&w->state, &expect, WAITER_FUTEX_SLEEP))
        return consume_wake(w);
    for (;;) {
        int r = host_futex_wait(&w->state, WAITER_FUTEX_SLEEP, deadline_ns);
        if (atomic_load_explicit(&w->state, memory_order_acquire) == WAITER_WOKEN)
            return consume_wake(w);
        if (r == -ETIMEDOUT ||
            (deadline_ns != WAIT_FOREVER && host_monotonic_ns() >= deadline_ns)) {
            expect = WAITER_FUTEX_SLEEP;
            if (atomic_compare_exchange_strong(&w->state, &expect, WAITER_RUNNING))
                return -ETIMEDOUT;
            return consume_wake(w);
        }
        /* Spurious, or a host signal: sleep again. */
    }
}

bool waiter_spin_until(struct waiter *w, bool (*cond)(void *arg), void *arg)
{
    if (cond(arg))
        return true;
    uint64_t budget = spin_budget(w);
    if (budget == 0)
        return cond(arg);
    uint64_t start = host_monotonic_ns(), now = start;
    uint64_t end = start + budget;
    for (unsigned i = 1;; i++) {
        if (cond(arg)) {
            spin_succeeded(w, host_monotonic_ns() - start);
            return true;
        }
        cpu_relax();
        if ((i & 7) == 0) {
            if (waiter_interrupt_pending(w) ||
                atomic_load_explicit(&w->state, memory_order_relaxed) == WAITER_WOKEN)
                return cond(arg);
            now = host_monotonic_ns();
            if (now >= end) {
                spin_failed(w);
                return cond(arg);
            }
        }
    }
}

static int host_efd_get(struct waiter *w)
{
    int efd = atomic_load_explicit(&w->host_efd, memory_order_relaxed);
    if (efd >= 0)
        return efd;
    efd = host_eventfd_create();
    if (efd < 0)
        return efd;
    atomic_store_explicit(&w->host_efd, efd, memory_order_release);
    return efd;
}

int waiter_wait_host(struct waiter *w, struct pollfd *fds, unsigned nfds,
                     uint64_t deadline_ns)
{
    if (nfds == 0)
        return waiter_wait(w, deadline_ns);
    if (waiter_interrupt_pending(w))
        return -EINTR;
    if (atomic_load_explicit(&w->state, memory_order_acquire) == WAITER_WOKEN)
        return consume_wake(w);

    int efd = host_efd_get(w);
    if (efd < 0)
        return efd;
    if (w->host_efd_dirty) {
        host_eventfd_drain(efd);
        w->host_efd_dirty = false;
    }

    struct pollfd small[16], *all = small;
    if (nfds + 1 > ARRAY_SIZE(small)) {
        all = malloc((nfds + 1) * sizeof *all);
        if (!all)
            return -ENOMEM;
    }
    for (unsigned i = 0; i < nfds; i++) {
        all[i] = fds[i];
        all[i].revents = 0;
    }
    all[nfds] = (struct pollfd){ .fd = efd, .events = POLLIN };

    int result;
    unsigned expect = WAITER_RUNNING;
    if (!atomic_compare_exchange_strong(&w->state, &expect, WAITER_HOST_SLEEP)) {
        result = consume_wake(w);
        goto out;
    }
    int r = host_ppoll(all, nfds + 1, deadline_ns);
    bool woken;
    expect = WAITER_HOST_SLEEP;
    if (atomic_compare_exchange_strong(&w->state, &expect, WAITER_RUNNING)) {
        woken = false;
        if (r > 0 && all[nfds].revents)
            host_eventfd_drain(efd); /* a late write from an earlier wake */
    } else {
        woken = true;
        consume_wake(w);
        if (r > 0 && all[nfds].revents)
            host_eventfd_drain(efd);
        else
            w->host_efd_dirty = true; /* the waker's write may still come */
    }

    int ready = 0;
    for (unsigned i = 0; i < nfds; i++) {
        fds[i].revents = r > 0 ? all[i].revents : 0;
        ready += fds[i].revents != 0;
    }
    if (waiter_interrupt_pending(w))
        result = -EINTR;
    else if (ready)
        result = ready;
    else if (woken)
        result = 0;
    else if (r < 0 && r != -EINTR)
        result = r;
    else if (deadline_ns != WAIT_FOREVER && host_monotonic_ns() >= deadline_ns)
        result = -ETIMEDOUT;
    else
        result = 0;
out:
    if (all != small)
        free(all);
    return result;
}

/* ---- WaiterQueue ------------------------------------------------------ */

void waiter_queue_init(struct waiter_queue *q)
{
    spin_init(&q->lock);
    list_init(&q->entries);
    atomic_init(&q->count, 0);
}

void waiter_queue_destroy(struct waiter_queue *q)
{
    spin_lock(&q->lock);
    assert(list_empty(&q->entries));
    spin_unlock(&q->lock);
}

void waiter_queue_add(struct waiter_queue *q, struct wait_entry *e)
{
    if (atomic_load_explicit(&e->queued, memory_order_relaxed))
        return;
    spin_lock(&q->lock);
    if (!atomic_load_explicit(&e->queued, memory_order_relaxed)) {
        list_add_tail(&e->link, &q->entries);
        atomic_store_explicit(&e->queued, true, memory_order_relaxed);
        e->woken = false;
        /* seq_cst: pairs with the fence in waiter_queue_has_waiters(). */
        atomic_fetch_add_explicit(&q->count, 1, memory_order_seq_cst);
    }
    spin_unlock(&q->lock);
}

bool waiter_queue_remove(struct waiter_queue *q, struct wait_entry *e)
{
    spin_lock(&q->lock);
    bool woken = e->woken;
    if (atomic_load_explicit(&e->queued, memory_order_relaxed)) {
        list_del(&e->link);
        atomic_store_explicit(&e->queued, false, memory_order_relaxed);
        atomic_fetch_sub_explicit(&q->count, 1, memory_order_relaxed);
    }
    e->woken = false;
    spin_unlock(&q->lock);
    return woken;
}

/* The state changes of wakes happen under the queue lock (a waiter cannot
 * leave the queue, and its thread cannot exit, while a waker still reads
 * its Waiter); the futex wake system calls happen after the lock is
 * dropped, so waiters coming and going never wait behind a system call. */
unsigned waiter_queue_wake_one_slow(struct waiter_queue *q)
{
    spin_lock(&q->lock);
    if (list_empty(&q->entries)) {
        spin_unlock(&q->lock);
        return 0;
    }
    struct wait_entry *e = list_first_entry(&q->entries, struct wait_entry, link);
    list_del(&e->link);
    atomic_store_explicit(&e->queued, false, memory_order_relaxed);
    atomic_fetch_sub_explicit(&q->count, 1, memory_order_relaxed);
    e->woken = true;
    atomic_uint *word = wake_begin(e->waiter);
    spin_unlock(&q->lock);
    wake_finish(word);
    return 1;
}

unsigned waiter_queue_wake_all_slow(struct waiter_queue *q)
{
    atomic_uint *words[16];
    unsigned n = 0, nw = 0;
    struct wait_entry *e;
    spin_lock(&q->lock);
    list_for_each_entry(e, &q->entries, link) {
        atomic_uint *word = wake_begin(e->waiter);
        n++;
        if (!word)
            continue;
        if (nw < ARRAY_SIZE(words))
            words[nw++] = word;
        else
            wake_finish(word); /* many sleepers: the rest under the lock */
    }
    spin_unlock(&q->lock);
    for (unsigned i = 0; i < nw; i++)
        wake_finish(words[i]);
    return n;
}

int waiter_queue_wait(struct waiter_queue *q, bool (*cond)(void *arg), void *arg,
                      uint64_t deadline_ns)
{
    struct waiter *w = waiter_current();
    if (waiter_interrupt_pending(w))
        return -EINTR;
    if (waiter_spin_until(w, cond, arg))
        return 0;
    struct wait_entry e;
    wait_entry_init(&e, w);
    int r = 0;
    waiter_queue_add(q, &e);
    while (!cond(arg)) {
        /* We already spun on the condition itself: sleep at once. */
        r = wait_common(w, deadline_ns, false);
        if (r < 0)
            break;
        waiter_queue_add(q, &e);
    }
    if (waiter_queue_remove(q, &e) && r < 0)
        waiter_queue_wake_one(q); /* pass an unused exclusive wake-up on */
    return r;
}
