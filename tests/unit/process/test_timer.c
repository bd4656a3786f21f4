/* Process timers (process/timer.c) and signal sending on a bare process:
 * the timer thread sets the pending bit; getitimer/timer_gettime report
 * what is left; ids, errors and deletion. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <cmocka.h>

#include "process/signal.h"
#include "process/timer.h"

#define MS 1000000ULL

static struct process *new_process(void)
{
    struct process *p = calloc(1, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    p->pid = 7;
    return p;
}

static void free_process(struct process *p)
{
    process_timers_release(p);
    signal_release_process(p);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void catch(struct process *p, int sig)
{
    p->sigactions[sig - 1].handler = 0x1000;    /* a "handler": not ignored */
}

static bool pending(struct process *p, int sig)
{
    pthread_mutex_lock(&p->lock);
    bool yes = (p->sig_pending & SIG_BIT(sig)) != 0;
    pthread_mutex_unlock(&p->lock);
    return yes;
}

/* Up to 5 s: generous, only a hang fails. */
static bool wait_pending(struct process *p, int sig)
{
    for (int i = 0; i < 5000 && !pending(p, sig); i++) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    return pending(p, sig);
}

static void test_itimer_real_fires(void **state)
{
    (void)state;
    struct process *p = new_process();
    catch(p, SIGALRM);
    struct timer_value nv = { 10 * MS, 0 }, cur;
    assert_int_equal(process_itimer_set(p, ITIMER_REAL, &nv, NULL), 0);
    assert_true(wait_pending(p, SIGALRM));
    assert_int_equal(p->sig_info[SIGALRM - 1].si_code, SI_KERNEL);
    assert_int_equal(process_itimer_get(p, ITIMER_REAL, &cur), 0);
    assert_int_equal(cur.value_ns, 0);      /* one-shot: disarmed */
    free_process(p);
}

static void test_itimer_get_and_disarm(void **state)
{
    (void)state;
    struct process *p = new_process();
    struct timer_value cur, old;
    assert_int_equal(process_itimer_get(p, ITIMER_REAL, &cur), 0);
    assert_int_equal(cur.value_ns, 0);
    struct timer_value nv = { 100000 * MS, 5 * MS };
    assert_int_equal(process_itimer_set(p, ITIMER_PROF, &nv, NULL), 0);
    assert_int_equal(process_itimer_get(p, ITIMER_PROF, &cur), 0);
    assert_true(cur.value_ns > 0 && cur.value_ns <= 100000 * MS);
    assert_int_equal(cur.interval_ns, 5 * MS);
    struct timer_value zero = { 0, 0 };
    assert_int_equal(process_itimer_set(p, ITIMER_PROF, &zero, &old), 0);
    assert_true(old.value_ns > 0);
    assert_int_equal(process_itimer_get(p, ITIMER_PROF, &cur), 0);
    assert_int_equal(cur.value_ns, 0);
    assert_int_equal(process_itimer_set(p, 3, &zero, NULL), -EINVAL);
    free_process(p);
}

static void test_posix_timer(void **state)
{
    (void)state;
    struct process *p = new_process();
    catch(p, SIGRTMIN);
    union sigval v = { .sival_int = 42 };
    assert_int_equal(process_timer_create(p, CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGRTMIN,
                                          0, v), -EINVAL);
    assert_int_equal(process_timer_create(p, CLOCK_MONOTONIC, SIGEV_SIGNAL, 0, 0, v), -EINVAL);
    int id = process_timer_create(p, CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN, 0, v);
    assert_int_equal(id, 0);
    assert_int_equal(process_timer_create(p, CLOCK_REALTIME, SIGEV_NONE, 0, 0, v), 1);
    struct timer_value nv = { 5 * MS, 0 };
    assert_int_equal(process_timer_set(p, id, 0, &nv, NULL), 0);
    assert_true(wait_pending(p, SIGRTMIN));
    const siginfo_t *si = &p->sig_info[SIGRTMIN - 1];
    assert_int_equal(si->si_code, SI_TIMER);
    assert_int_equal(si->si_value.sival_int, 42);
    assert_int_equal(process_timer_getoverrun(p, id), 0);
    assert_int_equal(process_timer_delete(p, id), 0);
    assert_int_equal(process_timer_delete(p, id), -EINVAL);
    assert_int_equal(process_timer_set(p, 5, 0, &nv, NULL), -EINVAL);
    /* The lowest free id is reused. */
    assert_int_equal(process_timer_create(p, CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN, 0, v), 0);
    free_process(p);
}

/* A periodic timer whose signal stays pending is not queued again (its
 * expiries become overruns); other real-time signals do queue. */
static void test_rt_queue(void **state)
{
    (void)state;
    struct process *p = new_process();
    int sig = SIGRTMIN + 1;
    catch(p, sig);
    union sigval v = { .sival_int = 1 };
    int id = process_timer_create(p, CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0, v);
    assert_true(id >= 0);
    struct timer_value nv = { 1 * MS, 1 * MS };
    assert_int_equal(process_timer_set(p, id, 0, &nv, NULL), 0);
    assert_true(wait_pending(p, sig));
    struct timespec ts = { 0, 20 * 1000000L };
    nanosleep(&ts, NULL);
    struct timer_value zero = { 0, 0 };
    assert_int_equal(process_timer_set(p, id, 0, &zero, NULL), 0);
    pthread_mutex_lock(&p->lock);
    assert_int_equal(p->sig_queued, 0);
    pthread_mutex_unlock(&p->lock);

    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    for (int i = 0; i < 1024; i++)
        assert_int_equal(signal_send_process(p, &si), 0);
    assert_int_equal(signal_send_process(p, &si), -EAGAIN);
    assert_int_equal(p->sig_queued, 1024);
    free_process(p);    /* frees the queue (ASan: no leak) */
}

static void test_ignored_dropped(void **state)
{
    (void)state;
    struct process *p = new_process();
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGCHLD;          /* default: ignore */
    assert_int_equal(signal_send_process(p, &si), 0);
    assert_false(pending(p, SIGCHLD));
    catch(p, SIGCHLD);
    assert_int_equal(signal_send_process(p, &si), 0);
    assert_true(pending(p, SIGCHLD));
    p->sigactions[SIGCHLD - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
    assert_true(signal_child_autoreap_locked(p));
    p->sigactions[SIGCHLD - 1].handler = 0x1000;
    p->sigactions[SIGCHLD - 1].flags = SA_NOCLDWAIT;
    assert_true(signal_child_autoreap_locked(p));
    p->sigactions[SIGCHLD - 1].flags = 0;
    assert_false(signal_child_autoreap_locked(p));
    free_process(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_itimer_real_fires),
        cmocka_unit_test(test_itimer_get_and_disarm),
        cmocka_unit_test(test_posix_timer),
        cmocka_unit_test(test_rt_queue),
        cmocka_unit_test(test_ignored_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
