/* Per-process signal timers (see timer.h). */
#include "process/timer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "events/waiter.h"
#include "host/host_misc.h"
#include "host/host_thread.h"
#include "host/host_wait.h"
#include "process/signal.h"

#define NR_ITIMERS 3
#define NR_SLOTS (NR_ITIMERS + PROCESS_TIMER_MAX)
#define TIMER_THREAD_STACK (64 * 1024)
#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

struct ptimer {
    bool used;
    clockid_t clock;
    int notify, sig;
    pid_t tid;
    union sigval value;
    uint64_t deadline;          /* CLOCK_MONOTONIC ns; 0 = disarmed */
    uint64_t interval;
    int overrun;                /* of the last expiry sent */
};

struct process_timers {
    struct process *p;
    pthread_mutex_t lock;
    struct waiter waiter;       /* the timer thread sleeps on it */
    pthread_t thread;
    bool started, stop;
    struct ptimer slot[NR_SLOTS];
};

struct firing {
    siginfo_t si;
    int notify;
    pid_t tid;
};

static void *timer_thread(void *arg)
{
    struct process_timers *ts = arg;
    pthread_mutex_lock(&ts->lock);
    while (!ts->stop) {
        struct firing fire[NR_SLOTS];
        int nfire = 0;
        uint64_t now = host_monotonic_ns(), next = WAIT_FOREVER;
        for (int i = 0; i < NR_SLOTS; i++) {
            struct ptimer *t = &ts->slot[i];
            if (!t->used || !t->deadline)
                continue;
            if (t->deadline <= now) {
                int missed = 0;
                if (t->interval) {
                    uint64_t late = now - t->deadline;
                    missed = (int)(late / t->interval);
                    t->deadline += (uint64_t)(missed + 1) * t->interval;
                } else {
                    t->deadline = 0;
                }
                t->overrun = missed;
                if (t->notify != SIGEV_NONE) {
                    struct firing *f = &fire[nfire++];
                    memset(&f->si, 0, sizeof(f->si));
                    f->si.si_signo = t->sig;
                    f->notify = t->notify;
                    f->tid = t->tid;
                    if (i < NR_ITIMERS) {
                        f->si.si_code = SI_KERNEL;
                    } else {
                        f->si.si_code = SI_TIMER;
                        f->si.si_timerid = i - NR_ITIMERS;
                        f->si.si_overrun = missed;
                        f->si.si_value = t->value;
                    }
                }
            }
            if (t->deadline && t->deadline < next)
                next = t->deadline;
        }
        pthread_mutex_unlock(&ts->lock);
        for (int i = 0; i < nfire; i++) {
            if (fire[i].notify == SIGEV_THREAD_ID)
                signal_send_tid(ts->p, fire[i].tid, &fire[i].si);
            else
                signal_send_process(ts->p, &fire[i].si);
        }
        waiter_wait(&ts->waiter, next);
        pthread_mutex_lock(&ts->lock);
    }
    pthread_mutex_unlock(&ts->lock);
    return NULL;
}

/* p's timers, created on first use (NULL: out of memory). Only the
 * process's own threads create them, under p->lock. */
static struct process_timers *get_timers(struct process *p)
{
    pthread_mutex_lock(&p->lock);
    struct process_timers *ts = p->timers;
    if (!ts) {
        ts = calloc(1, sizeof(*ts));
        if (ts) {
            ts->p = p;
            pthread_mutex_init(&ts->lock, NULL);
            waiter_init(&ts->waiter);
            static const int itimer_sig[NR_ITIMERS] = { SIGALRM, SIGVTALRM, SIGPROF };
            for (int i = 0; i < NR_ITIMERS; i++)
                ts->slot[i] = (struct ptimer){ .used = true, .clock = CLOCK_MONOTONIC,
                                               .notify = SIGEV_SIGNAL, .sig = itimer_sig[i] };
            p->timers = ts;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return ts;
}

/* ts->lock held: the thread notices a new deadline. */
static int kick_locked(struct process_timers *ts)
{
    if (!ts->started) {
        int err = host_thread_create(&ts->thread, TIMER_THREAD_STACK, timer_thread, ts);
        if (err)
            return err;
        ts->started = true;
    }
    waiter_wake(&ts->waiter);
    return 0;
}

static void read_locked(const struct ptimer *t, uint64_t now, struct timer_value *v)
{
    v->interval_ns = t->interval;
    v->value_ns = t->deadline ? (t->deadline > now ? t->deadline - now : 1) : 0;
}

/* Arm/disarm slot i; deadline_mono 0 disarms. */
static int set_slot(struct process_timers *ts, int i, uint64_t deadline_mono,
                    uint64_t interval, struct timer_value *old)
{
    pthread_mutex_lock(&ts->lock);
    struct ptimer *t = &ts->slot[i];
    if (!t->used) {
        pthread_mutex_unlock(&ts->lock);
        return -EINVAL;
    }
    if (old)
        read_locked(t, host_monotonic_ns(), old);
    t->deadline = deadline_mono;
    t->interval = deadline_mono ? interval : 0;
    t->overrun = 0;
    int err = deadline_mono ? kick_locked(ts) : 0;
    pthread_mutex_unlock(&ts->lock);
    return err;
}

static int get_slot(struct process_timers *ts, int i, struct timer_value *cur)
{
    pthread_mutex_lock(&ts->lock);
    int err = ts->slot[i].used ? 0 : -EINVAL;
    if (!err)
        read_locked(&ts->slot[i], host_monotonic_ns(), cur);
    pthread_mutex_unlock(&ts->lock);
    return err;
}

int process_itimer_set(struct process *p, int which, const struct timer_value *nv,
                       struct timer_value *old)
{
    if (which < 0 || which >= NR_ITIMERS)
        return -EINVAL;
    if (!nv->value_ns && !p->timers) {
        if (old)
            *old = (struct timer_value){ 0, 0 };
        return 0;
    }
    struct process_timers *ts = get_timers(p);
    if (!ts)
        return -ENOMEM;
    uint64_t deadline = nv->value_ns ? host_monotonic_ns() + nv->value_ns : 0;
    return set_slot(ts, which, deadline, nv->interval_ns, old);
}

int process_itimer_get(struct process *p, int which, struct timer_value *cur)
{
    if (which < 0 || which >= NR_ITIMERS)
        return -EINVAL;
    if (!p->timers) {
        *cur = (struct timer_value){ 0, 0 };
        return 0;
    }
    return get_slot(p->timers, which, cur);
}

int process_timer_create(struct process *p, clockid_t clock, int notify, int sig,
                         pid_t tid, union sigval value)
{
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME)
        return -EINVAL;
    if (notify != SIGEV_NONE && notify != SIGEV_SIGNAL && notify != SIGEV_THREAD_ID)
        return -EINVAL;
    if (notify != SIGEV_NONE && (sig < 1 || sig > 64))
        return -EINVAL;
    struct process_timers *ts = get_timers(p);
    if (!ts)
        return -ENOMEM;
    pthread_mutex_lock(&ts->lock);
    int id = -EAGAIN;
    for (int i = NR_ITIMERS; i < NR_SLOTS; i++) {
        if (!ts->slot[i].used) {
            ts->slot[i] = (struct ptimer){ .used = true, .clock = clock, .notify = notify,
                                           .sig = sig, .tid = tid, .value = value };
            id = i - NR_ITIMERS;
            break;
        }
    }
    pthread_mutex_unlock(&ts->lock);
    return id;
}

static int slot_of(struct process *p, int id)
{
    return p->timers && id >= 0 && id < PROCESS_TIMER_MAX ? id + NR_ITIMERS : -EINVAL;
}

int process_timer_set(struct process *p, int id, int absolute, const struct timer_value *nv,
                      struct timer_value *old)
{
    int i = slot_of(p, id);
    if (i < 0)
        return i;
    struct process_timers *ts = p->timers;
    uint64_t now = host_monotonic_ns(), deadline = 0;
    if (nv->value_ns) {
        if (absolute) {
            pthread_mutex_lock(&ts->lock);
            clockid_t clock = ts->slot[i].clock;
            pthread_mutex_unlock(&ts->lock);
            struct timespec ts_now;
            int err = host_clock_gettime(clock, &ts_now);
            if (err)
                return err;
            uint64_t cnow = (uint64_t)ts_now.tv_sec * 1000000000ULL + (uint64_t)ts_now.tv_nsec;
            deadline = nv->value_ns > cnow ? now + (nv->value_ns - cnow) : now;
        } else {
            deadline = now + nv->value_ns;
        }
        if (!deadline)
            deadline = 1;
    }
    return set_slot(ts, i, deadline, nv->interval_ns, old);
}

int process_timer_get(struct process *p, int id, struct timer_value *cur)
{
    int i = slot_of(p, id);
    return i < 0 ? i : get_slot(p->timers, i, cur);
}

int process_timer_getoverrun(struct process *p, int id)
{
    int i = slot_of(p, id);
    if (i < 0)
        return i;
    struct process_timers *ts = p->timers;
    pthread_mutex_lock(&ts->lock);
    int r = ts->slot[i].used ? ts->slot[i].overrun : -EINVAL;
    pthread_mutex_unlock(&ts->lock);
    return r;
}

int process_timer_delete(struct process *p, int id)
{
    int i = slot_of(p, id);
    if (i < 0)
        return i;
    struct process_timers *ts = p->timers;
    pthread_mutex_lock(&ts->lock);
    int err = ts->slot[i].used ? 0 : -EINVAL;
    memset(&ts->slot[i], 0, sizeof(ts->slot[i]));
    pthread_mutex_unlock(&ts->lock);
    return err;
}

void process_timers_exec(struct process *p)
{
    struct process_timers *ts = p->timers;
    if (!ts)
        return;
    pthread_mutex_lock(&ts->lock);
    for (int i = NR_ITIMERS; i < NR_SLOTS; i++)
        memset(&ts->slot[i], 0, sizeof(ts->slot[i]));
    pthread_mutex_unlock(&ts->lock);
}

void process_timers_release(struct process *p)
{
    pthread_mutex_lock(&p->lock);
    struct process_timers *ts = p->timers;
    p->timers = NULL;
    pthread_mutex_unlock(&p->lock);
    if (!ts)
        return;
    pthread_mutex_lock(&ts->lock);
    ts->stop = true;
    bool started = ts->started;
    waiter_wake(&ts->waiter);
    pthread_mutex_unlock(&ts->lock);
    if (started)
        host_thread_join(ts->thread);
    waiter_destroy(&ts->waiter);
    pthread_mutex_destroy(&ts->lock);
    free(ts);
}
