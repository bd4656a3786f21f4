/* Pipes (writer thread, EOF, EPIPE), epoll level- and edge-triggered,
 * eventfd counter and EFD_SEMAPHORE, poll and select with timeout 0. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>

#include "guest_check.h"

#define TOTAL (1 << 20)

static void *pipe_writer(void *arg)
{
    int fd = (int)(intptr_t)arg;
    unsigned char chunk[3000];
    size_t sent = 0;
    while (sent < TOTAL) {
        size_t n = TOTAL - sent < sizeof chunk ? TOTAL - sent : sizeof chunk;
        for (size_t i = 0; i < n; i++)
            chunk[i] = (unsigned char)((sent + i) % 253);
        ssize_t w = write(fd, chunk, n);
        CHECK(w > 0, "pipe write");
        sent += (size_t)w;
    }
    close(fd);
    return NULL;
}

static void pipe_thread(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pthread_t t;
    CHECK(pthread_create(&t, NULL, pipe_writer, (void *)(intptr_t)p[1]) == 0, "create");
    size_t got = 0;
    unsigned char buf[4096];
    for (;;) {
        ssize_t r = read(p[0], buf, sizeof buf);
        CHECK(r >= 0, "pipe read");
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            CHECK(buf[i] == (unsigned char)((got + (size_t)i) % 253), "byte %zu", got + (size_t)i);
        got += (size_t)r;
    }
    pthread_join(t, NULL);
    CHECK(got == TOTAL, "got %zu", got);
    close(p[0]);

    /* EPIPE when the read end is closed (SIGPIPE ignored). */
    signal(SIGPIPE, SIG_IGN);
    CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe2");
    close(p[0]);
    CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE, "EPIPE");
    close(p[1]);

    /* O_NONBLOCK: EAGAIN on empty pipe. */
    CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
    CHECK(read(p[0], buf, 1) == -1 && errno == EAGAIN, "EAGAIN");
    close(p[0]);
    close(p[1]);
    OUT("pipe: %d bytes through a writer thread, EOF, EPIPE, EAGAIN ok", TOTAL);
}

static void epoll_modes(void)
{
    int p[2];
    CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
    int lt = epoll_create1(EPOLL_CLOEXEC), et = epoll_create1(0);
    CHECK(lt >= 0 && et >= 0, "epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 11};
    CHECK(epoll_ctl(lt, EPOLL_CTL_ADD, p[0], &ev) == 0, "ctl add LT");
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = 22;
    CHECK(epoll_ctl(et, EPOLL_CTL_ADD, p[0], &ev) == 0, "ctl add ET");
    CHECK(epoll_ctl(et, EPOLL_CTL_ADD, p[0], &ev) == -1 && errno == EEXIST, "add twice");

    struct epoll_event out[4];
    CHECK(epoll_wait(lt, out, 4, 0) == 0 && epoll_wait(et, out, 4, 0) == 0, "nothing ready");
    CHECK(write(p[1], "abc", 3) == 3, "write");
    CHECK(epoll_wait(lt, out, 4, 0) == 1 && out[0].data.u64 == 11 && (out[0].events & EPOLLIN),
          "LT ready");
    CHECK(epoll_wait(lt, out, 4, 0) == 1, "LT still ready");
    CHECK(epoll_wait(et, out, 4, 0) == 1 && out[0].data.u64 == 22, "ET ready");
    CHECK(epoll_wait(et, out, 4, 0) == 0, "ET reported twice without new data");
    CHECK(write(p[1], "d", 1) == 1, "write");
    CHECK(epoll_wait(et, out, 4, 0) == 1, "ET after new data");
    char buf[8];
    CHECK(read(p[0], buf, sizeof buf) == 4, "drain");
    CHECK(epoll_wait(lt, out, 4, 0) == 0, "LT after drain");

    /* Timeout with nothing ready; MOD to EPOLLOUT on the write end; DEL. */
    CHECK(epoll_wait(lt, out, 4, 5) == 0, "timeout");
    ev.events = EPOLLOUT;
    ev.data.u64 = 33;
    CHECK(epoll_ctl(lt, EPOLL_CTL_ADD, p[1], &ev) == 0, "add write end");
    CHECK(epoll_wait(lt, out, 4, 0) == 1 && out[0].data.u64 == 33 && (out[0].events & EPOLLOUT),
          "EPOLLOUT");
    ev.events = EPOLLIN;
    CHECK(epoll_ctl(lt, EPOLL_CTL_MOD, p[1], &ev) == 0, "mod");
    CHECK(epoll_wait(lt, out, 4, 0) == 0, "after mod");
    CHECK(epoll_ctl(lt, EPOLL_CTL_DEL, p[1], NULL) == 0, "del");
    CHECK(epoll_ctl(lt, EPOLL_CTL_DEL, p[1], NULL) == -1 && errno == ENOENT, "del twice");
    /* Hang-up when the writer closes. */
    close(p[1]);
    int n = epoll_wait(lt, out, 4, 0);
    CHECK(n == 1 && (out[0].events & EPOLLHUP), "EPOLLHUP (n=%d)", n);
    close(p[0]);
    close(lt);
    close(et);
    OUT("epoll LT/ET/MOD/DEL/HUP ok");
}

static void eventfds(void)
{
    int e = eventfd(3, EFD_NONBLOCK);
    CHECK(e >= 0, "eventfd");
    uint64_t v = 4;
    CHECK(write(e, &v, 8) == 8, "eventfd write");
    CHECK(read(e, &v, 8) == 8 && v == 7, "counter %llu", (unsigned long long)v);
    CHECK(read(e, &v, 8) == -1 && errno == EAGAIN, "empty counter");
    CHECK(read(e, &v, 4) == -1 && errno == EINVAL, "short read");
    v = UINT64_MAX;
    CHECK(write(e, &v, 8) == -1 && errno == EINVAL, "write of UINT64_MAX");
    close(e);

    int s = eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(s >= 0, "eventfd sem");
    v = 3;
    CHECK(write(s, &v, 8) == 8, "write");
    for (int i = 0; i < 3; i++)
        CHECK(read(s, &v, 8) == 8 && v == 1, "semaphore read %d", i);
    CHECK(read(s, &v, 8) == -1 && errno == EAGAIN, "semaphore empty");

    /* eventfd in epoll. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s}, out;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0, "add");
    CHECK(epoll_wait(ep, &out, 1, 0) == 0, "not ready");
    v = 1;
    CHECK(write(s, &v, 8) == 8 && epoll_wait(ep, &out, 1, 0) == 1 && out.data.fd == s, "ready");
    close(ep);
    close(s);
    OUT("eventfd counter + EFD_SEMAPHORE ok");
}

static void poll_select(void)
{
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    struct pollfd pf[2] = {{.fd = p[0], .events = POLLIN}, {.fd = p[1], .events = POLLOUT}};
    CHECK(poll(pf, 2, 0) == 1 && pf[0].revents == 0 && pf[1].revents == POLLOUT, "poll 1");
    CHECK(write(p[1], "z", 1) == 1, "write");
    CHECK(poll(pf, 2, 0) == 2 && pf[0].revents == POLLIN, "poll 2");
    struct pollfd bad = {.fd = 1000, .events = POLLIN};
    CHECK(poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL, "POLLNVAL");
    struct pollfd neg = {.fd = -1, .events = POLLIN, .revents = 7};
    CHECK(poll(&neg, 1, 0) == 0 && neg.revents == 0, "negative fd ignored");

    fd_set r, w;
    struct timeval tv = {0, 0};
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    int nfds = (p[0] > p[1] ? p[0] : p[1]) + 1;
    CHECK(select(nfds, &r, &w, NULL, &tv) == 2 && FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w),
          "select both");
    char c;
    CHECK(read(p[0], &c, 1) == 1, "read");
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    CHECK(select(nfds, &r, NULL, NULL, &tv) == 0 && !FD_ISSET(p[0], &r), "select none");
    tv.tv_usec = 2000;
    FD_SET(p[0], &r);
    CHECK(select(nfds, &r, NULL, NULL, &tv) == 0, "select timeout");
    FD_ZERO(&r);
    FD_SET(50, &r);
    tv.tv_usec = 0;
    CHECK(select(51, &r, NULL, NULL, &tv) == -1 && errno == EBADF, "select EBADF");
    close(p[1]);
    CHECK(poll(pf, 1, 0) == 1 && (pf[0].revents & POLLHUP), "POLLHUP");
    close(p[0]);
    OUT("poll/select ok");
}

int main(void)
{
    pipe_thread();
    epoll_modes();
    eventfds();
    poll_select();
    OUT("pipes_epoll ok");
    return 0;
}
