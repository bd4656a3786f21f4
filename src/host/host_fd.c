/* Host fd calls (see host_fd.h). */
#include "host/host_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "host/host_fault.h"

#define RET(expr) do { long r_ = (long)(expr); return r_ < 0 ? -errno : r_; } while (0)
/* A write fails before reaching the host when fault injection says so. */
#define FAULT_WRITE() do { int f_ = host_fault_should_fail(HOST_FAULT_FILE_WRITE); \
                           if (f_) return f_; } while (0)

ssize_t host_fd_read(int fd, void *buf, size_t len) { RET(read(fd, buf, len)); }
ssize_t host_fd_write(int fd, const void *buf, size_t len) { FAULT_WRITE(); RET(write(fd, buf, len)); }
ssize_t host_fd_readv(int fd, const struct iovec *iov, int iovcnt) { RET(readv(fd, iov, iovcnt)); }
ssize_t host_fd_writev(int fd, const struct iovec *iov, int iovcnt) { FAULT_WRITE(); RET(writev(fd, iov, iovcnt)); }
ssize_t host_fd_pread(int fd, void *buf, size_t len, off_t off) { RET(pread(fd, buf, len, off)); }
ssize_t host_fd_pwrite(int fd, const void *buf, size_t len, off_t off) { FAULT_WRITE(); RET(pwrite(fd, buf, len, off)); }
off_t host_fd_lseek(int fd, off_t off, int whence) { RET(lseek(fd, off, whence)); }
int host_fd_fstat(int fd, struct stat *st) { RET(fstat(fd, st)); }
int host_fd_ioctl(int fd, unsigned long cmd, void *arg) { RET(ioctl(fd, cmd, arg)); }
int host_fd_get_status_flags(int fd) { RET(fcntl(fd, F_GETFL)); }
int host_fd_set_status_flags(int fd, int flags) { RET(fcntl(fd, F_SETFL, flags)); }
int host_fd_dup(int fd) { RET(fcntl(fd, F_DUPFD_CLOEXEC, 0)); }
int host_fd_close(int fd) { RET(close(fd)); }

int host_fd_set_nonblocking(int fd, bool nonblocking)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    int nfl = nonblocking ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    if (nfl != fl && fcntl(fd, F_SETFL, nfl) < 0)
        return -errno;
    return 0;
}

int host_fd_poll_now(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    int r;
    do {
        r = poll(&p, 1, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    return r == 0 ? 0 : (unsigned short)p.revents;
}
