/* Guest signals: sending and dequeuing (the state lives in struct
 * process / struct thread). Delivery (building the guest's signal frame)
 * is the entry layer's job (entry_signal.c).
 *
 * Linux's rules: a signal ignored (SIG_IGN, or SIG_DFL whose default is to
 * ignore) is dropped when sent; SIGKILL ends the process at once; other
 * signals wait in the thread's or the process's pending set until a thread
 * that does not block them takes them; standard signals do not queue (a
 * second one while pending is merged), real-time ones queue (each
 * instance is delivered with its own siginfo, in order; sending fails with
 * -EAGAIN past 1024 queued; a timer's signal is not queued twice). */
#ifndef ONESPACE_PROCESS_SIGNAL_H
#define ONESPACE_PROCESS_SIGNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "process/process.h"

#define SIG_BIT(s) (1ULL << ((s) - 1))
#define SIG_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

/* Set by the entry layer: make thread t notice a new signal now (end a
 * blocking call with EINTR, interrupt guest code). */
extern void (*signal_notify_hook)(struct thread *t);
/* Set by the entry layer: make every thread of p but `except` leave. */
extern void (*signal_kill_hook)(struct process *p, struct thread *except);

/* Does sig's default action end the process? Dump core? Is it to ignore
 * (SIGCHLD, SIGCONT, SIGURG, SIGWINCH; the stop signals' is to stop)? */
bool signal_default_terminates(int sig);
bool signal_default_ignored(int sig);
bool signal_default_core(int sig);

/* Send to a process (kill) or one thread (tgkill). info->si_signo is the
 * signal. 0, -EINVAL, or -EAGAIN (real-time queue full). */
int signal_send_process(struct process *p, const siginfo_t *info);
/* The same with p->rt->lock held by the caller (which keeps p alive). */
int signal_send_process_rtlocked(struct process *p, const siginfo_t *info);
int signal_send_thread(struct thread *t, const siginfo_t *info);

/* Free a thread's / a process's queued real-time signals (thread and
 * process release). */
void signal_release_thread(struct thread *t);
/* The same with p->lock held (added by stress). */
void signal_release_thread_locked(struct thread *t);
void signal_release_process(struct process *p);

/* Send to the thread `tid` of p (SIGEV_THREAD_ID timers): -ESRCH if p
 * has no such thread. */
int signal_send_tid(struct process *p, pid_t tid, const siginfo_t *info);

/* SIGPIPE to the calling guest thread (the pipe and socket hooks). */
void signal_raise_sigpipe(void);

/* SIGCHLD: does parent (its lock held, or the disposition read racily)
 * ignore SIGCHLD explicitly or set SA_NOCLDWAIT, so that its children are
 * reaped at once? And send SIGCHLD for `child`'s exit (CLD_EXITED,
 * CLD_KILLED, CLD_DUMPED from child->exit_status). */
bool signal_child_autoreap_locked(struct process *parent);
void signal_child_exited(struct process *parent, const struct process *child);

/* End p as if killed by sig (first fatal event wins). */
void signal_kill_process(struct process *p, int sig, struct thread *except);

/* Take the next signal t may receive (thread's, then process's; lowest
 * number first) into *info: its number, or 0 if none. */
int signal_dequeue(struct thread *t, siginfo_t *info);

/* Take the lowest pending signal in `set`, blocked or not
 * (rt_sigtimedwait): its number, or 0. */
int signal_dequeue_set(struct thread *t, uint64_t set, siginfo_t *info);

/* Thread's and process's pending signals. */
uint64_t signal_pending_set(struct thread *t);

/* Set t's mask under its process's lock (so a sender sees either the old
 * mask or the new one with the pending set checked after). */
void signal_set_mask(struct thread *t, uint64_t mask);

/* Hooks for fs/poll_sigmask.h (installed at start-up). */
struct wait_sigmask_hooks;
extern const struct wait_sigmask_hooks signal_wait_sigmask_hooks;

/* Is a signal pending that t does not block? */
bool signal_has_deliverable(struct thread *t);

#endif
