/* Signal-state handlers (sys_signal.c) through syscall_dispatch:
 * rt_sigaction, rt_sigprocmask, rt_sigpending, sigaltstack, kill/tgkill.
 * Error cases are checked against the host kernel where that is safe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "process/signal.h"
#include "sys_runtime.h"

#define BAD_ADDR 0x10000ul
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/* The kernel's struct sigaction. */
struct ksigaction {
    uint64_t handler, flags, restorer, mask;
};

/* The host's answer as a negative errno. */
static long host(long nr, long a0, long a1, long a2, long a3)
{
    long r = syscall(nr, a0, a1, a2, a3);
    return r < 0 ? -errno : r;
}

static void test_rt_sigaction(void **state)
{
    (void)state;
    struct ksigaction *sa = guest_alloc(4096, PROT_READ | PROT_WRITE);
    struct ksigaction hsa = { (uint64_t)(uintptr_t)SIG_DFL, 0, 0, 0 };
    sa[0] = (struct ksigaction){ 0x401000, SA_RESTART | SA_RESTORER, 0x402000, 1u << 3 };
    /* sigsetsize must be 8. */
    assert_int_equal(SD(__NR_rt_sigaction, SIGUSR1, U(sa), 0, 4), -EINVAL);
    assert_int_equal(host(__NR_rt_sigaction, SIGUSR1, (long)&hsa, 0, 4), -EINVAL);
    assert_int_equal(SD(__NR_rt_sigaction, SIGUSR1, U(sa), 0, 16), -EINVAL);
    /* SIGKILL/SIGSTOP: no new action, but the old one can be read. */
    assert_int_equal(SD(__NR_rt_sigaction, SIGKILL, U(sa), 0, 8), -EINVAL);
    assert_int_equal(host(__NR_rt_sigaction, SIGKILL, (long)&hsa, 0, 8), -EINVAL);
    assert_int_equal(SD(__NR_rt_sigaction, SIGSTOP, U(sa), 0, 8), -EINVAL);
    assert_int_equal(SD(__NR_rt_sigaction, SIGKILL, 0, U(sa + 1), 8), 0);
    assert_int_equal(SD(__NR_rt_sigaction, 0, 0, U(sa + 1), 8), -EINVAL);
    assert_int_equal(SD(__NR_rt_sigaction, 65, 0, U(sa + 1), 8), -EINVAL);
    assert_int_equal(host(__NR_rt_sigaction, 65, 0, (long)&hsa, 8), -EINVAL);
    assert_int_equal(SD(__NR_rt_sigaction, SIGUSR1, BAD_ADDR, 0, 8), -EFAULT);
    /* Set, then the old value comes back on the next call. */
    assert_int_equal(SD(__NR_rt_sigaction, SIGUSR1, U(sa), U(sa + 1), 8), 0);
    assert_int_equal(sa[1].handler, 0);
    sa[2] = (struct ksigaction){ (uint64_t)(uintptr_t)SIG_DFL, 0, 0, 0 };
    assert_int_equal(SD(__NR_rt_sigaction, SIGUSR1, U(sa + 2), U(sa + 1), 8), 0);
    assert_memory_equal(&sa[1], &sa[0], sizeof(sa[0]));
    assert_int_equal(fx->proc.sigactions[SIGUSR1 - 1].handler, (uint64_t)(uintptr_t)SIG_DFL);
    /* A bad old pointer: EFAULT (the new action is set by then, as on Linux). */
    assert_int_equal(SD(__NR_rt_sigaction, SIGUSR2, 0, BAD_ADDR, 8), -EFAULT);
    /* Real-time signals up to 64. */
    assert_int_equal(SD(__NR_rt_sigaction, 64, U(sa), 0, 8), 0);
    assert_int_equal(fx->proc.sigactions[63].handler, 0x401000);
    memset(fx->proc.sigactions, 0, sizeof(fx->proc.sigactions));
    guest_free(sa, 4096);
}

static void test_rt_sigprocmask(void **state)
{
    (void)state;
    uint64_t *m = guest_alloc(4096, PROT_READ | PROT_WRITE);
    fx->thread.sigmask = 0;
    m[0] = SIG_BIT(SIGUSR1) | SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP);
    assert_int_equal(SD(__NR_rt_sigprocmask, SIG_BLOCK, U(m), U(m + 1), 7), -EINVAL);
    assert_int_equal(SD(__NR_rt_sigprocmask, SIG_BLOCK, U(m), U(m + 1), 8), 0);
    assert_int_equal(m[1], 0);
    /* SIGKILL and SIGSTOP are never blocked. */
    assert_int_equal(fx->thread.sigmask, SIG_BIT(SIGUSR1));
    m[0] = SIG_BIT(SIGUSR2);
    assert_int_equal(SD(__NR_rt_sigprocmask, SIG_BLOCK, U(m), U(m + 1), 8), 0);
    assert_int_equal(m[1], SIG_BIT(SIGUSR1));
    m[0] = SIG_BIT(SIGUSR1);
    assert_int_equal(SD(__NR_rt_sigprocmask, SIG_UNBLOCK, U(m), U(m + 1), 8), 0);
    assert_int_equal(m[1], SIG_BIT(SIGUSR1) | SIG_BIT(SIGUSR2));
    /* Only read it. */
    assert_int_equal(SD(__NR_rt_sigprocmask, SIG_BLOCK, 0, U(m + 1), 8), 0);
    assert_int_equal(m[1], SIG_BIT(SIGUSR2));
    /* A bad `how` only matters with a set (Linux). */
    assert_int_equal(SD(__NR_rt_sigprocmask, 7, U(m), 0, 8), -EINVAL);
    assert_int_equal(host(__NR_rt_sigprocmask, 7, (long)m, 0, 8), -EINVAL);
    assert_int_equal(SD(__NR_rt_sigprocmask, 7, 0, U(m + 1), 8), 0);
    assert_int_equal(host(__NR_rt_sigprocmask, 7, 0, (long)(m + 2), 8), 0);
    m[0] = ~0ull;
    assert_int_equal(SD(__NR_rt_sigprocmask, SIG_SETMASK, U(m), 0, 8), 0);
    assert_int_equal(fx->thread.sigmask, ~SIG_UNBLOCKABLE);
    assert_int_equal(SD(__NR_rt_sigprocmask, SIG_SETMASK, BAD_ADDR, 0, 8), -EFAULT);
    assert_int_equal(SD(__NR_rt_sigprocmask, SIG_SETMASK, 0, BAD_ADDR, 8), -EFAULT);
    fx->thread.sigmask = 0;
    guest_free(m, 4096);
}

static void test_rt_sigpending_and_kill_self(void **state)
{
    (void)state;
    uint64_t *m = guest_alloc(4096, PROT_READ | PROT_WRITE);
    fx->thread.sigmask = SIG_BIT(SIGUSR1) | SIG_BIT(SIGUSR2);
    assert_int_equal(SD(__NR_rt_sigpending, U(m), 8), 0);
    assert_int_equal(m[0], 0);
    assert_int_equal(SD(__NR_kill, 100, SIGUSR1), 0);
    assert_int_equal(SD(__NR_tgkill, 100, 100, SIGUSR2), 0);
    /* Linux: the blocked pending signals, process's and thread's. */
    m[0] = 0;
    assert_int_equal(SD(__NR_rt_sigpending, U(m), 8), 0);
    assert_int_equal(m[0], SIG_BIT(SIGUSR1) | SIG_BIT(SIGUSR2));
    assert_int_equal(SD(__NR_rt_sigpending, BAD_ADDR, 8), -EFAULT);
    siginfo_t si;
    fx->thread.sigmask = 0;
    /* The thread's own first, then the process's. */
    assert_int_equal(signal_dequeue(&fx->thread, &si), SIGUSR2);
    assert_int_equal(si.si_code, SI_TKILL);
    assert_int_equal(signal_dequeue(&fx->thread, &si), SIGUSR1);
    assert_int_equal(si.si_code, SI_USER);
    assert_int_equal(si.si_pid, 100);
    assert_int_equal(signal_dequeue(&fx->thread, &si), 0);
    guest_free(m, 4096);
}

static void test_kill_errors(void **state)
{
    (void)state;
    assert_int_equal(SD(__NR_kill, 4242, 0), -ESRCH);
    assert_int_equal(SD(__NR_kill, 4242, SIGTERM), -ESRCH);
    assert_int_equal(SD(__NR_kill, 100, 0), 0);
    assert_int_equal(SD(__NR_kill, 100, 65), -EINVAL);
    assert_int_equal(SD(__NR_kill, (uint64_t)-4242, 0), -ESRCH);   /* no such group */
    assert_int_equal(SD(__NR_kill, 0, 0), 0);                     /* own group */
    assert_int_equal(SD(__NR_tgkill, 100, 100, 0), 0);
    assert_int_equal(SD(__NR_tgkill, 101, 100, 0), -ESRCH);
    assert_int_equal(SD(__NR_tgkill, 100, 4242, 0), -ESRCH);
    assert_int_equal(SD(__NR_tgkill, 0, 100, 0), -EINVAL);
    assert_int_equal(SD(__NR_tkill, 100, 0), 0);
    assert_int_equal(SD(__NR_tkill, 0, 0), -EINVAL);
    /* A child by pid. */
    struct thread *ct;
    struct process *c = sys_child(&ct);
    pid_t cpid = c->pid;
    c->sigactions[SIGUSR1 - 1].handler = 0x1000;
    assert_int_equal(SD(__NR_kill, cpid, SIGUSR1), 0);
    assert_true(c->sig_pending & SIG_BIT(SIGUSR1));
    assert_int_equal(SD(__NR_tgkill, cpid, ct->tid, SIGUSR1), 0);
    assert_true(ct->sig_pending & SIG_BIT(SIGUSR1));
    sys_end(c, 0);
    assert_int_equal(SD(__NR_wait4, cpid, 0, 0, 0), cpid);
    assert_int_equal(SD(__NR_kill, cpid, 0), -ESRCH);
}

static void test_sigaltstack(void **state)
{
    (void)state;
    stack_t *ss = guest_alloc(4096, PROT_READ | PROT_WRITE);
    assert_int_equal(SD(__NR_sigaltstack, 0, U(ss + 1)), 0);
    assert_int_equal(ss[1].ss_flags, SS_DISABLE);
    ss[0] = (stack_t){ .ss_sp = (void *)0x500000, .ss_size = 1024, .ss_flags = 0 };
    assert_int_equal(SD(__NR_sigaltstack, U(ss), 0), -ENOMEM);
    ss[0].ss_size = 65536;
    ss[0].ss_flags = 5;
    assert_int_equal(SD(__NR_sigaltstack, U(ss), 0), -EINVAL);
    /* Linux accepts SS_ONSTACK here (old programs pass it) and reports 0. */
    ss[0].ss_flags = SS_ONSTACK;
    assert_int_equal(SD(__NR_sigaltstack, U(ss), 0), 0);
    ss[0].ss_flags = 0;
    assert_int_equal(SD(__NR_sigaltstack, U(ss), U(ss + 1)), 0);
    assert_ptr_equal(ss[1].ss_sp, (void *)0x500000);
    assert_int_equal(ss[1].ss_size, 65536);
    assert_int_equal(ss[1].ss_flags, 0);
    ss[0].ss_flags = SS_DISABLE;
    assert_int_equal(SD(__NR_sigaltstack, U(ss), U(ss + 1)), 0);
    assert_int_equal(ss[1].ss_size, 65536);
    assert_int_equal(SD(__NR_sigaltstack, 0, U(ss + 1)), 0);
    assert_int_equal(ss[1].ss_flags, SS_DISABLE);
    assert_int_equal(ss[1].ss_size, 0);
    assert_int_equal(SD(__NR_sigaltstack, BAD_ADDR, 0), -EFAULT);
    assert_int_equal(SD(__NR_sigaltstack, 0, BAD_ADDR), -EFAULT);
    guest_free(ss, 4096);
}

/* kill(-1, sig): Linux (kill_something_info) signals every process but
 * pid 1 and the caller; -ESRCH if there is none. (Not tried on the host.) */
static void test_kill_minus_one(void **state)
{
    (void)state;
    assert_int_equal(SD(__NR_kill, (uint64_t)-1, SIGUSR1), -ESRCH);
    assert_int_equal(fx->proc.sig_pending, 0);
    pid_t saved_last = srt->last_pid;
    srt->last_pid = 0;
    struct process *init = sys_child(NULL);     /* pid 1 */
    srt->last_pid = saved_last;
    assert_int_equal(init->pid, 1);
    init->sigactions[SIGUSR1 - 1].handler = 0x1000;
    assert_int_equal(SD(__NR_kill, (uint64_t)-1, SIGUSR1), -ESRCH);
    assert_int_equal(init->sig_pending, 0);
    struct process *c = sys_child(NULL);
    c->sigactions[SIGUSR1 - 1].handler = 0x1000;
    assert_int_equal(SD(__NR_kill, (uint64_t)-1, SIGUSR1), 0);
    assert_true(c->sig_pending & SIG_BIT(SIGUSR1));
    assert_int_equal(init->sig_pending, 0);
    assert_int_equal(fx->proc.sig_pending, 0);
    assert_int_equal(SD(__NR_kill, (uint64_t)-1, 0), 0);
    pid_t ipid = init->pid, cpid = c->pid;
    sys_end(c, 0);
    sys_end(init, 0);
    assert_int_equal(SD(__NR_wait4, (uint64_t)cpid, 0, 0, 0), cpid);
    assert_int_equal(SD(__NR_wait4, (uint64_t)ipid, 0, 0, 0), ipid);
}

/* rt_sigqueueinfo: a non-negative si_code is refused only towards another
 * process (Linux: "don't allow impersonation" unless it is to oneself). */
static void test_rt_sigqueueinfo(void **state)
{
    (void)state;
    siginfo_t *si = guest_alloc(4096, PROT_READ | PROT_WRITE);
    memset(si, 0, sizeof(*si));
    si->si_code = SI_USER;
    /* The oracle: the host, to itself, with the signal blocked. */
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
    siginfo_t hsi = *si;
    long hr = host(__NR_rt_sigqueueinfo, getpid(), SIGUSR1, (long)&hsi, 0);
    sigpending(&pend);
    bool got = sigismember(&pend, SIGUSR1);
    signal(SIGUSR1, SIG_IGN);               /* flushes it */
    signal(SIGUSR1, SIG_DFL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(hr, 0);
    assert_true(got);

    fx->thread.sigmask = SIG_BIT(SIGUSR1);
    assert_int_equal(SD(__NR_rt_sigqueueinfo, 100, SIGUSR1, U(si)), 0);
    assert_true(fx->proc.sig_pending & SIG_BIT(SIGUSR1));
    struct process *c = sys_child(NULL);
    assert_int_equal(SD(__NR_rt_sigqueueinfo, c->pid, SIGUSR1, U(si)), -EPERM);
    si->si_code = SI_QUEUE;
    si->si_value.sival_int = 7;
    c->sigactions[SIGUSR1 - 1].handler = 0x1000;
    assert_int_equal(SD(__NR_rt_sigqueueinfo, c->pid, SIGUSR1, U(si)), 0);
    assert_int_equal(c->sig_info[SIGUSR1 - 1].si_value.sival_int, 7);
    assert_int_equal(SD(__NR_rt_sigqueueinfo, 4242, SIGUSR1, U(si)), -ESRCH);
    assert_int_equal(SD(__NR_rt_sigqueueinfo, 100, SIGUSR1, BAD_ADDR), -EFAULT);
    pid_t cpid = c->pid;
    sys_end(c, 0);
    assert_int_equal(SD(__NR_wait4, (uint64_t)cpid, 0, 0, 0), cpid);
    fx->proc.sig_pending = 0;
    fx->thread.sigmask = 0;
    guest_free(si, 4096);
}

/* Setting SIG_IGN discards the signal's pending instances (POSIX; Linux
 * does it in do_sigaction), even while it is blocked. */
static void test_sig_ign_flushes_pending(void **state)
{
    (void)state;
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    assert_int_equal(pthread_sigmask(SIG_BLOCK, &set, &old), 0);
    raise(SIGUSR2);
    signal(SIGUSR2, SIG_IGN);
    sigpending(&pend);
    bool host_pending = sigismember(&pend, SIGUSR2);
    signal(SIGUSR2, SIG_DFL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    assert_false(host_pending);

    struct ksigaction *sa = guest_alloc(4096, PROT_READ | PROT_WRITE);
    uint64_t *m = (uint64_t *)(sa + 4);
    fx->thread.sigmask = SIG_BIT(SIGUSR2) | SIG_BIT(SIGUSR1);
    assert_int_equal(SD(__NR_tgkill, 100, 100, SIGUSR2), 0);
    assert_int_equal(SD(__NR_kill, 100, SIGUSR2), 0);
    assert_int_equal(SD(__NR_kill, 100, SIGUSR1), 0);
    sa[0] = (struct ksigaction){ (uint64_t)(uintptr_t)SIG_IGN, 0, 0, 0 };
    assert_int_equal(SD(__NR_rt_sigaction, SIGUSR2, U(sa), 0, 8), 0);
    assert_int_equal(SD(__NR_rt_sigpending, U(m), 8), 0);
    assert_int_equal(*m, SIG_BIT(SIGUSR1));
    sa[0].handler = (uint64_t)(uintptr_t)SIG_DFL;
    assert_int_equal(SD(__NR_rt_sigaction, SIGUSR2, U(sa), 0, 8), 0);
    fx->proc.sig_pending = fx->thread.sig_pending = 0;
    fx->thread.sigmask = 0;
    guest_free(sa, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rt_sigaction),
        cmocka_unit_test(test_rt_sigprocmask),
        cmocka_unit_test(test_rt_sigpending_and_kill_self),
        cmocka_unit_test(test_kill_errors),
        cmocka_unit_test(test_sigaltstack),
        cmocka_unit_test(test_kill_minus_one),
        cmocka_unit_test(test_rt_sigqueueinfo),
        cmocka_unit_test(test_sig_ign_flushes_pending),
    };
    return cmocka_run_group_tests(tests, sys_runtime_setup, sys_runtime_teardown);
}
