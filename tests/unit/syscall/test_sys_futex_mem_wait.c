/* futex, memory and wait handlers (sys_thread.c, sys_mem.c,
 * sys_process.c) through syscall_dispatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "events/waiter.h"
#include "sys_runtime.h"
#include "vm/process_vm.h"

#define BAD_ADDR 0x10000ul
#define PAGE 4096ul

static void test_futex_errors(void **state)
{
    (void)state;
    uint32_t *w = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    *w = 5;
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_WAIT_PRIVATE, 4, 0, 0, 0), -EAGAIN);
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_WAIT, 4, 0, 0, 0), -EAGAIN);
    assert_int_equal(SD(__NR_futex, BAD_ADDR, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0), -EFAULT);
    assert_int_equal(SD(__NR_futex, 0, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), -EFAULT);
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), 0);
    /* A bad timeout pointer; a timeout that passes. */
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_WAIT_PRIVATE, 5, BAD_ADDR, 0, 0), -EFAULT);
    struct timespec *ts = (struct timespec *)(w + 4);
    *ts = (struct timespec){ 0, 1000 };
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_WAIT_PRIVATE, 5, U(ts), 0, 0), -ETIMEDOUT);
    *ts = (struct timespec){ 0, 2000000000L };
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_WAIT_PRIVATE, 5, U(ts), 0, 0), -EINVAL);
    /* Requeue: the second address is checked too. */
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, BAD_ADDR, 5),
                     -EFAULT);
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, U(w + 1), 5), 0);
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, U(w + 1), 6),
                     -EAGAIN);
    assert_int_equal(SD(__NR_futex, U(w), 99, 0, 0, 0, 0), -ENOSYS);
    /* An unmapped word after munmap. */
    guest_free(w, PAGE);
    assert_int_equal(SD(__NR_futex, U(w), FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), -EFAULT);
}

struct futex_waiter {
    uint32_t *word;
    struct thread t;
    atomic_int started;
    atomic_int done;
    long ret;
};

static void *futex_wait_thread(void *arg)
{
    struct futex_waiter *fw = arg;
    sys_thread_init(&fw->t);
    atomic_store(&fw->started, 1);
    fw->ret = SD_AS(&fw->t, __NR_futex, U(fw->word), FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
    atomic_store(&fw->done, 1);
    sys_thread_fini(&fw->t);
    return NULL;
}

static void test_futex_wait_wake_threads(void **state)
{
    (void)state;
    uint32_t *w = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    *w = 0;
    struct futex_waiter fw = { .word = w };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, futex_wait_thread, &fw), 0);
    while (!atomic_load(&fw.started))
        sched_yield();
    /* Wake until the waiter is gone: it must have been woken by a WAKE
     * that reported it (the word never changes, so no EAGAIN). */
    long woken = 0;
    while (!atomic_load(&fw.done)) {
        long r = SD(__NR_futex, U(w), FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
        assert_true(r == 0 || r == 1);
        woken += r;
        sched_yield();
    }
    pthread_join(th, NULL);
    thread_set_current(&fx->thread);
    assert_int_equal(fw.ret, 0);
    assert_int_equal(woken, 1);
    guest_free(w, PAGE);
}

static void test_mmap_mprotect_munmap(void **state)
{
    (void)state;
    long a = SD(__NR_mmap, 0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                (uint64_t)-1, 0);
    assert_true(a > 0 && (a & (PAGE - 1)) == 0);
    memset((void *)a, 0x5a, 3 * PAGE);
    /* Handlers see the new memory. */
    assert_int_equal(SD(__NR_getrandom, (uint64_t)a, 3 * PAGE, 0), 3 * PAGE);
    memset((void *)a, 0, 3 * PAGE);
    /* Read-only: a handler can't write there any more, but can read. */
    assert_int_equal(SD(__NR_mprotect, (uint64_t)a + PAGE, PAGE, PROT_READ), 0);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)a + PAGE, 16, 0), -EFAULT);
    assert_int_equal(SD(__NR_clock_gettime, CLOCK_MONOTONIC, (uint64_t)a + PAGE), -EFAULT);
    /* A zero timespec read from it; the (unused) remainder pointer. */
    assert_int_equal(SD(__NR_nanosleep, (uint64_t)a + PAGE, (uint64_t)a), 0);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)a, 16, 0), 16);
    /* Unmap the middle page: a hole. */
    assert_int_equal(SD(__NR_munmap, (uint64_t)a + PAGE, PAGE), 0);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)a + PAGE, 16, 0), -EFAULT);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)a + PAGE - 8, 16, 0), -EFAULT);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)a + 2 * PAGE, 16, 0), 16);
    /* Linux's argument errors. */
    assert_int_equal(SD(__NR_munmap, (uint64_t)a + 1, PAGE), -EINVAL);
    assert_int_equal(SD(__NR_munmap, (uint64_t)a, 0), -EINVAL);
    assert_int_equal(SD(__NR_mprotect, (uint64_t)a + 1, PAGE, PROT_READ), -EINVAL);
    assert_int_equal(SD(__NR_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
                        (uint64_t)-1, 0), -EINVAL);
    assert_int_equal(SD(__NR_mmap, 0, PAGE, PROT_READ, MAP_PRIVATE, 99, 0), -EBADF);
    assert_int_equal(SD(__NR_munmap, (uint64_t)a, 3 * PAGE), 0);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)a, 16, 0), -EFAULT);
    /* Fixed mapping at a chosen address. */
    long b = SD(__NR_mmap, (uint64_t)a, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                (uint64_t)-1, 0);
    assert_int_equal(b, a);
    assert_int_equal(SD(__NR_munmap, (uint64_t)b, PAGE), 0);
}

static void test_brk(void **state)
{
    (void)state;
    /* No heap yet: brk reports 0 (Linux would report the break). */
    assert_int_equal(SD(__NR_brk, 0), 0);
    assert_int_equal(process_vm_init_heap(fx->proc.vm, 0, 16 * PAGE), 0);
    long base = SD(__NR_brk, 0);
    assert_true(base > 0);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)base, 16, 0), -EFAULT);
    assert_int_equal(SD(__NR_brk, (uint64_t)base + 2 * PAGE + 10), base + 2 * PAGE + 10);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)base, 3 * PAGE, 0), 3 * PAGE);
    assert_int_equal(SD(__NR_brk, 0), base + 2 * PAGE + 10);
    /* Too far or below the start: the break stays. */
    assert_int_equal(SD(__NR_brk, (uint64_t)base + 64 * PAGE), base + 2 * PAGE + 10);
    assert_int_equal(SD(__NR_brk, (uint64_t)base - PAGE), base + 2 * PAGE + 10);
    /* Shrinking gives the pages back. */
    assert_int_equal(SD(__NR_brk, (uint64_t)base + PAGE), base + PAGE);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)base + PAGE, 16, 0), -EFAULT);
    assert_int_equal(SD(__NR_getrandom, (uint64_t)base, 16, 0), 16);
    assert_int_equal(SD(__NR_brk, (uint64_t)base), base);
}

static void test_wait4(void **state)
{
    (void)state;
    int *st = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    assert_int_equal(SD(__NR_wait4, (uint64_t)-1, U(st), 0, 0), -ECHILD);
    assert_int_equal(SD(__NR_wait4, (uint64_t)-1, U(st), WNOHANG, 0), -ECHILD);
    assert_int_equal(SD(__NR_wait4, (uint64_t)-1, U(st), 0x40000, 0), -EINVAL);
    struct process *c = sys_child(NULL);
    pid_t cpid = c->pid;
    assert_int_equal(SD(__NR_wait4, (uint64_t)-1, U(st), WNOHANG, 0), 0);
    assert_int_equal(SD(__NR_wait4, (uint64_t)cpid + 1, U(st), WNOHANG, 0), -ECHILD);
    /* Linux writes the status only when it has one to report. */
    assert_int_equal(SD(__NR_wait4, (uint64_t)-1, BAD_ADDR, WNOHANG, 0), 0);
    sys_end(c, 3 << 8);
    /* waitid with WNOWAIT peeks. */
    siginfo_t *si = (siginfo_t *)(st + 64);
    assert_int_equal(SD(__NR_waitid, P_PID, (uint64_t)cpid, U(si), WEXITED | WNOWAIT, 0), 0);
    assert_int_equal(si->si_pid, cpid);
    assert_int_equal(si->si_code, CLD_EXITED);
    assert_int_equal(si->si_status, 3);
    *st = -1;
    struct rusage *ru = (struct rusage *)(st + 256);
    assert_int_equal(SD(__NR_wait4, (uint64_t)-1, U(st), 0, U(ru)), cpid);
    assert_true(WIFEXITED(*st));
    assert_int_equal(WEXITSTATUS(*st), 3);
    assert_int_equal(SD(__NR_wait4, (uint64_t)-1, U(st), 0, 0), -ECHILD);
    assert_int_equal(SD(__NR_waitid, P_ALL, 0, U(si), WEXITED | WNOHANG, 0), -ECHILD);
    guest_free(st, PAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_futex_errors),
        cmocka_unit_test(test_futex_wait_wake_threads),
        cmocka_unit_test(test_mmap_mprotect_munmap),
        cmocka_unit_test(test_brk),
        cmocka_unit_test(test_wait4),
    };
    return cmocka_run_group_tests(tests, sys_runtime_setup, sys_runtime_teardown);
}
