/* Pipes: a LibOS file pair over an in-memory ring, with Linux's semantics:
 *  - capacity 64 KiB by default; F_GETPIPE_SZ / F_SETPIPE_SZ (rounded up
 *    to a power-of-two number of pages, at most PIPE_MAX_SIZE
 *    (/proc/sys/fs/pipe-max-size) else -EPERM, -EBUSY when the data in the
 *    pipe would not fit, -EINVAL for 0 / absurd sizes);
 *  - writes of at most PIPE_BUF bytes are atomic; a blocking write
 *    completes fully (unless interrupted: then the bytes written so far, or
 *    -EINTR); O_NONBLOCK: -EAGAIN, a write > PIPE_BUF may be partial, one
 *    <= PIPE_BUF is all or -EAGAIN;
 *  - no reader left: -EPIPE, and the SIGPIPE hook is called (the process
 *    layer fills it); no writer left and empty: read returns 0 (EOF);
 *  - FIONREAD; readv/writev (atomic up to PIPE_BUF in total);
 *  - O_DIRECT ("packet mode", pipe2 flag or F_SETFL): each write is a
 *    packet (writes > PIPE_BUF are split into PIPE_BUF packets), a read
 *    returns at most one packet and discards what does not fit;
 *  - poll: read end IN|RDNORM when data, HUP when no writer; write end
 *    OUT|WRNORM when at least PIPE_BUF bytes free, ERR when no reader.
 * pread/pwrite/lseek give -ESPIPE (generic defaults).
 *
 * Readers and writers never sleep while holding a lock; a waiting reader
 * first spins (adaptively) on the ring, and a writer wakes readers only
 * when one is actually queued.
 *
 * Note for the syscall layer: a blocking writer facing a full pipe
 * "parks" its buffer and READER threads copy straight from it (see
 * pipe.c). The buffer must therefore stay mapped until the write returns
 * (a concurrent munmap by another guest thread must not fault a reader:
 * pin the range or copy through a bounce buffer for such writes). */
#ifndef ONESPACE_FS_PIPE_H
#define ONESPACE_FS_PIPE_H

#include "fs/fd_table.h"
#include "fs/file.h"

#define PIPE_DEFAULT_SIZE (64u * 1024)
#define PIPE_MAX_SIZE (1024u * 1024)
#ifndef PIPE_BUF
#define PIPE_BUF 4096
#endif

/* Create a pipe. flags: O_NONBLOCK, O_DIRECT (O_CLOEXEC is accepted and
 * ignored here: it belongs to the fds); anything else -EINVAL. On success
 * *rd is O_RDONLY and *wr O_WRONLY, one reference each. */
int pipe_create(int flags, struct file **rd, struct file **wr);

/* pipe2(2): create and install in `t`; fds[0] read end, fds[1] write end.
 * flags: O_CLOEXEC | O_NONBLOCK | O_DIRECT, else -EINVAL. -EMFILE leaves
 * the table unchanged. */
int pipe_install(struct fd_table *t, int flags, int fds[2]);

/* Called in the writing thread each time a write finds no reader (before
 * -EPIPE or the partial count is returned, with no pipe lock held). Set
 * once by the process layer; NULL: no signal. */
typedef void (*pipe_sigpipe_hook_fn)(void);
void pipe_set_sigpipe_hook(pipe_sigpipe_hook_fn hook);

/* True if `f` is one end of a pipe. */
bool file_is_pipe(const struct file *f);

#endif
