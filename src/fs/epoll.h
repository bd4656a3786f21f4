/* epoll: an epoll instance is a File (pollable, nestable) watching files of
 * every kind: LibOS files (pipes, eventfd, ...) through observers on their
 * notifiers, host files (sockets, ...) through one host epoll instance of
 * its own, and other epoll instances (both ways at once). See docs/epoll.md.
 *
 * Linux semantics and errnos (fs/eventpoll.c, epoll_ctl(2), epoll_wait(2)):
 *  - interest entries are keyed by (fd, open file); an entry lives as long
 *    as the open file description: closing one of several dup'd fds keeps
 *    it (and EPOLL_CTL_DEL through the closed number then gives EBADF);
 *    the last close removes it;
 *  - EPOLLET, EPOLLONESHOT (disarmed after one report until
 *    EPOLL_CTL_MOD), EPOLLEXCLUSIVE (ADD only, only with IN/OUT/ERR/HUP/
 *    WAKEUP/ET, not for epoll targets; MOD of such an entry -> EINVAL),
 *    EPOLLRDHUP, EPOLLWAKEUP (accepted, ignored); ERR and HUP are always
 *    reported; EPOLL_CTL_MOD and ADD of a ready file wake a blocked waiter;
 *  - nesting: loops and chains of more than 5 epoll instances -> ELOOP;
 *  - waits end on events, timeout, or interruption of the calling thread's
 *    Waiter (-EINTR, unless events are available: they win, like Linux).
 *
 * The functions taking an fd table are what the syscall layer calls after
 * copying guest memory: they take arrays in onespace memory. The guest
 * struct epoll_event is the host's (x86-64 packed layout).
 *
 * Errors the syscall layer owns: EFAULT (bad guest pointers). */
#ifndef ONESPACE_FS_EPOLL_H
#define ONESPACE_FS_EPOLL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>

#include "fs/fd_table.h"
#include "fs/file.h"
#include "fs/poll_sigmask.h"

/* Linux's EP_MAX_NESTS: at most this many epoll-in-epoll edges in a chain
 * (so at most 5 epoll instances). */
#define EPOLL_MAX_NESTS 4
/* Linux's EP_MAX_EVENTS: the largest maxevents accepted. */
#define EPOLL_MAX_EVENTS ((int)(0x7fffffff / sizeof(struct epoll_event)))

/* A new epoll file. flags: 0 or EPOLL_CLOEXEC (an fd property: ignored
 * here), else -EINVAL. */
int epoll_file_create(int flags, struct file **out);

bool file_is_epoll(const struct file *f);

/* epoll_create1(2) / epoll_create(2) (size <= 0 -> -EINVAL): create and
 * install; return the fd. */
int epoll_create1_in(struct fd_table *t, int flags);
int epoll_create_in(struct fd_table *t, int size);

/* epoll_ctl(2). `ev` may be NULL for EPOLL_CTL_DEL. */
int epoll_ctl_in(struct fd_table *t, int epfd, int op, int fd,
                 const struct epoll_event *ev);

/* The same on files: `target` is what `fd` refers to in the caller's
 * table (the pair is the interest key). */
int epoll_ctl_file(struct file *ep, int op, int fd, struct file *target,
                   const struct epoll_event *ev);

/* epoll_wait(2) / epoll_pwait(2): timeout_ms < 0 waits forever. sigmask
 * NULL: no mask (epoll_wait); else sigsetsize must be 8. Returns the
 * number of events written to `events`. */
int epoll_wait_in(struct fd_table *t, int epfd, struct epoll_event *events,
                  int maxevents, int timeout_ms, const guest_sigset_t *sigmask,
                  size_t sigsetsize);

/* epoll_pwait2(2): a relative timespec timeout (NULL waits forever;
 * negative or non-normalised -> -EINVAL, checked first). */
int epoll_pwait2_in(struct fd_table *t, int epfd, struct epoll_event *events,
                    int maxevents, const struct timespec *timeout,
                    const guest_sigset_t *sigmask, size_t sigsetsize);

/* Wait on an epoll file until an absolute CLOCK_MONOTONIC deadline
 * (WAIT_FOREVER; a deadline already passed polls once). */
int epoll_wait_file(struct file *ep, struct epoll_event *events, int maxevents,
                    uint64_t deadline_ns);

/* For the process layer: a thread that destroys a Waiter it bound with
 * waiter_bind_current() calls this first (wake-ups of epoll waiters reach
 * the Waiter after the woken thread went on). Thread exit does it itself
 * for the default per-thread Waiter. */
void epoll_thread_quiesce(void);

/* For tests and /proc fdinfo: number of interest entries, and whether the
 * instance currently needs its host epoll (it watches host files or other
 * epoll instances). -EINVAL if not an epoll file. */
int epoll_file_count(struct file *ep);
int epoll_file_uses_host(struct file *ep);

#endif
