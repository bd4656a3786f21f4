/* Process layer: the pid table, process and thread creation, the end of a
 * process when its last thread goes, runtime_wait_all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>

#include "proc_fixture.h"

static int setup(void **s) { return proc_env_setup(s); }
static int teardown(void **s) { return proc_env_teardown(s); }

static unsigned nr_processes(void)
{
    pthread_mutex_lock(&penv->rt.lock);
    unsigned n = penv->rt.nr_processes;
    pthread_mutex_unlock(&penv->rt.lock);
    return n;
}

static void test_first_pid_is_1_then_increasing(void **state)
{
    (void)state;
    struct thread *t1, *t2;
    struct process *p1 = proc_spawn(NULL, &t1);
    struct process *p2 = proc_spawn(NULL, &t2);
    assert_int_equal(p1->pid, 1);
    assert_int_equal(p2->pid, 2);
    assert_int_equal(p1->ppid, 0);
    assert_int_equal(p1->pgid, 1);
    assert_int_equal(p1->sid, 1);
    /* The first thread's tid is the pid. */
    assert_int_equal(t1->tid, 1);
    assert_int_equal(t2->tid, 2);
    assert_ptr_equal(t1->proc, p1);
    assert_int_equal(nr_processes(), 2);
    assert_ptr_equal(runtime_find_process(&penv->rt, 1), p1);
    assert_ptr_equal(runtime_find_process(&penv->rt, 2), p2);
    assert_null(runtime_find_process(&penv->rt, 3));
    assert_null(runtime_find_process(&penv->rt, 0));
    assert_null(runtime_find_process(&penv->rt, -1));
    assert_null(runtime_find_process(&penv->rt, RUNTIME_PID_MAX));
    /* A first process gets the host's stdio as fds 0-2. */
    assert_non_null(p1->fds);
    assert_non_null(p1->fs);
    assert_non_null(p1->vm);
    proc_end(p2, 0);
    proc_end(p1, 0);
    assert_int_equal(nr_processes(), 0);
}

static void test_second_thread_gets_a_new_tid(void **state)
{
    (void)state;
    struct thread *t1, *t2;
    struct process *p = proc_spawn(NULL, &t1);
    assert_int_equal(thread_create(p, &t2), 0);
    assert_int_equal(t2->tid, 2);
    assert_int_equal(p->nr_threads, 2);
    /* A tid is in the table but is not a process. */
    assert_null(runtime_find_process(&penv->rt, 2));
    /* The next process skips the tid. */
    struct process *q = proc_spawn(NULL, NULL);
    assert_int_equal(q->pid, 3);
    proc_end(q, 0);
    /* Releasing a non-last thread keeps the process. */
    thread_release(t2);
    assert_int_equal(p->nr_threads, 1);
    assert_int_equal(nr_processes(), 1);
    assert_ptr_equal(runtime_find_process(&penv->rt, 1), p);
    pthread_mutex_lock(&penv->rt.lock);
    assert_null(penv->rt.pids[2]);      /* the tid is free again */
    assert_int_equal(penv->rt.nr_threads, 1);
    pthread_mutex_unlock(&penv->rt.lock);
    thread_release(t1);
    assert_int_equal(nr_processes(), 0);
}

static void test_last_thread_ends_process_and_frees_pid(void **state)
{
    (void)state;
    struct thread *t;
    struct process *p = proc_spawn(NULL, &t);
    assert_int_equal(p->pid, 1);
    assert_true(process_begin_exit(p, 7 << 8));
    assert_false(process_begin_exit(p, 9));     /* first caller wins */
    thread_release(t);
    assert_int_equal(nr_processes(), 0);
    assert_null(runtime_find_process(&penv->rt, 1));
    pthread_mutex_lock(&penv->rt.lock);
    assert_null(penv->rt.pids[1]);
    assert_true(penv->rt.init_exited);
    assert_int_equal(penv->rt.init_status, 7 << 8);
    assert_int_equal(penv->rt.nr_threads, 0);
    pthread_mutex_unlock(&penv->rt.lock);
    assert_int_equal(runtime_wait_all(&penv->rt), 7 << 8);
}

static void test_pid_reused_after_release_and_wrap(void **state)
{
    (void)state;
    struct process *p1 = proc_spawn(NULL, NULL);
    struct process *p2 = proc_spawn(NULL, NULL);
    struct process *p3 = proc_spawn(NULL, NULL);
    assert_int_equal(p3->pid, 3);
    proc_end(p2, 0);
    /* Pids are not reused at once (like Linux): the next is 4. */
    struct process *p4 = proc_spawn(NULL, NULL);
    assert_int_equal(p4->pid, 4);
    /* At the end of the table allocation wraps to the lowest free pid. */
    pthread_mutex_lock(&penv->rt.lock);
    penv->rt.last_pid = RUNTIME_PID_MAX - 2;
    pthread_mutex_unlock(&penv->rt.lock);
    struct process *top = proc_spawn(NULL, NULL);
    assert_int_equal(top->pid, RUNTIME_PID_MAX - 1);
    struct process *again = proc_spawn(NULL, NULL);
    assert_int_equal(again->pid, 2);
    struct process *next = proc_spawn(NULL, NULL);
    assert_int_equal(next->pid, 5);
    proc_end(next, 0);
    proc_end(again, 0);
    proc_end(top, 0);
    proc_end(p4, 0);
    proc_end(p3, 0);
    proc_end(p1, 0);
    assert_int_equal(nr_processes(), 0);
}

static void test_max_threads_eagain(void **state)
{
    (void)state;
    penv->rt.max_threads = 2;
    struct thread *t1, *t2, *t3;
    struct process *p = proc_spawn(NULL, &t1);
    assert_int_equal(thread_create(p, &t2), 0);
    assert_int_equal(thread_create(p, &t3), -EAGAIN);
    /* A new process's first thread counts too. */
    struct process *q = NULL;
    assert_int_equal(process_create(&penv->rt, NULL, penv->root, &q), 0);
    assert_int_equal(thread_create(q, &t3), -EAGAIN);
    thread_release(t2);
    assert_int_equal(thread_create(q, &t3), 0);
    assert_int_equal(t3->tid, q->pid);
    assert_int_equal(p->nr_threads, 1);
    proc_end(q, 0);
    proc_end(p, 0);
    assert_int_equal(nr_processes(), 0);
}

static void *end_later(void *arg)
{
    proc_end(arg, 3 << 8);
    return NULL;
}

static void test_wait_all_returns_init_status(void **state)
{
    (void)state;
    struct process *init = proc_spawn(NULL, NULL);
    struct process *child = proc_spawn(init, NULL);
    assert_int_equal(child->ppid, 1);
    proc_end(child, 5 << 8);
    /* The zombie does not hold runtime_wait_all back. */
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, end_later, init), 0);
    int st = runtime_wait_all(&penv->rt);
    pthread_join(th, NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    /* The child, orphaned as a zombie, was freed with its parent. */
    assert_null(runtime_find_process(&penv->rt, 2));
    pthread_mutex_lock(&penv->rt.lock);
    assert_null(penv->rt.pids[2]);
    pthread_mutex_unlock(&penv->rt.lock);
}

static void test_child_inherits(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    p->rlim[RLIMIT_NOFILE].rlim_cur = 77;
    p->sigactions[SIGUSR1 - 1].handler = 0x1234;
    p->pgid = 1;
    struct process *c = proc_spawn(p, NULL);
    assert_int_equal(c->ppid, p->pid);
    assert_int_equal(c->pgid, p->pgid);
    assert_int_equal(c->sid, p->sid);
    assert_int_equal(c->rlim[RLIMIT_NOFILE].rlim_cur, 77);
    assert_int_equal(c->sigactions[SIGUSR1 - 1].handler, 0x1234);
    assert_ptr_not_equal(c->vm, p->vm);
    assert_ptr_not_equal(c->fds, p->fds);
    assert_ptr_not_equal(c->fs, p->fs);
    assert_ptr_equal(p->children, c);
    assert_ptr_equal(c->parent, p);
    pid_t cpid = c->pid;
    proc_end(c, 0);
    int st = -1;
    assert_int_equal(process_wait_child(p, -1, 0, &st), cpid);
    assert_int_equal(st, 0);
    proc_end(p, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_pid_is_1_then_increasing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_thread_gets_a_new_tid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_thread_ends_process_and_frees_pid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pid_reused_after_release_and_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_threads_eagain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_all_returns_init_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_child_inherits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
