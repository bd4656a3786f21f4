/* Host epoll and ppoll: the only place that calls the host's epoll_create1,
 * epoll_ctl, epoll_wait/epoll_pwait2 and ppoll.
 *
 * onespace's epoll keeps one host epoll instance per guest epoll instance
 * holding the host files (sockets, ...) registered in it (host ppoll, used
 * by poll/select and the Waiter's host mode, is in host_wait.h). Functions
 * return a value >= 0 or a negative errno (the host's errno, negated). */
#ifndef ONESPACE_HOST_HOST_EPOLL_H
#define ONESPACE_HOST_HOST_EPOLL_H

#include <stdint.h>

/* The x86-64 host ABI of struct epoll_event (packed: 12 bytes), the same as
 * the guest's. Kept here so code above the host layer need not include
 * <sys/epoll.h>. */
struct host_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

/* New host epoll instance (close-on-exec). Returns the host fd. */
int host_epoll_create(void);

/* Close a host epoll fd made by host_epoll_create(). */
int host_epoll_close(int epfd);

/* Host epoll_ctl. `events` are Linux EPOLL* bits, `data` the user data
 * returned with the events. EPOLL_CTL_DEL ignores both. */
int host_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);

/* Host epoll_wait: `timeout_ms` < 0 waits forever, 0 returns at once.
 * Returns the number of events written to `out` (at most `max`). A host
 * EINTR is returned as -EINTR (the caller decides whether to retry). */
int host_epoll_wait(int epfd, struct host_epoll_event *out, int max, int timeout_ms);

#endif
