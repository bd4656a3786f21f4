/* The same calls on a native pipe / eventfd / socketpair and, through the
 * handlers, on onespace's: results and errnos must match Linux. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys_fixture.h"

#define PAGE 4096

static char *g; /* guest scratch page */
/* Not guest memory, not host memory (hidden from the compiler's checks). */
static void *volatile bad_ptr = (void *)1;

/* A native syscall's result in the handlers' convention. */
static long nat(long r)
{
    return r < 0 ? -errno : r;
}

#define BOTH(native_call, guest_call)                                          \
    do {                                                                       \
        long n_ = nat((long)(native_call));                                    \
        long g_ = (guest_call);                                                \
        if (n_ != g_)                                                          \
            fail_msg("%s: native %ld, onespace %ld", #guest_call, n_, g_);     \
    } while (0)

/* Native pipe n[], guest pipe p[] (same flags). */
static void pipes(int flags, int n[2], int p[2])
{
    assert_int_equal(pipe2(n, flags), 0);
    int *gp = (int *)(g + 3000);
    assert_int_equal(SC(__NR_pipe2, U(gp), (uint64_t)flags), 0);
    p[0] = gp[0];
    p[1] = gp[1];
}

static void closeall(int n[2], int p[2])
{
    close(n[0]);
    close(n[1]);
    SC(__NR_close, (uint64_t)p[0]);
    SC(__NR_close, (uint64_t)p[1]);
}

static short guest_revents(int fd, short events)
{
    struct pollfd *pf = (struct pollfd *)(g + 2048);
    *pf = (struct pollfd){ .fd = fd, .events = events };
    assert_true(SC(__NR_poll, U(pf), 1, 0) >= 0);
    return pf->revents;
}

static short native_revents(int fd, short events)
{
    struct pollfd pf = { .fd = fd, .events = events };
    assert_true(poll(&pf, 1, 0) >= 0);
    return pf.revents;
}

static void test_errno_order(void **state)
{
    (void)state;
    int n[2], p[2];
    pipes(O_NONBLOCK, n, p);
    char nb[16];
    void *bad = bad_ptr;
    /* direction before pointer; count 0 never faults */
    BOTH(syscall(SYS_write, n[0], bad, 1), SC(__NR_write, (uint64_t)p[0], 1, 1));
    BOTH(syscall(SYS_read, n[1], bad, 1), SC(__NR_read, (uint64_t)p[1], 1, 1));
    BOTH(syscall(SYS_read, n[0], bad, 0), SC(__NR_read, (uint64_t)p[0], 1, 0));
    BOTH(syscall(SYS_write, n[1], bad, 1), SC(__NR_write, (uint64_t)p[1], 1, 1));
    BOTH(read(n[0], nb, 1), SC(__NR_read, (uint64_t)p[0], U(g), 1)); /* EAGAIN */
    BOTH(syscall(SYS_pread64, n[0], bad, 1, 0), SC(__NR_pread64, (uint64_t)p[0], 1, 1, 0));
    BOTH(syscall(SYS_pread64, n[0], nb, 1, -1L), SC(__NR_pread64, (uint64_t)p[0], U(g), 1, (uint64_t)-1));
    BOTH(lseek(n[0], 0, SEEK_CUR), SC(__NR_lseek, (uint64_t)p[0], 0, SEEK_CUR));
    BOTH(syscall(SYS_readv, n[0], bad, -1L), SC(__NR_readv, (uint64_t)p[0], 1, (uint64_t)-1));
    BOTH(syscall(SYS_readv, n[0], bad, 1025), SC(__NR_readv, (uint64_t)p[0], 1, 1025));
    BOTH(syscall(SYS_readv, n[0], bad, 1), SC(__NR_readv, (uint64_t)p[0], 1, 1));
    BOTH(syscall(SYS_readv, n[0], bad, 0), SC(__NR_readv, (uint64_t)p[0], 1, 0));
    BOTH(syscall(SYS_read, 555, bad, 1), SC(__NR_read, 555, 1, 1));
    BOTH(close(-1), SC(__NR_close, (uint64_t)-1));
    /* fcntl */
    BOTH(fcntl(n[1], F_SETFL, O_APPEND | O_NONBLOCK | O_RDWR),
         SC(__NR_fcntl, (uint64_t)p[1], F_SETFL, O_APPEND | O_NONBLOCK | O_RDWR));
    BOTH(fcntl(n[1], F_GETFL), SC(__NR_fcntl, (uint64_t)p[1], F_GETFL));
    BOTH(fcntl(n[0], F_DUPFD, -1), SC(__NR_fcntl, (uint64_t)p[0], F_DUPFD, (uint64_t)-1));
    BOTH(fcntl(n[0], 9999), SC(__NR_fcntl, (uint64_t)p[0], 9999));
    BOTH(fcntl(555, F_GETFD), SC(__NR_fcntl, 555, F_GETFD));
    BOTH(fcntl(n[0], F_SETPIPE_SZ, 0), SC(__NR_fcntl, (uint64_t)p[0], F_SETPIPE_SZ, 0));
    BOTH(fcntl(n[0], F_GETPIPE_SZ), SC(__NR_fcntl, (uint64_t)p[0], F_GETPIPE_SZ));
    /* ioctl: FIONREAD after a write; an unknown ioctl */
    BOTH(write(n[1], "abc", 3), SC(__NR_write, (uint64_t)p[1], U(g), 3));
    int cnt = -1;
    int *gc = (int *)(g + 1000);
    BOTH(ioctl(n[0], FIONREAD, &cnt), SC(__NR_ioctl, (uint64_t)p[0], FIONREAD, U(gc)));
    assert_int_equal(cnt, *gc);
    BOTH(ioctl(n[0], 0x5401 /* TCGETS */, nb), SC(__NR_ioctl, (uint64_t)p[0], 0x5401, U(g)));
    BOTH(ioctl(n[0], 0x12345678, nb), SC(__NR_ioctl, (uint64_t)p[0], 0x12345678, U(g)));
    closeall(n, p);
}

static void test_poll_states(void **state)
{
    (void)state;
    short all = POLLIN | POLLOUT | POLLPRI | POLLRDHUP;
    int n[2], p[2];
    pipes(0, n, p);
    /* empty */
    assert_int_equal(guest_revents(p[0], all), native_revents(n[0], all));
    assert_int_equal(guest_revents(p[1], all), native_revents(n[1], all));
    /* data */
    assert_int_equal(write(n[1], "x", 1), 1);
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(g), 1), 1);
    assert_int_equal(guest_revents(p[0], all), native_revents(n[0], all));
    /* writer gone: HUP (with the byte still there: IN|HUP) */
    close(n[1]);
    SC(__NR_close, (uint64_t)p[1]);
    assert_int_equal(guest_revents(p[0], all), native_revents(n[0], all));
    assert_int_equal(guest_revents(p[0], 0), native_revents(n[0], 0));
    close(n[0]);
    SC(__NR_close, (uint64_t)p[0]);
    /* reader gone: ERR on the write end */
    pipes(0, n, p);
    close(n[0]);
    SC(__NR_close, (uint64_t)p[0]);
    assert_int_equal(guest_revents(p[1], all), native_revents(n[1], all));
    close(n[1]);
    SC(__NR_close, (uint64_t)p[1]);

    /* sockets: the same host kernel answers, through onespace's layers */
    int ns[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, ns), 0);
    int *gs = (int *)(g + 3000);
    assert_int_equal(SC(__NR_socketpair, AF_UNIX, SOCK_STREAM, 0, U(gs)), 0);
    assert_int_equal(guest_revents(gs[0], all), native_revents(ns[0], all));
    shutdown(ns[1], SHUT_WR);
    SC(__NR_shutdown, (uint64_t)gs[1], SHUT_WR);
    assert_int_equal(guest_revents(gs[0], all), native_revents(ns[0], all));
    close(ns[1]);
    SC(__NR_close, (uint64_t)gs[1]);
    assert_int_equal(guest_revents(gs[0], all), native_revents(ns[0], all));
    close(ns[0]);
    SC(__NR_close, (uint64_t)gs[0]);
}

static void test_select_vs_linux(void **state)
{
    (void)state;
    int n[2], p[2];
    pipes(0, n, p);
    close(n[0]);
    SC(__NR_close, (uint64_t)p[0]);
    /* a write end without reader is writable (and not exceptional) */
    fd_set nr, nw, ne;
    FD_ZERO(&nr);
    FD_ZERO(&nw);
    FD_ZERO(&ne);
    FD_SET(n[1], &nw);
    FD_SET(n[1], &ne);
    struct timeval ntv = { 0, 0 };
    fd_set *gw = (fd_set *)g, *ge = (fd_set *)(g + 256);
    FD_ZERO(gw);
    FD_ZERO(ge);
    FD_SET(p[1], gw);
    FD_SET(p[1], ge);
    struct timeval *gtv = (struct timeval *)(g + 512);
    *gtv = ntv;
    BOTH(select(n[1] + 1, &nr, &nw, &ne, &ntv),
         SC(__NR_select, (uint64_t)p[1] + 1, 0, U(gw), U(ge), U(gtv)));
    assert_int_equal(FD_ISSET(n[1], &nw) != 0, FD_ISSET(p[1], gw) != 0);
    assert_int_equal(FD_ISSET(n[1], &ne) != 0, FD_ISSET(p[1], ge) != 0);
    /* negative timeval */
    ntv = (struct timeval){ -1, 0 };
    *gtv = ntv;
    BOTH(select(n[1] + 1, NULL, &nw, NULL, &ntv),
         SC(__NR_select, (uint64_t)p[1] + 1, 0, U(gw), 0, U(gtv)));
    close(n[1]);
    SC(__NR_close, (uint64_t)p[1]);
}

static void test_eventfd_vs_linux(void **state)
{
    (void)state;
    int ne = eventfd(0, EFD_NONBLOCK);
    int ge = (int)SC(__NR_eventfd2, 0, EFD_NONBLOCK);
    uint64_t v = UINT64_MAX;
    memcpy(g, &v, 8);
    BOTH(write(ne, &v, 8), SC(__NR_write, (uint64_t)ge, U(g), 8));
    BOTH(write(ne, &v, 4), SC(__NR_write, (uint64_t)ge, U(g), 4));
    BOTH(read(ne, &v, 4), SC(__NR_read, (uint64_t)ge, U(g), 4));
    BOTH(read(ne, &v, 8), SC(__NR_read, (uint64_t)ge, U(g), 8));
    BOTH(lseek(ne, 0, SEEK_SET), SC(__NR_lseek, (uint64_t)ge, 0, SEEK_SET));
    BOTH(pread(ne, &v, 8, 0), SC(__NR_pread64, (uint64_t)ge, U(g), 8, 0));
    close(ne);
    SC(__NR_close, (uint64_t)ge);
}

static int setup(void **state)
{
    if (sys_fixture_setup(state))
        return -1;
    g = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static int teardown(void **state)
{
    guest_free(g, PAGE);
    return sys_fixture_teardown(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errno_order),
        cmocka_unit_test(test_poll_states),
        cmocka_unit_test(test_select_vs_linux),
        cmocka_unit_test(test_eventfd_vs_linux),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
