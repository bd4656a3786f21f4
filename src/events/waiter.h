/* Waiter: how one thread blocks until something happens.
 *
 * Each thread has one Waiter (waiter_current()). A wait ends when
 *   - someone calls waiter_wake()                        -> 0
 *   - the deadline (CLOCK_MONOTONIC, ns) passes           -> -ETIMEDOUT
 *   - the thread is interrupted (waiter_interrupt())      -> -EINTR
 * Wake-ups are never lost: a wake that happens before the wait (after the
 * previous wait returned) makes the next wait return 0 at once. Spurious
 * returns of 0 are possible, so callers always re-check their condition:
 *
 *     struct waiter *w = waiter_current();
 *     struct wait_entry e;  wait_entry_init(&e, w);
 *     waiter_queue_add(q, &e);              // enqueue BEFORE checking
 *     while (!condition()) {
 *         int r = waiter_wait(w, deadline);
 *         if (r < 0) { ...-ETIMEDOUT / -EINTR...; break; }
 *         waiter_queue_add(q, &e);          // wake_one dequeued us
 *     }
 *     waiter_queue_remove(q, &e);
 *
 * State machine (one atomic word, also the futex word):
 *   RUNNING --wait--> SPINNING --(budget spent)--> FUTEX_SLEEP | HOST_SLEEP
 *   any --waiter_wake()--> WOKEN (xchg; the waker makes a host call only if
 *   the old state was FUTEX_SLEEP (futex wake) or HOST_SLEEP (eventfd
 *   write): waking a running or spinning waiter costs no syscall)
 *   WOKEN --wait consumes it--> RUNNING
 * The spin is bounded and adaptive (per waiter: it grows when spinning
 * caught the wake-up, shrinks after a run of spins that did not, and is
 * probed at full size now and then so it can recover) and uses a pause
 * instruction; see waiter.c.
 *
 * Interruption: waiter_interrupt() sets a sticky "interrupt pending" flag
 * and wakes the waiter. While the flag is set every wait returns -EINTR
 * immediately. The process layer posts signals this way and clears the flag
 * (waiter_clear_interrupt) once the signals are delivered or blocked.
 *
 * Host mode: waiter_wait_host() sleeps in ONE host ppoll on caller-given
 * host fds plus this waiter's own host eventfd (created on first use), so a
 * LibOS wake-up, host readiness, a timeout or an interrupt all end the same
 * sleep. That is how epoll/poll sleep on a mix of LibOS and host files.
 */
#ifndef ONESPACE_EVENTS_WAITER_H
#define ONESPACE_EVENTS_WAITER_H

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/barrier.h"
#include "util/list.h"
#include "util/spinlock.h"

/* No deadline. */
#define WAIT_FOREVER UINT64_MAX

enum waiter_state {
    WAITER_RUNNING     = 0,
    WAITER_SPINNING    = 1,
    WAITER_FUTEX_SLEEP = 2,
    WAITER_HOST_SLEEP  = 3,
    WAITER_WOKEN       = 4,
};

struct waiter {
    atomic_uint state;        /* enum waiter_state; the futex word */
    atomic_bool interrupted;  /* sticky, see above */
    atomic_int host_efd;      /* host eventfd for host mode, -1 until used */
    bool host_efd_dirty;      /* a wake may have written it: drain first */
    unsigned spin_ns;         /* adaptive spin budget */
    unsigned spin_fails;      /* consecutive spins that ended in a sleep */
    unsigned spin_probe;      /* sleeps since the last full-budget probe */
    unsigned probe_every;     /* sleeps between probes (backs off) */
    bool probing;             /* this spin is a probe */
    bool owned_by_tls;        /* created by waiter_current() */
};

/* Initialise / tear down a waiter owned by the caller (e.g. embedded in the
 * process layer's thread struct; see waiter_bind_current). */
void waiter_init(struct waiter *w);
void waiter_destroy(struct waiter *w);

/* The calling thread's waiter: the one bound with waiter_bind_current(),
 * else one created on first use and freed when the thread exits. */
struct waiter *waiter_current(void);

/* Make `w` the calling thread's waiter (NULL: go back to the default). */
void waiter_bind_current(struct waiter *w);

/* Wake `w` (any thread, any time; async-signal-safe). */
void waiter_wake(struct waiter *w);

/* Sleep until woken / deadline / interrupt (see above). Must be called by
 * the waiter's own thread. deadline_ns is absolute CLOCK_MONOTONIC
 * (waiter_deadline_after() makes one from a relative time). */
int waiter_wait(struct waiter *w, uint64_t deadline_ns);

/* Host mode: like waiter_wait(), but the sleep also ends when one of the
 * `nfds` host fds in `fds` (may be 0/NULL) is ready; their revents are
 * written back. Returns the number of `fds` entries with revents != 0 (> 0),
 * 0 if woken (or spuriously), -ETIMEDOUT, -EINTR, or another negative errno
 * from the host. Spins first like waiter_wait() only if nfds == 0. */
int waiter_wait_host(struct waiter *w, struct pollfd *fds, unsigned nfds,
                     uint64_t deadline_ns);

/* Spin (bounded by this waiter's adaptive budget) until cond(arg) is true.
 * Returns true if it became true. Use before enqueueing when the wait is
 * likely to be short (e.g. a pipe reader waiting for its peer), so the
 * common case needs neither a queue operation nor a wake-up. */
bool waiter_spin_until(struct waiter *w, bool (*cond)(void *arg), void *arg);

/* Interrupt: set the sticky flag and wake. Any thread. */
void waiter_interrupt(struct waiter *w);
void waiter_clear_interrupt(struct waiter *w);
static inline bool waiter_interrupt_pending(struct waiter *w)
{
    return atomic_load_explicit(&w->interrupted, memory_order_acquire);
}

/* Time helpers (CLOCK_MONOTONIC, nanoseconds). */
uint64_t waiter_now_ns(void);
/* now + rel, saturating to WAIT_FOREVER. */
uint64_t waiter_deadline_after(uint64_t rel_ns);
/* A timespec timeout as a deadline: NULL -> WAIT_FOREVER; `absolute`
 * means the timespec is itself a CLOCK_MONOTONIC time. -EINVAL for a
 * negative or non-normalised timespec. */
int waiter_deadline_from_timespec(const struct timespec *ts, bool absolute,
                                  uint64_t *deadline_ns);
/* A relative timeout of a poll-style call as a deadline: NULL waits
 * forever, a zero timespec means "check once, never sleep" (deadline 0).
 * -EINVAL like waiter_deadline_from_timespec. */
int waiter_deadline_from_timeout(const struct timespec *ts, uint64_t *deadline_ns);
/* Time left until a deadline (0 if passed), for writing timeouts back. */
uint64_t waiter_remaining_ns(uint64_t deadline_ns);

/* ---- WaiterQueue ----------------------------------------------------- */

/* One waiter's place in one queue (caller-owned, usually on the stack). A
 * waiter may sit in several queues at once through several entries. */
struct wait_entry {
    struct list_head link;
    struct waiter *waiter;
    atomic_bool queued; /* internal: written under the queue lock */
    bool woken;         /* dequeued by wake_one (an exclusive wake-up) */
};

static inline void wait_entry_init(struct wait_entry *e, struct waiter *w)
{
    list_init(&e->link);
    e->waiter = w;
    atomic_init(&e->queued, false);
    e->woken = false;
}

struct waiter_queue {
    spinlock_t lock;
    struct list_head entries;  /* FIFO */
    atomic_uint count;         /* queued entries, read without the lock */
};

void waiter_queue_init(struct waiter_queue *q);
/* The queue must be empty (asserted). */
void waiter_queue_destroy(struct waiter_queue *q);

/* Enqueue `e` at the tail (no-op if already queued). Clears e->woken. */
void waiter_queue_add(struct waiter_queue *q, struct wait_entry *e);

/* Dequeue `e` (no-op if not queued). Returns true if `e` had been dequeued
 * by waiter_queue_wake_one(), i.e. it consumed an exclusive wake-up: a
 * caller that gives up without using it (timeout, EINTR) should pass it
 * on with waiter_queue_wake_one(). */
bool waiter_queue_remove(struct waiter_queue *q, struct wait_entry *e);

/* Dequeue the oldest entry and wake its waiter. Returns 1, or 0 if empty. */
unsigned waiter_queue_wake_one_slow(struct waiter_queue *q);
/* Wake every queued waiter; entries stay queued. Returns how many. */
unsigned waiter_queue_wake_all_slow(struct waiter_queue *q);

/* Cheap when nobody waits: a fence (pairing with the seq_cst enqueue, so a
 * waiter that enqueued before checking the condition is always seen) and
 * one load. Call after changing the condition. */
static inline bool waiter_queue_has_waiters(struct waiter_queue *q)
{
    smp_mb();
    return atomic_load_explicit(&q->count, memory_order_relaxed) != 0;
}

/* The whole waiting pattern above in one call, for the calling thread:
 * spin briefly on cond(arg), then enqueue in `q`, re-check and sleep until
 * cond(arg) holds (0), the deadline passes (-ETIMEDOUT) or the thread is
 * interrupted (-EINTR). cond must not block; it is called without locks. */
int waiter_queue_wait(struct waiter_queue *q, bool (*cond)(void *arg), void *arg,
                      uint64_t deadline_ns);

static inline unsigned waiter_queue_wake_one(struct waiter_queue *q)
{
    return waiter_queue_has_waiters(q) ? waiter_queue_wake_one_slow(q) : 0;
}

static inline unsigned waiter_queue_wake_all(struct waiter_queue *q)
{
    return waiter_queue_has_waiters(q) ? waiter_queue_wake_all_slow(q) : 0;
}

#endif
