/* Guest signals: sending and dequeuing (see signal.h). */
#include "process/signal.h"

#include "process/runtime_state.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

void (*signal_notify_hook)(struct thread *t);
void (*signal_kill_hook)(struct process *p, struct thread *except);

bool signal_default_terminates(int sig)
{
    switch (sig) {
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH: case SIGSTOP: case SIGTSTP:
    case SIGTTIN: case SIGTTOU:
        return false;
    default:
        return true;
    }
}

bool signal_default_core(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return true;
    default:
        return false;
    }
}

void signal_kill_process(struct process *p, int sig, struct thread *except)
{
    int status = sig | (signal_default_core(sig) ? WCOREFLAG : 0);
    if (process_begin_exit(p, status) && signal_kill_hook)
        signal_kill_hook(p, except);
}

/* Dropped at once (p->lock held)? Like Linux, not while `t` blocks it:
 * the disposition may change before it is unblocked. */
static bool ignored_locked(struct process *p, struct thread *t, int sig)
{
    if (t && (t->sigmask & SIG_BIT(sig)))
        return false;
    uint64_t h = p->sigactions[sig - 1].handler;
    if (h == (uint64_t)(uintptr_t)SIG_IGN)
        return true;
    return h == (uint64_t)(uintptr_t)SIG_DFL && !signal_default_terminates(sig);
}

static int send(struct process *p, struct thread *target, const siginfo_t *info)
{
    int sig = info->si_signo;
    if (sig < 1 || sig > 64)
        return -EINVAL;
    if (sig == SIGKILL) {
        signal_kill_process(p, SIGKILL, NULL);
        return 0;
    }
    if (atomic_load(&p->exiting))
        return 0;
    struct thread *notify = NULL;
    pthread_mutex_lock(&p->lock);
    /* Process-directed: Linux asks the main thread's mask. */
    struct thread *main_t = target;
    for (struct thread *t = p->threads; t && !main_t; t = t->next)
        if (t->tid == p->pid)
            main_t = t;
    if (ignored_locked(p, main_t, sig)) {
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    if (target) {
        target->sig_pending |= SIG_BIT(sig);
        target->sig_info[sig - 1] = *info;
        if (!(target->sigmask & SIG_BIT(sig)))
            notify = target;
    } else {
        p->sig_pending |= SIG_BIT(sig);
        p->sig_info[sig - 1] = *info;
        for (struct thread *t = p->threads; t && !notify; t = t->next)
            if (!(t->sigmask & SIG_BIT(sig)))
                notify = t;
    }
    if (notify && signal_notify_hook)
        signal_notify_hook(notify);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

int signal_send_process(struct process *p, const siginfo_t *info)
{
    return send(p, NULL, info);
}

int signal_send_thread(struct thread *t, const siginfo_t *info)
{
    return send(t->proc, t, info);
}

static int lowest(uint64_t set)
{
    return set ? __builtin_ctzll(set) + 1 : 0;
}

int signal_dequeue(struct thread *t, siginfo_t *info)
{
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    int sig = lowest(t->sig_pending & ~t->sigmask);
    if (sig) {
        t->sig_pending &= ~SIG_BIT(sig);
        *info = t->sig_info[sig - 1];
    } else if ((sig = lowest(p->sig_pending & ~t->sigmask)) != 0) {
        p->sig_pending &= ~SIG_BIT(sig);
        *info = p->sig_info[sig - 1];
    }
    pthread_mutex_unlock(&p->lock);
    return sig;
}

bool signal_has_deliverable(struct thread *t)
{
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    bool yes = ((t->sig_pending | p->sig_pending) & ~t->sigmask) != 0;
    pthread_mutex_unlock(&p->lock);
    return yes;
}
