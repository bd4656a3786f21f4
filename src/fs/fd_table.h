/* The fd table of a process: fd -> (File, close-on-exec).
 *
 * Thread safe (all threads of a process share one table). Linux semantics
 * and errnos throughout:
 *  - new fds are the lowest free number (>= a minimum for F_DUPFD);
 *  - the limit is RLIMIT_NOFILE: no free fd below it -> -EMFILE; dup2/dup3
 *    to a number >= it -> -EBADF; F_DUPFD with arg >= it -> -EINVAL;
 *    lowering the limit leaves fds above it open (as Linux);
 *  - an fd passed as int is invalid if negative or not open (-EBADF).
 *
 * Two counts keep a table alive (like Linux's mm_users / mm_count):
 *  - users (fd_table_get/put): threads and processes using it; when the
 *    last user goes, every fd is closed (close listeners are told), then
 *    every close listener gets a last call with fd = -1, file = NULL and
 *    is dropped;
 *  - holds (fd_table_hold/unhold): keep the memory valid, e.g. for an epoll
 *    instance that registered a close listener and will remove it later.
 *
 * Close notification: when an fd stops referring to a file (close,
 * close_range, dup2/dup3 replacing it, close-on-exec, table teardown),
 * every registered close listener is called with (table, fd, file) AFTER
 * the fd slot was freed and with no table lock held (the listener may use
 * the table, even close other fds), while a reference to the file is still
 * held (so the file is valid during the call). epoll uses this so a closed
 * fd leaves every interest list at once; since the slot is freed first and
 * the file is passed along, an entry keyed by (fd, file) can never be
 * confused with a later file that reuses the number.
 * Listener callbacks must not block for long (they run in close()).
 */
#ifndef ONESPACE_FS_FD_TABLE_H
#define ONESPACE_FS_FD_TABLE_H

#include <stdbool.h>

#include "events/observer.h"
#include "fs/file.h"

struct fd_table;

/* Linux's default soft RLIMIT_NOFILE. */
#define FD_TABLE_DEFAULT_LIMIT 1024u
/* Our hard ceiling for any table (Linux's default fs.nr_open). */
#define FD_TABLE_MAX_LIMIT (1u << 20)

/* close_range flags (linux/close_range.h values). */
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* A new empty table (one user, one hold). limit: 1..FD_TABLE_MAX_LIMIT. */
int fd_table_create(unsigned limit, struct fd_table **out);

/* A copy for spawn: same files (each gets a reference), same fd numbers,
 * same close-on-exec flags, same limit. Close listeners are NOT copied. */
int fd_table_copy(struct fd_table *src, struct fd_table **out);

/* CLOSE_RANGE_UNSHARE / unshare(CLONE_FILES): if *tp has other users,
 * replace it with a private copy (dropping this user of the old one). */
int fd_table_unshare(struct fd_table **tp);

void fd_table_get(struct fd_table *t);   /* one more user */
void fd_table_put(struct fd_table *t);   /* last user closes all fds */
void fd_table_hold(struct fd_table *t);  /* keep the memory */
void fd_table_unhold(struct fd_table *t);

unsigned fd_table_limit(struct fd_table *t);
/* setrlimit(RLIMIT_NOFILE): 1..FD_TABLE_MAX_LIMIT, else -EINVAL. */
int fd_table_set_limit(struct fd_table *t, unsigned limit);

/* Install `f` at the lowest free fd (>= 0); takes its own reference.
 * flags: 0 or O_CLOEXEC (anything else: -EINVAL). Returns the fd or
 * -EMFILE. */
int fd_table_install(struct fd_table *t, struct file *f, int flags);

/* The file at `fd`, with a new reference the caller must file_put. */
int fd_table_get_file(struct fd_table *t, int fd, struct file **out);

/* close(2). */
int fd_table_close(struct fd_table *t, int fd);

int fd_table_dup(struct fd_table *t, int oldfd);
int fd_table_dup2(struct fd_table *t, int oldfd, int newfd);
/* flags: 0 or O_CLOEXEC. oldfd == newfd -> -EINVAL. */
int fd_table_dup3(struct fd_table *t, int oldfd, int newfd, int flags);

/* F_GETFD / F_SETFD (FD_CLOEXEC). */
int fd_table_get_fd_flags(struct fd_table *t, int fd);
int fd_table_set_fd_flags(struct fd_table *t, int fd, int fd_flags);

/* close_range(2): first > last or unknown flags -> -EINVAL. With
 * CLOSE_RANGE_CLOEXEC the fds get FD_CLOEXEC instead of being closed.
 * CLOSE_RANGE_UNSHARE is accepted; the unsharing itself is the caller's
 * (fd_table_unshare() on its table pointer, before this call). */
int fd_table_close_range(struct fd_table *t, unsigned first, unsigned last,
                         unsigned flags);

/* Close every close-on-exec fd (execve). */
void fd_table_close_on_exec(struct fd_table *t);

/* fcntl(2) on an fd: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD here; the
 * rest through file_fcntl(). */
long fd_table_fcntl(struct fd_table *t, int fd, int cmd, unsigned long arg);

/* ioctl(2) on an fd: FIOCLEX / FIONCLEX here; the rest through
 * file_ioctl(). */
int fd_table_ioctl(struct fd_table *t, int fd, unsigned long cmd, void *arg);

/* Number of open fds (a snapshot; for tests and /proc). */
unsigned fd_table_count(struct fd_table *t);

/* ---- close notification --------------------------------------------- */

struct fd_close_listener;
/* fd >= 0: `fd` no longer refers to `file`. fd == -1, file == NULL: the
 * table is being torn down; this is the last call and the listener is no
 * longer registered afterwards (do not remove it). */
typedef void (*fd_close_fn)(struct fd_close_listener *l, struct fd_table *t,
                            int fd, struct file *file);

struct fd_close_listener {
    fd_close_fn on_close;
    void *context;          /* free for the owner's use */
    struct observer obs;    /* internal: registration in the table */
};

void fd_close_listener_init(struct fd_close_listener *l, fd_close_fn on_close,
                            void *context);

/* Register / unregister (notifier_register/unregister contract: after
 * remove returns, on_close is not running and never runs again, unless
 * called from inside on_close itself). -EBUSY if already registered;
 * -ENOENT if not registered with `t`. */
int fd_table_add_close_listener(struct fd_table *t, struct fd_close_listener *l);
int fd_table_remove_close_listener(struct fd_table *t, struct fd_close_listener *l);

#endif
