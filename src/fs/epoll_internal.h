/* epoll internals shared by epoll_file.c (instance, entries, observers,
 * release, readiness of the instance itself), epoll_ctl.c (interest set
 * changes, nesting checks) and epoll_wait.c (harvest, report, wait).
 *
 * Locks, outermost first (never the reverse):
 *   1. epoll_nest_lock (global mutex): the graph of epoll-in-epoll edges;
 *      only EPOLL_CTL_ADD/DEL of an epoll target and entry teardown
 *   2. ep->mtx (mutex, per instance): interest set, entry fields except
 *      `events`, host epoll registrations, counts; outer before inner when
 *      an instance polls an epoll it watches (nesting is acyclic)
 *   3. hub->lock (spinlock, EPOLLEXCLUSIVE groups), then ep->rdlock
 *      (spinlock): the ready list and the threads waiting in epoll_wait;
 *      taken by observer callbacks, which run in any thread (a pipe
 *      writer...) and never take ep->mtx
 *   4. notifier locks (events/)
 * Wake-ups (a futex or eventfd host call) are made after ep->rdlock is
 * dropped: the woken thread never finds the lock held by its waker.
 * A file reference is never dropped while an ep->mtx is held (the last
 * reference runs release observers that take ep->mtx). */
#ifndef ONESPACE_FS_EPOLL_INTERNAL_H
#define ONESPACE_FS_EPOLL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "events/observer.h"
#include "events/waiter.h"
#include "fs/epoll.h"
#include "util/list.h"
#include "util/spinlock.h"

/* Flags that are not poll bits (Linux's EP_PRIVATE_BITS). */
#define EP_PRIVATE_BITS ((uint32_t)(EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE))
/* What may come with EPOLLEXCLUSIVE (Linux's EPOLLEXCLUSIVE_OK_BITS). */
#define EP_EXCLUSIVE_OK_BITS ((uint32_t)(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | \
                                         EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE))
/* The poll bits of an entry's mask (what is matched against readiness). */
#define EP_POLL_BITS ((uint32_t)IO_ALL_POLL)

enum ep_kind {
    EP_KIND_LIBOS,  /* observed through the file's notifier */
    EP_KIND_HOST,   /* registered in the instance's host epoll */
    EP_KIND_NESTED, /* another epoll: both of the above */
};

struct epoll;
struct ep_hub;

struct epoll_entry {
    struct epoll_entry *hnext; /* interest set bucket chain, key (file, fd) */
    struct epoll *ep;
    /* Weak: valid while the entry is in the set (the release observer
     * takes it out under ep->mtx before the file goes away). */
    struct file *file;
    int fd;
    enum ep_kind kind;
    bool in_set;              /* in the interest set (ep->mtx) */
    /* The requested mask, ERR|HUP added; a fired ONESHOT leaves only the
     * private bits. Read by observer callbacks without ep->mtx. */
    atomic_uint events;
    uint64_t data;             /* ep->mtx */

    /* Ready list (ep->rdlock). */
    struct list_head rdlink;
    bool on_ready;

    /* Host side (ep->mtx). */
    int host_fd;               /* fd registered in ep->host_epfd, or -1 */
    bool host_fd_owned;        /* a dup we made (same file twice) */
    io_events_t host_events;   /* what the last harvest saw */
    uint64_t host_gen;         /* ...in which harvest */

    struct observer obs;       /* on the file's notifier (not EXCLUSIVE) */
    struct observer rel_obs;   /* on the file's release notifier */
    struct ep_hub *hub;        /* EXCLUSIVE LibOS entries */
    struct list_head hub_link; /* hub->lock */

    /* Nested entries: edges of the epoll graph (epoll_nest_lock). */
    struct list_head child_link;  /* in ep->children */
    struct list_head parent_link; /* in inner->parents */
    bool in_graph;

    struct list_head zombie_link; /* ep->zombies, see ep_reap_zombies() */
};

struct epoll {
    struct file file;
    pthread_mutex_t mtx;
    /* Interest set: a hash of (file, fd), chained, at most one entry per
     * bucket on average (doubles as it grows). Linux uses a red-black
     * tree; lookups here are O(1), which is what ctl and MOD need. */
    struct epoll_entry **buckets;
    unsigned nbuckets;         /* a power of two */
    unsigned count;            /* entries in the set */
    unsigned host_files;       /* EP_KIND_HOST entries */
    unsigned nested;           /* EP_KIND_NESTED entries */
    int host_epfd;             /* -1 until first needed */
    uint64_t harvest_gen;
    bool dying;
    struct list_head zombies;  /* entries released by their file, to free */

    spinlock_t rdlock;
    struct list_head ready;
    atomic_uint nready;        /* entries with on_ready */

    struct list_head waiters;  /* struct ep_waiter, FIFO (rdlock) */
    struct notifier notifier;  /* readiness of this instance (nesting, poll) */

    struct list_head children; /* nested entries of this instance */
    struct list_head parents;  /* entries of other instances watching us */
    /* Graph walks (epoll_nest_lock): memo of one walk. */
    uint64_t walk_gen;
    int walk_depth;
};

/* A thread in epoll_wait: one record per thread, kept for the thread's
 * life. A waker takes it off the list under ep->rdlock, pins it, drops the
 * lock, wakes its Waiter, unpins. The woken thread goes on at once (it
 * does not wait for its waker to come back from the host call); only
 * thread exit waits for the pins, so the Waiter outlives every wake. */
struct ep_waiter {
    struct list_head link;
    struct waiter *waiter;
    bool queued;      /* rdlock */
    bool woken;       /* rdlock: taken off by a waker (an exclusive wake-up) */
    atomic_int pins;
};

extern pthread_mutex_t epoll_nest_lock;

static inline struct epoll *ep_of(struct file *f)
{
    return container_of(f, struct epoll, file);
}


/* ---- epoll_file.c ---------------------------------------------------- */

/* Classify a target file (never fails; pollability is checked apart). */
enum ep_kind ep_target_kind(struct file *target);
/* Whether Linux would let epoll watch `target` (EPERM otherwise). May ask
 * the host (fstat) for host files: only for error paths and ADD. */
bool ep_target_pollable(struct file *target);

struct epoll_entry *ep_find(struct epoll *ep, struct file *file, int fd);
void ep_set_insert(struct epoll *ep, struct epoll_entry *e);
void ep_set_remove(struct epoll *ep, struct epoll_entry *e);
struct epoll_entry *ep_entry_alloc(struct epoll *ep, struct file *file, int fd,
                                   enum ep_kind kind);

/* Put `e` on the ready list (if not there); true if it was added. */
bool ep_queue(struct epoll *ep, struct epoll_entry *e);
/* ep_queue, then wake one thread in epoll_wait (returns whether there was
 * one) and tell watchers (parent instances, pollers). */
bool ep_queue_wake(struct epoll *ep, struct epoll_entry *e);
/* Wake one (or every) thread in epoll_wait; returns how many. */
int ep_wake_waiters(struct epoll *ep, bool all);
/* For epoll_wait: join / leave the waiters. join returns whether the
 * ready list is empty (so sleeping is right); leave returns whether the
 * thread had been woken (took an exclusive wake-up). */
struct ep_waiter *ep_waiter_current(void);
bool ep_waiter_join(struct epoll *ep, struct ep_waiter *w);
bool ep_waiter_leave(struct epoll *ep, struct ep_waiter *w);

/* Observer registration of a LibOS/nested entry (plain or EXCLUSIVE):
 * register and return the current events filtered by the entry's mask. */
int ep_entry_watch(struct epoll_entry *e, io_events_t *now);
/* Undo ep_entry_watch (no ep->rdlock / hub lock held). */
void ep_entry_unwatch(struct epoll_entry *e);

/* The instance's host epoll fd, created on first use (ep->mtx). */
int ep_host_epfd(struct epoll *ep);
/* Host registration mask for an entry's mask. */
uint32_t ep_host_mask(const struct epoll_entry *e, uint32_t events);
/* Host files / nested instances are watched (ep->mtx). */
static inline bool ep_uses_host(const struct epoll *ep)
{
    return ep->host_files != 0 || ep->nested != 0;
}
/* Count one more host user; the first one wakes every waiter so that
 * threads sleeping without the host epoll sleep again with it. */
void ep_host_user_added(struct epoll *ep);

/* Take `e` out of the instance (ep->mtx held, e in the set): the set, ready
 * list, observers (except rel_obs), host registration, counts. Graph
 * edges are left to ep_entry_unlink_graph (epoll_nest_lock). */
void ep_entry_detach_locked(struct epoll *ep, struct epoll_entry *e);
void ep_entry_unlink_graph(struct epoll_entry *e);
/* Free entries whose file released them, once their release callback
 * has returned (ep->mtx held). */
void ep_reap_zombies(struct epoll *ep, bool wait);
void ep_entry_free(struct epoll_entry *e);

/* ---- epoll_wait.c ---------------------------------------------------- */

/* Move what the host epoll reports onto the ready list (ep->mtx). */
void ep_harvest(struct epoll *ep, int max);

/* Report up to `max` ready entries into `out` (ep->mtx). With out ==
 * NULL only check: return 1 if some entry is ready (leaving it queued),
 * dropping the entries that are not. */
int ep_scan_ready(struct epoll *ep, struct epoll_event *out, int max);

/* An entry's current events, filtered by `armed` (ep->mtx). */
io_events_t ep_entry_poll(struct epoll *ep, struct epoll_entry *e, uint32_t armed,
                          bool consume);

/* ---- list helpers ---------------------------------------------------- */

/* Move all of `from` to the front of `to`; `from` becomes empty. */
static inline void ep_list_splice_head(struct list_head *from, struct list_head *to)
{
    if (list_empty(from))
        return;
    struct list_head *first = from->next, *last = from->prev, *at = to->next;
    to->next = first;
    first->prev = to;
    last->next = at;
    at->prev = last;
    list_init(from);
}

#endif
