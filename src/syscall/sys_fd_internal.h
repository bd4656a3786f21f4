/* Shared helpers of the fd syscall files (sys_fd*.c, sys_net*.c). */
#ifndef ONESPACE_SYSCALL_SYS_FD_INTERNAL_H
#define ONESPACE_SYSCALL_SYS_FD_INTERNAL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "fs/fd_table.h"
#include "fs/file.h"
#include "process/process.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"

/* Linux's MAX_RW_COUNT: the most one read/write transfers. */
#define SYS_MAX_RW_COUNT ((size_t)(INT_MAX & ~4095))
/* Linux's UIO_FASTIOV: iovec arrays this short stay on the stack. */
#define SYS_FAST_IOV 8

static inline struct fd_table *sys_fds(struct thread *self)
{
    return self->proc->fds;
}

/* The file behind guest fd `a` (an int argument), referenced. */
static inline int sys_get_file(struct thread *self, uint64_t a, struct file **f)
{
    return fd_table_get_file(sys_fds(self), (int)a, f);
}

/* Copy in a guest iovec array and check every buffer for `prot`:
 * -EINVAL (cnt > IOV_MAX, a negative length), -EFAULT. The total is
 * clamped to SYS_MAX_RW_COUNT by shortening the iovecs (as Linux). *out
 * is `fast` when cnt <= SYS_FAST_IOV, else malloc'ed (free with
 * sys_iov_free). */
int sys_iov_import(struct thread *self, uintptr_t uiov, uint64_t cnt, int prot,
                   struct iovec fast[SYS_FAST_IOV], struct iovec **out,
                   size_t *total);
void sys_iov_free(struct iovec *iov, struct iovec fast[SYS_FAST_IOV]);

/* Per-file registration (sys_fd.c calls them). */
void sys_register_fd_rw(sys_fn *table);
void sys_register_fd_ctl(sys_fn *table);
void sys_register_fd_poll(sys_fn *table);
void sys_register_fd_copy(sys_fn *table);

#endif
