/* Signal syscalls: dispositions, masks, the alternate stack, sending
 * (kill, tgkill, tkill, rt_sigqueueinfo, rt_tgsigqueueinfo) and waiting
 * (pause, rt_sigsuspend, rt_sigtimedwait). Delivery to guest handlers happens on the way back to
 * guest code (src/entry/entry_signal.c). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "host/host_wait.h"
#include "process/runtime_state.h"
#include "process/signal.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "util/log.h"

#define NSIG_MAX 64
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define UNBLOCKABLE SIG_UNBLOCKABLE


SYS_STATIC(rt_sigaction)
{
    struct process *p = self->proc;
    int sig = (int)a[0];
    if (a[3] != 8)
        return -EINVAL;
    if (sig < 1 || sig > NSIG_MAX)
        return -EINVAL;
    struct guest_sigaction nw;
    if (a[1]) {
        if (sig == SIGKILL || sig == SIGSTOP)
            return -EINVAL;
        if (uaccess_read(p, &nw, a[1], sizeof(nw)))
            return -EFAULT;
    }
    pthread_mutex_lock(&p->lock);
    struct guest_sigaction old = p->sigactions[sig - 1];
    if (a[1]) {
        p->sigactions[sig - 1] = nw;
        /* POSIX: a signal that is now ignored is discarded if pending. */
        if (nw.handler == (uint64_t)(uintptr_t)SIG_IGN ||
            (nw.handler == (uint64_t)(uintptr_t)SIG_DFL && signal_default_ignored(sig))) {
            p->sig_pending &= ~SIG_BIT(sig);
            for (struct thread *t = p->threads; t; t = t->next)
                t->sig_pending &= ~SIG_BIT(sig);
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (a[2] && uaccess_write(p, a[2], &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

SYS_STATIC(rt_sigprocmask)
{
    int how = (int)a[0];
    if (a[3] != 8)
        return -EINVAL;
    uint64_t old = self->sigmask, set = 0;
    if (a[1]) {
        if (uaccess_read(self->proc, &set, a[1], sizeof(set)))
            return -EFAULT;
        uint64_t m;
        switch (how) {
        case SIG_BLOCK: m = old | set; break;
        case SIG_UNBLOCK: m = old & ~set; break;
        case SIG_SETMASK: m = set; break;
        default: return -EINVAL;
        }
        signal_set_mask(self, m);
    }
    if (a[2] && uaccess_write(self->proc, a[2], &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

/* Linux: the pending signals (thread's and process's) that are blocked. */
SYS_STATIC(rt_sigpending)
{
    if (a[1] != 8)
        return -EINVAL;
    uint64_t set = signal_pending_set(self) & self->sigmask;
    return uaccess_write(self->proc, a[0], &set, sizeof(set));
}

/* Wait for a signal of `set` and take it without running a handler. While
 * waiting the set is unblocked (as Linux does), so senders wake us; any
 * other deliverable signal ends the wait with EINTR (its handler runs). */
SYS_STATIC(rt_sigtimedwait)
{
    struct process *p = self->proc;
    uint64_t set;
    if (a[3] != 8)
        return -EINVAL;
    if (uaccess_read(p, &set, a[0], sizeof(set)))
        return -EFAULT;
    set &= ~UNBLOCKABLE;
    uint64_t deadline = UINT64_MAX;
    if (a[2]) {
        struct timespec ts;
        if (uaccess_read(p, &ts, a[2], sizeof(ts)))
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
            return -EINVAL;
        deadline = host_monotonic_ns() + (uint64_t)ts.tv_sec * 1000000000ULL +
                   (uint64_t)ts.tv_nsec;
    }
    uint64_t old_mask = self->sigmask;
    siginfo_t si;
    long ret;
    for (;;) {
        int sig = signal_dequeue_set(self, set, &si);
        if (sig) {
            ret = sig;
            break;
        }
        if (signal_has_deliverable(self) || atomic_load(&p->exiting)) {
            ret = -EINTR;
            break;
        }
        signal_set_mask(self, old_mask & ~set);
        int r = waiter_wait(&self->waiter, deadline);
        signal_set_mask(self, old_mask);
        if (r == -EINTR)
            waiter_clear_interrupt(&self->waiter);
        else if (r == -ETIMEDOUT) {
            sig = signal_dequeue_set(self, set, &si);
            ret = sig ? sig : -EAGAIN;
            break;
        }
    }
    if (ret > 0 && a[1] && uaccess_write(p, a[1], &si, sizeof(si)))
        return -EFAULT;
    return ret;
}

SYS_STATIC(sigaltstack)
{
    struct process *p = self->proc;
    uint64_t sp = self->syscall_sp;
    bool on_alt = self->altstack_sp && sp > self->altstack_sp &&
                  sp <= self->altstack_sp + self->altstack_size;
    stack_t old = { .ss_sp = (void *)self->altstack_sp, .ss_size = self->altstack_size,
                    .ss_flags = on_alt ? SS_ONSTACK
                                       : self->altstack_sp ? self->altstack_flags : SS_DISABLE };
    if (a[0]) {
        stack_t ss;
        if (uaccess_read(p, &ss, a[0], sizeof(ss)))
            return -EFAULT;
        if (on_alt)
            return -EPERM;      /* not while running on it */
        /* Linux accepts SS_ONSTACK as "enable" (old programs pass it). */
        if ((unsigned)ss.ss_flags & ~(unsigned)(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM) ||
            (ss.ss_flags & SS_DISABLE && ss.ss_flags & SS_ONSTACK))
            return -EINVAL;
        ss.ss_flags &= ~SS_ONSTACK;
        if (ss.ss_flags & SS_DISABLE) {
            self->altstack_sp = 0;
            self->altstack_size = 0;
        } else {
            if (ss.ss_size < (size_t)MINSIGSTKSZ)
                return -ENOMEM;
            self->altstack_sp = (uintptr_t)ss.ss_sp;
            self->altstack_size = ss.ss_size;
            self->altstack_flags = ss.ss_flags;
        }
    }
    if (a[1] && uaccess_write(p, a[1], &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

static siginfo_t user_info(struct thread *self, int sig, int code)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = sig;
    si.si_code = code;
    si.si_pid = self->proc->pid;
    si.si_uid = 0;
    return si;
}

/* Every process of group pgid; -1: every process but pid 1 and the
 * caller (Linux's kill_something_info). -ESRCH if none. */
static long kill_many(struct thread *self, pid_t pgid, int sig)
{
    struct runtime *rt = self->proc->rt;
    siginfo_t si = user_info(self, sig, SI_USER);
    long found = 0;
    for (pid_t pid = 1; pid < RUNTIME_PID_MAX; pid++) {
        struct process *q = runtime_find_process(rt, pid);
        if (!q || q->zombie || (pgid > 0 && q->pgid != pgid) ||
            (pgid < 0 && (q == self->proc || pid == 1)))
            continue;
        found++;
        if (sig)
            signal_send_process(q, &si);
    }
    return found ? 0 : -ESRCH;
}

SYS_STATIC(kill)
{
    pid_t pid = (pid_t)a[0];
    int sig = (int)a[1];
    struct process *p = self->proc;
    if (sig < 0 || sig > NSIG_MAX)
        return -EINVAL;
    if (pid == -1)
        return kill_many(self, -1, sig);
    if (pid <= 0)
        return kill_many(self, pid == 0 ? p->pgid : -pid, sig);
    struct process *q = pid == p->pid ? p : runtime_find_process(p->rt, pid);
    if (!q)
        return -ESRCH;
    if (!sig)
        return 0;
    siginfo_t si = user_info(self, sig, SI_USER);
    return signal_send_process(q, &si);
}

static long thread_kill(struct thread *self, pid_t tgid, pid_t tid, int sig)
{
    struct process *p = self->proc;
    if (sig < 0 || sig > NSIG_MAX)
        return -EINVAL;
    struct process *q = NULL;
    if (tid == self->tid)
        q = p;
    else {
        struct runtime *rt = p->rt;
        pthread_mutex_lock(&rt->lock);
        if (tid > 0 && tid < RUNTIME_PID_MAX)
            q = rt->pids[tid];
        pthread_mutex_unlock(&rt->lock);
    }
    if (!q || (tgid > 0 && q->pid != tgid))
        return -ESRCH;
    siginfo_t si = user_info(self, sig, SI_TKILL);
    long ret = -ESRCH;
    pthread_mutex_lock(&q->lock);
    struct thread *t = q->threads;
    while (t && t->tid != tid)
        t = t->next;
    pthread_mutex_unlock(&q->lock);
    if (t)
        ret = sig ? signal_send_thread(t, &si) : 0;
    return ret;
}

SYS_STATIC(tgkill)
{
    if ((pid_t)a[0] <= 0 || (pid_t)a[1] <= 0)
        return -EINVAL;
    return thread_kill(self, (pid_t)a[0], (pid_t)a[1], (int)a[2]);
}

SYS_STATIC(tkill)
{
    if ((pid_t)a[0] <= 0)
        return -EINVAL;
    return thread_kill(self, 0, (pid_t)a[0], (int)a[1]);
}

/* Sleep until a signal arrives (the entry layer delivers it on return). */
static long wait_for_signal(struct thread *self)
{
    while (!signal_has_deliverable(self) && !atomic_load(&self->proc->exiting)) {
        int r = waiter_wait(&self->waiter, UINT64_MAX);
        if (r == -EINTR)
            waiter_clear_interrupt(&self->waiter);
    }
    return -EINTR;
}

SYS_STATIC(pause) { return wait_for_signal(self); }

SYS_STATIC(rt_sigsuspend)
{
    uint64_t mask;
    if (a[1] != 8)
        return -EINVAL;
    if (uaccess_read(self->proc, &mask, a[0], sizeof(mask)))
        return -EFAULT;
    self->saved_mask = self->sigmask;
    self->restore_mask = true;
    signal_set_mask(self, mask);
    return wait_for_signal(self);
}

SYS_STATIC(rt_sigqueueinfo)
{
    siginfo_t si;
    if (uaccess_read(self->proc, &si, a[2], sizeof(si)))
        return -EFAULT;
    if ((pid_t)a[0] != self->proc->pid && (si.si_code >= 0 || si.si_code == SI_TKILL))
        return -EPERM;
    struct process *q = (pid_t)a[0] == self->proc->pid
                            ? self->proc : runtime_find_process(self->proc->rt, (pid_t)a[0]);
    if (!q)
        return -ESRCH;
    si.si_signo = (int)a[1];
    return a[1] ? signal_send_process(q, &si) : 0;
}

SYS_STATIC(rt_tgsigqueueinfo)
{
    pid_t tgid = (pid_t)a[0], tid = (pid_t)a[1];
    int sig = (int)a[2];
    if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG_MAX)
        return -EINVAL;
    siginfo_t si;
    if (uaccess_read(self->proc, &si, a[3], sizeof(si)))
        return -EFAULT;
    if (tgid != self->proc->pid && (si.si_code >= 0 || si.si_code == SI_TKILL))
        return -EPERM;
    struct process *q = tgid == self->proc->pid ? self->proc
                                                : runtime_find_process(self->proc->rt, tgid);
    if (!q || q->pid != tgid)
        return -ESRCH;
    si.si_signo = sig;
    if (!sig) {
        long found = -ESRCH;
        pthread_mutex_lock(&q->lock);
        for (struct thread *t = q->threads; t; t = t->next)
            if (t->tid == tid)
                found = 0;
        pthread_mutex_unlock(&q->lock);
        return found;
    }
    return signal_send_tid(q, tid, &si);
}

void sys_register_signal(sys_fn *t)
{
    t[__NR_rt_sigaction] = sys_rt_sigaction;
    t[__NR_rt_sigprocmask] = sys_rt_sigprocmask;
    t[__NR_rt_sigpending] = sys_rt_sigpending;
    t[__NR_sigaltstack] = sys_sigaltstack;
    t[__NR_kill] = sys_kill;
    t[__NR_tgkill] = sys_tgkill;
    t[__NR_tkill] = sys_tkill;
    t[__NR_pause] = sys_pause;
    t[__NR_rt_sigsuspend] = sys_rt_sigsuspend;
    t[__NR_rt_sigqueueinfo] = sys_rt_sigqueueinfo;
    t[__NR_rt_sigtimedwait] = sys_rt_sigtimedwait;
    t[__NR_rt_tgsigqueueinfo] = sys_rt_tgsigqueueinfo;
}
