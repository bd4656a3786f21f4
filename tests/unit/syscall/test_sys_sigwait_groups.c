/* Waiting for signals (pause, rt_sigsuspend) and process groups and
 * sessions (setpgid, setsid, getpgid, getsid) through syscall_dispatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "events/waiter.h"
#include "process/signal.h"
#include "sys_runtime.h"

#define BAD_ADDR 0x10000ul

/* What the entry layer does: a new signal interrupts the thread's wait. */
static void notify(struct thread *t)
{
    waiter_interrupt(&t->waiter);
}

static void test_sigsuspend_pending_returns_at_once(void **state)
{
    (void)state;
    uint64_t *m = guest_alloc(4096, PROT_READ | PROT_WRITE);
    fx->thread.sigmask = SIG_BIT(SIGUSR1);
    assert_int_equal(SD(__NR_kill, 100, SIGUSR1), 0);
    *m = ~0ull;
    assert_int_equal(SD(__NR_rt_sigsuspend, U(m), 4), -EINVAL);
    assert_int_equal(SD(__NR_rt_sigsuspend, BAD_ADDR, 8), -EFAULT);
    assert_int_equal(fx->thread.sigmask, SIG_BIT(SIGUSR1));     /* untouched */
    *m = 0;
    assert_int_equal(SD(__NR_rt_sigsuspend, U(m), 8), -EINTR);
    /* The temporary mask is in force until delivery restores the old. */
    assert_int_equal(fx->thread.sigmask, 0);
    assert_true(fx->thread.restore_mask);
    assert_int_equal(fx->thread.saved_mask, SIG_BIT(SIGUSR1));
    siginfo_t si;
    assert_int_equal(signal_dequeue(&fx->thread, &si), SIGUSR1);
    fx->thread.restore_mask = false;
    fx->thread.sigmask = 0;
    /* pause with something deliverable: at once too. */
    assert_int_equal(SD(__NR_tgkill, 100, 100, SIGUSR2), 0);
    assert_int_equal(SD(__NR_pause), -EINTR);
    assert_int_equal(signal_dequeue(&fx->thread, &si), SIGUSR2);
    waiter_clear_interrupt(&fx->thread.waiter);
    guest_free(m, 4096);
}

struct sender {
    atomic_bool sent;
};

static void *send_later(void *arg)
{
    struct sender *s = arg;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGUSR2;
    si.si_code = SI_USER;
    atomic_store(&s->sent, true);
    signal_send_process(&fx->proc, &si);
    return NULL;
}

static void test_sigsuspend_woken_by_another_thread(void **state)
{
    (void)state;
    signal_notify_hook = notify;
    uint64_t *m = guest_alloc(4096, PROT_READ | PROT_WRITE);
    fx->thread.sigmask = SIG_BIT(SIGUSR2);
    *m = SIG_BIT(SIGUSR1);      /* SIGUSR2 unblocked while suspended */
    struct sender s = { false };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, send_later, &s), 0);
    assert_int_equal(SD(__NR_rt_sigsuspend, U(m), 8), -EINTR);
    assert_true(atomic_load(&s.sent));
    pthread_join(th, NULL);
    siginfo_t si;
    assert_int_equal(signal_dequeue(&fx->thread, &si), SIGUSR2);
    fx->thread.restore_mask = false;
    fx->thread.sigmask = 0;
    waiter_clear_interrupt(&fx->thread.waiter);
    signal_notify_hook = NULL;
    guest_free(m, 4096);
}

static void test_groups_and_sessions(void **state)
{
    (void)state;
    struct thread *ct;
    struct process *c = sys_child(&ct);
    pid_t cpid = c->pid;
    assert_int_equal(SD_AS(ct, __NR_getpgrp), 100);
    assert_int_equal(SD_AS(ct, __NR_getsid, 0), fx->proc.sid);
    /* A group leader can't start a session; the caller is one. */
    assert_int_equal(SD(__NR_setsid), -EPERM);
    /* The child: its own group, then... */
    assert_int_equal(SD(__NR_setpgid, (uint64_t)cpid, 0), 0);
    assert_int_equal(SD(__NR_getpgid, (uint64_t)cpid), cpid);
    assert_int_equal(SD_AS(ct, __NR_setsid), -EPERM);       /* now a group leader */
    assert_int_equal(SD_AS(ct, __NR_setpgid, 0, 100), 0);   /* back to ours */
    assert_int_equal(SD_AS(ct, __NR_setsid), cpid);
    assert_int_equal(SD(__NR_getsid, (uint64_t)cpid), cpid);
    assert_int_equal(SD(__NR_getpgid, (uint64_t)cpid), cpid);
    /* A session leader keeps its group; another session: EPERM. */
    assert_int_equal(SD_AS(ct, __NR_setpgid, 0, 0), -EPERM);
    assert_int_equal(SD(__NR_setpgid, (uint64_t)cpid, 100), -EPERM);
    assert_int_equal(SD(__NR_setpgid, 4242, 0), -ESRCH);
    assert_int_equal(SD(__NR_setpgid, 0, (uint64_t)-1), -EINVAL);
    sys_end(c, 0);
    assert_int_equal(SD(__NR_wait4, (uint64_t)cpid, 0, 0, 0), cpid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigsuspend_pending_returns_at_once),
        cmocka_unit_test(test_sigsuspend_woken_by_another_thread),
        cmocka_unit_test(test_groups_and_sessions),
    };
    return cmocka_run_group_tests(tests, sys_runtime_setup, sys_runtime_teardown);
}
