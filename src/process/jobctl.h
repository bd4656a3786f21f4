/* Job control: group stop and continue (SIGSTOP, SIGTSTP, SIGTTIN,
 * SIGTTOU, SIGCONT), as Linux does it.
 *
 * A stop signal whose action is the default, taken by one thread, asks
 * for a group stop (process.stop_sig): every other thread is notified
 * (guest code is kicked, a blocking call ends with EINTR) and parks inside
 * onespace on its way back to guest code; the interrupted call is
 * restarted after the continue, as Linux restarts it. When the last
 * thread parked the stop is complete: the parent can wait for it
 * (WUNTRACED / WSTOPPED) and gets SIGCHLD (CLD_STOPPED) unless its SIGCHLD
 * action has SA_NOCLDSTOP. SIGCONT, whenever it is sent (blocked,
 * ignored or caught), discards pending stop signals and resumes the
 * threads; a stop signal discards a pending SIGCONT. A complete stop that
 * is continued is reported to the parent (WCONTINUED, CLD_CONTINUED).
 * SIGKILL ends a stopped process. SIGTSTP, SIGTTIN and SIGTTOU (not
 * SIGSTOP) are discarded in an orphaned process group. */
#ifndef ONESPACE_PROCESS_JOBCTL_H
#define ONESPACE_PROCESS_JOBCTL_H

#include <stdbool.h>

#include "process/process.h"

bool jobctl_is_stop_signal(int sig);

/* Part of sending sig to p (p->lock held; for SIGCONT rt->lock too),
 * before the ignore check: the discarding rules above, and SIGCONT's
 * resume. Returns true if p was completely stopped: the caller then calls
 * jobctl_notify_parent_locked(p, CLD_CONTINUED, SIGCONT) once it dropped
 * p->lock. */
bool jobctl_prepare_send_locked(struct process *p, int sig);

/* Record a stop (CLD_STOPPED, sig) or continue (CLD_CONTINUED) for the
 * parent's wait, send it SIGCHLD unless SA_NOCLDSTOP, wake its waits.
 * No lock held. */
void jobctl_notify_parent(struct process *p, int why, int sig);
void jobctl_notify_parent_locked(struct process *p, int why, int sig);  /* rt->lock held */

/* t took stop signal sig with the default action: start (or join) the
 * group stop and park. Returns true if t parked (false: discarded). */
bool jobctl_stop(struct thread *t, int sig);

/* On the way back to guest code: park t while its process is stopped (or
 * stopping). Returns true if it parked. Cheap when nothing is asked. */
bool jobctl_park(struct thread *t);

/* A thread of p is gone for good: the stop may be complete now. */
void jobctl_thread_gone(struct process *p);

/* Is process group pgid orphaned: no member has a parent in another
 * group of the same session? (POSIX; rt->lock not held.) */
bool jobctl_pgrp_orphaned(struct runtime *rt, pid_t pgid);

/* p is exiting, its children already given to their new parent (rt->lock
 * held). Linux's kill_orphaned_pgrp: a process group that this exit
 * leaves orphaned (p's own, if p's parent was its link out; or one of
 * p's children's groups, listed in pgids[0..n)) and that has a stopped
 * member must get SIGHUP then SIGCONT. Keeps those groups in pgids
 * (room for n + 1) and returns how many; jobctl_hangup_pgrp_locked
 * sends the signals to one group (rt->lock held). */
int jobctl_newly_orphaned_locked(struct runtime *rt, struct process *p, pid_t *pgids, int n);
void jobctl_hangup_pgrp_locked(struct runtime *rt, pid_t pgid);

#endif
