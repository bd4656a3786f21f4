/* Process layer: a parent and its child exiting at the same time. Whatever
 * the interleaving, once both are gone the child's pid must be free (no
 * table entry left pointing at a freed process) and the counts right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "proc_fixture.h"

static int setup(void **s) { return proc_env_setup(s); }
static int teardown(void **s) { return proc_env_teardown(s); }

struct racer {
    struct thread *t;
    atomic_int *go;
};

static void *race_release(void *arg)
{
    struct racer *r = arg;
    atomic_fetch_add(r->go, 1);
    while (atomic_load(r->go) < 2)
        ;
    thread_release(r->t);
    return NULL;
}

static void test_parent_and_child_exit_together(void **state)
{
    (void)state;
    for (int i = 0; i < 500; i++) {
        struct thread *pt, *ct;
        struct process *p = proc_spawn(NULL, &pt);
        struct process *c = proc_spawn(p, &ct);
        pid_t ppid = p->pid, cpid = c->pid;
        atomic_int go = 0;
        struct racer rp = { pt, &go }, rc = { ct, &go };
        pthread_t a, b;
        assert_int_equal(pthread_create(&a, NULL, race_release, &rp), 0);
        assert_int_equal(pthread_create(&b, NULL, race_release, &rc), 0);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        pthread_mutex_lock(&penv->rt.lock);
        bool pfree = penv->rt.pids[ppid] == NULL, cfree = penv->rt.pids[cpid] == NULL;
        unsigned n = penv->rt.nr_processes;
        pthread_mutex_unlock(&penv->rt.lock);
        assert_true(pfree);
        if (!cfree)
            fail_msg("round %d: pid %d still in the table after both exited", i, cpid);
        assert_int_equal(n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parent_and_child_exit_together, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
