/* File: one open file description (what an fd points to; shared by dup'd
 * fds and by tables copied for spawn). Refcounted, with an ops table.
 *
 * A file type embeds `struct file` (usually first) and fills a
 * `struct file_ops`; it implements only what it supports. Every file_*()
 * call below goes through one generic layer that checks access modes and
 * arguments and supplies Linux's errno for what a type leaves out:
 *
 *   op missing          generic result (as Linux)
 *   read / write        -EINVAL (after the access-mode check: -EBADF)
 *   readv / writev      loop over read / write
 *   pread / pwrite      -ESPIPE (pipes, sockets, eventfd)
 *   lseek               -ESPIPE
 *   ioctl               -ENOTTY (FIONBIO is handled generically)
 *   fcntl (type cmds)   F_GETPIPE_SZ/F_SETPIPE_SZ -EBADF, others -EINVAL
 *   stat                zeroed struct stat (types should provide one)
 *   poll                IN|OUT|RDNORM|WRNORM (always ready, like a
 *                       Linux file without a poll method)
 *   notifier            NULL: the file cannot be watched by epoll
 *   host_fd             -1: not backed by a host fd
 *   recv_host_events    ignored
 *
 * Three kinds of file (DESIGN.md): LibOS files (pipe, eventfd) implement
 * poll + notifier; host files (host_file.h) also host_fd +
 * recv_host_events; hybrid files (epoll) implement poll + notifier and
 * may be nested.
 *
 * Blocking operations sleep through waiter_current() and return -EINTR
 * when that waiter is interrupted (and nothing was transferred yet).
 */
#ifndef ONESPACE_FS_FILE_H
#define ONESPACE_FS_FILE_H

#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "events/io_events.h"
#include "events/observer.h"

struct file;
struct vm_file;

struct file_ops {
    const char *name; /* "pipe", "eventfd", "host", "epoll", ... */

    ssize_t (*read)(struct file *f, void *buf, size_t len);
    ssize_t (*write)(struct file *f, const void *buf, size_t len);
    ssize_t (*readv)(struct file *f, const struct iovec *iov, int iovcnt);
    ssize_t (*writev)(struct file *f, const struct iovec *iov, int iovcnt);
    ssize_t (*pread)(struct file *f, void *buf, size_t len, off_t off);
    ssize_t (*pwrite)(struct file *f, const void *buf, size_t len, off_t off);
    off_t (*lseek)(struct file *f, off_t off, int whence);
    /* `arg` points into onespace memory (the syscall layer copies guest
     * memory in/out). Return >= 0 or a negative errno. */
    int (*ioctl)(struct file *f, unsigned long cmd, void *arg);
    /* Type-specific fcntl commands (F_GETPIPE_SZ, ...). */
    long (*fcntl)(struct file *f, int cmd, unsigned long arg);
    /* F_SETFL: called with the old and the new status flags before they
     * are stored; return 0 to accept or a negative errno to refuse (e.g.
     * O_DIRECT where unsupported). Without it, O_DIRECT is refused with
     * -EINVAL and everything else settable is accepted. */
    int (*set_status_flags)(struct file *f, int old_flags, int new_flags);
    int (*stat)(struct file *f, struct stat *st);

    /* Current readiness, unfiltered (IN|RDNORM, OUT|WRNORM, HUP, ERR...).
     * Must not block; must not take locks that a broadcast to this file's
     * notifier may hold (it takes none). */
    io_events_t (*poll)(struct file *f);
    /* Where readiness changes are broadcast (stable for the file's life).
     * When the file is released its notifier broadcasts IO_CLOSED (info =
     * the file) to the observers still registered; they must unregister
     * in that callback. */
    struct notifier *(*notifier)(struct file *f);
    /* The host fd behind a host file. */
    int (*host_fd)(struct file *f);
    /* A host poller (epoll's host epoll fd, or a host ppoll) tells a host
     * file the readiness it saw: `events` replaces the file's host-derived
     * events and is broadcast to its observers. */
    void (*recv_host_events)(struct file *f, io_events_t events);
    /* Optional: what mmap maps (a reference owned by the caller's VMA is
     * taken with vm_file->ops->get). NULL: the file cannot be mapped. */
    struct vm_file *(*vm_file)(struct file *f);

    /* Last reference gone: free everything (the struct file included). */
    void (*release)(struct file *f);
};

struct file {
    const struct file_ops *ops;
    atomic_long refs;
    atomic_int flags;          /* O_ACCMODE | status flags (O_NONBLOCK...) */
    struct notifier release_notifier; /* see file_release_notifier() */
};

/* Status flags F_SETFL may change (Linux's SETFL_MASK). */
#define FILE_SETFL_MASK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_ASYNC)
/* Flags a file keeps: access mode + status flags (no O_CLOEXEC, that is a
 * property of the fd; no O_CREAT etc.). */
#define FILE_KEPT_FLAGS (O_ACCMODE | FILE_SETFL_MASK | O_LARGEFILE | O_SYNC | \
                         O_DSYNC | O_PATH)

/* Initialise the embedded part: one reference, `flags` & FILE_KEPT_FLAGS. */
void file_init(struct file *f, const struct file_ops *ops, int flags);

static inline struct file *file_get(struct file *f)
{
    atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
    return f;
}

/* Take a reference only if the file is still alive (refs > 0); for
 * holders of a weak pointer that the release notifier keeps valid. */
bool file_tryget(struct file *f);

/* Drop a reference; the last one broadcasts IO_CLOSED (info = the file) on
 * the release notifier, then calls ops->release. */
void file_put(struct file *f);

/* Notifier called once, at the final file_put(), before ops->release,
 * with events = IO_CLOSED and info = the file (still fully usable, but
 * its refcount is 0: do not file_get it). Observers must unregister
 * themselves in that callback (allowed by the notifier's rules) and must
 * not free the observer's memory there. For holders of weak references
 * (epoll entries that follow Linux's rule "an interest entry lives as long
 * as the open file description"). */
static inline struct notifier *file_release_notifier(struct file *f)
{
    return &f->release_notifier;
}

/* ---- flags ----------------------------------------------------------- */

static inline int file_flags(const struct file *f)
{
    return atomic_load_explicit(&((struct file *)f)->flags, memory_order_relaxed);
}
static inline bool file_readable(const struct file *f)
{
    int acc = file_flags(f) & O_ACCMODE;
    return acc == O_RDONLY || acc == O_RDWR;
}
static inline bool file_writable(const struct file *f)
{
    int acc = file_flags(f) & O_ACCMODE;
    return acc == O_WRONLY || acc == O_RDWR;
}
static inline bool file_nonblocking(const struct file *f)
{
    return (file_flags(f) & O_NONBLOCK) != 0;
}

/* F_GETFL: access mode + status flags. */
int file_get_status_flags(struct file *f);
/* F_SETFL: only FILE_SETFL_MASK bits change; the rest of `flags` is
 * ignored, like Linux. */
int file_set_status_flags(struct file *f, int flags);

/* ---- operations (generic layer) -------------------------------------- */

ssize_t file_read(struct file *f, void *buf, size_t len);
ssize_t file_write(struct file *f, const void *buf, size_t len);
/* -EINVAL for iovcnt < 0 or > IOV_MAX, or a total length > SSIZE_MAX. */
ssize_t file_readv(struct file *f, const struct iovec *iov, int iovcnt);
ssize_t file_writev(struct file *f, const struct iovec *iov, int iovcnt);
/* -EINVAL for off < 0 (checked first, like Linux), then -ESPIPE. */
ssize_t file_pread(struct file *f, void *buf, size_t len, off_t off);
ssize_t file_pwrite(struct file *f, const void *buf, size_t len, off_t off);
off_t file_lseek(struct file *f, off_t off, int whence);
/* Handles FIONBIO (arg: int *), then the type's ioctl, else -ENOTTY.
 * FIOCLEX/FIONCLEX are fd properties: see fd_table_ioctl(). */
int file_ioctl(struct file *f, unsigned long cmd, void *arg);
/* F_GETFL, F_SETFL, then the type's fcntl (see the table above). fd-level
 * commands (F_DUPFD, F_GETFD, ...) are in fd_table_fcntl(). */
long file_fcntl(struct file *f, int cmd, unsigned long arg);
int file_stat(struct file *f, struct stat *st);

/* Current readiness filtered by `mask` (IO_ALWAYS always passes). */
io_events_t file_poll(struct file *f, io_events_t mask);

/* The notifier, or NULL if the file cannot be watched. */
static inline struct notifier *file_notifier(struct file *f)
{
    return f->ops->notifier ? f->ops->notifier(f) : NULL;
}

/* Poll and register atomically (nothing is missed between the two):
 * register `obs` on the file's notifier with filter `mask | IO_ALWAYS` (ERR
 * and HUP always reach it, as with poll/epoll; IO_CLOSED too) (or just update
 * the filter if it is already registered there), then return the current
 * events filtered by `mask` in *events. -EPERM if the file has no notifier
 * (Linux's epoll_ctl answer for files that cannot be polled). */
int file_poll_register(struct file *f, io_events_t mask, struct observer *obs,
                       io_events_t *events);
/* Undo file_poll_register (notifier_unregister's contract). */
int file_poll_unregister(struct file *f, struct observer *obs);

static inline int file_host_fd(struct file *f)
{
    return f->ops->host_fd ? f->ops->host_fd(f) : -1;
}
/* The vm_file of a mappable file (no reference taken), or NULL. */
static inline struct vm_file *file_vm_file(struct file *f)
{
    return f->ops->vm_file ? f->ops->vm_file(f) : NULL;
}
static inline void file_recv_host_events(struct file *f, io_events_t events)
{
    if (f->ops->recv_host_events)
        f->ops->recv_host_events(f, events);
}

#endif
