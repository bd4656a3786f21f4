/* The watchdog (watchdog.h). */
#include "process/watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "host/host_misc.h"
#include "host/host_selfcheck.h"
#include "host/host_thread.h"
#include "process/process.h"

#define TICK_NS 100000000ULL        /* sampling period: 100 ms */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread *wd_head;      /* registry, doubly linked */
static unsigned long wd_epoch;      /* threads added or removed */

static pthread_t wd_thread;
static atomic_bool wd_running, wd_stop;
static unsigned wd_seconds;
static const char *(*wd_name)(long nr);

static uint64_t mono_ns(void)
{
    struct timespec ts;
    host_clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void watchdog_thread_add(struct thread *t)
{
    atomic_store(&t->wd_syscall, -1);
    t->wd_seen_ns = mono_ns();
    pthread_mutex_lock(&wd_lock);
    t->wd_prev = NULL;
    t->wd_next = wd_head;
    if (wd_head)
        wd_head->wd_prev = t;
    wd_head = t;
    wd_epoch++;
    pthread_mutex_unlock(&wd_lock);
}

void watchdog_thread_remove(struct thread *t)
{
    pthread_mutex_lock(&wd_lock);
    if (t->wd_prev)
        t->wd_prev->wd_next = t->wd_next;
    else if (wd_head == t)
        wd_head = t->wd_next;
    if (t->wd_next)
        t->wd_next->wd_prev = t->wd_prev;
    t->wd_next = t->wd_prev = NULL;
    wd_epoch++;
    pthread_mutex_unlock(&wd_lock);
}

static const char *wait_state(const struct thread *t)
{
    switch (atomic_load(&t->waiter.state)) {
    case WAITER_SPINNING: return "spinning in a wait";
    case WAITER_FUTEX_SLEEP: return "asleep in a wait (futex)";
    case WAITER_HOST_SLEEP: return "asleep in a wait (host ppoll)";
    case WAITER_WOKEN: return "woken, not yet running";
    default: return "running onespace code (not in a wait: a lock or a loop?)";
    }
}

/* Caller holds wd_lock. */
static void report_locked(const char *why, uint64_t now)
{
    int n = 0;
    for (struct thread *t = wd_head; t; t = t->wd_next)
        n++;
    fprintf(stderr, "onespace: watchdog: %s; %d guest thread%s:\n", why, n, n == 1 ? "" : "s");
    for (struct thread *t = wd_head; t; t = t->wd_next) {
        long nr = atomic_load(&t->wd_syscall);
        double for_s = (double)(now - t->wd_seen_ns) / 1e9;
        const char *exiting = atomic_load(&t->proc->exiting) ? " [process exiting]" : "";
        if (t->left_guest) {
            fprintf(stderr, "  pid %d tid %d: has left guest code, waiting for the others to "
                    "(%.1f s)%s\n", t->proc->pid, t->tid, for_s, exiting);
        } else if (nr < 0) {
            fprintf(stderr, "  pid %d tid %d: in guest code (no syscall for %.1f s)%s\n",
                    t->proc->pid, t->tid, for_s, exiting);
        } else {
            const char *name = wd_name ? wd_name(nr) : NULL;
            fprintf(stderr, "  pid %d tid %d: in syscall %s (%ld) arg0 %#lx for %.1f s, %s%s\n",
                    t->proc->pid, t->tid, name ? name : "?", nr,
                    (unsigned long)atomic_load(&t->wd_arg0), for_s, wait_state(t), exiting);
        }
    }
    fflush(stderr);
}

void watchdog_report(const char *why)
{
    pthread_mutex_lock(&wd_lock);
    report_locked(why, mono_ns());
    pthread_mutex_unlock(&wd_lock);
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    uint64_t limit = (uint64_t)wd_seconds * 1000000000ULL;
    uint64_t last_progress = mono_ns();
    unsigned long last_epoch = 0;
    while (!atomic_load(&wd_stop)) {
        host_sleep_ns(TICK_NS);
        uint64_t now = mono_ns();
        char why[160];
        why[0] = 0;
        pthread_mutex_lock(&wd_lock);
        bool progress = wd_epoch != last_epoch || !wd_head;
        last_epoch = wd_epoch;
        for (struct thread *t = wd_head; t; t = t->wd_next) {
            unsigned long done = atomic_load(&t->wd_done);
            if (done != t->wd_seen_done) {
                t->wd_seen_done = done;
                t->wd_seen_ns = now;
                progress = true;
            } else if (atomic_load(&t->wd_syscall) >= 0 && now - t->wd_seen_ns >= limit &&
                       !why[0]) {
                snprintf(why, sizeof why, "pid %d tid %d stuck in one syscall for %u s",
                         t->proc->pid, t->tid, wd_seconds);
            }
        }
        if (progress)
            last_progress = now;
        else if (now - last_progress >= limit && !why[0])
            snprintf(why, sizeof why, "no syscall finished in the instance for %u s",
                     wd_seconds);
        if (why[0]) {
            report_locked(why, now);
            /* ONESPACE_WATCHDOG_ABORT=1: abort instead, for a core dump
             * with every host thread's stack. */
            const char *ab = getenv("ONESPACE_WATCHDOG_ABORT");
            bool core = ab && *ab && *ab != '0';
            fprintf(stderr, "onespace: watchdog: failing the run (%s)\n",
                    core ? "abort" : "exit status 86");
            fflush(stderr);
            if (core)
                host_abort_now();
            host_exit_now(WATCHDOG_EXIT_STATUS);
        }
        pthread_mutex_unlock(&wd_lock);
    }
    return NULL;
}

int watchdog_start(unsigned seconds, const char *(*name)(long nr))
{
    if (!seconds || atomic_load(&wd_running))
        return 0;
    wd_seconds = seconds;
    wd_name = name;
    atomic_store(&wd_stop, false);
    int err = host_thread_create(&wd_thread, 256 * 1024, watchdog_main, NULL);
    if (!err)
        atomic_store(&wd_running, true);
    return err;
}

void watchdog_stop(void)
{
    if (!atomic_load(&wd_running))
        return;
    atomic_store(&wd_stop, true);
    host_thread_join(wd_thread);
    atomic_store(&wd_running, false);
}
