/* Job control: group stop and continue (see jobctl.h). */
#include "process/jobctl.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include "process/runtime_state.h"
#include "process/signal.h"

/* How often a parked thread re-kicks the others while the stop is not
 * complete: a kick can land while a thread is between its check and
 * guest code (the same reason left_guest kicks until all left). */
#define REKICK_NS (5 * 1000 * 1000ULL)

#define STOP_SIGNALS (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))

bool jobctl_is_stop_signal(int sig)
{
    return sig >= 1 && sig <= 64 && (STOP_SIGNALS & SIG_BIT(sig));
}

/* p->lock held. Standard signals only: no queued entries to free. */
static void discard_pending_locked(struct process *p, uint64_t set)
{
    p->sig_pending &= ~set;
    for (struct thread *t = p->threads; t; t = t->next)
        t->sig_pending &= ~set;
}

static void notify_others_locked(struct process *p, struct thread *except)
{
    for (struct thread *t = p->threads; t; t = t->next)
        if (t != except && signal_notify_hook)
            signal_notify_hook(t);
}

bool jobctl_prepare_send_locked(struct process *p, int sig)
{
    if (jobctl_is_stop_signal(sig)) {
        discard_pending_locked(p, SIG_BIT(SIGCONT));
        return false;
    }
    if (sig != SIGCONT)
        return false;
    discard_pending_locked(p, STOP_SIGNALS);
    p->cont_seq++;
    if (!atomic_load(&p->stop_sig))
        return false;
    bool was_stopped = p->stopped;
    atomic_store(&p->stop_sig, 0);
    p->stopped = false;
    for (struct thread *t = p->threads; t; t = t->next)
        waiter_wake(&t->waiter);
    return was_stopped;
}

void jobctl_notify_parent(struct process *p, int why, int sig)
{
    struct runtime *rt = p->rt;
    pthread_mutex_lock(&rt->lock);
    jobctl_notify_parent_locked(p, why, sig);
    pthread_mutex_unlock(&rt->lock);
}

void jobctl_notify_parent_locked(struct process *p, int why, int sig)
{
    bool still = true;
    if (why == CLD_STOPPED) {
        /* A SIGCONT may have come in since the stop completed. */
        pthread_mutex_lock(&p->lock);
        still = p->stopped;
        pthread_mutex_unlock(&p->lock);
    }
    if (still && !p->zombie) {
        p->wait_report = why == CLD_STOPPED ? (sig << 8) | 0x7f : 0xffff;
        struct process *parent = p->parent;
        if (parent) {
            pthread_mutex_lock(&parent->lock);
            bool quiet = parent->sigactions[SIGCHLD - 1].flags & SA_NOCLDSTOP;
            pthread_mutex_unlock(&parent->lock);
            if (!quiet) {
                siginfo_t si;
                memset(&si, 0, sizeof(si));
                si.si_signo = SIGCHLD;
                si.si_code = why;
                si.si_pid = p->pid;
                si.si_status = sig;
                signal_send_process(parent, &si);
            }
            waiter_queue_wake_all(&parent->child_wq);
        }
    }
}

/* p->lock held: every thread still running guest code has parked. */
static bool complete_locked(struct process *p)
{
    if (p->stopped || !atomic_load(&p->stop_sig) || p->nr_parked < p->nr_in_guest)
        return false;
    p->stopped = true;
    return true;
}

void jobctl_thread_gone(struct process *p)
{
    if (!atomic_load_explicit(&p->stop_sig, memory_order_relaxed))
        return;
    pthread_mutex_lock(&p->lock);
    int sig = atomic_load(&p->stop_sig);
    bool complete = !atomic_load(&p->exiting) && complete_locked(p);
    pthread_mutex_unlock(&p->lock);
    if (complete)
        jobctl_notify_parent(p, CLD_STOPPED, sig);
}

bool jobctl_park(struct thread *t)
{
    struct process *p = t->proc;
    if (!atomic_load_explicit(&p->stop_sig, memory_order_relaxed))
        return false;
    pthread_mutex_lock(&p->lock);
    int sig = atomic_load(&p->stop_sig);
    if (!sig || atomic_load(&p->exiting) || atomic_load(&t->must_leave)) {
        pthread_mutex_unlock(&p->lock);
        return false;
    }
    p->nr_parked++;
    bool complete = complete_locked(p);
    pthread_mutex_unlock(&p->lock);
    if (complete)
        jobctl_notify_parent(p, CLD_STOPPED, sig);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        /* Also leave for another thread's execve (it ends us anyway). */
        bool parked = atomic_load(&p->stop_sig) && !atomic_load(&p->exiting) &&
                      !atomic_load(&t->must_leave);
        bool incomplete = !p->stopped;
        pthread_mutex_unlock(&p->lock);
        if (!parked)
            break;
        /* Signals that come in meanwhile wait for the continue. */
        waiter_clear_interrupt(&t->waiter);
        int r = waiter_wait(&t->waiter, incomplete ? waiter_deadline_after(REKICK_NS)
                                                   : WAIT_FOREVER);
        if (r == -ETIMEDOUT) {
            pthread_mutex_lock(&p->lock);
            if (!p->stopped && atomic_load(&p->stop_sig))
                notify_others_locked(p, t);
            pthread_mutex_unlock(&p->lock);
        }
    }
    pthread_mutex_lock(&p->lock);
    p->nr_parked--;
    pthread_mutex_unlock(&p->lock);
    return true;
}

bool jobctl_stop(struct thread *t, int sig)
{
    struct process *p = t->proc;
    if (sig != SIGSTOP && jobctl_pgrp_orphaned(p->rt, p->pgid))
        return false;
    pthread_mutex_lock(&p->lock);
    if (p->cont_seq != t->dequeue_cont_seq) {
        /* A SIGCONT came after t took the stop signal: on Linux both
         * happen under one lock, so the stop would have been discarded. */
        pthread_mutex_unlock(&p->lock);
        return false;
    }
    if (!atomic_load(&p->stop_sig) && !atomic_load(&p->exiting)) {
        atomic_store(&p->stop_sig, sig);
        p->stopped = false;
        notify_others_locked(p, t);
    }
    pthread_mutex_unlock(&p->lock);
    return jobctl_park(t);
}

bool jobctl_pgrp_orphaned(struct runtime *rt, pid_t pgid)
{
    bool orphaned = true;
    pthread_mutex_lock(&rt->lock);
    for (pid_t pid = 1; pid < RUNTIME_PID_MAX && orphaned; pid++) {
        struct process *q = rt->pids[pid];
        if (!q || q->pid != pid || q->zombie || q->pgid != pgid)
            continue;
        struct process *parent = q->parent;
        if (parent && parent->pgid != pgid && parent->sid == q->sid)
            orphaned = false;
    }
    pthread_mutex_unlock(&rt->lock);
    return orphaned;
}

/* rt->lock held: would group pgid be orphaned without `ignore` (Linux's
 * will_become_orphaned_pgrp; pid 1 is a parent like any other here)? */
static bool orphaned_without_locked(struct runtime *rt, pid_t pgid, const struct process *ignore)
{
    for (pid_t pid = 1; pid < RUNTIME_PID_MAX; pid++) {
        struct process *q = rt->pids[pid];
        if (!q || q->pid != pid || q == ignore || q->zombie || q->pgid != pgid)
            continue;
        struct process *parent = q->parent;
        if (parent && parent->pgid != pgid && parent->sid == q->sid)
            return false;
    }
    return true;
}

static bool has_stopped_locked(struct runtime *rt, pid_t pgid)
{
    for (pid_t pid = 1; pid < RUNTIME_PID_MAX; pid++) {
        struct process *q = rt->pids[pid];
        if (!q || q->pid != pid || q->zombie || q->pgid != pgid)
            continue;
        pthread_mutex_lock(&q->lock);
        bool stopped = q->stopped;
        pthread_mutex_unlock(&q->lock);
        if (stopped)
            return true;
    }
    return false;
}

int jobctl_newly_orphaned_locked(struct runtime *rt, struct process *p, pid_t *pgids, int n)
{
    struct process *parent = p->parent;
    if (parent && parent->pgid != p->pgid && parent->sid == p->sid)
        pgids[n++] = -p->pgid;      /* own group: p no longer counts */
    int kept = 0;
    for (int i = 0; i < n; i++) {
        pid_t pgid = pgids[i] < 0 ? -pgids[i] : pgids[i];
        bool dup = false;
        for (int j = 0; j < kept; j++)
            dup |= pgids[j] == pgid;
        if (!dup && orphaned_without_locked(rt, pgid, pgids[i] < 0 ? p : NULL) &&
            has_stopped_locked(rt, pgid))
            pgids[kept++] = pgid;
    }
    return kept;
}

void jobctl_hangup_pgrp_locked(struct runtime *rt, pid_t pgid)
{
    static const int sigs[2] = { SIGHUP, SIGCONT };
    for (int i = 0; i < 2; i++) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        si.si_signo = sigs[i];
        si.si_code = SI_KERNEL;
        for (pid_t pid = 1; pid < RUNTIME_PID_MAX; pid++) {
            struct process *q = rt->pids[pid];
            if (q && q->pid == pid && !q->zombie && q->pgid == pgid)
                signal_send_process_rtlocked(q, &si);
        }
    }
}
