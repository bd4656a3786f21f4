/* poll, ppoll, select, pselect6 and epoll through the handlers: guest
 * arrays, fd sets and timeouts copied in and out like Linux. */
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
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <unistd.h>

#include "sys_fixture.h"

#define PAGE 4096

static void guest_pipe(int fds[2])
{
    int *g = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    assert_int_equal(SC(__NR_pipe2, U(g), 0), 0);
    fds[0] = g[0];
    fds[1] = g[1];
    guest_free(g, PAGE);
}

static void test_poll(void **state)
{
    (void)state;
    int p[2];
    guest_pipe(p);
    char *mem = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    struct pollfd *pf = (struct pollfd *)mem;
    pf[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
    pf[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
    pf[2] = (struct pollfd){ .fd = 900, .events = POLLIN };
    pf[3] = (struct pollfd){ .fd = -1, .events = POLLIN, .revents = 7 };
    assert_int_equal(SC(__NR_poll, U(pf), 4, 0), 2);
    assert_int_equal(pf[0].revents, 0);
    assert_int_equal(pf[1].revents, POLLOUT);
    assert_int_equal(pf[2].revents, POLLNVAL);
    assert_int_equal(pf[3].revents, 0);
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(mem + 2048), 1), 1);
    assert_int_equal(SC(__NR_poll, U(pf), 1, (uint64_t)-1), 1);
    assert_int_equal(pf[0].revents, POLLIN);
    /* bad arrays */
    struct pollfd host[1] = { { .fd = p[0], .events = POLLIN } };
    assert_int_equal(SC(__NR_poll, U(host), 1, 0), -EFAULT);
    assert_int_equal(SC(__NR_poll, U(pf), 100000, 0), -EINVAL);
    /* ppoll: a timeout is written back (time left, never more) */
    struct timespec *ts = (struct timespec *)(mem + 1024);
    *ts = (struct timespec){ 5, 0 };
    assert_int_equal(SC(__NR_ppoll, U(pf), 1, U(ts), 0, 8), 1);
    assert_true(ts->tv_sec < 5 || (ts->tv_sec == 5 && ts->tv_nsec == 0));
    /* a zero timeout is left alone */
    *ts = (struct timespec){ 0, 0 };
    pf[0].events = POLLOUT;
    assert_int_equal(SC(__NR_ppoll, U(pf), 1, U(ts), 0, 8), 0);
    assert_int_equal(ts->tv_sec, 0);
    assert_int_equal(ts->tv_nsec, 0);
    /* sigmask: sigsetsize must be 8; invalid timespec */
    uint64_t *mask = (uint64_t *)(mem + 1536);
    *mask = 0;
    assert_int_equal(SC(__NR_ppoll, U(pf), 1, U(ts), U(mask), 4), -EINVAL);
    assert_int_equal(SC(__NR_ppoll, U(pf), 1, U(ts), U(mask), 8), 0);
    *ts = (struct timespec){ 0, 1000000000L };
    assert_int_equal(SC(__NR_ppoll, U(pf), 1, U(ts), 0, 8), -EINVAL);
    assert_int_equal(SC(__NR_ppoll, U(pf), 1, U(host), 0, 8), -EFAULT);
    SC(__NR_close, (uint64_t)p[0]);
    SC(__NR_close, (uint64_t)p[1]);
    guest_free(mem, PAGE);
}

static void test_select(void **state)
{
    (void)state;
    int p[2];
    guest_pipe(p);
    char *mem = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    fd_set *rd = (fd_set *)mem, *wr = (fd_set *)(mem + 256);
    struct timeval *tv = (struct timeval *)(mem + 512);
    FD_ZERO(rd);
    FD_ZERO(wr);
    FD_SET(p[0], rd);
    FD_SET(p[1], wr);
    *tv = (struct timeval){ 0, 0 };
    int nfds = p[1] + 1;
    assert_int_equal(SC(__NR_select, (uint64_t)nfds, U(rd), U(wr), 0, U(tv)), 1);
    assert_false(FD_ISSET(p[0], rd));
    assert_true(FD_ISSET(p[1], wr));
    /* readable now; a 5 s timeout comes back with the time left */
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(mem + 2048), 1), 1);
    FD_SET(p[0], rd);
    FD_ZERO(wr);
    *tv = (struct timeval){ 5, 0 };
    assert_int_equal(SC(__NR_select, (uint64_t)nfds, U(rd), U(wr), 0, U(tv)), 1);
    assert_true(FD_ISSET(p[0], rd));
    assert_true(tv->tv_sec < 5 || (tv->tv_sec == 5 && tv->tv_usec == 0));
    /* tv_usec >= 1000000 is carried, as native */
    *tv = (struct timeval){ 0, 1500000 };
    assert_int_equal(SC(__NR_select, (uint64_t)nfds, U(rd), 0, 0, U(tv)), 1);
    /* errors: a closed fd in a set, negative nfds, host pointers */
    FD_SET(200, rd);
    assert_int_equal(SC(__NR_select, 201, U(rd), 0, 0, U(tv)), -EBADF);
    FD_CLR(200, rd);
    assert_int_equal(SC(__NR_select, (uint64_t)-1, U(rd), 0, 0, 0), -EINVAL);
    fd_set host;
    FD_ZERO(&host);
    assert_int_equal(SC(__NR_select, (uint64_t)nfds, U(&host), 0, 0, U(tv)), -EFAULT);
    /* pselect6: timespec + { sigset*, size } */
    struct timespec *ts = (struct timespec *)(mem + 640);
    uint64_t *mask = (uint64_t *)(mem + 704);
    uint64_t *pack = (uint64_t *)(mem + 768);
    *mask = 0;
    pack[0] = U(mask);
    pack[1] = 8;
    *ts = (struct timespec){ 0, 0 };
    FD_ZERO(rd);
    FD_SET(p[0], rd);
    assert_int_equal(SC(__NR_pselect6, (uint64_t)nfds, U(rd), 0, 0, U(ts), U(pack)), 1);
    pack[1] = 16;
    assert_int_equal(SC(__NR_pselect6, (uint64_t)nfds, U(rd), 0, 0, U(ts), U(pack)), -EINVAL);
    SC(__NR_close, (uint64_t)p[0]);
    SC(__NR_close, (uint64_t)p[1]);
    guest_free(mem, PAGE);
}

struct writer_arg {
    int fd;
    char *buf;
};

static void *late_writer(void *arg)
{
    struct writer_arg *w = arg;
    struct thread t;
    sys_thread_init(&t);
    long r = SC_AS(&t, __NR_write, (uint64_t)w->fd, U(w->buf), 3);
    sys_thread_fini(&t);
    return (void *)r;
}

static void test_epoll(void **state)
{
    (void)state;
    int p[2];
    guest_pipe(p);
    char *mem = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    struct epoll_event *ev = (struct epoll_event *)mem;
    struct epoll_event *out = (struct epoll_event *)(mem + 512);
    int ep = (int)SC(__NR_epoll_create1, EPOLL_CLOEXEC);
    assert_true(ep >= 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)ep, F_GETFD), FD_CLOEXEC);
    assert_int_equal(SC(__NR_epoll_create, 0), -EINVAL);
    *ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0xfeed };
    assert_int_equal(SC(__NR_epoll_ctl, (uint64_t)ep, EPOLL_CTL_ADD, (uint64_t)p[0], U(ev)), 0);
    assert_int_equal(SC(__NR_epoll_ctl, (uint64_t)ep, EPOLL_CTL_ADD, (uint64_t)p[0], U(ev)),
                     -EEXIST);
    struct epoll_event hev = { .events = EPOLLIN };
    assert_int_equal(SC(__NR_epoll_ctl, (uint64_t)ep, EPOLL_CTL_MOD, (uint64_t)p[0], U(&hev)),
                     -EFAULT);
    assert_int_equal(SC(__NR_epoll_wait, (uint64_t)ep, U(out), 8, 0), 0);
    assert_int_equal(SC(__NR_epoll_wait, (uint64_t)ep, U(out), 0, 0), -EINVAL);
    assert_int_equal(SC(__NR_epoll_wait, (uint64_t)ep, U(&hev), 1, 0), -EFAULT);
    /* a writer in another thread wakes a blocked wait */
    struct writer_arg w = { p[1], mem + 2048 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, late_writer, &w), 0);
    assert_int_equal(SC(__NR_epoll_wait, (uint64_t)ep, U(out), 8, (uint64_t)-1), 1);
    assert_int_equal(out[0].events, EPOLLIN);
    assert_int_equal(out[0].data.u64, 0xfeed);
    void *res;
    pthread_join(th, &res);
    assert_int_equal((long)res, 3);
    /* epoll_pwait: sigsetsize checked only with a mask; epoll_pwait2 */
    uint64_t *mask = (uint64_t *)(mem + 1024);
    *mask = 0;
    assert_int_equal(SC(__NR_epoll_pwait, (uint64_t)ep, U(out), 8, 0, U(mask), 7), -EINVAL);
    assert_int_equal(SC(__NR_epoll_pwait, (uint64_t)ep, U(out), 8, 0, 0, 7), 1);
    struct timespec *ts = (struct timespec *)(mem + 1088);
    *ts = (struct timespec){ 0, 0 };
    assert_int_equal(SC(__NR_epoll_pwait2, (uint64_t)ep, U(out), 8, U(ts), U(mask), 8), 1);
    *ts = (struct timespec){ -1, 0 };
    assert_int_equal(SC(__NR_epoll_pwait2, (uint64_t)ep, U(out), 8, U(ts), 0, 8), -EINVAL);
    /* DEL ignores the event pointer */
    assert_int_equal(SC(__NR_epoll_ctl, (uint64_t)ep, EPOLL_CTL_DEL, (uint64_t)p[0], 1), 0);
    assert_int_equal(SC(__NR_epoll_wait, (uint64_t)ep, U(out), 8, 0), 0);
    SC(__NR_close, (uint64_t)ep);
    SC(__NR_close, (uint64_t)p[0]);
    SC(__NR_close, (uint64_t)p[1]);
    guest_free(mem, PAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_epoll),
    };
    return cmocka_run_group_tests(tests, sys_fixture_setup, sys_fixture_teardown);
}
