/* Notifier / Observer (see observer.h).
 *
 * A broadcast walks the list under the notifier's spinlock but calls each
 * observer with the lock dropped. To keep its place while unlocked it
 * inserts a cursor node (an observer with fn == NULL, skipped by everyone)
 * right after the observer it is calling, and pins that observer (busy++).
 * So:
 *  - unregister can always unlink at once (the walk resumes from the
 *    cursor, not from the unlinked node), and only has to wait until
 *    nobody else is inside the callback (busy drops to the number of
 *    frames of its own thread that are inside it);
 *  - a dying observer is skipped, and never stops the walk.
 */
#include "util/barrier.h"
#include "events/observer.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>

#include "host/host_wait.h"

/* The observers whose callbacks this thread is running (innermost first),
 * so that an observer may unregister itself from its own callback. */
struct obs_frame {
    struct observer *obs;
    struct obs_frame *up;
};
static __thread struct obs_frame *tls_frames;

static unsigned own_frames(const struct observer *obs)
{
    unsigned n = 0;
    for (struct obs_frame *f = tls_frames; f; f = f->up)
        n += f->obs == obs;
    return n;
}

void observer_init(struct observer *obs, observer_fn fn, void *context)
{
    obs->fn = fn;
    obs->context = context;
    obs->mask = 0;
    list_init(&obs->link);
    obs->notifier = NULL;
    atomic_init(&obs->busy, 0);
    obs->dying = false;
}

void notifier_init(struct notifier *n)
{
    spin_init(&n->lock);
    list_init(&n->observers);
    atomic_init(&n->count, 0);
}

void notifier_destroy(struct notifier *n)
{
    spin_lock(&n->lock);
    assert(list_empty(&n->observers));
    spin_unlock(&n->lock);
}

int notifier_register(struct notifier *n, struct observer *obs, io_events_t mask)
{
    if (!obs->fn)
        return -EINVAL;
    spin_lock(&n->lock);
    if (obs->notifier) {
        spin_unlock(&n->lock);
        return -EBUSY;
    }
    obs->mask = mask;
    obs->dying = false;
    obs->notifier = n;
    list_add_tail(&obs->link, &n->observers);
    /* seq_cst: pairs with the fence in notifier_broadcast(). */
    atomic_fetch_add_explicit(&n->count, 1, memory_order_seq_cst);
    spin_unlock(&n->lock);
    return 0;
}

void notifier_set_mask(struct notifier *n, struct observer *obs, io_events_t mask)
{
    spin_lock(&n->lock);
    if (obs->notifier == n)
        obs->mask = mask;
    spin_unlock(&n->lock);
    smp_mb();
}

int notifier_unregister(struct notifier *n, struct observer *obs)
{
    spin_lock(&n->lock);
    if (obs->notifier != n) {
        spin_unlock(&n->lock);
        return -ENOENT;
    }
    obs->dying = true;
    list_del(&obs->link);
    obs->notifier = NULL;
    atomic_fetch_sub_explicit(&n->count, 1, memory_order_relaxed);
    unsigned mine = own_frames(obs);
    /* Wait until no other thread is inside the callback. Callbacks are
     * short and never block, so spinning (with a yield now and then) is
     * right. The broadcaster drops its pin under the lock. */
    unsigned spins = 0;
    while (atomic_load_explicit(&obs->busy, memory_order_acquire) > mine) {
        spin_unlock(&n->lock);
        if (++spins < 128)
            cpu_relax();
        else
            host_yield();
        spin_lock(&n->lock);
    }
    spin_unlock(&n->lock);
    return 0;
}

unsigned notifier_broadcast_info(struct notifier *n, io_events_t events,
                                 const void *info)
{
    struct observer cursor;
    unsigned called = 0;

    cursor.fn = NULL;
    spin_lock(&n->lock);
    struct list_head *pos = n->observers.next;
    while (pos != &n->observers) {
        struct observer *o = list_entry(pos, struct observer, link);
        io_events_t ev = o->fn ? events & (o->mask | IO_CLOSED) : 0;
        if (!ev || o->dying) {
            pos = pos->next;
            continue;
        }
        atomic_fetch_add_explicit(&o->busy, 1, memory_order_relaxed);
        list__insert(&cursor.link, pos, pos->next);
        spin_unlock(&n->lock);

        struct obs_frame frame = { o, tls_frames };
        tls_frames = &frame;
        o->fn(o, ev, info);
        tls_frames = frame.up;
        called++;

        spin_lock(&n->lock);
        /* After this, `o` may be freed by a waiting unregister. */
        atomic_fetch_sub_explicit(&o->busy, 1, memory_order_release);
        pos = cursor.link.next;
        list_del(&cursor.link);
    }
    spin_unlock(&n->lock);
    return called;
}
