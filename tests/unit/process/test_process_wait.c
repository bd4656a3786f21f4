/* Process layer: children, zombies, process_wait_child, orphans and the
 * vfork bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "events/waiter.h"
#include "proc_fixture.h"
#include "vm/process_vm.h"

static int setup(void **s) { return proc_env_setup(s); }
static int teardown(void **s) { return proc_env_teardown(s); }

static bool pid_free(pid_t pid)
{
    pthread_mutex_lock(&penv->rt.lock);
    bool yes = penv->rt.pids[pid] == NULL;
    pthread_mutex_unlock(&penv->rt.lock);
    return yes;
}

static void test_no_children_echild(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    int st;
    assert_int_equal(process_wait_child(p, -1, 0, &st), -ECHILD);
    assert_int_equal(process_wait_child(p, -1, WNOHANG, &st), -ECHILD);
    assert_int_equal(process_wait_child(p, 5, 0, &st), -ECHILD);
    proc_end(p, 0);
}

static void test_wnohang_then_status(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    struct process *c = proc_spawn(p, NULL);
    pid_t cpid = c->pid;
    int st = -1;
    assert_int_equal(process_wait_child(p, -1, WNOHANG, &st), 0);
    assert_int_equal(process_wait_child(p, cpid, WNOHANG, &st), 0);
    proc_end(c, 9 << 8);
    /* A zombie keeps its pid until it is reaped. */
    assert_false(pid_free(cpid));
    assert_true(c->zombie);
    /* WNOWAIT reports without reaping. */
    assert_int_equal(process_wait_child(p, -1, WNOWAIT, &st), cpid);
    assert_int_equal(st, 9 << 8);
    st = -1;
    assert_int_equal(process_wait_child(p, -1, WNOHANG, &st), cpid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 9);
    assert_true(pid_free(cpid));
    assert_null(p->children);
    assert_int_equal(process_wait_child(p, -1, WNOHANG, &st), -ECHILD);
    proc_end(p, 0);
}

static void test_match_pid_and_group(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    struct process *a = proc_spawn(p, NULL);
    struct process *b = proc_spawn(p, NULL);
    pid_t apid = a->pid, bpid = b->pid;
    b->pgid = bpid;     /* setpgid(0, 0) in b */
    proc_end(a, 1 << 8);
    proc_end(b, 2 << 8);
    int st;
    /* Not a child of p. */
    assert_int_equal(process_wait_child(p, p->pid, WNOHANG, &st), -ECHILD);
    assert_int_equal(process_wait_child(p, 999, WNOHANG, &st), -ECHILD);
    /* Group -7: none of p's children. */
    assert_int_equal(process_wait_child(p, -7, WNOHANG, &st), -ECHILD);
    /* -pgid of b. */
    assert_int_equal(process_wait_child(p, -bpid, WNOHANG, &st), bpid);
    assert_int_equal(WEXITSTATUS(st), 2);
    /* 0: p's own group, where a is. */
    assert_int_equal(process_wait_child(p, 0, WNOHANG, &st), apid);
    assert_int_equal(WEXITSTATUS(st), 1);
    assert_int_equal(process_wait_child(p, -1, WNOHANG, &st), -ECHILD);
    proc_end(p, 0);
}

struct ender {
    struct process *p;
    int status;
    atomic_bool done;
};

static void *end_thread(void *arg)
{
    struct ender *e = arg;
    atomic_store(&e->done, true);
    proc_end(e->p, e->status);
    return NULL;
}

static void test_blocking_wait_woken_by_exit(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    struct process *c = proc_spawn(p, NULL);
    pid_t cpid = c->pid;
    struct ender e = { c, (SIGTERM), false };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, end_thread, &e), 0);
    int st = -1;
    assert_int_equal(process_wait_child(p, cpid, 0, &st), cpid);
    assert_true(atomic_load(&e.done));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGTERM);
    pthread_join(th, NULL);
    proc_end(p, 0);
}

static void test_wait_interrupted(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    struct process *c = proc_spawn(p, NULL);
    struct waiter *w = waiter_current();
    waiter_interrupt(w);    /* sticky: the wait sees it at once */
    int st;
    assert_int_equal(process_wait_child(p, -1, 0, &st), -EINTR);
    waiter_clear_interrupt(w);
    proc_end(c, 0);
    assert_int_equal(process_wait_child(p, -1, 0, &st), 2);
    proc_end(p, 0);
}

static void test_orphans_go_to_init(void **state)
{
    (void)state;
    struct process *init = proc_spawn(NULL, NULL);
    assert_int_equal(init->pid, 1);
    struct process *p = proc_spawn(init, NULL);
    struct process *live = proc_spawn(p, NULL);
    struct process *dead = proc_spawn(p, NULL);
    pid_t ppid = p->pid, lpid = live->pid, dpid = dead->pid;
    proc_end(dead, 3 << 8);
    assert_false(pid_free(dpid));
    proc_end(p, 0);
    /* p is init's zombie; its children are init's now, the zombie one
     * still waiting to be reaped. */
    assert_false(pid_free(ppid));
    assert_false(pid_free(dpid));
    assert_ptr_equal(live->parent, init);
    assert_int_equal(live->ppid, 1);
    proc_end(live, 4 << 8);
    assert_false(pid_free(lpid));
    int st, seen = 0;
    for (int i = 0; i < 3; i++) {
        pid_t got = process_wait_child(init, -1, WNOHANG, &st);
        if (got == ppid)
            seen |= 1, assert_int_equal(st, 0);
        else if (got == dpid)
            seen |= 2, assert_int_equal(st, 3 << 8);
        else if (got == lpid)
            seen |= 4, assert_int_equal(st, 4 << 8);
        else
            fail_msg("unexpected %d", got);
    }
    assert_int_equal(seen, 7);
    assert_true(pid_free(lpid) && pid_free(dpid) && pid_free(ppid));
    assert_int_equal(process_wait_child(init, -1, 0, &st), -ECHILD);
    proc_end(init, 0);
    assert_int_equal(runtime_wait_all(&penv->rt), 0);
}

static void test_vfork_child_shares_vm(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    struct process *c = NULL;
    assert_int_equal(process_create_vfork_child(p, &c), 0);
    assert_ptr_equal(c->vm, p->vm);
    assert_true(c->vm_borrowed);
    assert_int_equal(c->ppid, p->pid);
    assert_ptr_not_equal(c->fds, p->fds);
    struct thread *ct;
    assert_int_equal(thread_create(c, &ct), 0);
    assert_int_equal(ct->tid, c->pid);
    /* The child exits from another host thread: the parent's wait ends
     * and its memory is still whole. */
    struct ender e = { c, 0, false };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, end_thread, &e), 0);
    process_vfork_wait(p, c);
    assert_true(atomic_load(&e.done));
    pthread_join(th, NULL);
    long a = process_vm_mmap(p->vm, 0, 4096, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    assert_true(a > 0);
    *(volatile int *)a = 1;
    assert_int_equal(process_vm_check(p->vm), 0);
    int st;
    assert_int_equal(process_wait_child(p, -1, 0, &st), 2);
    proc_end(p, 0);
}

struct releaser {
    struct process *c;
    atomic_bool released;
};

static void *release_thread(void *arg)
{
    struct releaser *r = arg;
    /* What execve does: the child gets its own memory, then lets go. */
    struct process_vm *vm;
    assert_int_equal(process_vm_create(penv->usv, r->c->pid, &vm), 0);
    r->c->vm = vm;
    atomic_store(&r->released, true);
    process_vfork_release(r->c);
    return NULL;
}

static void test_vfork_release_wakes_parent(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    struct process *c = NULL;
    assert_int_equal(process_create_vfork_child(p, &c), 0);
    struct thread *ct;
    assert_int_equal(thread_create(c, &ct), 0);
    struct releaser r = { c, false };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_thread, &r), 0);
    process_vfork_wait(p, c);
    assert_true(atomic_load(&r.released));
    pthread_join(th, NULL);
    assert_false(c->vm_borrowed);
    assert_ptr_not_equal(c->vm, p->vm);
    /* A second release is harmless; waiting again returns at once. */
    process_vfork_release(c);
    process_vfork_wait(p, c);
    proc_end(c, 0);
    int st;
    assert_int_equal(process_wait_child(p, -1, 0, &st), 2);
    assert_int_equal(process_vm_check(p->vm), 0);
    proc_end(p, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_children_echild, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wnohang_then_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_match_pid_and_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blocking_wait_woken_by_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphans_go_to_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vfork_child_shares_vm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vfork_release_wakes_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
