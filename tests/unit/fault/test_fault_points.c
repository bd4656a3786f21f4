/* host_fault itself: the ONESPACE_FAULT syntax, counting, sticky points,
 * and each host wrapper returning the injected errno without doing the
 * call (a failed host write writes nothing, a failed socket() makes no
 * fd, a failed thread creation runs nothing). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/host_fault.h"
#include "host/host_fd.h"
#include "host/host_mem.h"
#include "host/host_socket.h"
#include "host/host_thread.h"

static int teardown(void **state)
{
    (void)state;
    host_fault_disarm_all();
    return 0;
}

static void parse_syntax(void **state)
{
    (void)state;
    assert_int_equal(host_fault_parse("mem_commit:5,thread_create:1,file_write:3"), 0);
    assert_int_equal(host_fault_parse("file_write:2:EIO"), 0);
    assert_int_equal(host_fault_parse("socket:1+"), 0);
    assert_int_equal(host_fault_parse("socket_send:4+:EPIPE"), 0);
    assert_int_equal(host_fault_parse("nosuchpoint:1"), -EINVAL);
    assert_int_equal(host_fault_parse("mem_commit"), -EINVAL);
    assert_int_equal(host_fault_parse("mem_commit:0"), -EINVAL);
    assert_int_equal(host_fault_parse("mem_commit:x"), -EINVAL);
    assert_int_equal(host_fault_parse("mem_commit:2x"), -EINVAL);
    assert_int_equal(host_fault_parse("file_write:1:ENOTANERRNO"), -EINVAL);
    assert_string_equal(host_fault_point_name(HOST_FAULT_THREAD_CREATE), "thread_create");
    assert_null(host_fault_point_name(HOST_FAULT_NR_POINTS));
}

static void nth_call_only(void **state)
{
    (void)state;
    assert_int_equal(host_fault_parse("file_write:3:EIO"), 0);
    assert_int_equal(host_fault_should_fail(HOST_FAULT_FILE_WRITE), 0);
    assert_int_equal(host_fault_should_fail(HOST_FAULT_MEM_COMMIT), 0);   /* other point */
    assert_int_equal(host_fault_should_fail(HOST_FAULT_FILE_WRITE), 0);
    assert_int_equal(host_fault_should_fail(HOST_FAULT_FILE_WRITE), -EIO);
    assert_int_equal(host_fault_should_fail(HOST_FAULT_FILE_WRITE), 0);
    assert_int_equal(host_fault_injected(HOST_FAULT_FILE_WRITE), 1);
}

static void sticky_and_default_errno(void **state)
{
    (void)state;
    host_fault_arm(HOST_FAULT_MEM_COMMIT, 2, 0, true);
    assert_int_equal(host_fault_should_fail(HOST_FAULT_MEM_COMMIT), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(host_fault_should_fail(HOST_FAULT_MEM_COMMIT), -ENOMEM);
    host_fault_arm(HOST_FAULT_MEM_COMMIT, 0, 0, false);       /* disarm */
    assert_int_equal(host_fault_should_fail(HOST_FAULT_MEM_COMMIT), 0);
}

static void host_write_fails_and_writes_nothing(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/onespace-fault-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    unlink(tmpl);
    assert_int_equal(host_fd_write(fd, "abc", 3), 3);
    host_fault_arm(HOST_FAULT_FILE_WRITE, 1, EIO, false);
    assert_int_equal(host_fd_write(fd, "XYZ", 3), -EIO);
    host_fault_arm(HOST_FAULT_FILE_WRITE, 1, 0, false);
    assert_int_equal(host_fd_pwrite(fd, "XYZ", 3, 0), -ENOSPC);
    host_fault_arm(HOST_FAULT_FILE_WRITE, 1, 0, false);
    struct iovec iov = { "XYZ", 3 };
    assert_int_equal(host_fd_writev(fd, &iov, 1), -ENOSPC);
    assert_int_equal(host_fd_write(fd, "def", 3), 3);
    char buf[16] = { 0 };
    assert_int_equal(host_fd_pread(fd, buf, sizeof buf, 0), 6);
    assert_string_equal(buf, "abcdef");
    close(fd);
}

static void host_mem_commit_fails_and_changes_nothing(void **state)
{
    (void)state;
    void *p;
    assert_int_equal(host_mem_reserve(1 << 20, 4096, &p), 0);
    host_fault_arm(HOST_FAULT_MEM_COMMIT, 1, 0, false);
    assert_int_equal(host_mem_protect(p, 4096, HOST_PROT_READ | HOST_PROT_WRITE), -ENOMEM);
    /* Still PROT_NONE: mincore works on any mapping; check the protection
     * by asking for it again and writing. */
    assert_int_equal(host_mem_protect(p, 4096, HOST_PROT_READ | HOST_PROT_WRITE), 0);
    memset(p, 1, 4096);
    /* PROT_NONE is no commit: only mem_protect fails it. */
    host_fault_arm(HOST_FAULT_MEM_COMMIT, 1, 0, false);
    assert_int_equal(host_mem_protect(p, 4096, HOST_PROT_NONE), 0);
    host_fault_arm(HOST_FAULT_MEM_PROTECT, 1, 0, false);
    assert_int_equal(host_mem_protect(p, 4096, HOST_PROT_READ), -ENOMEM);
    assert_int_equal(host_mem_unreserve(p, 1 << 20), 0);
}

static atomic_int ran;
static void *thread_fn(void *arg)
{
    (void)arg;
    atomic_store(&ran, 1);
    return NULL;
}

static void host_thread_create_fails(void **state)
{
    (void)state;
    pthread_t t;
    host_fault_arm(HOST_FAULT_THREAD_CREATE, 1, 0, false);
    assert_int_equal(host_thread_create(&t, 64 << 10, thread_fn, NULL), -EAGAIN);
    assert_int_equal(atomic_load(&ran), 0);
    assert_int_equal(host_thread_create(&t, 64 << 10, thread_fn, NULL), 0);
    assert_int_equal(host_thread_join(t), 0);
    assert_int_equal(atomic_load(&ran), 1);
}

static void host_socket_calls_fail(void **state)
{
    (void)state;
    int before = host_fd_dup(0);
    assert_true(before >= 0);
    host_fd_close(before);
    host_fault_arm(HOST_FAULT_SOCKET, 1, 0, true);
    int sv[2] = { -1, -1 };
    assert_int_equal(host_socket(AF_UNIX, SOCK_STREAM, 0), -ENOBUFS);
    assert_int_equal(host_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), -ENOBUFS);
    assert_int_equal(sv[0], -1);
    host_fault_arm(HOST_FAULT_SOCKET, 0, 0, false);
    /* no fd was made: the lowest free fd is the same as before */
    int again = host_fd_dup(0);
    assert_int_equal(again, before);
    host_fd_close(again);

    assert_int_equal(host_socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    host_fault_arm(HOST_FAULT_SOCKET_SEND, 1, EPIPE, false);
    assert_int_equal(host_sendto(sv[0], "x", 1, 0, NULL, 0), -EPIPE);
    assert_int_equal(host_sendto(sv[0], "y", 1, 0, NULL, 0), 1);
    char c = 0;
    assert_int_equal(host_recvfrom(sv[1], &c, 1, 0, NULL, NULL), 1);
    assert_int_equal(c, 'y');
    host_fd_close(sv[0]);
    host_fd_close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(parse_syntax, teardown),
        cmocka_unit_test_teardown(nth_call_only, teardown),
        cmocka_unit_test_teardown(sticky_and_default_errno, teardown),
        cmocka_unit_test_teardown(host_write_fails_and_writes_nothing, teardown),
        cmocka_unit_test_teardown(host_mem_commit_fails_and_changes_nothing, teardown),
        cmocka_unit_test_teardown(host_thread_create_fails, teardown),
        cmocka_unit_test_teardown(host_socket_calls_fail, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
