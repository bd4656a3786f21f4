/* Sockets: host sockets wrapped as host Files (fs/host_file.h).
 *
 * A socket File is a host file over a host socket fd whose read, write,
 * readv and writev are routed through socket_recvmsg / socket_sendmsg
 * below (so they share the blocking, timeout and SIGPIPE behaviour);
 * poll, epoll, fstat, ioctl and fcntl are host_file.c's; pread, pwrite
 * and lseek give -ESPIPE. The host fd is always nonblocking; the File's
 * O_NONBLOCK (and MSG_DONTWAIT) decide whether we wait, and every wait is
 * interruptible (waiter_wait_host on the calling thread's Waiter, -EINTR).
 *
 * Linux semantics kept:
 *  - accept/accept4 block until a connection arrives (SOCK_NONBLOCK /
 *    SOCK_CLOEXEC of accept4: the new File's O_NONBLOCK / caller's fd flag);
 *  - connect on a blocking socket: EINPROGRESS from the host -> wait for
 *    POLLOUT -> connect again, which gives the outcome (SO_ERROR) and
 *    marks the socket connected (a later connect is EISCONN, as Linux);
 *    on a nonblocking one: -EINPROGRESS;
 *  - a blocking send on a stream socket sends everything (unless
 *    interrupted: the partial count, or -EINTR when nothing went);
 *    MSG_WAITALL on a blocking stream recv fills the buffers unless EOF,
 *    an error or an interruption comes first;
 *  - SCM_RIGHTS is refused (-EOPNOTSUPP) when sending; received fds are
 *    closed and MSG_CTRUNC is set.
 *  - SO_RCVTIMEO / SO_SNDTIMEO bound the waits of these calls (expiry:
 *    -EAGAIN, or -EINPROGRESS for connect), read from the host option
 *    when a call first has to wait.
 * AF_UNIX path names are guest paths: sys_net.c (bind, connect) resolves
 * the directory through the VFS and hands the host /proc/self/fd/N/NAME.
 * Not yet: sendto/sendmsg to a path (datagrams), and the names getsockname,
 * getpeername, accept and recvfrom report are the host's form.
 *
 * The functions take onespace memory (the syscall layer copies guest
 * memory) and return a value or a negative errno. A File that is not a
 * host file gives -ENOTSOCK; a host file that is not a socket gets the
 * host's -ENOTSOCK. */
#ifndef ONESPACE_NET_SOCKET_H
#define ONESPACE_NET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "fs/fd_table.h"
#include "fs/file.h"

/* socket(2) on the host; type may carry SOCK_NONBLOCK (-> O_NONBLOCK on
 * the File) and SOCK_CLOEXEC (ignored here: an fd property). */
int socket_create(int domain, int type, int protocol, struct file **out);
int socket_pair_create(int domain, int type, int protocol, struct file *out[2]);

/* socket(2) / socketpair(2) / accept4(2) creating and installing fds. */
int socket_install(struct fd_table *t, int domain, int type, int protocol);
int socket_pair_install(struct fd_table *t, int domain, int type, int protocol,
                        int fds[2]);

/* True for Files made here. */
bool file_is_socket(const struct file *f);

/* The host socket fd behind a socket File (or a plain host file), or
 * -ENOTSOCK. */
int socket_host_fd(struct file *f);

int socket_bind(struct file *f, const struct sockaddr *addr, socklen_t len);
int socket_listen(struct file *f, int backlog);
/* flags: SOCK_NONBLOCK | SOCK_CLOEXEC (else -EINVAL). addr/len may be NULL. */
int socket_accept(struct file *f, struct sockaddr *addr, socklen_t *len,
                  int flags, struct file **out);
int socket_connect(struct file *f, const struct sockaddr *addr, socklen_t len);
ssize_t socket_sendmsg(struct file *f, const struct msghdr *msg, int flags);
ssize_t socket_recvmsg(struct file *f, struct msghdr *msg, int flags);
int socket_shutdown(struct file *f, int how);
int socket_getsockopt(struct file *f, int level, int name, void *val, socklen_t *len);
int socket_setsockopt(struct file *f, int level, int name, const void *val,
                      socklen_t len);
int socket_getsockname(struct file *f, struct sockaddr *addr, socklen_t *len);
int socket_getpeername(struct file *f, struct sockaddr *addr, socklen_t *len);

/* Called in the sending thread when socket_sendmsg fails with -EPIPE and
 * the caller did not pass MSG_NOSIGNAL (Linux raises SIGPIPE then). Set
 * once by the process layer (like pipe_set_sigpipe_hook); NULL: none. */
typedef void (*socket_sigpipe_hook_fn)(void);
void socket_set_sigpipe_hook(socket_sigpipe_hook_fn hook);

#endif
