/* fd-based syscalls: registration (the handlers are in sys_fd_*.c) and
 * the iovec import they share. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "syscall/sys_fd_internal.h"

int sys_iov_import(struct thread *self, uintptr_t uiov, uint64_t cnt, int prot,
                   struct iovec fast[SYS_FAST_IOV], struct iovec **out,
                   size_t *total)
{
    *out = fast;
    *total = 0;
    if (cnt > IOV_MAX)
        return -EINVAL;
    if (cnt == 0)
        return 0;
    struct iovec *iov = fast;
    if (cnt > SYS_FAST_IOV) {
        iov = malloc(cnt * sizeof *iov);
        if (!iov)
            return -ENOMEM;
    }
    int err = uaccess_read(self->proc, iov, uiov, cnt * sizeof *iov);
    size_t sum = 0;
    for (uint64_t i = 0; !err && i < cnt; i++) {
        if ((ssize_t)iov[i].iov_len < 0) {
            err = -EINVAL;
            break;
        }
        if (iov[i].iov_len > SYS_MAX_RW_COUNT - sum)
            iov[i].iov_len = SYS_MAX_RW_COUNT - sum;
        sum += iov[i].iov_len;
    }
    /* Linux checks every length before any address. */
    for (uint64_t i = 0; !err && i < cnt; i++)
        err = uaccess_check(self->proc, (uintptr_t)iov[i].iov_base, iov[i].iov_len,
                            prot);
    if (err) {
        sys_iov_free(iov, fast);
        *out = fast;
        return err;
    }
    *out = iov;
    *total = sum;
    return 0;
}

void sys_iov_free(struct iovec *iov, struct iovec fast[SYS_FAST_IOV])
{
    if (iov != fast)
        free(iov);
}

void sys_register_fd(sys_fn *table)
{
    sys_register_fd_rw(table);
    sys_register_fd_ctl(table);
    sys_register_fd_poll(table);
    sys_register_fd_copy(table);
}
