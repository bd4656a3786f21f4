/* eventfd as a LibOS file (not a host eventfd), with Linux's semantics:
 *  - read (>= 8 bytes, else -EINVAL): the counter, which becomes 0; with
 *    EFD_SEMAPHORE: 1, and the counter decreases by 1; counter 0: blocks,
 *    or -EAGAIN with EFD_NONBLOCK;
 *  - write (exactly 8 bytes, else -EINVAL, as Linux 6.x): adds a u64; 0xffffffffffffffff is
 *    -EINVAL; if the counter would exceed 0xfffffffffffffffe the write
 *    blocks until a read makes room, or -EAGAIN with EFD_NONBLOCK;
 *  - poll: IN|RDNORM when counter > 0, OUT|WRNORM when a write of 1 would
 *    not block, ERR on overflow (counter == 0xffffffffffffffff);
 *  - no ioctl (-ENOTTY), no pread/pwrite (-ESPIPE); lseek returns 0
 *    (Linux's noop_llseek). */
#ifndef ONESPACE_FS_EVENTFD_H
#define ONESPACE_FS_EVENTFD_H

#include <stdint.h>
#include <sys/eventfd.h>

#include "fs/fd_table.h"
#include "fs/file.h"

#define EVENTFD_MAX 0xfffffffffffffffeull

/* flags: EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC (ignored here: it is
 * an fd property), else -EINVAL. The file is O_RDWR. */
int eventfd_create(unsigned int initval, int flags, struct file **out);

/* eventfd2(2): create and install; returns the fd. */
int eventfd_install(struct fd_table *t, unsigned int initval, int flags);

/* The counter now (for tests and /proc fdinfo). -EINVAL if not an eventfd. */
int eventfd_peek(struct file *f, uint64_t *count);

bool file_is_eventfd(const struct file *f);

#endif
