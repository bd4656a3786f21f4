/* eventfd as a LibOS file, compared with a native eventfd in the same test:
 * counter and semaphore semantics, EINVAL on short buffers and on
 * 0xffffffffffffffff, EAGAIN with EFD_NONBLOCK (empty and overflow), poll
 * bits at each state, other ops' errnos; plus blocking reads/writes,
 * EINTR, observers and installation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "events/waiter.h"
#include "fs/eventfd.h"

#define NATIVE(call) ({ long r_ = (long)(call); r_ < 0 ? -errno : r_; })

struct both {
    int n;
    struct file *f;
};

static void both_open(struct both *b, unsigned init, int flags)
{
    b->n = eventfd(init, flags);
    assert_true(b->n >= 0);
    assert_int_equal(eventfd_create(init, flags, &b->f), 0);
}

static void both_close(struct both *b)
{
    close(b->n);
    file_put(b->f);
}

static void check_poll(struct both *b)
{
    struct pollfd p = { .fd = b->n, .events = POLLIN | POLLOUT | POLLPRI | POLLRDNORM |
                                              POLLWRNORM | POLLRDHUP };
    assert_true(poll(&p, 1, 0) >= 0);
    assert_int_equal(file_poll(b->f, IO_ALL_POLL), p.revents);
}

/* read both; values and results must agree */
static void read_both(struct both *b)
{
    uint64_t x = 0, y = 0;
    assert_int_equal(file_read(b->f, &y, 8), NATIVE(read(b->n, &x, 8)));
    assert_true(x == y);
}

static void write_both(struct both *b, uint64_t v)
{
    assert_int_equal(file_write(b->f, &v, 8), NATIVE(write(b->n, &v, 8)));
}

static void test_counter(void **state)
{
    struct both b;
    both_open(&b, 5, EFD_NONBLOCK);
    check_poll(&b);
    read_both(&b);      /* 5 */
    check_poll(&b);
    read_both(&b);      /* EAGAIN */
    write_both(&b, 3);
    write_both(&b, 4);
    check_poll(&b);
    read_both(&b);      /* 7 */
    write_both(&b, 0);  /* allowed */
    read_both(&b);      /* EAGAIN: still 0 */
    uint64_t c;
    assert_int_equal(eventfd_peek(b.f, &c), 0);
    assert_true(c == 0);
    both_close(&b);
}

static void test_semaphore(void **state)
{
    struct both b;
    both_open(&b, 2, EFD_NONBLOCK | EFD_SEMAPHORE);
    read_both(&b); /* 1 */
    read_both(&b); /* 1 */
    read_both(&b); /* EAGAIN */
    write_both(&b, 10);
    for (int i = 0; i < 11; i++)
        read_both(&b);
    check_poll(&b);
    both_close(&b);
}

static void test_errors(void **state)
{
    struct both b;
    both_open(&b, 1, EFD_NONBLOCK);
    char small[16] = { 0 };
    assert_int_equal(file_read(b.f, small, 7), NATIVE(read(b.n, small, 7)));
    assert_int_equal(file_write(b.f, small, 7), NATIVE(write(b.n, small, 7)));
    write_both(&b, UINT64_MAX);                    /* EINVAL */
    /* a longer buffer reads 8 bytes; a write must be exactly 8 (6.x) */
    uint64_t big[2] = { 2, 99 };
    assert_int_equal(file_write(b.f, big, 16), NATIVE(write(b.n, big, 16)));
    assert_int_equal(file_read(b.f, small, 16), NATIVE(read(b.n, small, 16)));
    assert_int_equal(file_pread(b.f, small, 8, 0), NATIVE(pread(b.n, small, 8, 0)));
    assert_int_equal(file_pwrite(b.f, small, 8, 0), NATIVE(pwrite(b.n, small, 8, 0)));
    assert_int_equal(file_lseek(b.f, 5, SEEK_SET), NATIVE(lseek(b.n, 5, SEEK_SET)));
    int n;
    assert_int_equal(file_ioctl(b.f, FIONREAD, &n), NATIVE(ioctl(b.n, FIONREAD, &n)));
    assert_int_equal(file_fcntl(b.f, F_GETPIPE_SZ, 0), NATIVE(fcntl(b.n, F_GETPIPE_SZ)));
    assert_int_equal(file_fcntl(b.f, F_GETFL, 0), NATIVE(fcntl(b.n, F_GETFL)));
    struct stat st, nst;
    assert_int_equal(file_stat(b.f, &st), 0);
    fstat(b.n, &nst);
    assert_int_equal(st.st_mode, nst.st_mode);
    both_close(&b);
    struct file *f;
    assert_int_equal(eventfd_create(0, 0x100, &f), NATIVE(eventfd(0, 0x100)));
    assert_int_equal(eventfd_create(0, O_APPEND, &f), NATIVE(eventfd(0, O_APPEND)));
}

static void test_overflow(void **state)
{
    struct both b;
    both_open(&b, 0, EFD_NONBLOCK);
    write_both(&b, EVENTFD_MAX);   /* fits exactly */
    check_poll(&b);                /* IN only */
    write_both(&b, 1);             /* EAGAIN */
    write_both(&b, 0);             /* still fine */
    read_both(&b);
    check_poll(&b);
    write_both(&b, EVENTFD_MAX - 1);
    check_poll(&b);                /* IN|OUT: a write of 1 fits */
    write_both(&b, 1);
    write_both(&b, 1);             /* EAGAIN */
    both_close(&b);
}

/* ---- blocking --------------------------------------------------------- */

struct blocked {
    struct file *f;
    struct waiter *w;
    atomic_int ready;
    ssize_t result;
    uint64_t value;
    bool is_write;
};

static void *blocked_main(void *p)
{
    struct blocked *b = p;
    b->w = waiter_current();
    atomic_store(&b->ready, 1);
    b->result = b->is_write ? file_write(b->f, &b->value, 8) : file_read(b->f, &b->value, 8);
    return NULL;
}

static void start_blocked(pthread_t *th, struct blocked *b)
{
    pthread_create(th, NULL, blocked_main, b);
    while (!atomic_load(&b->ready))
        usleep(100);
    usleep(50 * 1000);
}

static void test_blocking(void **state)
{
    struct file *f;
    assert_int_equal(eventfd_create(0, 0, &f), 0);
    pthread_t th;
    struct blocked r = { .f = f };
    start_blocked(&th, &r);
    uint64_t v = 42;
    assert_int_equal(file_write(f, &v, 8), 8);
    pthread_join(th, NULL);
    assert_int_equal(r.result, 8);
    assert_true(r.value == 42);

    /* a write that would overflow blocks until a read makes room */
    v = EVENTFD_MAX;
    assert_int_equal(file_write(f, &v, 8), 8);
    struct blocked w = { .f = f, .value = 7, .is_write = true };
    start_blocked(&th, &w);
    uint64_t c;
    eventfd_peek(f, &c);
    assert_true(c == EVENTFD_MAX);
    assert_int_equal(file_read(f, &v, 8), 8);
    pthread_join(th, NULL);
    assert_int_equal(w.result, 8);
    eventfd_peek(f, &c);
    assert_true(c == 7);
    assert_int_equal(file_read(f, &v, 8), 8);

    /* EINTR */
    struct blocked r2 = { .f = f };
    start_blocked(&th, &r2);
    waiter_interrupt(r2.w);
    pthread_join(th, NULL);
    assert_int_equal(r2.result, -EINTR);
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

static void test_observer_and_install(void **state)
{
    struct file *f;
    assert_int_equal(eventfd_create(0, EFD_NONBLOCK, &f), 0);
    struct evrec e = { 0 };
    observer_init(&e.obs, evrec_fn, &e);
    io_events_t ev;
    assert_int_equal(file_poll_register(f, IO_IN | IO_OUT, &e.obs, &ev), 0);
    assert_int_equal(ev, IO_OUT);
    uint64_t v = 1;
    assert_int_equal(file_write(f, &v, 8), 8);
    assert_int_equal(e.seen, IO_IN);
    assert_int_equal(file_read(f, &v, 8), 8);
    assert_int_equal(e.seen, IO_IN | IO_OUT);
    file_put(f);
    assert_true(e.seen & IO_CLOSED);
    assert_false(observer_is_registered(&e.obs));

    struct fd_table *t;
    assert_int_equal(fd_table_create(16, &t), 0);
    int fd = eventfd_install(t, 3, EFD_CLOEXEC | EFD_SEMAPHORE);
    assert_int_equal(fd, 0);
    assert_int_equal(fd_table_get_fd_flags(t, fd), FD_CLOEXEC);
    assert_int_equal(eventfd_install(t, 0, 0x100), -EINVAL);
    struct file *g;
    assert_int_equal(fd_table_get_file(t, fd, &g), 0);
    assert_true(file_is_eventfd(g));
    assert_int_equal(file_read(g, &v, 8), 8);
    assert_true(v == 1);
    file_put(g);
    fd_table_put(t);
}

int main(void)
{
    alarm(60);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_semaphore),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_blocking),
        cmocka_unit_test(test_observer_and_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
