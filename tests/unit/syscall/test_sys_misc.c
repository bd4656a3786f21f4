/* Identity, time, randomness and limits handlers (sys_misc.c), called
 * through syscall_dispatch; the host is the oracle where it can be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>

#include "events/waiter.h"
#include "sys_runtime.h"

#define BAD_ADDR 0x10000ul     /* below the pool: never a guest mapping */

static void test_ids(void **state)
{
    (void)state;
    assert_int_equal(SD(__NR_getpid), 100);
    assert_int_equal(SD(__NR_gettid), 100);
    assert_int_equal(SD(__NR_getppid), fx->proc.ppid);
    assert_int_equal(SD(__NR_getpgid, 0), 100);
    assert_int_equal(SD(__NR_getpgid, 100), 100);
    assert_int_equal(SD(__NR_getpgid, 4242), -ESRCH);
    assert_int_equal(SD(__NR_getsid, 4242), -ESRCH);

    struct thread *ct;
    struct process *c = sys_child(&ct);
    assert_int_equal(SD_AS(ct, __NR_getpid), c->pid);
    assert_int_equal(SD_AS(ct, __NR_gettid), c->pid);
    assert_int_equal(SD_AS(ct, __NR_getppid), 100);
    assert_int_equal(SD(__NR_getpgid, c->pid), 100);     /* inherited group */
    struct thread *t2;
    assert_int_equal(thread_create(c, &t2), 0);
    assert_int_equal(SD_AS(t2, __NR_getpid), c->pid);
    assert_int_equal(SD_AS(t2, __NR_gettid), t2->tid);
    assert_int_not_equal(t2->tid, c->pid);
    pid_t cpid = c->pid;
    sys_end(c, 0);
    assert_int_equal(SD(__NR_wait4, (uint64_t)-1, 0, 0, 0), cpid);
}

static void test_unknown_syscall_enosys(void **state)
{
    (void)state;
    assert_int_equal(SD(SYSCALL_TABLE_SIZE - 1), -ENOSYS);
    assert_int_equal(syscall_dispatch(&fx->thread, -1, (const uint64_t[6]){ 0 }), -ENOSYS);
    assert_int_equal(syscall_dispatch(&fx->thread, 100000, (const uint64_t[6]){ 0 }), -ENOSYS);
}

static void test_uname(void **state)
{
    (void)state;
    struct utsname *u = guest_alloc(sizeof(*u), PROT_READ | PROT_WRITE), host;
    assert_int_equal(SD(__NR_uname, U(u)), 0);
    assert_int_equal(uname(&host), 0);
    assert_string_equal(u->sysname, host.sysname);
    assert_string_equal(u->release, host.release);
    assert_string_equal(u->machine, host.machine);
    assert_int_equal(SD(__NR_uname, 0), -EFAULT);
    assert_int_equal(SD(__NR_uname, BAD_ADDR), -EFAULT);
    /* Read-only memory is as bad as none. */
    void *ro = guest_alloc(4096, PROT_READ);
    assert_int_equal(SD(__NR_uname, U(ro)), -EFAULT);
    guest_free(ro, 4096);
    guest_free(u, sizeof(*u));
}

static void test_getrandom(void **state)
{
    (void)state;
    unsigned char *b = guest_alloc(4096, PROT_READ | PROT_WRITE);
    assert_int_equal(SD(__NR_getrandom, U(b), 64, 0), 64);
    unsigned char zero[64] = { 0 };
    assert_memory_not_equal(b, zero, 64);
    assert_int_equal(SD(__NR_getrandom, 0, 0, 0), 0);
    assert_int_equal(SD(__NR_getrandom, BAD_ADDR, 16, 0), -EFAULT);
    /* Crossing the end of the mapping. */
    assert_int_equal(SD(__NR_getrandom, U(b + 4090), 16, 0), -EFAULT);
    assert_int_equal(SD(__NR_getrandom, U(b), 16, 0x80), -EINVAL);
    void *ro = guest_alloc(4096, PROT_READ);
    assert_int_equal(SD(__NR_getrandom, U(ro), 16, 0), -EFAULT);
    guest_free(ro, 4096);
    guest_free(b, 4096);
}

static void test_clock_gettime(void **state)
{
    (void)state;
    struct timespec *ts = guest_alloc(4096, PROT_READ | PROT_WRITE), before, after;
    clock_gettime(CLOCK_MONOTONIC, &before);
    assert_int_equal(SD(__NR_clock_gettime, CLOCK_MONOTONIC, U(ts)), 0);
    clock_gettime(CLOCK_MONOTONIC, &after);
    uint64_t b = before.tv_sec * 1000000000ull + before.tv_nsec;
    uint64_t g = ts->tv_sec * 1000000000ull + ts->tv_nsec;
    uint64_t a = after.tv_sec * 1000000000ull + after.tv_nsec;
    assert_true(b <= g && g <= a);
    assert_int_equal(SD(__NR_clock_gettime, CLOCK_MONOTONIC, 0), -EFAULT);
    assert_int_equal(SD(__NR_clock_gettime, CLOCK_REALTIME, BAD_ADDR), -EFAULT);
    assert_int_equal(SD(__NR_clock_gettime, 12345, U(ts)), -EINVAL);
    assert_int_equal(SD(__NR_clock_getres, CLOCK_MONOTONIC, U(ts)), 0);
    assert_int_equal(SD(__NR_clock_getres, CLOCK_MONOTONIC, 0), 0);
    guest_free(ts, 4096);
}

static void test_nanosleep_args(void **state)
{
    (void)state;
    struct timespec *ts = guest_alloc(4096, PROT_READ | PROT_WRITE);
    assert_int_equal(SD(__NR_nanosleep, 0, 0), -EFAULT);
    assert_int_equal(SD(__NR_nanosleep, BAD_ADDR, 0), -EFAULT);
    ts[0] = (struct timespec){ 0, 1000000000L };
    assert_int_equal(SD(__NR_nanosleep, U(ts), 0), -EINVAL);
    ts[0] = (struct timespec){ -1, 0 };
    assert_int_equal(SD(__NR_nanosleep, U(ts), 0), -EINVAL);
    ts[0] = (struct timespec){ 0, 0 };
    assert_int_equal(SD(__NR_nanosleep, U(ts), U(ts + 1)), 0);
    ts[0] = (struct timespec){ 0, 1000 };
    assert_int_equal(SD(__NR_nanosleep, U(ts), 0), 0);
    /* clock_nanosleep: an absolute time in the past returns at once. */
    ts[0] = (struct timespec){ 0, 0 };
    assert_int_equal(SD(__NR_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, U(ts), 0), 0);
    assert_int_equal(SD(__NR_clock_nanosleep, CLOCK_MONOTONIC, 0, BAD_ADDR, 0), -EFAULT);
    assert_int_equal(SD(__NR_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, U(ts), 0), -EINVAL);
    guest_free(ts, 4096);
}

struct interrupter {
    struct waiter *w;
    atomic_bool done;
};

static void *interrupt_thread(void *arg)
{
    struct interrupter *i = arg;
    waiter_interrupt(i->w);
    atomic_store(&i->done, true);
    return NULL;
}

static void test_nanosleep_interrupted(void **state)
{
    (void)state;
    struct timespec *ts = guest_alloc(4096, PROT_READ | PROT_WRITE);
    ts[0] = (struct timespec){ 1000, 0 };
    ts[1] = (struct timespec){ -1, -1 };
    struct interrupter in = { &fx->thread.waiter, false };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, interrupt_thread, &in), 0);
    assert_int_equal(SD(__NR_nanosleep, U(ts), U(ts + 1)), -EINTR);
    pthread_join(th, NULL);
    assert_true(atomic_load(&in.done));
    /* The time left is written back: within the request. */
    assert_true(ts[1].tv_sec >= 0 && ts[1].tv_sec <= 1000);
    assert_true(ts[1].tv_nsec >= 0 && ts[1].tv_nsec < 1000000000L);
    assert_true(ts[1].tv_sec > 0 || ts[1].tv_nsec > 0);
    /* Same for clock_nanosleep (the interrupt is still pending). */
    ts[1] = (struct timespec){ -1, -1 };
    assert_int_equal(SD(__NR_clock_nanosleep, CLOCK_MONOTONIC, 0, U(ts), U(ts + 1)), -EINTR);
    assert_true(ts[1].tv_sec >= 0 && ts[1].tv_sec <= 1000);
    /* Linux: a remaining-time pointer it can't write is EFAULT. */
    assert_int_equal(SD(__NR_nanosleep, U(ts), BAD_ADDR), -EFAULT);
    waiter_clear_interrupt(&fx->thread.waiter);
    guest_free(ts, 4096);
}

static void test_rlimits(void **state)
{
    (void)state;
    struct rlimit *r = guest_alloc(4096, PROT_READ | PROT_WRITE);
    assert_int_equal(SD(__NR_getrlimit, RLIMIT_NOFILE, U(r)), 0);
    rlim_t hard = r->rlim_max;
    assert_true(r->rlim_cur <= hard);
    /* Lower the soft limit, raise it back up to the hard one. */
    r[1] = (struct rlimit){ 100, hard };
    assert_int_equal(SD(__NR_setrlimit, RLIMIT_NOFILE, U(r + 1)), 0);
    assert_int_equal(SD(__NR_getrlimit, RLIMIT_NOFILE, U(r)), 0);
    assert_int_equal(r->rlim_cur, 100);
    r[1] = (struct rlimit){ hard, hard };
    assert_int_equal(SD(__NR_setrlimit, RLIMIT_NOFILE, U(r + 1)), 0);
    /* Raising the hard limit: EPERM; soft above hard: EINVAL. */
    r[1] = (struct rlimit){ hard, hard + 1 };
    assert_int_equal(SD(__NR_setrlimit, RLIMIT_NOFILE, U(r + 1)), -EPERM);
    r[1] = (struct rlimit){ hard + 1, hard };
    assert_int_equal(SD(__NR_setrlimit, RLIMIT_NOFILE, U(r + 1)), -EINVAL);
    /* Lowering the hard limit is allowed, and then it can't go back. */
    r[1] = (struct rlimit){ 50, 200 };
    assert_int_equal(SD(__NR_setrlimit, RLIMIT_NOFILE, U(r + 1)), 0);
    r[1] = (struct rlimit){ 50, 300 };
    assert_int_equal(SD(__NR_setrlimit, RLIMIT_NOFILE, U(r + 1)), -EPERM);
    assert_int_equal(SD(__NR_getrlimit, RLIMIT_NOFILE, U(r)), 0);
    assert_int_equal(r->rlim_cur, 50);
    assert_int_equal(r->rlim_max, 200);
    /* Bad resource, bad pointers. */
    assert_int_equal(SD(__NR_getrlimit, RLIM_NLIMITS, U(r)), -EINVAL);
    assert_int_equal(SD(__NR_getrlimit, RLIMIT_NOFILE, BAD_ADDR), -EFAULT);
    assert_int_equal(SD(__NR_setrlimit, RLIMIT_NOFILE, BAD_ADDR), -EFAULT);

    /* prlimit64: old value out, new value in, in one call. */
    r[1] = (struct rlimit){ 40, 200 };
    assert_int_equal(SD(__NR_prlimit64, 0, RLIMIT_NOFILE, U(r + 1), U(r + 2)), 0);
    assert_int_equal(r[2].rlim_cur, 50);
    assert_int_equal(r[2].rlim_max, 200);
    assert_int_equal(SD(__NR_prlimit64, 100, RLIMIT_NOFILE, 0, U(r + 2)), 0);
    assert_int_equal(r[2].rlim_cur, 40);
    assert_int_equal(SD(__NR_prlimit64, 4242, RLIMIT_NOFILE, 0, U(r + 2)), -ESRCH);
    assert_int_equal(SD(__NR_prlimit64, 0, 99, 0, U(r + 2)), -EINVAL);
    assert_int_equal(SD(__NR_prlimit64, 0, RLIMIT_NOFILE, BAD_ADDR, 0), -EFAULT);
    r[1] = (struct rlimit){ 40, 201 };
    assert_int_equal(SD(__NR_prlimit64, 0, RLIMIT_NOFILE, U(r + 1), 0), -EPERM);

    /* Another process's limits by pid; a child inherits them. */
    struct process *c = sys_child(NULL);
    assert_int_equal(SD(__NR_prlimit64, c->pid, RLIMIT_NOFILE, 0, U(r + 2)), 0);
    assert_int_equal(r[2].rlim_cur, 40);
    r[1] = (struct rlimit){ 10, 20 };
    assert_int_equal(SD(__NR_prlimit64, c->pid, RLIMIT_NOFILE, U(r + 1), 0), 0);
    assert_int_equal(c->rlim[RLIMIT_NOFILE].rlim_cur, 10);
    assert_int_equal(fx->proc.rlim[RLIMIT_NOFILE].rlim_cur, 40);
    pid_t cpid = c->pid;
    sys_end(c, 0);
    assert_int_equal(SD(__NR_wait4, (uint64_t)cpid, 0, 0, 0), cpid);
    fx->proc.rlim[RLIMIT_NOFILE] = (struct rlimit){ FD_TABLE_DEFAULT_LIMIT, 4096 };
    guest_free(r, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_unknown_syscall_enosys),
        cmocka_unit_test(test_uname),
        cmocka_unit_test(test_getrandom),
        cmocka_unit_test(test_clock_gettime),
        cmocka_unit_test(test_nanosleep_args),
        cmocka_unit_test(test_nanosleep_interrupted),
        cmocka_unit_test(test_rlimits),
    };
    return cmocka_run_group_tests(tests, sys_runtime_setup, sys_runtime_teardown);
}
