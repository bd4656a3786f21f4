/* poll, ppoll, select, pselect6: each scenario runs on native Linux and on
 * onespace with the same calls; the logs must be equal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "epoll_test.h"

#define BAD_FD 900
#define WORDS (BAD_FD / 64 + 1)

static void log_pollfds(struct tlog *l, int line, int r, struct pollfd *f, int n)
{
    tlog_add(l, line, r);
    for (int i = 0; i < n; i++)
        tlog_add(l, line, f[i].revents);
}

#define POLL(a, l, f, n, t) log_pollfds((l), __LINE__, (a)->poll((f), (n), (t)), (f), (n))

static void sc_poll(const struct os_api *a, struct tlog *l)
{
    int p[2], s[2];
    LOG(l, a->pipe2(p, O_NONBLOCK));
    LOG(l, a->socketpair(s));
    int e = a->eventfd(1, EFD_NONBLOCK);
    int rf = a->open_regular();
    int ep = a->epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    struct pollfd f[] = {
        { p[0], POLLIN, 0 },
        { p[1], POLLOUT, 0 },
        { -1, POLLIN, 0 },
        { BAD_FD, POLLIN, 0 },
        { e, POLLIN | POLLOUT, 0 },
        { s[0], POLLIN | POLLRDHUP, 0 },
        { s[1], POLLOUT | POLLWRNORM, 0 },
        { ep, POLLIN, 0 },
        { rf, POLLIN | POLLOUT, 0 },
        { p[0], 0, 0 },
    };
    int n = (int)(sizeof f / sizeof f[0]);
    POLL(a, l, f, n, 0);
    LOG(l, a->write(p[1], "ab", 2));
    POLL(a, l, f, n, 0);
    POLL(a, l, f, n, 1000);
    LOG(l, a->write(s[1], "x", 1));
    LOG(l, a->shutdown_wr(s[1]));
    f[3].fd = -5; /* no NVAL any more: the call may wait */
    POLL(a, l, f, n, 1000);
    LOG(l, a->close(p[1])); /* HUP on the read end, even for events 0 */
    f[1].fd = -1;
    POLL(a, l, f, n, 0);
    char buf[8];
    LOG(l, a->read(p[0], buf, sizeof buf));
    POLL(a, l, f, n, 0);
    /* only waits: nothing ready */
    struct pollfd g[] = { { s[1], POLLIN, 0 }, { ep, POLLOUT, 0 } };
    LOG(l, a->epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    POLL(a, l, g, 2, 30);
    POLL(a, l, g, 0, 10);
    /* nfds above the limit */
    LOG(l, a->poll(g, a->nofile() + 1, 0));
    a->close(ep);
    a->close(rf);
    a->close(e);
    a->close(p[0]);
    a->close(s[0]);
    a->close(s[1]);
}

static void sc_ppoll(const struct os_api *a, struct tlog *l)
{
    int p[2];
    a->pipe2(p, O_NONBLOCK);
    struct pollfd f[] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 } };
    uint64_t mask = 0;
    struct timespec bad = { 0, 1000000000 }, neg = { -1, 0 };
    LOG(l, a->ppoll(f, 2, &bad, NULL, 8));
    LOG(l, a->ppoll(f, 2, &neg, NULL, 8));
    LOG(l, a->ppoll(f, 2, NULL, &mask, 4));
    LOG(l, a->ppoll(f, a->nofile() + 1, NULL, &mask, 8));
    struct timespec ts = { 1, 0 };
    LOG(l, a->ppoll(f, 2, &ts, &mask, 8)); /* ready at once */
    LOG(l, ts.tv_sec == 0 && ts.tv_nsec > 500000000);
    ts = (struct timespec){ 0, 0 };
    LOG(l, a->ppoll(f, 1, &ts, NULL, 8));
    LOG(l, ts.tv_sec);
    LOG(l, ts.tv_nsec);
    ts = (struct timespec){ 0, 20000000 };
    LOG(l, a->ppoll(f, 1, &ts, NULL, 8)); /* times out: nothing left */
    LOG(l, ts.tv_sec);
    LOG(l, ts.tv_nsec);
    a->close(p[0]);
    a->close(p[1]);
}

static void set_bit(uint64_t *s, int fd) { s[fd / 64] |= 1ull << (fd % 64); }
static int get_bit(const uint64_t *s, int fd) { return (s[fd / 64] >> (fd % 64)) & 1; }

static void sc_select(const struct os_api *a, struct tlog *l)
{
    int p[2], s[2];
    a->pipe2(p, O_NONBLOCK);
    a->socketpair(s);
    int ep = a->epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN };
    a->epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    int fds[] = { p[0], p[1], s[0], s[1], ep };
    int n = 0;
    for (int i = 0; i < 5; i++)
        if (fds[i] + 1 > n)
            n = fds[i] + 1;
    uint64_t r[WORDS], w[WORDS], x[WORDS];
#define RESET()                                                                \
    do {                                                                       \
        memset(r, 0, sizeof r);                                                \
        memset(w, 0, sizeof w);                                                \
        memset(x, 0, sizeof x);                                                \
        for (int i_ = 0; i_ < 5; i_++) {                                       \
            set_bit(r, fds[i_]);                                               \
            set_bit(x, fds[i_]);                                               \
        }                                                                      \
        set_bit(w, p[1]);                                                      \
        set_bit(w, s[1]);                                                      \
    } while (0)
#define LOGSETS()                                                              \
    do {                                                                       \
        for (int i_ = 0; i_ < 5; i_++) {                                       \
            LOG(l, get_bit(r, fds[i_]));                                       \
            LOG(l, get_bit(w, fds[i_]));                                       \
            LOG(l, get_bit(x, fds[i_]));                                       \
        }                                                                      \
    } while (0)
    struct timeval tv = { 0, 0 };
    RESET();
    LOG(l, a->select(n, r, w, x, &tv));
    LOGSETS();
    LOG(l, a->write(p[1], "a", 1));
    LOG(l, a->write(s[0], "b", 1));
    RESET();
    tv = (struct timeval){ 1, 0 };
    LOG(l, a->select(n, r, w, x, &tv));
    LOGSETS();
    LOG(l, tv.tv_sec == 0 && tv.tv_usec > 500000);
    /* usec >= 1e6 is carried; with something ready it returns at once */
    RESET();
    tv = (struct timeval){ 0, 1500000 };
    LOG(l, a->select(n, r, w, x, &tv));
    LOG(l, tv.tv_sec == 1 && tv.tv_usec > 0);
    /* errors */
    tv = (struct timeval){ -1, 0 };
    RESET();
    LOG(l, a->select(n, r, w, x, &tv));
    tv = (struct timeval){ 0, -1 };
    LOG(l, a->select(n, r, w, x, &tv));
    tv = (struct timeval){ 0, 0 };
    LOG(l, a->select(-1, r, w, x, &tv));
    /* A closed fd (a low number: Linux ignores bits above its fd table's
     * current size, which we do not mimic). */
    int closed = a->dup(p[0]);
    a->close(closed);
    RESET();
    set_bit(x, closed);
    LOG(l, a->select(closed + 1 > n ? closed + 1 : n, r, w, x, &tv));
    LOGSETS(); /* untouched on EBADF */
    /* nothing ready within the timeout: sets cleared, time used up */
    char buf[8];
    a->read(p[0], buf, sizeof buf);
    a->read(s[1], buf, sizeof buf);
    memset(r, 0, sizeof r);
    memset(w, 0, sizeof w);
    memset(x, 0, sizeof x);
    set_bit(r, p[0]);
    set_bit(r, s[1]);
    set_bit(r, ep);
    set_bit(x, s[0]);
    tv = (struct timeval){ 0, 20000 };
    LOG(l, a->select(n, r, NULL, x, &tv));
    LOGSETS();
    LOG(l, tv.tv_sec);
    LOG(l, tv.tv_usec);
    /* HUP counts as readable, ERR as readable and writable */
    a->close(s[0]);
    fds[2] = -1;
    a->close(p[0]);
    memset(r, 0, sizeof r);
    memset(w, 0, sizeof w);
    set_bit(r, s[1]);
    set_bit(w, p[1]);
    set_bit(r, p[1]);
    tv = (struct timeval){ 0, 0 };
    LOG(l, a->select(n, r, w, NULL, &tv));
    LOG(l, get_bit(r, s[1]));
    LOG(l, get_bit(r, p[1]));
    LOG(l, get_bit(w, p[1]));
    /* pselect6 */
    struct timespec ts = { 0, 1000000000 };
    LOG(l, a->pselect6(n, r, w, NULL, &ts, NULL, 8));
    ts = (struct timespec){ 0, 0 };
    uint64_t mask = 0;
    LOG(l, a->pselect6(n, r, w, NULL, &ts, &mask, 7));
    memset(r, 0, sizeof r);
    set_bit(r, s[1]);
    ts = (struct timespec){ 2, 0 };
    LOG(l, a->pselect6(n, r, NULL, NULL, &ts, &mask, 8));
    LOG(l, ts.tv_sec == 1 && ts.tv_nsec > 0);
    a->close(ep);
    a->close(p[1]);
    a->close(s[1]);
#undef RESET
#undef LOGSETS
}

#define CMP(name)                                                              \
    static void test_##name(void **state)                                      \
    {                                                                          \
        (void)state;                                                           \
        compare_with_native(sc_##name);                                        \
    }

CMP(poll)
CMP(ppoll)
CMP(select)

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_ppoll),
        cmocka_unit_test(test_select),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    os_table_reset();
    return r;
}
