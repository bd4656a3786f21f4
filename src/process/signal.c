/* Guest signals: sending and dequeuing (see signal.h). */
#include "process/signal.h"

#include "fs/poll_sigmask.h"
#include "process/jobctl.h"
#include "process/runtime_state.h"

#include <errno.h>
#include <stdlib.h>
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

bool signal_default_ignored(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
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
    /* The core flag says a core was dumped: like Linux with a plain
     * core_pattern, only when RLIMIT_CORE allows one (none is written). */
    bool core = signal_default_core(sig) && p->rlim[RLIMIT_CORE].rlim_cur != 0;
    int status = sig | (core ? WCOREFLAG : 0);
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
    return h == (uint64_t)(uintptr_t)SIG_DFL && signal_default_ignored(sig);
}

/* Real-time signals queue: the first pending instance of a signal is in
 * info[sig-1] (its bit set), later ones wait in a FIFO list, appended in
 * order. A timer's signal is not queued twice (Linux counts an overrun). */
struct sigqueue_entry {
    siginfo_t info;
    struct sigqueue_entry *next;
};

#define SIGQUEUE_MAX 1024       /* per process, like a small RLIMIT_SIGPENDING */

struct sigset_state {
    uint64_t *pending;
    siginfo_t *info;
    struct sigqueue_entry **queue;
};

static struct sigset_state state_of_thread(struct thread *t)
{
    return (struct sigset_state){ &t->sig_pending, t->sig_info, &t->sig_queue };
}

static struct sigset_state state_of_process(struct process *p)
{
    return (struct sigset_state){ &p->sig_pending, p->sig_info, &p->sig_queue };
}

static bool same_timer(const siginfo_t *a, const siginfo_t *b)
{
    return a->si_code == SI_TIMER && b->si_code == SI_TIMER && a->si_timerid == b->si_timerid;
}

/* p->lock held. 0, or -EAGAIN when the queue is full. */
static int add_pending(struct process *p, struct sigset_state st, const siginfo_t *info)
{
    int sig = info->si_signo;
    if (!(*st.pending & SIG_BIT(sig))) {
        *st.pending |= SIG_BIT(sig);
        st.info[sig - 1] = *info;
        return 0;
    }
    if (sig < 32)
        return 0;   /* standard signals merge: the first one's siginfo stays (Linux) */
    if (same_timer(&st.info[sig - 1], info))
        return 0;
    struct sigqueue_entry **tail = st.queue;
    for (; *tail; tail = &(*tail)->next)
        if ((*tail)->info.si_signo == sig && same_timer(&(*tail)->info, info))
            return 0;
    if (p->sig_queued >= SIGQUEUE_MAX)
        return -EAGAIN;
    struct sigqueue_entry *e = malloc(sizeof(*e));
    if (!e)
        return -EAGAIN;
    e->info = *info;
    e->next = NULL;
    *tail = e;
    p->sig_queued++;
    return 0;
}

/* p->lock held; sig pending in st: take it into *info. */
static void take_pending(struct process *p, struct sigset_state st, int sig, siginfo_t *info)
{
    *info = st.info[sig - 1];
    for (struct sigqueue_entry **pp = st.queue; *pp; pp = &(*pp)->next) {
        struct sigqueue_entry *e = *pp;
        if (e->info.si_signo == sig) {
            st.info[sig - 1] = e->info;     /* the next one stays pending */
            *pp = e->next;
            free(e);
            p->sig_queued--;
            return;
        }
    }
    *st.pending &= ~SIG_BIT(sig);
}

static void free_queue(struct process *p, struct sigqueue_entry **q)
{
    while (*q) {
        struct sigqueue_entry *e = *q;
        *q = e->next;
        free(e);
        p->sig_queued--;
    }
}

void signal_release_thread_locked(struct thread *t)
{
    free_queue(t->proc, &t->sig_queue);
}

void signal_release_thread(struct thread *t)
{
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    signal_release_thread_locked(t);
    pthread_mutex_unlock(&p->lock);
}

void signal_release_process(struct process *p)
{
    pthread_mutex_lock(&p->lock);
    free_queue(p, &p->sig_queue);
    pthread_mutex_unlock(&p->lock);
}

/* p->lock held; sig valid and not SIGKILL. */
static int send_locked(struct process *p, struct thread *target, const siginfo_t *info)
{
    int sig = info->si_signo;
    struct thread *notify = NULL;
    /* Process-directed: Linux asks the main thread's mask. */
    struct thread *main_t = target;
    for (struct thread *t = p->threads; t && !main_t; t = t->next)
        if (t->tid == p->pid)
            main_t = t;
    if (ignored_locked(p, main_t, sig))
        return 0;
    int err;
    if (target) {
        err = add_pending(p, state_of_thread(target), info);
        if (!err && !(target->sigmask & SIG_BIT(sig)))
            notify = target;
    } else {
        err = add_pending(p, state_of_process(p), info);
        if (err)
            return err;
        /* Like Linux, the sender itself if it can take it: it delivers on
         * its way back to guest code, nobody else is disturbed. */
        struct thread *self = thread_current();
        if (self && self->proc == p && !(self->sigmask & SIG_BIT(sig)))
            notify = self;
        /* Then the main thread, as Linux's complete_signal: a timer's
         * SIGALRM interrupts what the main thread blocks in. */
        if (!notify && main_t && !(main_t->sigmask & SIG_BIT(sig)))
            notify = main_t;
        for (struct thread *t = p->threads; t && !notify; t = t->next)
            if (!(t->sigmask & SIG_BIT(sig)))
                notify = t;
        /* A stop involves every thread anyway: tell them all, so one
         * notification that comes too late for its thread does not hold
         * the stop up. */
        if (notify && notify != self && jobctl_is_stop_signal(sig) && signal_notify_hook)
            for (struct thread *t = p->threads; t; t = t->next)
                if (t != notify && !(t->sigmask & SIG_BIT(sig)))
                    signal_notify_hook(t);
    }
    if (notify && signal_notify_hook)
        signal_notify_hook(notify);
    return err;
}

/* What every send starts with: a bad number, SIGKILL (done at once), an
 * exiting target (nothing to do). true when the send is over (*ret set). */
static bool send_settled(struct process *p, int sig, int *ret)
{
    *ret = 0;
    if (sig < 1 || sig > 64)
        *ret = -EINVAL;
    else if (sig == SIGKILL)
        signal_kill_process(p, SIGKILL, NULL);
    else if (!atomic_load(&p->exiting))
        return false;
    return true;
}

/* send_locked with job control's part first (SIGCONT resumes even when
 * it is then ignored or blocked); p->lock held, dropped on return. For
 * SIGCONT rt->lock is held too: the continue is reported to the parent
 * while p cannot be reaped (once resumed it may die at once). */
static int send_unlock(struct process *p, struct thread *target, const siginfo_t *info)
{
    bool continued = jobctl_prepare_send_locked(p, info->si_signo);
    int err = send_locked(p, target, info);
    pthread_mutex_unlock(&p->lock);
    if (continued)
        jobctl_notify_parent_locked(p, CLD_CONTINUED, SIGCONT);
    return err;
}

static int send_rt(struct process *p, struct thread *target, const siginfo_t *info)
{
    int settled;
    if (send_settled(p, info->si_signo, &settled))
        return settled;
    pthread_mutex_lock(&p->lock);
    return send_unlock(p, target, info);
}

static int send(struct process *p, struct thread *target, const siginfo_t *info)
{
    if (info->si_signo != SIGCONT)
        return send_rt(p, target, info);
    struct runtime *rt = p->rt;
    pthread_mutex_lock(&rt->lock);
    int err = send_rt(p, target, info);
    pthread_mutex_unlock(&rt->lock);
    return err;
}

int signal_send_process(struct process *p, const siginfo_t *info)
{
    return send(p, NULL, info);
}

int signal_send_process_rtlocked(struct process *p, const siginfo_t *info)
{
    return send_rt(p, NULL, info);
}

int signal_send_thread(struct thread *t, const siginfo_t *info)
{
    return send(t->proc, t, info);
}

int signal_send_tid(struct process *p, pid_t tid, const siginfo_t *info)
{
    int ret;
    if (send_settled(p, info->si_signo, &ret))
        return ret;
    bool cont = info->si_signo == SIGCONT;
    if (cont)
        pthread_mutex_lock(&p->rt->lock);
    ret = -ESRCH;
    pthread_mutex_lock(&p->lock);
    struct thread *t = p->threads;
    while (t && t->tid != tid)
        t = t->next;
    if (t)
        ret = send_unlock(p, t, info);
    else
        pthread_mutex_unlock(&p->lock);
    if (cont)
        pthread_mutex_unlock(&p->rt->lock);
    return ret;
}

void signal_raise_sigpipe(void)
{
    struct thread *t = thread_current();
    if (!t)
        return;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGPIPE;
    si.si_code = SI_USER;
    si.si_pid = t->proc->pid;
    signal_send_thread(t, &si);
}

bool signal_child_autoreap_locked(struct process *parent)
{
    const struct guest_sigaction *sa = &parent->sigactions[SIGCHLD - 1];
    return sa->handler == (uint64_t)(uintptr_t)SIG_IGN || (sa->flags & SA_NOCLDWAIT);
}

void signal_child_exited(struct process *parent, const struct process *child)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGCHLD;
    int st = child->exit_status;
    if (WIFEXITED(st)) {
        si.si_code = CLD_EXITED;
        si.si_status = WEXITSTATUS(st);
    } else {
        si.si_code = WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED;
        si.si_status = WTERMSIG(st);
    }
    si.si_pid = child->pid;
    si.si_uid = 0;
    signal_send_process(parent, &si);
}

static int lowest(uint64_t set)
{
    return set ? __builtin_ctzll(set) + 1 : 0;
}

int signal_dequeue(struct thread *t, siginfo_t *info)
{
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    t->dequeue_cont_seq = p->cont_seq;     /* a stop taken now yields to a later SIGCONT */
    int sig = lowest(t->sig_pending & ~t->sigmask);
    if (sig)
        take_pending(p, state_of_thread(t), sig, info);
    else if ((sig = lowest(p->sig_pending & ~t->sigmask)) != 0)
        take_pending(p, state_of_process(p), sig, info);
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

int signal_dequeue_set(struct thread *t, uint64_t set, siginfo_t *info)
{
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    int sig = lowest(t->sig_pending & set);
    if (sig)
        take_pending(p, state_of_thread(t), sig, info);
    else if ((sig = lowest(p->sig_pending & set)) != 0)
        take_pending(p, state_of_process(p), sig, info);
    pthread_mutex_unlock(&p->lock);
    return sig;
}

uint64_t signal_pending_set(struct thread *t)
{
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    uint64_t set = t->sig_pending | p->sig_pending;
    pthread_mutex_unlock(&p->lock);
    return set;
}

void signal_set_mask(struct thread *t, uint64_t mask)
{
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    t->sigmask = mask & ~SIG_UNBLOCKABLE;
    pthread_mutex_unlock(&p->lock);
}

/* The wait calls' masks (epoll_pwait, ppoll, pselect6): like
 * rt_sigsuspend, an interrupted wait keeps its mask until the handler's
 * frame is built, which saves the old one for sigreturn. */
static void wait_install(const guest_sigset_t *mask, guest_sigset_t *saved)
{
    struct thread *t = thread_current();
    if (!t)
        return;
    *saved = t->sigmask;
    signal_set_mask(t, *mask);
    if (signal_has_deliverable(t))
        waiter_interrupt(&t->waiter);   /* a pending signal just unblocked */
}

static void wait_restore(const guest_sigset_t *saved, int result)
{
    struct thread *t = thread_current();
    if (!t)
        return;
    if (result == -EINTR) {
        t->saved_mask = *saved;
        t->restore_mask = true;
    } else {
        signal_set_mask(t, *saved);
    }
}

const struct wait_sigmask_hooks signal_wait_sigmask_hooks = { wait_install, wait_restore };
