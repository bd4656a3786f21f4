/* Host waiting primitives (see host_wait.h). */
#include "host/host_wait.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

uint64_t host_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void ns_to_timespec(uint64_t ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ns / 1000000000ull);
    ts->tv_nsec = (long)(ns % 1000000000ull);
}

int host_futex_wait(atomic_uint *word, unsigned expected, uint64_t deadline_ns)
{
    struct timespec abs, *tsp = NULL;
    if (deadline_ns != HOST_NO_DEADLINE) {
        ns_to_timespec(deadline_ns, &abs);
        tsp = &abs;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC timeout. */
    long r = syscall(SYS_futex, (void *)word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
                     expected, tsp, NULL, FUTEX_BITSET_MATCH_ANY);
    return r == 0 ? 0 : -errno; /* -EAGAIN, -ETIMEDOUT, -EINTR, ... */
}

int host_futex_wake(atomic_uint *word, int n)
{
    long r = syscall(SYS_futex, (void *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n,
                     NULL, NULL, 0);
    return r < 0 ? -errno : (int)r;
}

int host_eventfd_create(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int host_eventfd_signal(int efd)
{
    uint64_t one = 1;
    for (;;) {
        ssize_t r = write(efd, &one, sizeof one);
        if (r == (ssize_t)sizeof one)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        /* EAGAIN: the counter is saturated, the reader will wake anyway. */
        return r < 0 && errno != EAGAIN ? -errno : 0;
    }
}

int host_eventfd_drain(int efd)
{
    uint64_t v;
    for (;;) {
        ssize_t r = read(efd, &v, sizeof v);
        if (r == (ssize_t)sizeof v)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 && errno != EAGAIN ? -errno : 0;
    }
}

int host_ppoll(struct pollfd *fds, unsigned nfds, uint64_t deadline_ns)
{
    struct timespec rel, *tsp = NULL;
    if (deadline_ns != HOST_NO_DEADLINE) {
        uint64_t now = host_monotonic_ns();
        ns_to_timespec(deadline_ns > now ? deadline_ns - now : 0, &rel);
        tsp = &rel;
    }
    int r = ppoll(fds, nfds, tsp, NULL);
    return r < 0 ? -errno : r;
}

void host_yield(void)
{
    sched_yield();
}
