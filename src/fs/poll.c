/* poll / ppoll, and the waiting core they share with select (see poll.h). */
#include "fs/poll.h"

#include <errno.h>
#include <stdlib.h>

#include "events/waiter.h"
#include "fs/epoll.h"
#include "fs/poll_internal.h"
#include "host/host_wait.h"
#include "util/compiler.h"

/* ---- the core ------------------------------------------------------------- */

static void item_wake(struct observer *obs, io_events_t ev, const void *info)
{
    if (ev & IO_CLOSED) {
        /* Cannot happen while we hold the file; obey the rule anyway. */
        if (obs->notifier)
            notifier_unregister(obs->notifier, obs);
        return;
    }
    waiter_wake(obs->context);
}

int poll_item_open(struct poll_item *it, struct fd_table *t, int fd, io_events_t want)
{
    struct file *f;
    it->file = NULL;
    it->revents = 0;
    int r = fd_table_get_file(t, fd, &f);
    if (r < 0)
        return r;
    it->file = f;
    it->want = want;
    it->host_idx = -1;
    /* Host files: readiness from the host poll alone. Epoll files may also
     * have a host fd (their host epoll), but only to sleep on. */
    it->host_only = !file_is_epoll(f) && file_host_fd(f) >= 0;
    observer_init(&it->obs, item_wake, NULL);
    return 0;
}

void poll_items_close(struct poll_item *items, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (items[i].file)
            file_put(items[i].file);
}

/* Re-read readiness: LibOS items from their files, host items from the
 * last host poll (if `host_valid`; else they count as not ready). */
static int recount(struct poll_item *items, unsigned n, const struct pollfd *hfds,
                   bool host_valid, bool libos)
{
    int count = 0;
    for (unsigned i = 0; i < n; i++) {
        struct poll_item *it = &items[i];
        if (!it->file)
            continue;
        if (it->host_only)
            it->revents = host_valid ? (io_events_t)(unsigned short)hfds[it->host_idx].revents & it->want
                                     : 0;
        else if (libos)
            it->revents = file_poll(it->file, it->want) & it->want;
        count += it->revents != 0;
    }
    return count;
}

int poll_items_wait(struct poll_item *items, unsigned n, uint64_t deadline_ns)
{
    struct waiter *w = waiter_current();

    unsigned nhost = 0;
    int *hostfd = calloc(n ? n : 1, sizeof *hostfd);
    if (!hostfd)
        return -ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        hostfd[i] = items[i].file ? file_host_fd(items[i].file) : -1;
        nhost += hostfd[i] >= 0;
    }
    struct pollfd small[16], *hfds = small;
    if (nhost > ARRAY_SIZE(small)) {
        hfds = calloc(nhost, sizeof *hfds);
        if (!hfds) {
            free(hostfd);
            return -ENOMEM;
        }
    }
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        if (hostfd[i] < 0)
            continue;
        short ev = items[i].host_only ? (short)(items[i].want & 0xffff) : POLLIN;
        hfds[k] = (struct pollfd){ .fd = hostfd[i], .events = ev };
        items[i].host_idx = (int)k++;
    }
    free(hostfd);

    /* Register, then poll (atomically per file): an event after this pass
     * wakes us. */
    int count = 0;
    for (unsigned i = 0; i < n; i++) {
        struct poll_item *it = &items[i];
        if (!it->file || it->host_only)
            continue;
        it->obs.context = w;
        io_events_t ev;
        if (file_poll_register(it->file, it->want, &it->obs, &ev) < 0)
            ev = file_poll(it->file, it->want); /* no notifier: never changes */
        it->revents = ev & it->want;
        count += it->revents != 0;
    }

    int r = 0;
    bool host_fresh = false;
    for (;;) {
        if (count > 0 || deadline_ns == 0 || r == -ETIMEDOUT || r == -EINTR)
            break;
        if (deadline_ns != WAIT_FOREVER && waiter_now_ns() >= deadline_ns)
            break;
        /* One sleep: LibOS wake-ups, host readiness, timeout, interrupt. */
        r = nhost ? waiter_wait_host(w, hfds, nhost, deadline_ns)
                  : waiter_wait(w, deadline_ns);
        if (r < 0 && r != -ETIMEDOUT && r != -EINTR) {
            count = r;
            goto out;
        }
        host_fresh = nhost && (r > 0 || r == -ETIMEDOUT);
        count = recount(items, n, hfds, host_fresh, true);
    }
    if (nhost && !host_fresh) {
        /* A snapshot of the host fds, so the answer is complete. */
        if (host_ppoll(hfds, nhost, 0) < 0)
            for (unsigned i = 0; i < nhost; i++)
                hfds[i].revents = 0;
        count = recount(items, n, hfds, true, false);
    }
    if (count == 0 && r == -EINTR)
        count = -EINTR;
out:
    for (unsigned i = 0; i < n; i++)
        if (items[i].file && observer_is_registered(&items[i].obs))
            file_poll_unregister(items[i].file, &items[i].obs);
    if (hfds != small)
        free(hfds);
    return count;
}

/* ---- poll / ppoll ----------------------------------------------------------- */

static int do_poll(struct fd_table *t, struct pollfd *fds, unsigned long nfds,
                   uint64_t deadline_ns)
{
    if (nfds > fd_table_limit(t))
        return -EINVAL;
    if (nfds && !fds)
        return -EFAULT;
    struct poll_item small[8], *items = small;
    if (nfds > ARRAY_SIZE(small)) {
        items = calloc(nfds, sizeof *items);
        if (!items)
            return -ENOMEM;
    }
    int nval = 0;
    for (unsigned long i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        items[i].file = NULL;
        if (fds[i].fd < 0)
            continue;
        io_events_t want = (io_events_t)(unsigned short)fds[i].events | IO_ERR | IO_HUP;
        if (poll_item_open(&items[i], t, fds[i].fd, want) < 0) {
            fds[i].revents = POLLNVAL;
            nval++;
        }
    }
    /* An invalid fd is an answer already: look at the others, no wait. */
    int r = poll_items_wait(items, (unsigned)nfds, nval ? 0 : deadline_ns);
    if (r >= 0) {
        for (unsigned long i = 0; i < nfds; i++)
            if (items[i].file)
                fds[i].revents = (short)items[i].revents;
        r += nval;
    }
    poll_items_close(items, (unsigned)nfds);
    if (items != small)
        free(items);
    return r;
}

int poll_in(struct fd_table *t, struct pollfd *fds, unsigned long nfds, int timeout_ms)
{
    uint64_t deadline = timeout_ms < 0    ? WAIT_FOREVER
                        : timeout_ms == 0 ? 0
                                          : waiter_deadline_after((uint64_t)timeout_ms * 1000000ull);
    return do_poll(t, fds, nfds, deadline);
}

int ppoll_in(struct fd_table *t, struct pollfd *fds, unsigned long nfds,
             struct timespec *timeout, const guest_sigset_t *sigmask,
             size_t sigsetsize)
{
    uint64_t deadline;
    int r = waiter_deadline_from_timeout(timeout, &deadline);
    if (r < 0)
        return r;
    guest_sigset_t saved;
    r = wait_sigmask_begin(sigmask, sigsetsize, &saved);
    if (r < 0)
        return r;
    r = do_poll(t, fds, nfds, deadline);
    wait_sigmask_end(sigmask, &saved, r);
    /* Linux writes the time left back (not for a zero timeout). */
    if (timeout && deadline != 0 && deadline != WAIT_FOREVER) {
        uint64_t left = waiter_remaining_ns(deadline);
        timeout->tv_sec = (time_t)(left / 1000000000ull);
        timeout->tv_nsec = (long)(left % 1000000000ull);
    }
    return r;
}
