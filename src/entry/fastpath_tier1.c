/* Tier 1 of the fast path: the syscalls answered while the guest's FS base
 * is still loaded (switching it costs two arch_prctl calls, ~4 us each on
 * these VMs, where a native syscall costs ~1 us).
 *
 * Rules for this file, which is built without sanitizers and with
 * -mgeneral-regs-only (test entry.fastpath_fsfree disassembles it): no
 * calls to any function (only static inline code), no TLS, no locks, no
 * vector registers; only word-sized reads of fields another thread may
 * change. Anything else returns 0 and takes the slow path. */
#include "entry/fastpath.h"

#include <sys/syscall.h>

#include "entry/guest_ctx.h"
#include "host/host_raw.h"
#include "process/process.h"

int fastpath_tier1_enabled = 1;

int fastpath_tier1(struct guest_ctx *ctx, long nr)
{
    struct thread *t = ctx->thread;
    long ret;
    if (fastpath_nr_traps(nr)) {
        /* Back to the site's own `syscall`: it traps, and the trap path
         * has the kernel's signal frame these calls need. */
        ctx->regs[GR_RIP] -= 2;
        return 1;
    }
    if (!__atomic_load_n(&fastpath_tier1_enabled, __ATOMIC_RELAXED))
        return 0;
    switch (nr) {
    case __NR_getpid:
        ret = t->proc->pid;
        break;
    case __NR_gettid:
        ret = t->tid;
        break;
    case __NR_getppid:
        ret = __atomic_load_n(&t->proc->ppid, __ATOMIC_RELAXED);
        break;
    case __NR_getpgrp:
        ret = __atomic_load_n(&t->proc->pgid, __ATOMIC_RELAXED);
        break;
    case __NR_sched_yield:
        ret = host_raw_syscall0(__NR_sched_yield);
        break;
    default:
        return 0;
    }
    ctx->regs[GR_RAX] = (uint64_t)ret;
    ctx->nr_tier1++;
    atomic_fetch_add_explicit(&ctx->thread->wd_done, 1, memory_order_relaxed);   /* watchdog */
    return 1;
}
