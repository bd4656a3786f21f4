/* Host files: a File over a host fd (sockets, stdio, regular host files).
 *
 * read/write/readv/writev/pread/pwrite/lseek/fstat/ioctl pass to the host
 * (src/host/host_fd.h). The host fd is always nonblocking on the host
 * side; the File's own O_NONBLOCK decides whether onespace waits: a
 * blocking read/write that gets EAGAIN from the host sleeps in
 * waiter_wait_host() on that fd, so it is interruptible (-EINTR) and never
 * blocks the host thread uninterruptibly.
 *
 * Pollable: poll asks the host (a zero-timeout poll) and updates the
 * file's Pollee; recv_host_events lets a host poller (epoll's host epoll)
 * update the Pollee and broadcast to observers. host_fd gives the fd.
 * Regular host files and other files a host epoll cannot watch still
 * report IN|OUT from poll (like Linux); whether epoll accepts them is
 * epoll's decision (Linux: -EPERM for regular files). */
#ifndef ONESPACE_FS_HOST_FILE_H
#define ONESPACE_FS_HOST_FILE_H

#include <stdbool.h>

#include "fs/file.h"

enum {
    /* The File closes the host fd when released (else it is borrowed). */
    HOST_FILE_OWN_FD = 1,
    /* Leave the host fd's O_NONBLOCK alone (e.g. host stdio, whose file
     * description the host shell shares): a blocking transfer then first
     * waits (interruptibly) for host readiness and then makes the blocking
     * host call, which may still block if another reader took the data. */
    HOST_FILE_KEEP_HOST_BLOCKING = 2,
};

/* Wrap host fd `hfd`. flags: O_ACCMODE | O_NONBLOCK | O_APPEND ... as the
 * guest should see them; opts: HOST_FILE_* bits. */
int host_file_create(int hfd, int flags, unsigned opts, struct file **out);

bool file_is_host(const struct file *f);

#endif
