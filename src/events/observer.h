/* Observer and Notifier: the publish/subscribe core of the event subsystem.
 *
 * An Observer is a callback the caller embeds in its own object (no
 * allocation here). A Notifier keeps a list of registered observers, each
 * with an event-mask filter, and broadcasts events to them.
 *
 * Rules (where Occlum's notifier falls short, see docs/events-fs.md):
 *  - An observer callback must be short and must not block: it typically
 *    sets a flag, queues an item and wakes a Waiter. It runs WITHOUT the
 *    notifier's lock held, so it may take its own locks and may even
 *    register/unregister observers (itself included).
 *  - A broadcast visits every registered observer whose filter matches; an
 *    observer being unregistered is skipped, and never stops the others from
 *    being notified.
 *  - notifier_unregister() may be called at any time, from any thread,
 *    including during a broadcast and from inside a callback. When it
 *    returns, that observer's callback is not running (except, if called
 *    from inside its own callback, that very call, which is about to
 *    return) and will never run again, so the caller may free it.
 *    (Implemented with a per-observer busy count: a broadcaster pins the
 *    observer it calls, unregister waits for the pins to drop.)
 *  - Observers registered during a broadcast may or may not see it.
 *
 * Cost: broadcasting to a notifier with no observers is one atomic load.
 */
#ifndef ONESPACE_EVENTS_OBSERVER_H
#define ONESPACE_EVENTS_OBSERVER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "util/barrier.h"
#include "events/io_events.h"
#include "util/list.h"
#include "util/spinlock.h"

struct observer;
struct notifier;

/* `events` are the broadcast events already filtered by the observer's mask
 * (IO_CLOSED always passes). `info` is what the broadcaster passed
 * (NULL for plain notifier_broadcast). */
typedef void (*observer_fn)(struct observer *obs, io_events_t events,
                            const void *info);

struct observer {
    observer_fn fn;
    void *context;            /* free for the owner's use */
    /* internal: */
    io_events_t mask;
    struct list_head link;
    struct notifier *notifier; /* registered with, or NULL */
    atomic_uint busy;          /* broadcasters currently calling fn */
    bool dying;
};

/* Prepare an observer (not registered anywhere yet). */
void observer_init(struct observer *obs, observer_fn fn, void *context);

/* True while registered with a notifier. */
static inline bool observer_is_registered(const struct observer *obs)
{
    return obs->notifier != NULL;
}

struct notifier {
    spinlock_t lock;
    struct list_head observers;
    atomic_uint count; /* registered observers, read without the lock */
};

void notifier_init(struct notifier *n);

/* Tear down: the notifier must have no observers left (asserted). Owners
 * that may still have observers broadcast IO_CLOSED first, and their
 * observers unregister in response. */
void notifier_destroy(struct notifier *n);

/* Register `obs` to receive broadcasts whose events intersect `mask`
 * (IO_CLOSED is always delivered; the filter is otherwise exact: poll-style
 * callers add IO_ALWAYS, as file_poll_register and pollee do). Returns -EBUSY if `obs` is already
 * registered (with this or another notifier). */
int notifier_register(struct notifier *n, struct observer *obs, io_events_t mask);

/* Change the filter of a registered observer (for EPOLL_CTL_MOD). */
void notifier_set_mask(struct notifier *n, struct observer *obs, io_events_t mask);

/* Unregister; see the rules above. Returns -ENOENT if `obs` is not
 * registered with `n` (and changes nothing). */
int notifier_unregister(struct notifier *n, struct observer *obs);

/* Call every matching observer. Returns how many were called. */
unsigned notifier_broadcast_info(struct notifier *n, io_events_t events,
                                 const void *info);

/* The fence pairs with the registration (a seq_cst update of `count`) so
 * that "register, then check state" in a poller and "change state, then
 * broadcast" here never miss each other. */
static inline unsigned notifier_broadcast(struct notifier *n, io_events_t events)
{
    smp_mb();
    if (atomic_load_explicit(&n->count, memory_order_relaxed) == 0)
        return 0;
    return notifier_broadcast_info(n, events, 0);
}

/* Number of registered observers (a snapshot). */
static inline unsigned notifier_count(struct notifier *n)
{
    return atomic_load_explicit(&n->count, memory_order_acquire);
}

#endif
