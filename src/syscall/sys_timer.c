/* Timers that raise signals: alarm, setitimer/getitimer, and the POSIX
 * timer_* calls. The timers themselves live in process/timer.c. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "process/timer.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"

#define NS 1000000000ULL
#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* The kernel's struct sigevent (the C libraries name the fields
 * differently). */
struct ksigevent {
    union sigval value;
    int signo;
    int notify;
    int tid;
    int pad[11];
};

static int from_timeval(const struct timeval *tv, uint64_t *ns)
{
    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
        return -EINVAL;
    *ns = (uint64_t)tv->tv_sec * NS + (uint64_t)tv->tv_usec * 1000;
    return 0;
}

static struct timeval to_timeval(uint64_t ns)
{
    /* Round up like Linux, so a running timer never reads as 0. */
    uint64_t us = (ns + 999) / 1000;
    return (struct timeval){ (time_t)(us / 1000000), (suseconds_t)(us % 1000000) };
}

static int from_timespec(const struct timespec *ts, uint64_t *ns)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NS)
        return -EINVAL;
    *ns = (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
    return 0;
}

static struct timespec to_timespec(uint64_t ns)
{
    return (struct timespec){ (time_t)(ns / NS), (long)(ns % NS) };
}

SYS_STATIC(alarm)
{
    struct timer_value nv = { (uint64_t)(unsigned)a[0] * NS, 0 }, old;
    int err = process_itimer_set(self->proc, ITIMER_REAL, &nv, &old);
    if (err)
        return err;
    if (!old.value_ns)
        return 0;
    uint64_t secs = (old.value_ns + NS / 2) / NS;
    return secs ? (long)secs : 1;
}

SYS_STATIC(setitimer)
{
    struct process *p = self->proc;
    struct itimerval iv = { { 0, 0 }, { 0, 0 } };
    if (a[1] && uaccess_read(p, &iv, a[1], sizeof(iv)))
        return -EFAULT;
    struct timer_value nv, old;
    int err = from_timeval(&iv.it_value, &nv.value_ns);
    if (!err)
        err = from_timeval(&iv.it_interval, &nv.interval_ns);
    if (err)
        return err;
    err = process_itimer_set(p, (int)a[0], &nv, &old);
    if (err)
        return err;
    if (a[2]) {
        struct itimerval o = { to_timeval(old.interval_ns), to_timeval(old.value_ns) };
        if (uaccess_write(p, a[2], &o, sizeof(o)))
            return -EFAULT;
    }
    return 0;
}

SYS_STATIC(getitimer)
{
    struct timer_value cur;
    int err = process_itimer_get(self->proc, (int)a[0], &cur);
    if (err)
        return err;
    struct itimerval o = { to_timeval(cur.interval_ns), to_timeval(cur.value_ns) };
    return uaccess_write(self->proc, a[1], &o, sizeof(o));
}

SYS_STATIC(timer_create)
{
    struct process *p = self->proc;
    struct ksigevent ev = { .notify = SIGEV_SIGNAL, .signo = SIGALRM };
    bool have_ev = a[1] != 0;
    if (have_ev && uaccess_read(p, &ev, a[1], sizeof(ev)))
        return -EFAULT;
    if (ev.notify == SIGEV_THREAD_ID) {
        /* The thread must be one of the caller's process. */
        bool found = false;
        pthread_mutex_lock(&p->lock);
        for (struct thread *t = p->threads; t && !found; t = t->next)
            found = t->tid == ev.tid;
        pthread_mutex_unlock(&p->lock);
        if (!found)
            return -EINVAL;
    }
    if (uaccess_check(p, a[2], sizeof(int), PROT_WRITE))
        return -EFAULT;
    int id = process_timer_create(p, (clockid_t)a[0], ev.notify, ev.signo, ev.tid, ev.value);
    if (id < 0)
        return id;
    if (!have_ev) {
        /* sigev_value is the timer id then (as Linux). */
        process_timer_delete(p, id);
        union sigval v = { .sival_int = id };
        int id2 = process_timer_create(p, (clockid_t)a[0], ev.notify, ev.signo, 0, v);
        if (id2 < 0)
            return id2;
        id = id2;
    }
    if (uaccess_write(p, a[2], &id, sizeof(id))) {
        process_timer_delete(p, id);
        return -EFAULT;
    }
    return 0;
}

SYS_STATIC(timer_settime)
{
    struct process *p = self->proc;
    struct itimerspec its;
    if (uaccess_read(p, &its, a[2], sizeof(its)))
        return -EFAULT;
    if (a[1] & ~(uint64_t)TIMER_ABSTIME)
        return -EINVAL;
    struct timer_value nv, old;
    int err = from_timespec(&its.it_value, &nv.value_ns);
    if (!err)
        err = from_timespec(&its.it_interval, &nv.interval_ns);
    if (err)
        return err;
    err = process_timer_set(p, (int)a[0], (a[1] & TIMER_ABSTIME) != 0, &nv, &old);
    if (err)
        return err;
    if (a[3]) {
        struct itimerspec o = { to_timespec(old.interval_ns), to_timespec(old.value_ns) };
        if (uaccess_write(p, a[3], &o, sizeof(o)))
            return -EFAULT;
    }
    return 0;
}

SYS_STATIC(timer_gettime)
{
    struct timer_value cur;
    int err = process_timer_get(self->proc, (int)a[0], &cur);
    if (err)
        return err;
    struct itimerspec o = { to_timespec(cur.interval_ns), to_timespec(cur.value_ns) };
    return uaccess_write(self->proc, a[1], &o, sizeof(o));
}

SYS_STATIC(timer_getoverrun) { return process_timer_getoverrun(self->proc, (int)a[0]); }
SYS_STATIC(timer_delete) { return process_timer_delete(self->proc, (int)a[0]); }

void sys_register_timer(sys_fn *t)
{
    t[__NR_alarm] = sys_alarm;
    t[__NR_setitimer] = sys_setitimer;
    t[__NR_getitimer] = sys_getitimer;
    t[__NR_timer_create] = sys_timer_create;
    t[__NR_timer_settime] = sys_timer_settime;
    t[__NR_timer_gettime] = sys_timer_gettime;
    t[__NR_timer_getoverrun] = sys_timer_getoverrun;
    t[__NR_timer_delete] = sys_timer_delete;
}
