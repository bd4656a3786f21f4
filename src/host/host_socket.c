/* Host socket calls (see host_socket.h). */
#include "host/host_socket.h"

#include <errno.h>
#include <sys/socket.h>

#include "host/host_fault.h"

#define RET(expr) do { long r_ = (long)(expr); return r_ < 0 ? -errno : r_; } while (0)
#define HOST_SOCK_FLAGS (SOCK_NONBLOCK | SOCK_CLOEXEC)
#define FAULT(point) do { int f_ = host_fault_should_fail(point); if (f_) return f_; } while (0)

int host_socket(int domain, int type, int protocol)
{
    FAULT(HOST_FAULT_SOCKET);
    RET(socket(domain, type | HOST_SOCK_FLAGS, protocol));
}

int host_socketpair(int domain, int type, int protocol, int sv[2])
{
    FAULT(HOST_FAULT_SOCKET);
    RET(socketpair(domain, type | HOST_SOCK_FLAGS, protocol, sv));
}

int host_bind(int fd, const struct sockaddr *addr, socklen_t len) { RET(bind(fd, addr, len)); }
int host_listen(int fd, int backlog) { RET(listen(fd, backlog)); }

int host_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    FAULT(HOST_FAULT_SOCKET);
    RET(accept4(fd, addr, len, flags | HOST_SOCK_FLAGS));
}

int host_connect(int fd, const struct sockaddr *addr, socklen_t len) { RET(connect(fd, addr, len)); }

ssize_t host_sendto(int fd, const void *buf, size_t len, int flags,
                    const struct sockaddr *addr, socklen_t addrlen)
{
    FAULT(HOST_FAULT_SOCKET_SEND);
    RET(sendto(fd, buf, len, flags, addr, addrlen));
}

ssize_t host_recvfrom(int fd, void *buf, size_t len, int flags,
                      struct sockaddr *addr, socklen_t *addrlen)
{
    RET(recvfrom(fd, buf, len, flags, addr, addrlen));
}

ssize_t host_sendmsg(int fd, const struct msghdr *msg, int flags) { FAULT(HOST_FAULT_SOCKET_SEND); RET(sendmsg(fd, msg, flags)); }
ssize_t host_recvmsg(int fd, struct msghdr *msg, int flags) { RET(recvmsg(fd, msg, flags)); }
int host_shutdown(int fd, int how) { RET(shutdown(fd, how)); }

int host_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    RET(getsockopt(fd, level, name, val, len));
}

int host_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    RET(setsockopt(fd, level, name, val, len));
}

int host_getsockname(int fd, struct sockaddr *addr, socklen_t *len) { RET(getsockname(fd, addr, len)); }
int host_getpeername(int fd, struct sockaddr *addr, socklen_t *len) { RET(getpeername(fd, addr, len)); }
