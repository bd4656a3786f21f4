/* Signal state: dispositions, masks, the alternate stack, and kill for
 * the cases that need no delivery (terminating or ignored signals, probing
 * with signal 0). Running guest handlers (rt_sigframe, rt_sigreturn) comes
 * with the process-and-signals work; a signal caught by a guest handler is
 * not delivered yet (logged). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "process/runtime_state.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "util/log.h"

#define NSIG_MAX 64
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define SIGBIT(s) (1ULL << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* Hook for the entry layer: kick the other threads of an exiting process. */
void (*sys_signal_kick_hook)(struct process *p, struct thread *except);

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
    if (a[1])
        p->sigactions[sig - 1] = nw;
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
        switch (how) {
        case SIG_BLOCK: self->sigmask |= set; break;
        case SIG_UNBLOCK: self->sigmask &= ~set; break;
        case SIG_SETMASK: self->sigmask = set; break;
        default: return -EINVAL;
        }
        self->sigmask &= ~UNBLOCKABLE;
    }
    if (a[2] && uaccess_write(self->proc, a[2], &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

SYS_STATIC(rt_sigpending)
{
    uint64_t none = 0;
    if (a[1] != 8)
        return -EINVAL;
    return uaccess_write(self->proc, a[0], &none, sizeof(none));
}

SYS_STATIC(sigaltstack)
{
    struct process *p = self->proc;
    stack_t old = { .ss_sp = (void *)self->altstack_sp, .ss_size = self->altstack_size,
                    .ss_flags = self->altstack_sp ? self->altstack_flags : SS_DISABLE };
    if (a[0]) {
        stack_t ss;
        if (uaccess_read(p, &ss, a[0], sizeof(ss)))
            return -EFAULT;
        if ((unsigned)ss.ss_flags & ~(unsigned)(SS_DISABLE | SS_AUTODISARM))
            return -EINVAL;
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

/* Linux's default action for sig: true if it terminates the process. */
static bool default_terminates(int sig)
{
    switch (sig) {
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH: case SIGSTOP: case SIGTSTP:
    case SIGTTIN: case SIGTTOU:
        return false;
    default:
        return true;
    }
}

static bool dumps_core(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return true;
    default:
        return false;
    }
}

/* Send sig to process p (the part that needs no guest handler). */
static long send_signal(struct thread *self, struct process *p, int sig)
{
    if (sig < 0 || sig > NSIG_MAX)
        return -EINVAL;
    if (sig == 0)
        return 0;
    pthread_mutex_lock(&p->lock);
    uint64_t handler = p->sigactions[sig - 1].handler;
    pthread_mutex_unlock(&p->lock);
    if (handler == (uint64_t)(uintptr_t)SIG_IGN && sig != SIGKILL)
        return 0;
    if (handler != (uint64_t)(uintptr_t)SIG_DFL && sig != SIGKILL) {
        log_warn("signal", "pid %d: signal %d has a guest handler; delivery is not "
                 "implemented yet, signal dropped", p->pid, sig);
        return 0;
    }
    if (!default_terminates(sig))
        return 0;
    if (process_begin_exit(p, sig | (dumps_core(sig) ? WCOREFLAG : 0)) && sys_signal_kick_hook)
        sys_signal_kick_hook(p, p == self->proc ? self : NULL);
    return 0;
}

SYS_STATIC(kill)
{
    pid_t pid = (pid_t)a[0];
    struct process *p = self->proc;
    if (pid == 0 || pid == -1 || pid == p->pid || (pid < 0 && -pid == p->pgid))
        return send_signal(self, p, (int)a[1]);
    struct process *q = runtime_find_process(p->rt, pid < 0 ? -pid : pid);
    return q ? send_signal(self, q, (int)a[1]) : -ESRCH;
}

static long thread_kill(struct thread *self, pid_t tgid, pid_t tid, int sig)
{
    struct process *p = self->proc;
    struct process *q = runtime_find_process(p->rt, tgid > 0 ? tgid : p->pid);
    if (tid == self->tid)
        q = p;
    if (!q)
        return -ESRCH;
    return send_signal(self, q, sig);
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

void sys_register_signal(sys_fn *t)
{
    t[__NR_rt_sigaction] = sys_rt_sigaction;
    t[__NR_rt_sigprocmask] = sys_rt_sigprocmask;
    t[__NR_rt_sigpending] = sys_rt_sigpending;
    t[__NR_sigaltstack] = sys_sigaltstack;
    t[__NR_kill] = sys_kill;
    t[__NR_tgkill] = sys_tgkill;
    t[__NR_tkill] = sys_tkill;
}
