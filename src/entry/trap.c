/* The trap path: SIGSYS from Syscall User Dispatch for every syscall made
 * by guest code, and the handlers of guest faults and kicks. The assembly
 * stubs (entry_asm.S) have already switched to the host's FS base. */
#include "entry/entry.h"

#include <errno.h>
#include <linux/audit.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entry/fastpath.h"
#include "host/host_thread.h"
#include "process/runtime_state.h"
#include "process/signal.h"
#include "process/watchdog.h"
#include "syscall/syscall.h"
#include "util/log.h"

static uintptr_t pool_start, pool_end;

/* Read by the assembly stubs: wrfsbase is safe (else arch_prctl). */
unsigned char entry_use_wrfsbase;

static bool in_pool(uintptr_t a) { return a >= pool_start && a < pool_end; }

void entry_sigsys_c(int sig, siginfo_t *si, ucontext_t *uc);
void entry_async_c(int sig, siginfo_t *si, ucontext_t *uc, int in_guest);

void entry_sigsys_c(int sig, siginfo_t *si, ucontext_t *uc)
{
    struct guest_ctx *ctx = (struct guest_ctx *)host_get_gs();
    greg_t *g = uc->uc_mcontext.gregs;
    if (si->si_arch != AUDIT_ARCH_X86_64) {
        g[REG_RAX] = -ENOSYS;       /* int $0x80: i386 numbering, not ours */
        return;
    }
    ctx->nr_trapped++;
    __atomic_store_n(&ctx->notify, 0, __ATOMIC_SEQ_CST);   /* see entry_sigsys_tail */
    fastpath_on_trap(ctx, (uintptr_t)g[REG_RIP], si->si_syscall);
    entry_syscall(ctx, uc, si->si_syscall);
}

/* The SIGSYS tail saw ctx->notify: something came in after delivery. */
void entry_sigsys_recheck(ucontext_t *uc);
void entry_sigsys_recheck(ucontext_t *uc)
{
    struct guest_ctx *ctx = (struct guest_ctx *)host_get_gs();
    __atomic_store_n(&ctx->notify, 0, __ATOMIC_SEQ_CST);
    if (entry_should_leave(ctx->thread))
        entry_leave(ctx);
    entry_deliver_signals(ctx, uc, -1);
}

void entry_syscall(struct guest_ctx *ctx, ucontext_t *uc, long nr)
{
    greg_t *g = uc->uc_mcontext.gregs;
    long ret;
    const uint64_t a[6] = { (uint64_t)g[REG_RDI], (uint64_t)g[REG_RSI], (uint64_t)g[REG_RDX],
                            (uint64_t)g[REG_R10], (uint64_t)g[REG_R8],  (uint64_t)g[REG_R9] };
    switch (nr) {
    case __NR_exit:
        entry_exit_thread(ctx, (int)a[0]);
    case __NR_exit_group:
        entry_exit_group(ctx, W_EXITCODE((int)a[0] & 0xff, 0));
    case __NR_clone:
    case __NR_clone3:
    case __NR_vfork:
    case __NR_fork:
        watchdog_enter(ctx->thread, nr, a[0]);
        ret = entry_clone(ctx, uc, nr, a);
        watchdog_leave(ctx->thread);
        break;
    case __NR_arch_prctl:
        ret = entry_arch_prctl(ctx, a);
        break;
    case __NR_rt_sigreturn:
        g[REG_RAX] = entry_rt_sigreturn(ctx, uc);
        entry_deliver_signals(ctx, uc, -1);
        return;
    case __NR_execve:
    case __NR_execveat:
        watchdog_enter(ctx->thread, nr, a[0]);
        ret = entry_execve(ctx, uc, nr, a);
        watchdog_leave(ctx->thread);
        break;
    default:
        ctx->thread->syscall_sp = (uint64_t)g[REG_RSP];    /* for sigaltstack */
        ret = syscall_dispatch(ctx->thread, nr, a);
        break;
    }
    g[REG_RAX] = ret;
    if (entry_should_leave(ctx->thread))
        entry_leave(ctx);
    entry_deliver_signals(ctx, uc, nr);
}

void entry_sigsys_stray(int sig, siginfo_t *si, ucontext_t *uc);
void entry_sigsys_stray(int sig, siginfo_t *si, ucontext_t *uc)
{
    char msg[160];
    int n = snprintf(msg, sizeof(msg), "onespace: internal error: syscall %d trapped at %p on a "
                     "thread that runs no guest code\n", si->si_syscall, si->si_call_addr);
    if (write(2, msg, (size_t)n) < 0) {
        /* nothing more to do */
    }
    uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
}

static void fatal_host_fault(int sig, siginfo_t *si, ucontext_t *uc)
{
    char msg[160];
    int n = snprintf(msg, sizeof(msg), "onespace: internal fault: signal %d at %#llx, address %p\n",
                     sig, (unsigned long long)uc->uc_mcontext.gregs[REG_RIP], si->si_addr);
    if (write(2, msg, (size_t)n) < 0) {
        /* nothing more to do */
    }
    /* Let the default action happen when the instruction runs again. */
    host_signal_install(sig, SIG_DFL, NULL, NULL, 0);
}

void entry_async_c(int sig, siginfo_t *si, ucontext_t *uc, int in_guest)
{
    struct guest_ctx *ctx = in_guest ? (struct guest_ctx *)host_get_gs() : NULL;
    greg_t *g = uc->uc_mcontext.gregs;
    uintptr_t rip = (uintptr_t)g[REG_RIP];
    if (sig == ENTRY_KICK_SIGNAL) {
        if (!in_pool(rip)) {
            /* onespace code (whatever the FS): the kick has ended a
             * blocking host call (EINTR) if there was one; the way back
             * to guest code looks at ctx->notify. Two stretches of that
             * way, after their look, are run again from the look. */
            if (host_get_gs() && rip >= (uintptr_t)entry_sigsys_tail &&
                rip < (uintptr_t)entry_sigsys_tail_end) {
                g[REG_RIP] = (greg_t)(uintptr_t)entry_sigsys_tail;
                g[REG_RSP] = g[REG_R13];
            } else if (ctx && fastpath_in_text(rip)) {
                fastpath_kick_in_text(uc);
            }
            return;
        }
        if (ctx && entry_should_leave(ctx->thread))
            entry_leave(ctx);
        if (ctx)
            entry_deliver_signals(ctx, uc, -1);
        return;
    }
    if (!ctx || !in_pool(rip)) {
        fatal_host_fault(sig, si, uc);
        return;
    }
    if (sig == SIGTRAP && fastpath_sigtrap_retry(ctx->thread->proc->vm, uc))
        return;
    /* The guest's handler, if it has one; else the fault ends that guest
     * process only, as its signal would. */
    if (entry_deliver_fault(ctx, uc, si))
        return;
    struct process *p = ctx->thread->proc;
    log_info("entry", "pid %d: signal %d at %#lx (address %p): process killed", p->pid, sig,
             (unsigned long)rip, si->si_addr);
    signal_kill_process(p, sig, ctx->thread);
    entry_leave(ctx);
}

int entry_init(uintptr_t start, size_t len)
{
    static int done;
    /* Every instance has its own pool (onespace-stress and the tests run
     * several in one process): the range is the current one's, or guest
     * code is taken for host code (kicks ignored, faults fatal). */
    pool_start = start;
    pool_end = start + len;
    if (done)
        return 0;
    if (!host_fsgsbase_usable()) {
        fprintf(stderr, "onespace: this CPU/kernel does not allow rdfsbase (FSGSBASE); "
                        "onespace needs it\n");
        return -ENOSYS;
    }
    entry_use_wrfsbase = (unsigned char)host_fsgsbase_kernel();
    sigset_t block;
    sigemptyset(&block);
    int err = host_signal_install(SIGSYS, (void *)entry_sigsys_stub, (void *)entry_sigsys_restorer,
                                  &block, 0);
    /* No SA_RESTART: a kick must end a blocking host call with EINTR. */
    static const int async[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, ENTRY_KICK_SIGNAL };
    for (size_t i = 0; !err && i < sizeof(async) / sizeof(async[0]); i++)
        err = host_signal_install(async[i], (void *)entry_async_stub, (void *)entry_restorer,
                                  &block, 0);
    if (err) {
        fprintf(stderr, "onespace: cannot install signal handlers: %s\n", strerror(-err));
        return err;
    }
    host_signal_ignore(SIGPIPE);    /* host pipes and sockets give EPIPE */
    done = 1;
    return 0;
}
