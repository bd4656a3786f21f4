/* Host waiting primitives: futex wait/wake, an eventfd per sleeping thread,
 * ppoll, and the monotonic clock. Only src/host/ makes these host calls;
 * events/waiter.c builds the Waiter on top.
 *
 * Times are absolute CLOCK_MONOTONIC nanoseconds; HOST_NO_DEADLINE waits
 * forever. Functions return 0 / a count, or a negative errno. */
#ifndef ONESPACE_HOST_HOST_WAIT_H
#define ONESPACE_HOST_HOST_WAIT_H

#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>

#define HOST_NO_DEADLINE UINT64_MAX

/* CLOCK_MONOTONIC now, in ns (vDSO, no syscall). */
uint64_t host_monotonic_ns(void);

/* Sleep while *word == expected, until woken or the deadline.
 * 0 (woken or spurious), -EAGAIN (*word != expected), -ETIMEDOUT, -EINTR
 * (a host signal; callers just re-check). Process-private futex. */
int host_futex_wait(atomic_uint *word, unsigned expected, uint64_t deadline_ns);

/* Wake up to `n` threads sleeping on `word`. Returns how many woke. */
int host_futex_wake(atomic_uint *word, int n);

/* A nonblocking, close-on-exec host eventfd with count 0; returns the fd. */
int host_eventfd_create(void);
/* Add 1 to it (async-signal-safe). */
int host_eventfd_signal(int efd);
/* Reset it to 0 (nonblocking read; 0 if it was already 0). */
int host_eventfd_drain(int efd);

/* Host ppoll over `fds` until one is ready or the deadline passes.
 * Returns the number of ready entries, 0 on timeout, -EINTR, ... */
int host_ppoll(struct pollfd *fds, unsigned nfds, uint64_t deadline_ns);

/* Give the CPU away once. */
void host_yield(void);

#endif
