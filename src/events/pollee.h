/* Pollee: what a pollable object embeds when it keeps its readiness as a
 * stored event set (eventfd, host files): the current events plus a
 * Notifier. Objects that compute readiness from their own state (pipes)
 * use a bare Notifier instead and follow the same protocol:
 *
 *   poller:      register observer  ->  read current events
 *   state owner: change state       ->  broadcast the new events
 *
 * Both orders are sequentially consistent (see notifier_broadcast), so an
 * event that happens after the poller read the state is always broadcast
 * to it: "poll and register" is atomic in the sense that nothing falls into
 * the gap. */
#ifndef ONESPACE_EVENTS_POLLEE_H
#define ONESPACE_EVENTS_POLLEE_H

#include <stdatomic.h>

#include "events/io_events.h"
#include "events/observer.h"

struct pollee {
    atomic_uint events;       /* io_events_t */
    struct notifier notifier;
};

void pollee_init(struct pollee *p, io_events_t initial);
/* Broadcasts IO_CLOSED if observers remain, then destroys the notifier
 * (the observers must unregister in their IO_CLOSED callback). */
void pollee_destroy(struct pollee *p);

/* Current events, filtered by `mask` (IO_ALWAYS always passes). */
static inline io_events_t pollee_poll(struct pollee *p, io_events_t mask)
{
    return io_events_filter(atomic_load_explicit(&p->events, memory_order_acquire),
                            mask);
}

/* Atomically (see above) register `obs` with filter `mask | IO_ALWAYS`
 * (ERR and HUP are always reported, as poll/epoll do) if `obs` is not
 * NULL (an observer already registered here just gets the new mask), and
 * return the current events filtered by `mask`. */
io_events_t pollee_poll_and_register(struct pollee *p, io_events_t mask,
                                     struct observer *obs);

/* Unregister an observer (same contract as notifier_unregister). */
int pollee_unregister(struct pollee *p, struct observer *obs);

/* Add events and broadcast them (broadcasts even if already set: an
 * edge-triggered poller wants every new arrival, as on Linux). */
void pollee_add_events(struct pollee *p, io_events_t events);
/* Clear events (no broadcast). */
void pollee_del_events(struct pollee *p, io_events_t events);
/* Replace the events; broadcasts those that are set in `events`. */
void pollee_set_events(struct pollee *p, io_events_t events);

static inline struct notifier *pollee_notifier(struct pollee *p)
{
    return &p->notifier;
}

#endif
