/* Host files: transfers pass to the host; the host fd becomes nonblocking
 * on the host side while the File keeps blocking semantics (a blocking
 * read sleeps interruptibly, a blocking write completes fully); poll,
 * recv_host_events and observers; regular files (pread/pwrite/lseek/
 * fstat/O_APPEND); the borrowed-fd options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events/waiter.h"
#include "fs/host_file.h"

static void test_socket_io(void **state)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct file *f;
    assert_int_equal(host_file_create(sv[0], O_RDWR, HOST_FILE_OWN_FD, &f), 0);
    assert_true(file_is_host(f));
    assert_int_equal(file_host_fd(f), sv[0]);
    /* host side nonblocking, ours blocking */
    assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    assert_false(file_fcntl(f, F_GETFL, 0) & O_NONBLOCK);

    assert_int_equal(write(sv[1], "ping", 4), 4);
    char buf[16];
    int n = -1;
    assert_int_equal(file_ioctl(f, FIONREAD, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(file_poll(f, IO_IN | IO_OUT), IO_IN | IO_OUT);
    assert_int_equal(file_read(f, buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(file_write(f, "pong", 4), 4);
    assert_int_equal(read(sv[1], buf, sizeof buf), 4);
    struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
    assert_int_equal(file_writev(f, iov, 2), 4);
    assert_int_equal(read(sv[1], buf, sizeof buf), 4);
    assert_memory_equal(buf, "abcd", 4);
    assert_int_equal(file_pread(f, buf, 1, 0), -ESPIPE);
    assert_int_equal(file_lseek(f, 0, SEEK_SET), -ESPIPE);
    assert_int_equal(file_ioctl(f, 0x89ab, buf), -ENOTTY);

    /* O_NONBLOCK on the File: EAGAIN, without touching the host flag */
    assert_int_equal(file_fcntl(f, F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(file_read(f, buf, 1), -EAGAIN);
    assert_int_equal(file_fcntl(f, F_SETFL, 0), 0);
    assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    struct stat st;
    assert_int_equal(file_stat(f, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    file_put(f); /* closes sv[0] */
    assert_int_equal(fcntl(sv[0], F_GETFD), -1);
    close(sv[1]);
}

struct blocked {
    struct file *f;
    struct waiter *w;
    atomic_int ready;
    ssize_t result;
    size_t len;
    bool is_write;
    char *buf;
};

static void *blocked_main(void *p)
{
    struct blocked *b = p;
    b->w = waiter_current();
    atomic_store(&b->ready, 1);
    b->result = b->is_write ? file_write(b->f, b->buf, b->len) : file_read(b->f, b->buf, b->len);
    return NULL;
}

static void start_blocked(pthread_t *th, struct blocked *b)
{
    pthread_create(th, NULL, blocked_main, b);
    while (!atomic_load(&b->ready))
        usleep(100);
    usleep(50 * 1000);
}

static void test_blocking_and_interrupt(void **state)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct file *f;
    assert_int_equal(host_file_create(sv[0], O_RDWR, HOST_FILE_OWN_FD, &f), 0);
    char buf[64];
    pthread_t th;

    struct blocked r = { .f = f, .len = 64, .buf = buf };
    start_blocked(&th, &r);
    assert_int_equal(write(sv[1], "late", 4), 4);
    pthread_join(th, NULL);
    assert_int_equal(r.result, 4);

    struct blocked r2 = { .f = f, .len = 64, .buf = buf };
    start_blocked(&th, &r2);
    waiter_interrupt(r2.w); /* the host thread was blocked in the host */
    pthread_join(th, NULL);
    assert_int_equal(r2.result, -EINTR);

    /* a blocking write larger than the socket buffer completes fully */
    size_t big = 4 << 20;
    char *data = malloc(big), *got = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 13);
    struct blocked w = { .f = f, .len = big, .buf = data, .is_write = true };
    pthread_create(&th, NULL, blocked_main, &w);
    size_t have = 0;
    while (have < big) {
        ssize_t n = read(sv[1], got + have, big - have);
        assert_true(n > 0);
        have += (size_t)n;
    }
    pthread_join(th, NULL);
    assert_int_equal(w.result, (ssize_t)big);
    assert_memory_equal(got, data, big);

    /* peer closed: EOF */
    close(sv[1]);
    assert_int_equal(file_read(f, buf, 64), 0);
    assert_true(file_poll(f, IO_IN) & (IO_IN | IO_HUP));
    free(data);
    free(got);
    file_put(f);
}

struct evrec {
    struct observer obs;
    io_events_t seen;
};

static void evrec_fn(struct observer *obs, io_events_t ev, const void *info)
{
    ((struct evrec *)obs->context)->seen |= ev;
    if (ev & IO_CLOSED)
        notifier_unregister(obs->notifier, obs);
}

static void test_host_events(void **state)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct file *f;
    assert_int_equal(host_file_create(sv[0], O_RDWR, HOST_FILE_OWN_FD, &f), 0);
    struct evrec e = { 0 };
    observer_init(&e.obs, evrec_fn, &e);
    io_events_t ev;
    assert_int_equal(file_poll_register(f, IO_IN, &e.obs, &ev), 0);
    assert_int_equal(ev, 0);
    assert_int_equal(e.seen, 0); /* polling does not broadcast */
    /* a host poller reports readiness: observers hear it */
    file_recv_host_events(f, IO_IN | IO_OUT);
    assert_int_equal(e.seen, IO_IN);
    file_put(f);
    assert_true(e.seen & IO_CLOSED);
    assert_false(observer_is_registered(&e.obs));
    close(sv[1]);
}

static void test_regular_file(void **state)
{
    char path[] = "/tmp/onespace-hostfile-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    struct file *f;
    assert_int_equal(host_file_create(fd, O_RDWR, HOST_FILE_OWN_FD, &f), 0);
    assert_int_equal(file_write(f, "hello world", 11), 11);
    assert_int_equal(file_lseek(f, 0, SEEK_CUR), 11);
    char buf[16] = { 0 };
    assert_int_equal(file_pread(f, buf, 5, 6), 5);
    assert_memory_equal(buf, "world", 5);
    assert_int_equal(file_pwrite(f, "W", 1, 6), 1);
    assert_int_equal(file_pread(f, buf, 5, -1), -EINVAL);
    assert_int_equal(file_lseek(f, 0, SEEK_SET), 0);
    assert_int_equal(file_read(f, buf, 11), 11);
    assert_memory_equal(buf, "hello World", 11);
    assert_int_equal(file_lseek(f, 0, 99), -EINVAL);
    /* regular files are always ready */
    assert_int_equal(file_poll(f, IO_IN | IO_OUT), IO_IN | IO_OUT);
    /* O_APPEND reaches the host */
    assert_int_equal(file_lseek(f, 0, SEEK_SET), 0);
    assert_int_equal(file_fcntl(f, F_SETFL, O_APPEND), 0);
    assert_true(fcntl(fd, F_GETFL) & O_APPEND);
    assert_int_equal(file_write(f, "!", 1), 1);
    assert_int_equal(file_pread(f, buf, 12, 0), 12);
    assert_memory_equal(buf, "hello World!", 12);
    struct stat st;
    assert_int_equal(file_stat(f, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 12);
    int n;
    assert_int_equal(file_ioctl(f, FIONREAD, &n), 0);
    file_put(f);
}

static void test_borrowed_blocking_fd(void **state)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    struct file *f;
    assert_int_equal(host_file_create(-1, O_RDONLY, 0, &f), -EBADF);
    assert_int_equal(host_file_create(p[0], O_RDONLY, 0x80, &f), -EINVAL);
    assert_int_equal(host_file_create(p[0], O_RDONLY, HOST_FILE_KEEP_HOST_BLOCKING, &f), 0);
    assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK); /* left alone */
    /* a blocking read waits interruptibly even on a blocking host fd */
    pthread_t th;
    char buf[8];
    struct blocked r = { .f = f, .len = 8, .buf = buf };
    start_blocked(&th, &r);
    waiter_interrupt(r.w);
    pthread_join(th, NULL);
    assert_int_equal(r.result, -EINTR);
    struct blocked r2 = { .f = f, .len = 8, .buf = buf };
    start_blocked(&th, &r2);
    assert_int_equal(write(p[1], "abc", 3), 3);
    pthread_join(th, NULL);
    assert_int_equal(r2.result, 3);
    /* O_NONBLOCK on such a File goes to the host flag */
    assert_int_equal(file_fcntl(f, F_SETFL, O_NONBLOCK), 0);
    assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(file_read(f, buf, 8), -EAGAIN);
    file_put(f);
    /* borrowed: still open */
    assert_true(fcntl(p[0], F_GETFD) >= 0);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    alarm(60);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socket_io),
        cmocka_unit_test(test_blocking_and_interrupt),
        cmocka_unit_test(test_host_events),
        cmocka_unit_test(test_regular_file),
        cmocka_unit_test(test_borrowed_blocking_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
