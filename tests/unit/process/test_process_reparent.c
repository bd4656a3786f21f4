/* Process layer: where orphans go (subreapers, pid 1, nowhere) and what
 * their new parent sees (getppid's ppid, SIGCHLD, wait, auto-reaping). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "proc_fixture.h"
#include "process/jobctl.h"
#include "process/signal.h"

static int setup(void **s) { return proc_env_setup(s); }
static int teardown(void **s) { return proc_env_teardown(s); }

static bool pid_free(pid_t pid)
{
    pthread_mutex_lock(&penv->rt.lock);
    bool yes = penv->rt.pids[pid] == NULL;
    pthread_mutex_unlock(&penv->rt.lock);
    return yes;
}

/* Keep SIGCHLD pending in p (its default action is to ignore it). */
static void catch_sigchld(struct process *p)
{
    p->sigactions[SIGCHLD - 1].handler = 0x1000;
}

static int take_sigchld(struct thread *t, siginfo_t *si)
{
    return signal_dequeue(t, si);
}

static void test_nearest_subreaper(void **state)
{
    (void)state;
    struct process *init = proc_spawn(NULL, NULL);
    struct process *s1 = proc_spawn(init, NULL);
    struct process *s2 = proc_spawn(s1, NULL);
    struct process *m = proc_spawn(s2, NULL);
    struct process *c = proc_spawn(m, NULL);
    s1->child_subreaper = s2->child_subreaper = true;
    pid_t mpid = m->pid, s2pid = s2->pid, cpid = c->pid;
    proc_end(m, 0);
    assert_ptr_equal(c->parent, s2);
    assert_int_equal(c->ppid, s2pid);
    int st;
    assert_int_equal(process_wait_child(s2, -1, WNOHANG, &st), mpid);
    /* s2 goes too: c moves up to s1, s2 stays s1's zombie. */
    proc_end(s2, 0);
    assert_ptr_equal(c->parent, s1);
    assert_int_equal(c->ppid, s1->pid);
    proc_end(c, 7 << 8);
    assert_int_equal(process_wait_child(s1, cpid, 0, &st), cpid);
    assert_int_equal(st, 7 << 8);
    assert_int_equal(process_wait_child(s1, -1, 0, &st), s2pid);
    assert_int_equal(process_wait_child(s1, -1, WNOHANG, &st), -ECHILD);
    proc_end(s1, 0);
    proc_end(init, 0);
    assert_int_equal(runtime_wait_all(&penv->rt), 0);
}

/* Linux's find_new_reaper passes over a subreaper that is exiting. */
static void test_exiting_subreaper_passed_over(void **state)
{
    (void)state;
    struct process *init = proc_spawn(NULL, NULL);
    struct process *s = proc_spawn(init, NULL);
    struct process *m = proc_spawn(s, NULL);
    struct process *c = proc_spawn(m, NULL);
    s->child_subreaper = true;
    process_begin_exit(s, 0);
    proc_end(m, 0);
    assert_ptr_equal(c->parent, init);
    assert_int_equal(c->ppid, 1);
    proc_end(c, 0);
    proc_end(s, 0);
    /* c, s, and m (s's zombie, passed on to init when s went). */
    int st;
    for (int i = 0; i < 3; i++)
        assert_true(process_wait_child(init, -1, 0, &st) > 0);
    assert_int_equal(process_wait_child(init, -1, 0, &st), -ECHILD);
    proc_end(init, 0);
    assert_int_equal(runtime_wait_all(&penv->rt), 0);
}

/* A zombie orphan: the new parent gets SIGCHLD for it at once. */
static void test_zombie_orphan_signals_new_parent(void **state)
{
    (void)state;
    struct thread *it;
    struct process *init = proc_spawn(NULL, &it);
    catch_sigchld(init);
    struct process *m = proc_spawn(init, NULL);
    struct process *c = proc_spawn(m, NULL);
    pid_t cpid = c->pid, mpid = m->pid;
    proc_end(c, 5 << 8);
    proc_end(m, 0);
    siginfo_t si;
    assert_int_equal(take_sigchld(it, &si), SIGCHLD);
    assert_int_equal(si.si_code, CLD_EXITED);
    int st;
    assert_int_equal(process_wait_child(init, cpid, WNOHANG, &st), cpid);
    assert_int_equal(st, 5 << 8);
    assert_int_equal(process_wait_child(init, mpid, WNOHANG, &st), mpid);
    proc_end(init, 0);
    assert_int_equal(runtime_wait_all(&penv->rt), 0);
}

/* A new parent that ignores SIGCHLD (or set SA_NOCLDWAIT) gets no
 * zombies: a zombie orphan is freed at once, a live one on its exit. */
static void test_new_parent_ignoring_sigchld(void **state)
{
    (void)state;
    struct process *init = proc_spawn(NULL, NULL);
    struct process *m = proc_spawn(init, NULL);
    struct process *dead = proc_spawn(m, NULL);
    struct process *live = proc_spawn(m, NULL);
    pid_t dpid = dead->pid, lpid = live->pid, mpid = m->pid;
    init->sigactions[SIGCHLD - 1].flags = SA_NOCLDWAIT;
    proc_end(dead, 0);
    proc_end(m, 0);
    assert_true(pid_free(dpid));
    assert_true(pid_free(mpid));
    assert_ptr_equal(live->parent, init);
    proc_end(live, 0);
    assert_true(pid_free(lpid));
    int st;
    assert_int_equal(process_wait_child(init, -1, WNOHANG, &st), -ECHILD);
    proc_end(init, 0);
    assert_int_equal(runtime_wait_all(&penv->rt), 0);
}

/* Once pid 1 is exiting nobody adopts orphans: they are reaped when they
 * exit (the instance is ending). */
static void test_no_reaper_after_init(void **state)
{
    (void)state;
    struct process *init = proc_spawn(NULL, NULL);
    struct process *m = proc_spawn(init, NULL);
    struct process *c = proc_spawn(m, NULL);
    pid_t cpid = c->pid;
    proc_end(init, 0);
    assert_null(m->parent);
    proc_end(m, 0);
    assert_null(c->parent);
    assert_int_equal(c->ppid, 1);
    proc_end(c, 0);
    assert_true(pid_free(cpid));
    assert_int_equal(runtime_wait_all(&penv->rt), 0);
}

/* Linux's kill_orphaned_pgrp: the exit of the last link out of a group
 * with a stopped member sends that group SIGHUP then SIGCONT. */
static void test_orphaned_stopped_group_hangup(void **state)
{
    (void)state;
    struct process *top = proc_spawn(NULL, NULL);
    top->child_subreaper = true;
    struct process *m = proc_spawn(top, NULL);
    m->sid = m->pgid = m->pid;      /* setsid */
    struct thread *ct;
    struct process *c = proc_spawn(m, &ct);
    struct process *d = proc_spawn(m, NULL);     /* running: d's group is left alone */
    c->pgid = c->pid;
    d->pgid = d->pid;
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->stop_sig, SIGSTOP);
    c->stopped = true;
    pthread_mutex_unlock(&c->lock);
    proc_end(m, 0);
    assert_ptr_equal(c->parent, top);
    assert_int_equal(atomic_load(&c->stop_sig), 0);     /* continued */
    assert_true(signal_pending_set(ct) & SIG_BIT(SIGHUP));
    assert_int_equal(d->sig_pending, 0);
    int st;
    assert_int_equal(process_wait_child(top, c->pid, WCONTINUED | WNOHANG, &st), c->pid);
    assert_int_equal(st, 0xffff);
    proc_end(c, SIGHUP);
    proc_end(d, 0);
    while (process_wait_child(top, -1, WNOHANG, &st) > 0)
        ;
    proc_end(top, 0);
    assert_int_equal(runtime_wait_all(&penv->rt), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_nearest_subreaper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exiting_subreaper_passed_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zombie_orphan_signals_new_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_parent_ignoring_sigchld, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_reaper_after_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphaned_stopped_group_hangup, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
