/* Pollee (see pollee.h). */
#include "events/pollee.h"

void pollee_init(struct pollee *p, io_events_t initial)
{
    atomic_init(&p->events, initial);
    notifier_init(&p->notifier);
}

void pollee_destroy(struct pollee *p)
{
    if (notifier_count(&p->notifier))
        notifier_broadcast_info(&p->notifier, IO_CLOSED, p);
    notifier_destroy(&p->notifier);
}

io_events_t pollee_poll_and_register(struct pollee *p, io_events_t mask,
                                     struct observer *obs)
{
    if (obs) {
        io_events_t filter = mask | IO_ALWAYS;
        if (obs->notifier == &p->notifier)
            notifier_set_mask(&p->notifier, obs, filter);
        else
            notifier_register(&p->notifier, obs, filter);
    }
    /* seq_cst load: after the seq_cst registration (see pollee.h). */
    return io_events_filter(atomic_load_explicit(&p->events, memory_order_seq_cst),
                            mask);
}

int pollee_unregister(struct pollee *p, struct observer *obs)
{
    return notifier_unregister(&p->notifier, obs);
}

void pollee_add_events(struct pollee *p, io_events_t events)
{
    atomic_fetch_or_explicit(&p->events, events, memory_order_seq_cst);
    notifier_broadcast(&p->notifier, events);
}

void pollee_del_events(struct pollee *p, io_events_t events)
{
    atomic_fetch_and_explicit(&p->events, ~events, memory_order_seq_cst);
}

void pollee_set_events(struct pollee *p, io_events_t events)
{
    atomic_store_explicit(&p->events, events, memory_order_seq_cst);
    if (events)
        notifier_broadcast(&p->notifier, events);
}
