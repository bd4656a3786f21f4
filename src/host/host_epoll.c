#include "host/host_epoll.h"

#include <errno.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <unistd.h>

_Static_assert(sizeof(struct host_epoll_event) == sizeof(struct epoll_event),
               "host_epoll_event must match the host ABI");
_Static_assert(offsetof(struct host_epoll_event, data) == offsetof(struct epoll_event, data),
               "host_epoll_event must match the host ABI");

int host_epoll_create(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int host_epoll_close(int epfd)
{
    return close(epfd) == 0 ? 0 : -errno;
}

int host_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(epfd, op, fd, &ev) == 0 ? 0 : -errno;
}

int host_epoll_wait(int epfd, struct host_epoll_event *out, int max, int timeout_ms)
{
    int n = epoll_wait(epfd, (struct epoll_event *)(void *)out, max, timeout_ms);
    return n >= 0 ? n : -errno;
}
