/* select / pselect6 on the poll core (see poll.h). Unlike Occlum, a set
 * naming an fd that is not open gives EBADF, as on Linux. */
#include "fs/poll.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events/waiter.h"
#include "fs/poll_internal.h"

/* Linux's POLLIN_SET / POLLOUT_SET / POLLEX_SET (fs/select.c). */
#define SEL_IN  (IO_IN | IO_RDNORM | IO_RDBAND | IO_HUP | IO_ERR)
#define SEL_OUT (IO_OUT | IO_WRNORM | IO_WRBAND | IO_ERR)
#define SEL_EX  (IO_PRI)

static inline bool bit_test(const uint64_t *set, int fd)
{
    return set && (set[fd / 64] >> (fd % 64)) & 1;
}

static int do_select(struct fd_table *t, int nfds, uint64_t *in, uint64_t *out,
                     uint64_t *ex, uint64_t deadline_ns)
{
    if (nfds < 0)
        return -EINVAL;
    unsigned limit = fd_table_limit(t);
    if ((unsigned)nfds > limit)
        nfds = (int)limit;
    size_t words = ((size_t)nfds + 63) / 64;

    /* Only the fds named in some set become items. */
    unsigned n = 0;
    for (int fd = 0; fd < nfds; fd++)
        n += bit_test(in, fd) || bit_test(out, fd) || bit_test(ex, fd);
    struct poll_item small[8], *items = small;
    int *fdof = NULL;
    if (n > ARRAY_SIZE(small)) {
        items = calloc(n, sizeof *items);
        if (!items)
            return -ENOMEM;
    }
    fdof = malloc((n ? n : 1) * sizeof *fdof);
    if (!fdof) {
        if (items != small)
            free(items);
        return -ENOMEM;
    }

    int r = 0;
    unsigned k = 0;
    for (int fd = 0; fd < nfds && r == 0; fd++) {
        io_events_t want = (bit_test(in, fd) ? SEL_IN : 0) | (bit_test(out, fd) ? SEL_OUT : 0) |
                           (bit_test(ex, fd) ? SEL_EX : 0);
        if (!want)
            continue;
        fdof[k] = fd;
        r = poll_item_open(&items[k], t, fd, want);
        k++;
    }
    if (r == 0)
        r = poll_items_wait(items, n, deadline_ns);
    if (r >= 0) {
        /* Rewrite the sets: only ready fds stay; the count is in bits. */
        if (in)
            memset(in, 0, words * 8);
        if (out)
            memset(out, 0, words * 8);
        if (ex)
            memset(ex, 0, words * 8);
        r = 0;
        for (unsigned i = 0; i < n; i++) {
            int fd = fdof[i];
            io_events_t ev = items[i].revents;
            uint64_t bit = 1ull << (fd % 64);
            if ((ev & SEL_IN) && (items[i].want & IO_IN)) {
                in[fd / 64] |= bit;
                r++;
            }
            if ((ev & SEL_OUT) && (items[i].want & IO_OUT)) {
                out[fd / 64] |= bit;
                r++;
            }
            if ((ev & SEL_EX) && (items[i].want & IO_PRI)) {
                ex[fd / 64] |= bit;
                r++;
            }
        }
    }
    poll_items_close(items, k);
    free(fdof);
    if (items != small)
        free(items);
    return r;
}

static void write_left(uint64_t deadline, struct timespec *ts, struct timeval *tv)
{
    uint64_t left = waiter_remaining_ns(deadline);
    if (ts) {
        ts->tv_sec = (time_t)(left / 1000000000ull);
        ts->tv_nsec = (long)(left % 1000000000ull);
    } else {
        tv->tv_sec = (time_t)(left / 1000000000ull);
        tv->tv_usec = (suseconds_t)(left % 1000000000ull / 1000);
    }
}

int select_in(struct fd_table *t, int nfds, uint64_t *readfds, uint64_t *writefds,
              uint64_t *exceptfds, struct timeval *timeout)
{
    uint64_t deadline = WAIT_FOREVER;
    if (timeout) {
        if (timeout->tv_sec < 0 || timeout->tv_usec < 0)
            return -EINVAL;
        /* Linux carries whole seconds out of tv_usec. */
        struct timespec ts = {
            .tv_sec = timeout->tv_sec + timeout->tv_usec / 1000000,
            .tv_nsec = (long)(timeout->tv_usec % 1000000) * 1000,
        };
        if (ts.tv_sec < timeout->tv_sec)
            ts.tv_sec = timeout->tv_sec; /* overflow: stays huge */
        int r = waiter_deadline_from_timeout(&ts, &deadline);
        if (r < 0)
            return r;
    }
    int r = do_select(t, nfds, readfds, writefds, exceptfds, deadline);
    if (timeout && deadline != 0 && deadline != WAIT_FOREVER)
        write_left(deadline, NULL, timeout);
    return r;
}

int pselect6_in(struct fd_table *t, int nfds, uint64_t *readfds, uint64_t *writefds,
                uint64_t *exceptfds, struct timespec *timeout,
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
    r = do_select(t, nfds, readfds, writefds, exceptfds, deadline);
    wait_sigmask_end(sigmask, &saved, r);
    if (timeout && deadline != 0 && deadline != WAIT_FOREVER)
        write_left(deadline, timeout, NULL);
    return r;
}
