/* Delivering guest signals: a Linux-format rt_sigframe on the guest's
 * stack (or its sigaltstack), built from the host signal frame we are in
 * (so the guest sees exactly the registers and vector state it had), and
 * rt_sigreturn, which puts a (possibly modified) frame back.
 *
 * Frame, from the top of the stack down (x86-64, as arch/x86/kernel/signal.c):
 *   [128-byte red zone of the interrupted code]
 *   fpstate (XSAVE area, 64-byte aligned)
 *   siginfo (128 bytes)
 *   ucontext (the kernel's: flags, link, stack, sigcontext, 8-byte mask)
 *   return address = sa_restorer          <- handler's RSP (16n + 8)
 */
#include "entry/entry.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "host/host_thread.h"
#include "process/jobctl.h"
#include "process/signal.h"
#include "syscall/uaccess.h"
#include "util/log.h"
#include "vm/process_vm.h"

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#define FP_XSTATE_MAGIC1 0x46505853U
#define RED_ZONE 128

/* The kernel's struct ucontext (glibc's ucontext_t has a bigger mask and
 * more after it; the prefix is the same). */
struct kucontext {
    uint64_t flags;
    uint64_t link;
    stack_t stack;
    mcontext_t mcontext;
    uint64_t sigmask;
};
_Static_assert(offsetof(struct kucontext, sigmask) == offsetof(ucontext_t, uc_sigmask),
               "kernel ucontext layout");

struct frame_head {
    uint64_t pretcode;
    struct kucontext uc;
    siginfo_t info;
};

/* Bytes of the host's FPU/vector save area behind uc (XSAVE if present). */
static size_t fpstate_size(const ucontext_t *uc)
{
    const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
    if (!fp)
        return 0;
    uint32_t magic, ext;
    memcpy(&magic, fp + 464, 4);
    memcpy(&ext, fp + 468, 4);
    return magic == FP_XSTATE_MAGIC1 && ext >= 512 && ext <= 64 * 1024 ? ext : 512;
}

static bool on_altstack(const struct thread *t, uint64_t sp)
{
    return t->altstack_sp && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
}

/* Build the frame for `sig` and point uc at the handler. false if the
 * frame cannot be written (the caller then kills the process). */
static bool setup_frame(struct thread *t, ucontext_t *uc, const siginfo_t *info,
                        const struct guest_sigaction *sa, uint64_t old_mask)
{
    struct process *p = t->proc;
    greg_t *g = uc->uc_mcontext.gregs;
    uint64_t sp = (uint64_t)g[REG_RSP];
    bool was_on_alt = on_altstack(t, sp);
    if ((sa->flags & SA_ONSTACK) && t->altstack_sp && !was_on_alt)
        sp = t->altstack_sp + t->altstack_size;
    else
        sp -= RED_ZONE;
    size_t fpsize = fpstate_size(uc);
    uint64_t fp = (sp - fpsize) & ~63ULL;
    uint64_t frame = ((fp - sizeof(struct frame_head)) & ~15ULL) - 8;
    if (uaccess_check(p, frame, sp - frame, PROT_READ | PROT_WRITE))
        return false;

    struct frame_head *h = (struct frame_head *)frame;
    memcpy((void *)fp, uc->uc_mcontext.fpregs, fpsize);
    struct kucontext *guc = &h->uc;
    memcpy(guc, uc, sizeof(*guc));
    guc->link = 0;
    guc->stack.ss_sp = (void *)t->altstack_sp;
    guc->stack.ss_size = t->altstack_size;
    guc->stack.ss_flags = t->altstack_sp ? (was_on_alt ? SS_ONSTACK : 0) : SS_DISABLE;
    guc->mcontext.fpregs = fpsize ? (fpregset_t)fp : NULL;
    guc->sigmask = old_mask;
    h->info = *info;
    h->pretcode = sa->restorer;

    g[REG_RSP] = (greg_t)frame;
    g[REG_RIP] = (greg_t)sa->handler;
    g[REG_RDI] = info->si_signo;
    g[REG_RSI] = (greg_t)&h->info;
    g[REG_RDX] = (greg_t)guc;
    g[REG_RAX] = 0;
    g[REG_EFL] &= ~(greg_t)(0x100 | 0x400);   /* TF, DF clear as Linux does */
    return true;
}

/* Deliver one signal: 1 if a handler frame was set up, 0 if nothing to do
 * (ignored, or a stop: *parked set if this thread parked), or the thread
 * leaves (fatal). */
static int deliver_one(struct guest_ctx *ctx, ucontext_t *uc, const siginfo_t *info,
                       bool *parked)
{
    struct thread *t = ctx->thread;
    struct process *p = t->proc;
    int sig = info->si_signo;
    pthread_mutex_lock(&p->lock);
    struct guest_sigaction sa = p->sigactions[sig - 1];
    if (sa.handler > 1 && (sa.flags & SA_RESETHAND))
        p->sigactions[sig - 1].handler = (uint64_t)(uintptr_t)SIG_DFL;
    pthread_mutex_unlock(&p->lock);

    if (sa.handler == (uint64_t)(uintptr_t)SIG_IGN)
        return 0;
    if (sa.handler == (uint64_t)(uintptr_t)SIG_DFL) {
        if (jobctl_is_stop_signal(sig)) {
            if (jobctl_stop(t, sig))
                *parked = true;
            if (entry_should_leave(t))
                entry_leave(ctx);   /* killed while stopped */
            return 0;
        }
        if (!signal_default_terminates(sig))
            return 0;
        signal_kill_process(p, sig, t);
        entry_leave(ctx);
    }
    if (!(sa.flags & SA_RESTORER) || !sa.restorer) {
        log_warn("signal", "pid %d: handler for %d without SA_RESTORER: killed", p->pid, sig);
        signal_kill_process(p, SIGSEGV, t);
        entry_leave(ctx);
    }
    uint64_t old_mask = t->restore_mask ? t->saved_mask : t->sigmask;
    t->restore_mask = false;
    if (!setup_frame(t, uc, info, &sa, old_mask)) {
        log_info("signal", "pid %d tid %d: no room for the frame of signal %d (rsp %#llx): "
                 "killed by SIGSEGV", p->pid, t->tid, sig,
                 (unsigned long long)uc->uc_mcontext.gregs[REG_RSP]);
        signal_kill_process(p, SIGSEGV, t);
        entry_leave(ctx);
    }
    uint64_t block = sa.mask;
    if (!(sa.flags & SA_NODEFER))
        block |= SIG_BIT(sig);
    t->sigmask = (old_mask | block) & ~SIG_UNBLOCKABLE;
    return 1;
}

/* Syscalls Linux never restarts after a handler (ERESTARTNOHAND and
 * friends): they report EINTR whatever SA_RESTART says. */
static bool restartable(long nr)
{
    switch (nr) {
    case __NR_pause: case __NR_rt_sigsuspend: case __NR_nanosleep: case __NR_clock_nanosleep:
    case __NR_poll: case __NR_ppoll: case __NR_select: case __NR_pselect6:
    case __NR_epoll_wait: case __NR_epoll_pwait: case __NR_epoll_pwait2:
    case __NR_rt_sigtimedwait:
        return false;
    default:
        return true;
    }
}

/* The call was interrupted (-EINTR) for a signal that is gone by now
 * (another thread took it, or it was ignored): no handler ran, so Linux
 * restarts the call as if nothing happened. A sleep restarts with the
 * remaining time it wrote to `rem` (restart_syscall's job on Linux). */
static void restart_interrupted(struct thread *t, greg_t *g, long nr)
{
    switch (nr) {
    case __NR_clone: case __NR_clone3: case __NR_vfork: case __NR_fork:
    case __NR_execve: case __NR_execveat:
        return;     /* they did something already */
    case __NR_nanosleep:
        if (g[REG_RSI])
            g[REG_RDI] = g[REG_RSI];
        break;
    case __NR_clock_nanosleep:
        if (!(g[REG_RSI] & TIMER_ABSTIME) && g[REG_R10])
            g[REG_RDX] = g[REG_R10];
        break;
    default:
        break;
    }
    waiter_clear_interrupt(&t->waiter);
    if (signal_has_deliverable(t))
        waiter_interrupt(&t->waiter);   /* one came in meanwhile: deliver it */
    g[REG_RAX] = nr;
    g[REG_RIP] -= 2;
}

void entry_deliver_signals(struct guest_ctx *ctx, ucontext_t *uc, long nr)
{
    struct thread *t = ctx->thread;
    greg_t *g = uc->uc_mcontext.gregs;
    siginfo_t info;
    int sig;
    /* Another thread's stop signal: park until SIGCONT (or SIGKILL). */
    bool parked = jobctl_park(t);
    if (parked && entry_should_leave(t))
        entry_leave(ctx);
    bool dequeued = false;
    while ((sig = signal_dequeue(t, &info)) != 0) {
        dequeued = true;
        waiter_clear_interrupt(&t->waiter);
        if (nr >= 0 && g[REG_RAX] == -EINTR) {
            struct process *p = t->proc;
            pthread_mutex_lock(&p->lock);
            struct guest_sigaction sa = p->sigactions[sig - 1];
            pthread_mutex_unlock(&p->lock);
            if (sa.handler > 1 && (sa.flags & SA_RESTART) && restartable(nr)) {
                g[REG_RAX] = nr;        /* run the syscall again after the handler */
                g[REG_RIP] -= 2;
            }
        }
        if (deliver_one(ctx, uc, &info, &parked))
            return;     /* one frame at a time; the rest after sigreturn */
    }
    /* Nothing delivered: a sigsuspend/pwait mask goes away now. */
    if (t->restore_mask) {
        t->sigmask = t->saved_mask;
        t->restore_mask = false;
    }
    /* Interrupted, and no handler ran: a stop (the call restarts after the
     * continue), or the signals were ignored (say a SIGCHLD queued because
     * another thread blocked it) or taken by another thread. Linux restarts
     * the call then (ERESTARTSYS and friends); only sigtimedwait reports
     * its EINTR. */
    if (nr >= 0 && g[REG_RAX] == -EINTR && nr != __NR_rt_sigtimedwait &&
        (parked || dequeued || waiter_interrupt_pending(&t->waiter)))
        restart_interrupted(t, g, nr);
}

bool entry_deliver_fault(struct guest_ctx *ctx, ucontext_t *uc, const siginfo_t *host_si)
{
    struct thread *t = ctx->thread;
    struct process *p = t->proc;
    int sig = host_si->si_signo;
    pthread_mutex_lock(&p->lock);
    uint64_t handler = p->sigactions[sig - 1].handler;
    pthread_mutex_unlock(&p->lock);
    if (handler <= 1 || (t->sigmask & SIG_BIT(sig)))
        return false;   /* default, ignored or blocked: a fault is fatal then */
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = sig;
    info.si_code = host_si->si_code;
    info.si_addr = host_si->si_addr;
    /* The whole pool is mapped on the host (PROT_NONE where free), so the
     * host says ACCERR where the guest has no mapping at all. */
    if (sig == SIGSEGV && info.si_code == SEGV_ACCERR &&
        process_vm_check_access(p->vm, (uintptr_t)host_si->si_addr & ~4095UL, 1, 0))
        info.si_code = SEGV_MAPERR;
    bool parked = false;
    return deliver_one(ctx, uc, &info, &parked) == 1;
}

long entry_rt_sigreturn(struct guest_ctx *ctx, ucontext_t *uc)
{
    struct thread *t = ctx->thread;
    struct process *p = t->proc;
    greg_t *g = uc->uc_mcontext.gregs;
    uint64_t ucp = (uint64_t)g[REG_RSP];     /* the restorer's `ret` popped pretcode */
    struct kucontext kuc;
    if (uaccess_read(p, &kuc, ucp, sizeof(kuc))) {
        log_info("signal", "pid %d tid %d: rt_sigreturn with no frame at %#llx: killed by "
                 "SIGSEGV", p->pid, t->tid, (unsigned long long)ucp);
        signal_kill_process(p, SIGSEGV, t);
        entry_leave(ctx);
    }
    const struct kucontext *guc = &kuc;
    static const int restore[] = { REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13,
                                   REG_R14, REG_R15, REG_RDI, REG_RSI, REG_RBP, REG_RBX,
                                   REG_RDX, REG_RAX, REG_RCX, REG_RSP, REG_RIP };
    for (size_t i = 0; i < sizeof(restore) / sizeof(restore[0]); i++)
        g[restore[i]] = guc->mcontext.gregs[restore[i]];
    /* User-changeable flags only (as the kernel's FIX_EFLAGS). */
    const greg_t fix = 0x40dd5;
    g[REG_EFL] = (g[REG_EFL] & ~fix) | (guc->mcontext.gregs[REG_EFL] & fix);

    /* Vector state: take the guest's copy when it has the same layout as
     * ours (the kernel checks it again on our own sigreturn). */
    size_t fpsize = fpstate_size(uc);
    uint64_t gfp = (uint64_t)guc->mcontext.fpregs;
    if (gfp && fpsize && !uaccess_check(p, gfp, fpsize, PROT_READ)) {
        unsigned char *host_fp = (unsigned char *)uc->uc_mcontext.fpregs;
        unsigned char sw[48];
        memcpy(sw, host_fp + 464, sizeof(sw));    /* keep our own xstate description */
        memcpy(host_fp, (const void *)gfp, fpsize);
        memcpy(host_fp + 464, sw, sizeof(sw));
        uint32_t mxcsr;
        memcpy(&mxcsr, host_fp + 24, 4);
        mxcsr &= 0xffff;
        memcpy(host_fp + 24, &mxcsr, 4);
    }
    t->sigmask = kuc.sigmask & ~SIG_UNBLOCKABLE;
    return (long)g[REG_RAX];
}

void entry_notify_thread(struct thread *t)
{
    waiter_interrupt(&t->waiter);
    struct guest_ctx *c = t->entry;
    if (c) {
        /* Set before the kick: a thread on the fast path looks at it on
         * its way out (entry_fast.S). */
        __atomic_store_n(&c->notify, 1, __ATOMIC_SEQ_CST);
        if (c->host_set)    /* else it has not started: it will see the signal */
            host_thread_kick(c->host, ENTRY_KICK_SIGNAL);
    }
}
