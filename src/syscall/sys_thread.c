/* Thread-related syscalls that need no registers: futex, the tid
 * address, robust lists, rseq. (clone and exit are in src/entry/.) */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "host/host_thread.h"
#include "process/process.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"

/* Guests share onespace's address space, so a guest futex is a host futex
 * on the same address: waits and wakes between guest threads (and the
 * kernel's CLEARTID wake) meet there. A kick (process exit) ends a wait
 * with EINTR. */
SYS_STATIC(futex)
{
    struct process *p = self->proc;
    int op = (int)a[1];
    int cmd = op & FUTEX_CMD_MASK;
    if (uaccess_check(p, a[0], sizeof(uint32_t), PROT_READ))
        return -EFAULT;
    struct timespec ts, *tsp = NULL;
    uint32_t val2 = 0;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI:
        if (a[3]) {
            if (uaccess_read(p, &ts, a[3], sizeof(ts)))
                return -EFAULT;
            tsp = &ts;
        }
        break;
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
    case FUTEX_CMP_REQUEUE_PI:
        val2 = (uint32_t)a[3];     /* the "timeout" slot carries a count */
        if (uaccess_check(p, a[4], sizeof(uint32_t), PROT_READ | PROT_WRITE))
            return -EFAULT;
        break;
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI:
        break;
    default:
        return -ENOSYS;
    }
    if (tsp)
        return host_futex_raw((uint32_t *)a[0], op, (uint32_t)a[2], tsp, (uint32_t *)a[4],
                              (uint32_t)a[5]);
    return host_futex_raw((uint32_t *)a[0], op, (uint32_t)a[2],
                          (const struct timespec *)(uintptr_t)val2, (uint32_t *)a[4],
                          (uint32_t)a[5]);
}

SYS_STATIC(set_tid_address)
{
    self->clear_child_tid = a[0];
    return self->tid;
}

SYS_STATIC(set_robust_list)
{
    if (a[1] != 24)     /* sizeof(struct robust_list_head) */
        return -EINVAL;
    self->robust_list = a[0];
    self->robust_len = a[1];
    return 0;
}

SYS_STATIC(get_robust_list)
{
    if (a[0] && (pid_t)a[0] != self->tid)
        return -ESRCH;
    uint64_t head = self->robust_list, len = self->robust_len;
    if (uaccess_write(self->proc, a[1], &head, sizeof(head)) ||
        uaccess_write(self->proc, a[2], &len, sizeof(len)))
        return -EFAULT;
    return 0;
}

/* onespace's own libc uses the host's rseq for the host thread; glibc
 * guests cope with ENOSYS. */
SYS_STATIC(rseq) { return -ENOSYS; }
SYS_STATIC(membarrier) { return -ENOSYS; }

void sys_register_thread(sys_fn *t)
{
    t[__NR_futex] = sys_futex;
    t[__NR_set_tid_address] = sys_set_tid_address;
    t[__NR_set_robust_list] = sys_set_robust_list;
    t[__NR_get_robust_list] = sys_get_robust_list;
    t[__NR_rseq] = sys_rseq;
    t[__NR_membarrier] = sys_membarrier;
}
