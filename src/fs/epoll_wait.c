/* epoll_wait: harvesting host readiness, reporting the ready list (level
 * and edge triggering, ONESHOT), and sleeping once on LibOS wake-ups and
 * host readiness together. */
#include "fs/epoll_internal.h"

#include <errno.h>
#include <poll.h>

#include "host/host_epoll.h"

/* ---- host readiness ------------------------------------------------------
 * Host entries are registered in the instance's host epoll with the
 * guest's own mask and trigger mode, so the host does level/edge/ONESHOT
 * for them; a harvest is a zero-timeout host epoll_wait that moves what it
 * reports onto our ready list. It runs only when the instance watches host
 * files or other instances (never for LibOS-only instances) and needs no
 * wake-up: everyone interested in this instance's host readiness sleeps on
 * its host epoll (directly, or through a parent's host epoll in which it is
 * registered edge-triggered). */
void ep_harvest(struct epoll *ep, int max)
{
    if (ep->host_epfd < 0)
        return;
    uint64_t gen = ++ep->harvest_gen;
    struct host_epoll_event buf[64];
    int left = max > 0 ? max : 1;
    while (left > 0) {
        int want = MIN(left, (int)ARRAY_SIZE(buf));
        int n = host_epoll_wait(ep->host_epfd, buf, want, 0);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            struct epoll_entry *e = (struct epoll_entry *)(uintptr_t)buf[i].data;
            if (e->kind == EP_KIND_HOST) {
                e->host_events = buf[i].events;
                e->host_gen = gen;
            }
            ep_queue(ep, e);
        }
        left -= n;
        if (n < want)
            break;
    }
}

/* ---- reporting ------------------------------------------------------------ */

io_events_t ep_entry_poll(struct epoll *ep, struct epoll_entry *e, uint32_t armed,
                          bool consume)
{
    io_events_t mask = armed & ~EP_PRIVATE_BITS;
    if (!mask)
        return 0;
    if (e->kind != EP_KIND_HOST)
        return file_poll(e->file, mask) & mask;
    io_events_t ev;
    if (e->host_gen == ep->harvest_gen)
        ev = e->host_events; /* fresh from this call's harvest */
    else
        ev = file_poll(e->file, mask); /* left over from an earlier call */
    if (consume)
        e->host_gen = 0;
    return ev & mask;
}

/* A host ONESHOT entry the host reported but we dropped as not ready any
 * more: the host disarmed it, Linux would not have. Arm it again. */
static void rearm_host_oneshot(struct epoll *ep, struct epoll_entry *e, uint32_t armed)
{
    if (e->kind == EP_KIND_HOST && (armed & EPOLLONESHOT) && (armed & ~EP_PRIVATE_BITS))
        host_epoll_ctl(ep->host_epfd, EPOLL_CTL_MOD, e->host_fd,
                       ep_host_mask(e, armed), (uintptr_t)e);
}

enum { SCAN_BATCH = 64 };

int ep_scan_ready(struct epoll *ep, struct epoll_event *out, int max)
{
    struct list_head tx;
    list_init(&tx);
    spin_lock(&ep->rdlock);
    ep_list_splice_head(&ep->ready, &tx);
    spin_unlock(&ep->rdlock);

    /* Entries in `tx` keep on_ready, so callbacks leave them alone; each
     * is taken off (on_ready cleared) BEFORE it is polled, so an event
     * that comes after the poll queues it again and is never lost. */
    struct epoll_entry *batch[SCAN_BATCH], *again[SCAN_BATCH];
    int n = 0, found = 0;
    while (n < max && !found && !list_empty(&tx)) {
        int want = out ? MIN(max - n, SCAN_BATCH) : 1;
        int k = 0;
        spin_lock(&ep->rdlock);
        while (k < want && !list_empty(&tx)) {
            struct epoll_entry *e = list_first_entry(&tx, struct epoll_entry, rdlink);
            list_del(&e->rdlink);
            e->on_ready = false;
            batch[k++] = e;
        }
        atomic_fetch_sub_explicit(&ep->nready, (unsigned)k, memory_order_relaxed);
        spin_unlock(&ep->rdlock);

        int nagain = 0;
        for (int i = 0; i < k; i++) {
            struct epoll_entry *e = batch[i];
            uint32_t armed = atomic_load_explicit(&e->events, memory_order_acquire);
            io_events_t rev = ep_entry_poll(ep, e, armed, out != NULL);
            if (!rev) {
                rearm_host_oneshot(ep, e, armed);
                continue;
            }
            if (!out) {
                again[nagain++] = e; /* only looking: it stays ready */
                found = 1;
                continue;
            }
            out[n].events = rev;
            out[n].data.u64 = e->data;
            n++;
            if (armed & EPOLLONESHOT)
                atomic_store_explicit(&e->events, armed & EP_PRIVATE_BITS,
                                      memory_order_release);
            else if (!(armed & EPOLLET) && e->kind != EP_KIND_HOST)
                again[nagain++] = e; /* level-triggered: look again next time
                                      * (host ones: the host epoll does) */
        }
        if (nagain) {
            spin_lock(&ep->rdlock);
            for (int i = 0; i < nagain; i++) {
                struct epoll_entry *e = again[i];
                if (e->on_ready)
                    continue;
                if (out)
                    list_add_tail(&e->rdlink, &ep->ready);
                else
                    list_add(&e->rdlink, &ep->ready);
                e->on_ready = true;
                atomic_fetch_add_explicit(&ep->nready, 1, memory_order_seq_cst);
            }
            spin_unlock(&ep->rdlock);
        }
    }
    if (!list_empty(&tx)) {
        spin_lock(&ep->rdlock);
        ep_list_splice_head(&tx, &ep->ready);
        spin_unlock(&ep->rdlock);
    }
    return out ? n : found;
}

/* ---- waiting --------------------------------------------------------------- */

static int wait_loop(struct epoll *ep, struct epoll_event *out, int max,
                     uint64_t deadline)
{
    struct ep_waiter *me = ep_waiter_current();
    struct waiter *w = me->waiter;
    bool joined = false;
    int n, r = 0;
    for (;;) {
        pthread_mutex_lock(&ep->mtx);
        if (!list_empty(&ep->zombies))
            ep_reap_zombies(ep, false);
        bool host = ep_uses_host(ep);
        int hepfd = ep->host_epfd;
        if (host)
            ep_harvest(ep, max);
        n = atomic_load_explicit(&ep->nready, memory_order_acquire)
                ? ep_scan_ready(ep, out, max) : 0;
        pthread_mutex_unlock(&ep->mtx);
        /* Events win over a timeout or an interruption (Linux's ep_poll). */
        if (n > 0 || r == -ETIMEDOUT || r == -EINTR)
            break;
        if (r < 0) {
            n = r;
            break;
        }
        if (deadline == 0 || (deadline != WAIT_FOREVER && waiter_now_ns() >= deadline))
            break;
        /* Join the waiters and check the ready list under one lock: a
         * callback that queues after our scan either is seen here or
         * finds us on the list and wakes us. */
        joined = true;
        if (!ep_waiter_join(ep, me))
            continue;
        if (host) {
            struct pollfd p = { .fd = hepfd, .events = POLLIN };
            r = waiter_wait_host(w, &p, 1, deadline);
            if (r > 0)
                r = 0; /* host readiness: harvest it */
        } else {
            r = waiter_wait(w, deadline);
        }
    }
    if (n == 0 && r == -EINTR)
        n = -EINTR;
    bool woken = joined && ep_waiter_leave(ep, me);
    /* Pass on a wake-up we did not use; after reporting, let another
     * waiter see what is still ready (Linux's ep_done_scan). */
    if ((woken && n <= 0) || (n > 0 && atomic_load_explicit(&ep->nready, memory_order_relaxed)))
        ep_wake_waiters(ep, false);
    return n;
}

int epoll_wait_file(struct file *f, struct epoll_event *events, int maxevents,
                    uint64_t deadline_ns)
{
    if (maxevents <= 0 || maxevents > EPOLL_MAX_EVENTS)
        return -EINVAL;
    if (!file_is_epoll(f))
        return -EINVAL;
    if (!events)
        return -EFAULT;
    return wait_loop(ep_of(f), events, maxevents, deadline_ns);
}

/* Linux's order (6.x, checked natively by the tests): EBADF, then EINVAL
 * for maxevents or a file that is not an epoll. */
static int wait_fd(struct fd_table *t, int epfd, struct epoll_event *events,
                   int maxevents, uint64_t deadline_ns)
{
    struct file *f;
    int r = fd_table_get_file(t, epfd, &f);
    if (r < 0)
        return r;
    /* Our reference keeps the instance alive if the fd is closed while we
     * wait (Linux: the waiter sleeps on until an event or the timeout). */
    r = epoll_wait_file(f, events, maxevents, deadline_ns);
    file_put(f);
    return r;
}

int epoll_wait_in(struct fd_table *t, int epfd, struct epoll_event *events,
                  int maxevents, int timeout_ms, const guest_sigset_t *sigmask,
                  size_t sigsetsize)
{
    guest_sigset_t saved;
    int r = wait_sigmask_begin(sigmask, sigsetsize, &saved);
    if (r < 0)
        return r;
    uint64_t deadline = timeout_ms < 0    ? WAIT_FOREVER
                        : timeout_ms == 0 ? 0
                                          : waiter_deadline_after((uint64_t)timeout_ms * 1000000ull);
    r = wait_fd(t, epfd, events, maxevents, deadline);
    wait_sigmask_end(sigmask, &saved, r);
    return r;
}

int epoll_pwait2_in(struct fd_table *t, int epfd, struct epoll_event *events,
                    int maxevents, const struct timespec *timeout,
                    const guest_sigset_t *sigmask, size_t sigsetsize)
{
    uint64_t deadline;
    int r = waiter_deadline_from_timeout(timeout, &deadline);
    if (r < 0)
        return r;
    guest_sigset_t saved;
    r = wait_sigmask_begin(sigmask, sigsetsize, &saved);
    if (r < 0)
        return r;
    r = wait_fd(t, epfd, events, maxevents, deadline);
    wait_sigmask_end(sigmask, &saved, r);
    return r;
}
