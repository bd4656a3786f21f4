/* Per-process timers that raise signals: the three interval timers
 * (setitimer/alarm) and POSIX timers (timer_create with SIGEV_SIGNAL,
 * SIGEV_THREAD_ID or SIGEV_NONE).
 *
 * One host thread per process (started with the first armed timer) sleeps
 * until the earliest deadline and sends the signals. Deadlines are kept on
 * CLOCK_MONOTONIC: a CLOCK_REALTIME timer is converted when it is armed (a
 * later change of the wall clock does not move it). ITIMER_VIRTUAL and
 * ITIMER_PROF count real time, not CPU time (an emulation). */
#ifndef ONESPACE_PROCESS_TIMER_H
#define ONESPACE_PROCESS_TIMER_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "process/process.h"

#define PROCESS_TIMER_MAX 32    /* POSIX timers per process (ids 0..31) */

struct timer_value {
    uint64_t value_ns;          /* time to expiry, 0 = disarmed */
    uint64_t interval_ns;
};

/* Interval timer `which` (ITIMER_REAL, _VIRTUAL, _PROF): arm with *nv
 * (value 0 disarms), old setting in *old (may be NULL). -EINVAL. */
int process_itimer_set(struct process *p, int which, const struct timer_value *nv,
                       struct timer_value *old);
int process_itimer_get(struct process *p, int which, struct timer_value *cur);

/* POSIX timers. create: `clock` CLOCK_REALTIME/MONOTONIC/BOOTTIME (others
 * -EINVAL); notify SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID (tid);
 * returns the id or -EAGAIN. set: abs_value is an absolute time on the
 * timer's clock when `absolute`. */
int process_timer_create(struct process *p, clockid_t clock, int notify, int sig,
                         pid_t tid, union sigval value);
int process_timer_set(struct process *p, int id, int absolute, const struct timer_value *nv,
                      struct timer_value *old);
int process_timer_get(struct process *p, int id, struct timer_value *cur);
int process_timer_getoverrun(struct process *p, int id);
int process_timer_delete(struct process *p, int id);

/* POSIX timers do not survive execve (interval timers do). */
void process_timers_exec(struct process *p);

/* Stop the timer thread and free everything (process exit). */
void process_timers_release(struct process *p);

#endif
