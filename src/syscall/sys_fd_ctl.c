/* fd management: close, close_range, dup*, fcntl, ioctl, fstat; pipe and
 * eventfd creation. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <termios.h>

#include "fs/eventfd.h"
#include "fs/pipe.h"
#include "process/process.h"
#include "sgx/sgx_dev.h"
#include "syscall/sys_fd_internal.h"

SYS_STATIC(close) { return fd_table_close(sys_fds(self), (int)a[0]); }

SYS_STATIC(close_range)
{
    /* CLOSE_RANGE_UNSHARE: all threads of a process share one table and
     * spawned processes get copies, so there is nothing to unshare. */
    return fd_table_close_range(sys_fds(self), (unsigned)a[0], (unsigned)a[1],
                                (unsigned)a[2]);
}

SYS_STATIC(dup) { return fd_table_dup(sys_fds(self), (int)a[0]); }
SYS_STATIC(dup2) { return fd_table_dup2(sys_fds(self), (int)a[0], (int)a[1]); }
SYS_STATIC(dup3)
{
    return fd_table_dup3(sys_fds(self), (int)a[0], (int)a[1], (int)a[2]);
}

/* ---- fcntl ------------------------------------------------------------ */

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif
#ifndef F_GETOWN_EX
#define F_SETOWN_EX 15
#define F_GETOWN_EX 16
#endif

/* Record locks: onespace has no lock manager yet. Locks are checked and
 * granted (F_GETLK always finds no conflict): right for a single process,
 * and for cooperating processes that lock disjoint ranges. */
static long fcntl_lock(struct thread *self, int fd, int cmd, uintptr_t uarg)
{
    struct file *f;
    int err = sys_get_file(self, (uint64_t)fd, &f);
    if (err)
        return err;
    struct flock fl;
    long r = uaccess_read(self->proc, &fl, uarg, sizeof fl);
    if (!r && fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
        r = -EINVAL;
    if (!r && (cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLK ||
               cmd == F_OFD_SETLKW)) {
        if (fl.l_type == F_RDLCK && !file_readable(f))
            r = -EBADF;
        else if (fl.l_type == F_WRLCK && !file_writable(f))
            r = -EBADF;
    }
    if (!r && (cmd == F_GETLK || cmd == F_OFD_GETLK)) {
        fl.l_type = F_UNLCK;
        r = uaccess_write(self->proc, uarg, &fl, sizeof fl);
    }
    file_put(f);
    return r;
}

SYS_STATIC(fcntl)
{
    int fd = (int)a[0], cmd = (int)a[1];
    struct file *f;
    int err;
    switch (cmd) {
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
        return fcntl_lock(self, fd, cmd, (uintptr_t)a[2]);
    case F_GETOWN: case F_SETOWN: case F_GETSIG: case F_SETSIG:
        /* No SIGIO yet: owner and signal read as 0, setting is accepted. */
        err = sys_get_file(self, (uint64_t)fd, &f);
        if (err)
            return err;
        file_put(f);
        return 0;
    case F_GETOWN_EX: {
        err = sys_get_file(self, (uint64_t)fd, &f);
        if (err)
            return err;
        file_put(f);
        struct { int type; int pid; } owner = { 0, 0 };
        return uaccess_write(self->proc, (uintptr_t)a[2], &owner, sizeof owner);
    }
    case F_SETOWN_EX:
        err = sys_get_file(self, (uint64_t)fd, &f);
        if (err)
            return err;
        file_put(f);
        return 0;
    }
    return fd_table_fcntl(sys_fds(self), fd, cmd, (unsigned long)a[2]);
}

/* ---- ioctl ------------------------------------------------------------ */

/* Kernel struct termios (not glibc's larger one): what TCGETS copies. */
#define KERNEL_TERMIOS_SIZE 36

enum { ARG_NONE, ARG_IN, ARG_OUT, ARG_INOUT };

/* Argument layout of the ioctls we pass on. */
static int ioctl_layout(unsigned long cmd, size_t *size)
{
    switch (cmd) {
    case FIOCLEX: case FIONCLEX:
        *size = 0;
        return ARG_NONE;
    case FIONBIO: case FIOASYNC:
        *size = sizeof(int);
        return ARG_IN;
    case FIONREAD: case TIOCOUTQ: case TIOCGPGRP:
        *size = sizeof(int);
        return ARG_OUT;
    case TCGETS:
        *size = KERNEL_TERMIOS_SIZE;
        return ARG_OUT;
    case TCSETS: case TCSETSW: case TCSETSF:
        *size = KERNEL_TERMIOS_SIZE;
        return ARG_IN;
    case TIOCGWINSZ:
        *size = sizeof(struct winsize);
        return ARG_OUT;
    case TIOCSWINSZ:
        *size = sizeof(struct winsize);
        return ARG_IN;
    }
    /* Encoded ioctls (_IOR/_IOW/_IOWR) say their own size and direction. */
    unsigned dir = _IOC_DIR(cmd);
    *size = _IOC_SIZE(cmd);
    if (_IOC_TYPE(cmd) == 0 || dir == _IOC_NONE || *size == 0)
        return -1;
    return dir == _IOC_READ ? ARG_OUT : dir == _IOC_WRITE ? ARG_IN : ARG_INOUT;
}

SYS_STATIC(ioctl)
{
    int fd = (int)a[0];
    unsigned long cmd = (unsigned)a[1]; /* Linux: unsigned int cmd */
    uintptr_t uarg = (uintptr_t)a[2];
    size_t size;
    int dir = ioctl_layout(cmd, &size);
    /* Large enough for glibc's struct termios too (what host TCGETS fills
     * is the kernel's smaller one), and for /dev/sgx's 512-byte target info
     * (SGXIOC_SELF_TARGET) and 432-byte report (SGXIOC_VERIFY_REPORT). */
    _Alignas(16) char buf[512];
    _Static_assert(sizeof(struct termios) <= sizeof buf, "ioctl buffer");
    if (dir < 0 || size > sizeof buf) {
        /* Unknown layout, or larger than any ioctl of ours: nothing we
         * could pass on safely. */
        struct file *f;
        int err = sys_get_file(self, (uint64_t)fd, &f);
        if (err)
            return err;
        file_put(f);
        return -ENOTTY;
    }
    char *arg = NULL;
    if (dir != ARG_NONE) {
        memset(buf, 0, sizeof buf);
        arg = buf;
        if (dir == ARG_IN || dir == ARG_INOUT) {
            int err = uaccess_read(self->proc, buf, uarg, size);
            if (err)
                return err;
        } else {
            int err = uaccess_check(self->proc, uarg, size, PROT_WRITE);
            if (err)
                return err;
        }
    }
    int r = fd_table_ioctl(sys_fds(self), fd, cmd, arg);
    if (r >= 0 && (dir == ARG_OUT || dir == ARG_INOUT)) {
        int err = uaccess_write(self->proc, uarg, buf, size);
        if (err)
            return err;
    }
    return r;
}

/* ---- fstat ------------------------------------------------------------ */

SYS_STATIC(fstat)
{
    struct file *f;
    int err = sys_get_file(self, a[0], &f);
    if (err)
        return err;
    struct stat st;
    memset(&st, 0, sizeof st);
    err = file_stat(f, &st);
    file_put(f);
    if (err)
        return err;
    return uaccess_write(self->proc, (uintptr_t)a[1], &st, sizeof st);
}

/* ---- pipe, eventfd ---------------------------------------------------- */

SYS_STATIC(pipe2)
{
    uintptr_t ufds = (uintptr_t)a[0];
    int err = uaccess_check(self->proc, ufds, 2 * sizeof(int), PROT_WRITE);
    if (err)
        return err;
    int fds[2];
    err = pipe_install(sys_fds(self), (int)a[1], fds);
    if (err)
        return err;
    err = uaccess_write(self->proc, ufds, fds, sizeof fds);
    if (err) {
        /* unmapped meanwhile: like Linux, no fds are left behind */
        fd_table_close(sys_fds(self), fds[0]);
        fd_table_close(sys_fds(self), fds[1]);
    }
    return err;
}

SYS_STATIC(pipe)
{
    const uint64_t b[6] = { a[0], 0, 0, 0, 0, 0 };
    return sys_pipe2(self, b);
}

SYS_STATIC(eventfd2)
{
    return eventfd_install(sys_fds(self), (unsigned)a[0], (int)a[1]);
}

SYS_STATIC(eventfd) { return eventfd_install(sys_fds(self), (unsigned)a[0], 0); }

/* /dev/sgx's argument structs hold guest pointers: the device checks them
 * against the calling process through this hook (see sgx_dev.h). */
static int sgx_guest_check(uintptr_t addr, size_t len, int prot)
{
    struct thread *t = thread_current();
    return t ? uaccess_check(t->proc, addr, len, prot) : -EFAULT;
}

void sys_register_fd_ctl(sys_fn *table)
{
    sgx_dev_set_guest_check(sgx_guest_check);
    table[__NR_close] = sys_close;
    table[__NR_close_range] = sys_close_range;
    table[__NR_dup] = sys_dup;
    table[__NR_dup2] = sys_dup2;
    table[__NR_dup3] = sys_dup3;
    table[__NR_fcntl] = sys_fcntl;
    table[__NR_ioctl] = sys_ioctl;
    table[__NR_fstat] = sys_fstat;
    table[__NR_pipe] = sys_pipe;
    table[__NR_pipe2] = sys_pipe2;
    table[__NR_eventfd] = sys_eventfd;
    table[__NR_eventfd2] = sys_eventfd2;
}
