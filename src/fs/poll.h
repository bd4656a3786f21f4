/* poll, ppoll, select and pselect6 over an fd table, on the same machinery
 * as epoll: observers on the notifiers of LibOS files (and epoll files),
 * and one sleep that also covers the host fds among the arguments (the
 * Waiter's host mode: one host ppoll over them plus the thread's own wake
 * eventfd). A call that involves no host file never makes a host call
 * unless it sleeps (then a futex).
 *
 * Linux semantics (fs/select.c):
 *  - poll/ppoll: nfds > RLIMIT_NOFILE -> -EINVAL; a negative fd is
 *    ignored (revents 0); an fd that is not open gets POLLNVAL; ERR and
 *    HUP are always reported; returns the number of entries with revents;
 *  - select/pselect6: nfds < 0 -> -EINVAL; nfds above the fd limit is
 *    clamped; an fd in a set that is not open -> -EBADF (nothing waits);
 *    "readable" is IN|RDNORM|RDBAND|HUP|ERR, "writable" OUT|WRNORM|WRBAND|
 *    ERR, "exceptional" PRI; the sets are rewritten with the ready fds and
 *    the return value counts the bits;
 *  - timeouts: poll's ms (< 0 forever); select's timeval (tv_usec >=
 *    1000000 is carried into seconds, negatives -EINVAL) and the timespecs
 *    of ppoll/pselect6 (negative or tv_nsec >= 1e9 -> -EINVAL) are
 *    rewritten with the time left, except when they were zero;
 *  - sigmask (ppoll/pselect6): see poll_sigmask.h;
 *  - an interruption of the calling thread's Waiter ends the wait with
 *    -EINTR when nothing is ready (Linux returns -ERESTARTNOHAND, which
 *    the signal code turns into EINTR or a restart: the syscall layer's
 *    job).
 * Arrays are in onespace memory: the syscall layer copies guest memory.
 * select's sets are bitmaps of ceil(nfds / 64) 64-bit words (NULL: none). */
#ifndef ONESPACE_FS_POLL_H
#define ONESPACE_FS_POLL_H

#include <poll.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include "fs/fd_table.h"
#include "fs/poll_sigmask.h"

int poll_in(struct fd_table *t, struct pollfd *fds, unsigned long nfds, int timeout_ms);

int ppoll_in(struct fd_table *t, struct pollfd *fds, unsigned long nfds,
             struct timespec *timeout, const guest_sigset_t *sigmask,
             size_t sigsetsize);

int select_in(struct fd_table *t, int nfds, uint64_t *readfds, uint64_t *writefds,
              uint64_t *exceptfds, struct timeval *timeout);

int pselect6_in(struct fd_table *t, int nfds, uint64_t *readfds, uint64_t *writefds,
                uint64_t *exceptfds, struct timespec *timeout,
                const guest_sigset_t *sigmask, size_t sigsetsize);

#endif
