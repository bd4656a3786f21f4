/* Host sockets: the only place that calls the host's socket API. Thin
 * wrappers: each returns a value (>= 0) or the host's errno, negated.
 * New fds are always nonblocking and close-on-exec on the host (onespace
 * never execs on the host; blocking is emulated by src/net/). */
#ifndef ONESPACE_HOST_HOST_SOCKET_H
#define ONESPACE_HOST_HOST_SOCKET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* `type` may carry SOCK_NONBLOCK / SOCK_CLOEXEC; both are forced on. */
int host_socket(int domain, int type, int protocol);
int host_socketpair(int domain, int type, int protocol, int sv[2]);
int host_bind(int fd, const struct sockaddr *addr, socklen_t len);
int host_listen(int fd, int backlog);
/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC forced on. */
int host_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int host_connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t host_sendto(int fd, const void *buf, size_t len, int flags,
                    const struct sockaddr *addr, socklen_t addrlen);
ssize_t host_recvfrom(int fd, void *buf, size_t len, int flags,
                      struct sockaddr *addr, socklen_t *addrlen);
ssize_t host_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t host_recvmsg(int fd, struct msghdr *msg, int flags);
int host_shutdown(int fd, int how);
int host_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int host_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int host_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int host_getpeername(int fd, struct sockaddr *addr, socklen_t *len);

#endif
