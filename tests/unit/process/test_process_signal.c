/* Process layer: sending and dequeuing guest signals (signal.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "process/signal.h"
#include "proc_fixture.h"

static struct process *killed_p;
static struct thread *killed_except;
static int kill_calls;
static struct thread *notified[8];
static int nr_notified;

static void kill_hook(struct process *p, struct thread *except)
{
    killed_p = p;
    killed_except = except;
    kill_calls++;
}

static void notify_hook(struct thread *t)
{
    if (nr_notified < 8)
        notified[nr_notified] = t;
    nr_notified++;
}

static int setup(void **s)
{
    killed_p = NULL;
    killed_except = NULL;
    kill_calls = 0;
    nr_notified = 0;
    signal_kill_hook = kill_hook;
    signal_notify_hook = notify_hook;
    return proc_env_setup(s);
}

static int teardown(void **s)
{
    signal_kill_hook = NULL;
    signal_notify_hook = NULL;
    return proc_env_teardown(s);
}

static siginfo_t info(int sig)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = sig;
    si.si_code = SI_USER;
    si.si_pid = 42;
    return si;
}

static void test_dequeue_order(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    siginfo_t si = info(SIGUSR2);
    assert_int_equal(signal_send_process(p, &si), 0);
    si = info(SIGTERM);
    assert_int_equal(signal_send_process(p, &si), 0);
    si = info(SIGHUP);
    si.si_value.sival_int = 5;
    assert_int_equal(signal_send_thread(t, &si), 0);
    si = info(SIGINT);
    assert_int_equal(signal_send_thread(t, &si), 0);
    assert_true(signal_has_deliverable(t));
    assert_int_equal(nr_notified, 4);
    assert_ptr_equal(notified[0], t);

    siginfo_t got;
    /* The thread's own signals first, lowest number first; then the
     * process's. */
    assert_int_equal(signal_dequeue(t, &got), SIGHUP);
    assert_int_equal(got.si_signo, SIGHUP);
    assert_int_equal(got.si_pid, 42);
    assert_int_equal(got.si_value.sival_int, 5);
    assert_int_equal(signal_dequeue(t, &got), SIGINT);
    assert_int_equal(signal_dequeue(t, &got), SIGUSR2);
    assert_int_equal(signal_dequeue(t, &got), SIGTERM);
    assert_int_equal(signal_dequeue(t, &got), 0);
    assert_false(signal_has_deliverable(t));
    proc_end(p, 0);
}

static void test_standard_signals_merge(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    siginfo_t si = info(SIGUSR1);
    signal_send_process(p, &si);
    si.si_pid = 43;
    signal_send_process(p, &si);
    siginfo_t got;
    assert_int_equal(signal_dequeue(t, &got), SIGUSR1);
    assert_int_equal(got.si_pid, 42);   /* the first one's siginfo (Linux's legacy_queue) */
    assert_int_equal(signal_dequeue(t, &got), 0);
    proc_end(p, 0);
}

static void test_mask_blocks_and_picks_thread(void **state)
{
    (void)state;
    struct thread *t1, *t2;
    struct process *p = proc_spawn(NULL, &t1);
    assert_int_equal(thread_create(p, &t2), 0);
    t1->sigmask = SIG_BIT(SIGUSR1);
    t2->sigmask = SIG_BIT(SIGUSR1);
    siginfo_t si = info(SIGUSR1), got;
    assert_int_equal(signal_send_process(p, &si), 0);
    assert_int_equal(nr_notified, 0);      /* every thread blocks it */
    assert_false(signal_has_deliverable(t1));
    assert_int_equal(signal_dequeue(t1, &got), 0);
    /* A thread that unblocks it can take it; the other one then can't. */
    t2->sigmask = 0;
    assert_true(signal_has_deliverable(t2));
    assert_int_equal(signal_dequeue(t2, &got), SIGUSR1);
    assert_int_equal(signal_dequeue(t2, &got), 0);
    /* Process-directed: the thread that does not block it is notified. */
    assert_int_equal(signal_send_process(p, &si), 0);
    assert_int_equal(nr_notified, 1);
    assert_ptr_equal(notified[0], t2);
    /* Thread-directed to a thread that blocks it: pending, no notify. */
    si = info(SIGUSR2);
    t1->sigmask |= SIG_BIT(SIGUSR2);
    assert_int_equal(signal_send_thread(t1, &si), 0);
    assert_int_equal(nr_notified, 1);
    assert_int_equal(signal_dequeue(t2, &got), SIGUSR1);
    assert_int_equal(signal_dequeue(t2, &got), 0);     /* not t2's */
    t1->sigmask = 0;
    assert_int_equal(signal_dequeue(t1, &got), SIGUSR2);
    thread_release(t2);
    proc_end(p, 0);
}

static void test_ignored_dropped(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    siginfo_t got, si = info(SIGCHLD);     /* default: ignore */
    assert_int_equal(signal_send_process(p, &si), 0);
    si = info(SIGWINCH);
    assert_int_equal(signal_send_thread(t, &si), 0);
    p->sigactions[SIGUSR1 - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
    si = info(SIGUSR1);
    assert_int_equal(signal_send_process(p, &si), 0);
    assert_int_equal(signal_dequeue(t, &got), 0);
    assert_int_equal(nr_notified, 0);
    /* Caught, SIGCHLD is kept. */
    p->sigactions[SIGCHLD - 1].handler = 0x1000;
    si = info(SIGCHLD);
    assert_int_equal(signal_send_process(p, &si), 0);
    assert_int_equal(signal_dequeue(t, &got), SIGCHLD);
    assert_int_equal(kill_calls, 0);
    proc_end(p, 0);
}

/* Linux (kernel/signal.c, sig_ignored): "Blocked signals are never
 * ignored, since the signal handler may change by the time it is
 * unblocked." A blocked ignored signal stays pending. */
static void test_blocked_ignored_stays_pending(void **state)
{
    (void)state;
    /* The oracle first: the host does this. */
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGURG);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
    struct sigaction sa_old;
    signal(SIGURG, SIG_DFL);
    assert_int_equal(sigaction(SIGURG, NULL, &sa_old), 0);
    raise(SIGURG);
    sigpending(&pend);
    bool host_pending = sigismember(&pend, SIGURG);
    /* Drop it again: SIG_IGN flushes it. */
    signal(SIGURG, SIG_IGN);
    sigaction(SIGURG, &sa_old, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_true(host_pending);

    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    t->sigmask = SIG_BIT(SIGURG) | SIG_BIT(SIGUSR1);
    p->sigactions[SIGUSR1 - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
    siginfo_t got, si = info(SIGURG);
    assert_int_equal(signal_send_process(p, &si), 0);
    si = info(SIGUSR1);
    assert_int_equal(signal_send_thread(t, &si), 0);
    assert_true(p->sig_pending & SIG_BIT(SIGURG));
    assert_true(t->sig_pending & SIG_BIT(SIGUSR1));
    t->sigmask = 0;
    assert_int_equal(signal_dequeue(t, &got), SIGUSR1);
    assert_int_equal(signal_dequeue(t, &got), SIGURG);
    proc_end(p, 0);
}

static void test_sigkill_ends_process(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    t->sigmask = ~0ULL;     /* cannot block it */
    p->sigactions[SIGKILL - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
    siginfo_t si = info(SIGKILL), got;
    assert_int_equal(signal_send_process(p, &si), 0);
    assert_int_equal(kill_calls, 1);
    assert_ptr_equal(killed_p, p);
    assert_null(killed_except);
    assert_true(atomic_load(&p->exiting));
    assert_true(WIFSIGNALED(p->exit_status));
    assert_int_equal(WTERMSIG(p->exit_status), SIGKILL);
    assert_false(WCOREDUMP(p->exit_status));
    /* Once exiting, more signals change nothing. */
    si = info(SIGTERM);
    assert_int_equal(signal_send_thread(t, &si), 0);
    assert_int_equal(signal_send_process(p, &si), 0);
    si = info(SIGKILL);
    assert_int_equal(signal_send_thread(t, &si), 0);
    assert_int_equal(kill_calls, 1);
    t->sigmask = 0;
    assert_int_equal(signal_dequeue(t, &got), 0);
    thread_release(t);
    assert_int_equal(runtime_wait_all(&penv->rt), SIGKILL);
}

static void test_kill_process_status(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    p->rlim[RLIMIT_CORE].rlim_cur = RLIM_INFINITY;     /* a core would be dumped */
    signal_kill_process(p, SIGSEGV, t);
    assert_int_equal(kill_calls, 1);
    assert_ptr_equal(killed_except, t);
    assert_true(WIFSIGNALED(p->exit_status));
    assert_int_equal(WTERMSIG(p->exit_status), SIGSEGV);
    assert_true(WCOREDUMP(p->exit_status));
    signal_kill_process(p, SIGTERM, NULL);      /* first one wins */
    assert_int_equal(kill_calls, 1);
    assert_int_equal(WTERMSIG(p->exit_status), SIGSEGV);
    thread_release(t);
}

/* RLIMIT_CORE 0 (the default, as on Linux): no core, no core flag. */
static void test_kill_no_core_with_core_limit_zero(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    assert_int_equal(p->rlim[RLIMIT_CORE].rlim_cur, 0);
    signal_kill_process(p, SIGSEGV, t);
    assert_true(WIFSIGNALED(p->exit_status));
    assert_int_equal(WTERMSIG(p->exit_status), SIGSEGV);
    assert_false(WCOREDUMP(p->exit_status));
    thread_release(t);
}

static void test_bad_signal_numbers(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    siginfo_t si = info(0);
    assert_int_equal(signal_send_process(p, &si), -EINVAL);
    si = info(65);
    assert_int_equal(signal_send_thread(t, &si), -EINVAL);
    si = info(-1);
    assert_int_equal(signal_send_process(p, &si), -EINVAL);
    /* 64 is valid (SIGRTMAX). */
    si = info(64);
    assert_int_equal(signal_send_process(p, &si), 0);
    siginfo_t got;
    assert_int_equal(signal_dequeue(t, &got), 64);
    proc_end(p, 0);
}

static void test_defaults_table(void **state)
{
    (void)state;
    assert_false(signal_default_terminates(SIGCHLD));
    assert_false(signal_default_terminates(SIGURG));
    assert_false(signal_default_terminates(SIGWINCH));
    assert_true(signal_default_terminates(SIGTERM));
    assert_true(signal_default_terminates(SIGUSR1));
    assert_true(signal_default_terminates(SIGRTMIN));
    assert_true(signal_default_core(SIGSEGV));
    assert_true(signal_default_core(SIGABRT));
    assert_false(signal_default_core(SIGTERM));
    assert_false(signal_default_core(SIGKILL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dequeue_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_standard_signals_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mask_blocks_and_picks_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ignored_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocked_ignored_stays_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_ends_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_no_core_with_core_limit_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_process_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_signal_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_table, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
