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
 * several microseconds here, so spinning a little longer than that is
 * worth it when the wake-up usually comes quickly. */
enum {
    SPIN_MIN_NS  = 1000,
    SPIN_INIT_NS = 10000,
    SPIN_MAX_NS  = 50000,
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

void waiter_wake(struct waiter *w)
{
    if (atomic_load_explicit(&w->state, memory_order_relaxed) == WAITER_WOKEN) {
        /* Already woken; the fence orders the caller's condition change
         * before the waiter's next look at it, as the xchg would. */
        smp_mb();
        if (atomic_load_explicit(&w->state, memory_order_relaxed) == WAITER_WOKEN)
            return;
    }
    /* Read the eventfd before the state changes: once WOKEN is visible
     * the waiter may return and go away. */
    int efd = atomic_load_explicit(&w->host_efd, memory_order_acquire);
    unsigned old = atomic_exchange_explicit(&w->state, WAITER_WOKEN,
                                            memory_order_seq_cst);
    if (old == WAITER_FUTEX_SLEEP)
        host_futex_wake(&w->state, 1);
    else if (old == WAITER_HOST_SLEEP && efd >= 0)
        host_eventfd_signal(efd);
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
    /* Keep room for twice what it took, growing gently. */
    unsigned want = (unsigned)MIN(spent * 2, (uint64_t)SPIN_MAX_NS);
    if (want > w->spin_ns)
        w->spin_ns = MIN(want, w->spin_ns * 2u);
}

static void spin_failed(struct waiter *w)
{
    w->spin_ns = MAX(w->spin_ns / 2, (unsigned)SPIN_MIN_NS);
}

/* Spin while the state is SPINNING; true if a wake arrived. */
static bool spin_for_wake(struct waiter *w, uint64_t deadline_ns)
{
    uint64_t start = host_monotonic_ns();
    uint64_t end = start + w->spin_ns;
    if (end > deadline_ns)
        end = deadline_ns;
    for (unsigned i = 1;; i++) {
        cpu_relax();
        if (atomic_load_explicit(&w->state, memory_order_acquire) == WAITER_WOKEN) {
            spin_succeeded(w, host_monotonic_ns() - start);
            return true;
        }
        if ((i & 15) == 0 && host_monotonic_ns() >= end) {
            spin_failed(w);
            return false;
        }
    }
}

int waiter_wait(struct waiter *w, uint64_t deadline_ns)
{
    if (waiter_interrupt_pending(w))
        return -EINTR;
    unsigned s = atomic_load_explicit(&w->state, memory_order_acquire);
    if (s == WAITER_WOKEN)
        return consume_wake(w);
    if (deadline_ns != WAIT_FOREVER && host_monotonic_ns() >= deadline_ns)
        return -ETIMEDOUT;

    unsigned expect = WAITER_RUNNING;
    if (!atomic_compare_exchange_strong(&w->state, &expect, WAITER_SPINNING))
        return consume_wake(w); /* only a waker changes RUNNING */
    if (spin_for_wake(w, deadline_ns))
        return consume_wake(w);

    expect = WAITER_SPINNING;
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
    uint64_t start = host_monotonic_ns();
    uint64_t end = start + w->spin_ns;
    for (unsigned i = 1;; i++) {
        if (cond(arg)) {
            spin_succeeded(w, host_monotonic_ns() - start);
            return true;
        }
        cpu_relax();
        if ((i & 15) == 0) {
            if (waiter_interrupt_pending(w) ||
                atomic_load_explicit(&w->state, memory_order_relaxed) == WAITER_WOKEN)
                return cond(arg);
            if (host_monotonic_ns() >= end) {
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

/* Wakes happen under the queue lock: a waiter cannot leave the queue (and
 * its thread cannot exit) while a waker still uses its Waiter. */
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
    waiter_wake(e->waiter);
    spin_unlock(&q->lock);
    return 1;
}

unsigned waiter_queue_wake_all_slow(struct waiter_queue *q)
{
    unsigned n = 0;
    struct wait_entry *e;
    spin_lock(&q->lock);
    list_for_each_entry(e, &q->entries, link) {
        waiter_wake(e->waiter);
        n++;
    }
    spin_unlock(&q->lock);
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
        r = waiter_wait(w, deadline_ns);
        if (r < 0)
            break;
        waiter_queue_add(q, &e);
    }
    if (waiter_queue_remove(q, &e) && r < 0)
        waiter_queue_wake_one(q); /* pass an unused exclusive wake-up on */
    return r;
}
