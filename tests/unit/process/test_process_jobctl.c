/* Process layer: job control (jobctl.h). A child's thread parks in
 * jobctl_stop on a helper host thread; the test plays the parent: wait
 * for the stop / continue, its SIGCHLD, SIGCONT and SIGKILL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "proc_fixture.h"
#include "process/jobctl.h"
#include "process/signal.h"

/* SIGKILL's hook: interrupt every thread (what entry_kick_process does
 * for blocked threads). */
static void kill_hook(struct process *p, struct thread *except)
{
    pthread_mutex_lock(&p->lock);
    for (struct thread *t = p->threads; t; t = t->next)
        if (t != except)
            waiter_interrupt(&t->waiter);
    pthread_mutex_unlock(&p->lock);
}

static int setup(void **s)
{
    signal_kill_hook = kill_hook;
    signal_notify_hook = NULL;
    return proc_env_setup(s);
}

static int teardown(void **s)
{
    signal_kill_hook = NULL;
    return proc_env_teardown(s);
}

static siginfo_t info(int sig)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = sig;
    si.si_code = SI_USER;
    return si;
}

struct stopper {
    struct thread *t;
    int sig;
    bool parked;
    pthread_t host;
};

static void *stop_main(void *arg)
{
    struct stopper *s = arg;
    s->parked = jobctl_stop(s->t, s->sig);
    return NULL;
}

static void start_stop(struct stopper *s, struct thread *t, int sig)
{
    s->t = t;
    s->sig = sig;
    s->parked = false;
    assert_int_equal(pthread_create(&s->host, NULL, stop_main, s), 0);
}

struct family {
    struct process *parent, *child;
    struct thread *pt, *ct;
};

static struct family family(void)
{
    struct family f;
    f.parent = proc_spawn(NULL, &f.pt);
    f.parent->sigactions[SIGCHLD - 1].handler = 0x1000;    /* caught: stays pending */
    f.child = proc_spawn(f.parent, &f.ct);
    /* Its own group under a parent in another group of the session: not
     * orphaned, so SIGTSTP stops too. */
    f.child->pgid = f.child->pid;
    return f;
}

static void expect_sigchld(struct family *f, int code, int status)
{
    siginfo_t si;
    assert_int_equal(signal_dequeue(f->pt, &si), SIGCHLD);
    assert_int_equal(si.si_code, code);
    assert_int_equal(si.si_status, status);
    assert_int_equal(si.si_pid, f->child->pid);
}

static void test_stop_wait_continue(void **state)
{
    (void)state;
    struct family f = family();
    pid_t cpid = f.child->pid;
    struct stopper s;
    start_stop(&s, f.ct, SIGSTOP);
    int st = 0;
    /* Blocks until the (only) thread parked. */
    assert_int_equal(process_wait_child(f.parent, cpid, WSTOPPED, &st), cpid);
    assert_int_equal(st, 0x137f);
    assert_true(f.child->stopped);
    expect_sigchld(&f, CLD_STOPPED, SIGSTOP);
    /* Reported once; not to a plain wait. */
    assert_int_equal(process_wait_child(f.parent, cpid, WSTOPPED | WNOHANG, &st), 0);
    assert_int_equal(process_wait_child(f.parent, cpid, WNOHANG, &st), 0);

    siginfo_t cont = info(SIGCONT);
    assert_int_equal(signal_send_process(f.child, &cont), 0);
    pthread_join(s.host, NULL);
    assert_true(s.parked);
    assert_false(f.child->stopped);
    assert_int_equal(atomic_load(&f.child->stop_sig), 0);
    assert_int_equal(process_wait_child(f.parent, cpid, WCONTINUED | WNOWAIT, &st), cpid);
    assert_int_equal(st, 0xffff);
    assert_int_equal(process_wait_child(f.parent, cpid, WCONTINUED, &st), cpid);
    assert_int_equal(process_wait_child(f.parent, cpid, WCONTINUED | WNOHANG, &st), 0);
    expect_sigchld(&f, CLD_CONTINUED, SIGCONT);
    /* SIGCONT's default action is to ignore: nothing left pending. */
    siginfo_t si;
    assert_int_equal(signal_dequeue(f.ct, &si), 0);

    proc_end(f.child, 0);
    assert_int_equal(process_wait_child(f.parent, cpid, 0, &st), cpid);
    proc_end(f.parent, 0);
}

static void test_nocldstop(void **state)
{
    (void)state;
    struct family f = family();
    f.parent->sigactions[SIGCHLD - 1].flags = SA_NOCLDSTOP;
    struct stopper s;
    start_stop(&s, f.ct, SIGTSTP);
    int st;
    assert_int_equal(process_wait_child(f.parent, -1, WSTOPPED, &st), f.child->pid);
    assert_int_equal(st, (SIGTSTP << 8) | 0x7f);
    siginfo_t si, cont = info(SIGCONT);
    assert_int_equal(signal_dequeue(f.pt, &si), 0);
    assert_int_equal(signal_send_process(f.child, &cont), 0);
    pthread_join(s.host, NULL);
    assert_int_equal(process_wait_child(f.parent, -1, WCONTINUED, &st), f.child->pid);
    assert_int_equal(signal_dequeue(f.pt, &si), 0);
    proc_end(f.child, 0);
    proc_end(f.parent, 0);
}

static void test_sigkill_ends_stop(void **state)
{
    (void)state;
    struct family f = family();
    struct stopper s;
    start_stop(&s, f.ct, SIGSTOP);
    int st;
    assert_int_equal(process_wait_child(f.parent, -1, WSTOPPED, &st), f.child->pid);
    siginfo_t kill = info(SIGKILL);
    assert_int_equal(signal_send_process(f.child, &kill), 0);
    pthread_join(s.host, NULL);
    assert_true(atomic_load(&f.child->exiting));
    /* No continue to report. */
    assert_int_equal(process_wait_child(f.parent, -1, WCONTINUED | WNOHANG, &st), 0);
    pid_t cpid = f.child->pid;
    proc_end(f.child, 0);
    assert_int_equal(process_wait_child(f.parent, -1, 0, &st), cpid);     /* frees it */
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    proc_end(f.parent, 0);
}

/* A stop signal discards a pending SIGCONT and SIGCONT discards pending
 * stop signals (both blocked here so they stay pending). */
static void test_pending_discards(void **state)
{
    (void)state;
    struct family f = family();
    f.child->sigactions[SIGCONT - 1].handler = 0x1000;
    f.child->sigactions[SIGTSTP - 1].handler = 0x1000;
    f.ct->sigmask = SIG_BIT(SIGCONT) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN);
    siginfo_t si = info(SIGCONT);
    assert_int_equal(signal_send_process(f.child, &si), 0);
    assert_true(signal_pending_set(f.ct) & SIG_BIT(SIGCONT));
    si = info(SIGTSTP);
    assert_int_equal(signal_send_process(f.child, &si), 0);
    si = info(SIGTTIN);
    assert_int_equal(signal_send_thread(f.ct, &si), 0);
    assert_int_equal(signal_pending_set(f.ct), SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN));
    si = info(SIGCONT);
    assert_int_equal(signal_send_process(f.child, &si), 0);
    assert_int_equal(signal_pending_set(f.ct), SIG_BIT(SIGCONT));
    /* Not stopped: no continue report. */
    int st;
    assert_int_equal(process_wait_child(f.parent, -1, WCONTINUED | WNOHANG, &st), 0);
    proc_end(f.child, 0);
    proc_end(f.parent, 0);
}

/* SIG_DFL stop signals are kept (their action is to stop), unlike the
 * default-ignored ones. */
static void test_default_stop_not_ignored(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    siginfo_t si = info(SIGTSTP), got;
    assert_int_equal(signal_send_process(p, &si), 0);
    assert_int_equal(signal_dequeue(t, &got), SIGTSTP);
    assert_true(signal_default_ignored(SIGCONT));
    assert_false(signal_default_ignored(SIGTTOU));
    assert_true(jobctl_is_stop_signal(SIGTTOU));
    assert_false(jobctl_is_stop_signal(SIGCONT));
    assert_false(jobctl_is_stop_signal(0));
    proc_end(p, 0);
}

static void test_orphaned_pgrp(void **state)
{
    (void)state;
    struct family f = family();
    struct thread *t2;
    struct process *c2 = proc_spawn(f.parent, &t2);
    /* c2 is in the parent's group, whose leader has no parent: orphaned,
     * so SIGTSTP is discarded there (SIGSTOP is not). */
    assert_true(jobctl_pgrp_orphaned(&penv->rt, f.parent->pgid));
    assert_false(jobctl_pgrp_orphaned(&penv->rt, f.child->pgid));
    assert_false(jobctl_stop(t2, SIGTSTP));
    assert_int_equal(atomic_load(&c2->stop_sig), 0);
    /* Another session makes the child's group orphaned too. */
    f.child->sid = f.child->pid;
    assert_true(jobctl_pgrp_orphaned(&penv->rt, f.child->pgid));
    proc_end(c2, 0);
    proc_end(f.child, 0);
    int st;
    while (process_wait_child(f.parent, -1, WNOHANG, &st) > 0)
        ;
    proc_end(f.parent, 0);
}

/* A SIGCONT that comes after a thread took SIGSTOP but before it acted
 * on it wins (on Linux both happen under the siglock). */
static void test_sigcont_after_take_wins(void **state)
{
    (void)state;
    struct family f = family();
    siginfo_t si = info(SIGSTOP), got;
    assert_int_equal(signal_send_process(f.child, &si), 0);
    assert_int_equal(signal_dequeue(f.ct, &got), SIGSTOP);
    si = info(SIGCONT);
    assert_int_equal(signal_send_process(f.child, &si), 0);
    assert_false(jobctl_stop(f.ct, SIGSTOP));
    assert_int_equal(atomic_load(&f.child->stop_sig), 0);
    /* Taken again after that SIGCONT: it stops. */
    si = info(SIGSTOP);
    assert_int_equal(signal_send_process(f.child, &si), 0);
    assert_int_equal(signal_dequeue(f.ct, &got), SIGSTOP);
    struct stopper s;
    start_stop(&s, f.ct, SIGSTOP);
    int st;
    assert_int_equal(process_wait_child(f.parent, -1, WSTOPPED, &st), f.child->pid);
    si = info(SIGCONT);
    assert_int_equal(signal_send_process(f.child, &si), 0);
    pthread_join(s.host, NULL);
    assert_true(s.parked);
    proc_end(f.child, 0);
    proc_end(f.parent, 0);
}

static int parked_count(struct process *p)
{
    pthread_mutex_lock(&p->lock);
    int n = p->nr_parked;
    pthread_mutex_unlock(&p->lock);
    return n;
}

/* With two threads the stop completes only when both parked; a thread
 * that is gone completes it too. */
static void test_stop_completes_with_all_threads(void **state)
{
    (void)state;
    struct family f = family();
    struct thread *t2;
    assert_int_equal(thread_create(f.child, &t2), 0);
    struct stopper s;
    start_stop(&s, f.ct, SIGSTOP);
    int st;
    /* One parked thread of two: not complete yet (no report). */
    while (parked_count(f.child) == 0)
        nanosleep(&(struct timespec){ 0, 1000 * 1000 }, NULL);
    assert_int_equal(process_wait_child(f.parent, -1, WSTOPPED | WNOHANG, &st), 0);
    assert_false(f.child->stopped);
    /* The other one goes away: complete. */
    thread_release(t2);
    assert_true(f.child->stopped);
    assert_int_equal(process_wait_child(f.parent, -1, WSTOPPED | WNOHANG, &st), f.child->pid);
    siginfo_t cont = info(SIGCONT);
    assert_int_equal(signal_send_process(f.child, &cont), 0);
    pthread_join(s.host, NULL);
    proc_end(f.child, 0);
    proc_end(f.parent, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stop_wait_continue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nocldstop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_ends_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_discards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_stop_not_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphaned_pgrp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_completes_with_all_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigcont_after_take_wins, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
