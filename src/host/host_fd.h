/* Host file descriptors: the only place that calls the host's read, write,
 * lseek, fstat, ioctl, fcntl and close on fds. fs/host_file.c builds host
 * Files on top. Every function returns a value or a negative errno (the
 * host's errno, negated); none retries on EINTR except where noted. */
#ifndef ONESPACE_HOST_HOST_FD_H
#define ONESPACE_HOST_HOST_FD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

ssize_t host_fd_read(int fd, void *buf, size_t len);
ssize_t host_fd_write(int fd, const void *buf, size_t len);
ssize_t host_fd_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t host_fd_writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t host_fd_pread(int fd, void *buf, size_t len, off_t off);
ssize_t host_fd_pwrite(int fd, const void *buf, size_t len, off_t off);
off_t host_fd_lseek(int fd, off_t off, int whence);
int host_fd_fstat(int fd, struct stat *st);
/* ioctl with a pointer argument in our own memory. */
int host_fd_ioctl(int fd, unsigned long cmd, void *arg);
/* F_GETFL / F_SETFL. */
int host_fd_get_status_flags(int fd);
int host_fd_set_status_flags(int fd, int flags);
/* Set or clear O_NONBLOCK only. */
int host_fd_set_nonblocking(int fd, bool nonblocking);
/* Zero-timeout poll of one fd: its revents (>= 0). */
int host_fd_poll_now(int fd, short events);
/* dup with close-on-exec (onespace never execs on the host). */
int host_fd_dup(int fd);
int host_fd_close(int fd);

#endif
