/* Host memory layer: reservation, protection, release and zeroing really
 * happen on the host (checked by touching memory in a child process where a
 * fault is expected). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/host_mem.h"
#include "util/compiler.h"

/* Run `fn(arg)` in a forked child; return the signal that killed it, or 0. */
static int fault_signal(void (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* cmocka (and ASan) catch SIGSEGV; the child wants the default. */
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        fn(arg);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void do_read(void *p) { (void)*(volatile char *)p; }
static void do_write(void *p) { *(volatile char *)p = 1; }

static void test_reserve_aligned_and_inaccessible(void **state)
{
    void *p;
    assert_int_equal(host_mem_reserve(64 << 20, 2 << 20, &p), 0);
    assert_true(IS_ALIGNED((uintptr_t)p, 2 << 20));
    assert_int_equal(fault_signal(do_read, p), SIGSEGV);
    assert_int_equal(host_mem_unreserve(p, 64 << 20), 0);
}

static void test_reserve_bad_args(void **state)
{
    void *p;
    assert_int_equal(host_mem_reserve(0, PAGE_SIZE, &p), -EINVAL);
    assert_int_equal(host_mem_reserve(PAGE_SIZE + 1, PAGE_SIZE, &p), -EINVAL);
    assert_int_equal(host_mem_reserve(PAGE_SIZE, 3 * PAGE_SIZE, &p), -EINVAL);
}

static void test_protect_release_zero(void **state)
{
    void *p;
    size_t sz = 16 * PAGE_SIZE;
    assert_int_equal(host_mem_reserve(sz, PAGE_SIZE, &p), 0);
    assert_int_equal(host_mem_protect(p, sz, HOST_PROT_READ | HOST_PROT_WRITE), 0);
    memset(p, 0xab, sz);
    assert_int_equal(host_mem_protect(p, sz, HOST_PROT_READ), 0);
    assert_int_equal(fault_signal(do_write, p), SIGSEGV);
    assert_int_equal(fault_signal(do_read, p), 0);
    assert_int_equal(host_mem_release(p, sz), 0);
    assert_int_equal(fault_signal(do_read, p), SIGSEGV);
    assert_int_equal(host_mem_protect(p, sz, HOST_PROT_READ | HOST_PROT_WRITE), 0);
    for (size_t i = 0; i < sz; i++)
        assert_int_equal(((unsigned char *)p)[i], 0);
    memset(p, 0xcd, sz);
    assert_int_equal(host_mem_discard(p, sz), 0);
    assert_int_equal(((unsigned char *)p)[sz - 1], 0);
    assert_int_equal(host_mem_unreserve(p, sz), 0);
}

static void test_errors_are_negative_errno(void **state)
{
    assert_int_equal(host_mem_protect((void *)1, PAGE_SIZE, HOST_PROT_READ), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_aligned_and_inaccessible),
        cmocka_unit_test(test_reserve_bad_args),
        cmocka_unit_test(test_protect_release_zero),
        cmocka_unit_test(test_errors_are_negative_errno),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
