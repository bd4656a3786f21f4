/* Socket handlers on the fixture process: socketpair, a TCP echo over
 * 127.0.0.1 (two host threads), UDP addresses, sendmsg/recvmsg, socket
 * options, names, epoll on sockets, accept interrupted, connect refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "events/waiter.h"
#include "sys_fixture.h"

#define PAGE 4096

static char *mem; /* one guest page per test */

static int setup(void **state)
{
    (void)state;
    mem = guest_alloc(4 * PAGE, PROT_READ | PROT_WRITE);
    memset(mem, 0, 4 * PAGE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    guest_free(mem, 4 * PAGE);
    return 0;
}

static void test_socketpair(void **state)
{
    (void)state;
    int *sv = (int *)mem;
    assert_int_equal(SC(__NR_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, U(sv)), 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)sv[0], F_GETFD), FD_CLOEXEC);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)sv[0], F_GETFL), O_RDWR);
    char *buf = mem + PAGE;
    memcpy(buf, "ping", 4);
    assert_int_equal(SC(__NR_write, (uint64_t)sv[0], U(buf), 4), 4);
    assert_int_equal(SC(__NR_read, (uint64_t)sv[1], U(buf + 100), 100), 4);
    assert_memory_equal(buf + 100, "ping", 4);
    /* nonblocking empty: EAGAIN with MSG_DONTWAIT */
    assert_int_equal(SC(__NR_recvfrom, (uint64_t)sv[1], U(buf), 4, MSG_DONTWAIT, 0, 0), -EAGAIN);
    /* SO_TYPE, as native */
    int *val = (int *)(mem + 2 * PAGE), *len = val + 1;
    *len = sizeof(int);
    assert_int_equal(SC(__NR_getsockopt, (uint64_t)sv[0], SOL_SOCKET, SO_TYPE, U(val), U(len)), 0);
    assert_int_equal(*val, SOCK_STREAM);
    assert_int_equal(*len, sizeof(int));
    /* socket calls on a pipe: ENOTSOCK */
    int *pfd = (int *)(mem + 3 * PAGE);
    assert_int_equal(SC(__NR_pipe2, U(pfd), 0), 0);
    assert_int_equal(SC(__NR_listen, (uint64_t)pfd[0], 1), -ENOTSOCK);
    assert_int_equal(SC(__NR_shutdown, (uint64_t)pfd[0], SHUT_RD), -ENOTSOCK);
    SC(__NR_close, (uint64_t)pfd[0]);
    SC(__NR_close, (uint64_t)pfd[1]);
    /* bad pointers */
    int host_sv[2];
    assert_int_equal(SC(__NR_socketpair, AF_UNIX, SOCK_STREAM, 0, U(host_sv)), -EFAULT);
    assert_int_equal(SC(__NR_sendto, (uint64_t)sv[0], U(host_sv), 4, 0, 0, 0), -EFAULT);
    /* shutdown: the peer sees EOF */
    assert_int_equal(SC(__NR_shutdown, (uint64_t)sv[0], SHUT_WR), 0);
    assert_int_equal(SC(__NR_read, (uint64_t)sv[1], U(buf), 100), 0);
    SC(__NR_close, (uint64_t)sv[0]);
    SC(__NR_close, (uint64_t)sv[1]);
}

struct pair_peer {
    int fd;
    char *buf;
    long echoed;
};

/* Echo with read/write until EOF, as a second guest thread. */
static void *pair_echo(void *arg)
{
    struct pair_peer *pp = arg;
    struct thread t;
    sys_thread_init(&t);
    long n;
    while ((n = SC_AS(&t, __NR_read, (uint64_t)pp->fd, U(pp->buf), 4096)) > 0) {
        if (SC_AS(&t, __NR_write, (uint64_t)pp->fd, U(pp->buf), (uint64_t)n) != n)
            break;
        pp->echoed += n;
    }
    sys_thread_fini(&t);
    return NULL;
}

/* A socketpair between two host threads: blocking reads on both sides. */
static void test_socketpair_threads(void **state)
{
    (void)state;
    int *sv = (int *)mem;
    assert_int_equal(SC(__NR_socketpair, AF_UNIX, SOCK_STREAM, 0, U(sv)), 0);
    struct pair_peer pp = { .fd = sv[1], .buf = mem + 3 * PAGE };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, pair_echo, &pp), 0);
    char *out = mem + PAGE, *in = mem + 2 * PAGE;
    long total = 0;
    for (int i = 0; i < 50; i++) {
        size_t len = 1 + (size_t)(i * 37) % 1000;
        memset(out, 'A' + i % 26, len);
        assert_int_equal(SC(__NR_write, (uint64_t)sv[0], U(out), len), (long)len);
        size_t got = 0;
        while (got < len) {
            long n = SC(__NR_read, (uint64_t)sv[0], U(in + got), len - got);
            assert_true(n > 0);
            got += (size_t)n;
        }
        assert_memory_equal(in, out, len);
        total += (long)len;
    }
    assert_int_equal(SC(__NR_shutdown, (uint64_t)sv[0], SHUT_WR), 0);
    pthread_join(th, NULL);
    assert_int_equal(pp.echoed, total);
    SC(__NR_close, (uint64_t)sv[0]);
    SC(__NR_close, (uint64_t)sv[1]);
}

static void test_sendmsg_recvmsg(void **state)
{
    (void)state;
    int *sv = (int *)mem;
    assert_int_equal(SC(__NR_socketpair, AF_UNIX, SOCK_DGRAM, 0, U(sv)), 0);
    char *data = mem + PAGE;
    memcpy(data, "helloworld", 10);
    struct iovec *iov = (struct iovec *)(mem + 2 * PAGE);
    struct msghdr *msg = (struct msghdr *)(mem + 2 * PAGE + 512);
    iov[0] = (struct iovec){ data, 5 };
    iov[1] = (struct iovec){ data + 5, 5 };
    *msg = (struct msghdr){ .msg_iov = iov, .msg_iovlen = 2 };
    assert_int_equal(SC(__NR_sendmsg, (uint64_t)sv[0], U(msg), 0), 10);
    /* receive into a short buffer: MSG_TRUNC in msg_flags, written back */
    iov[0] = (struct iovec){ data + 100, 4 };
    iov[1] = (struct iovec){ data + 200, 2 };
    *msg = (struct msghdr){ .msg_iov = iov, .msg_iovlen = 2, .msg_flags = 0x7777 };
    assert_int_equal(SC(__NR_recvmsg, (uint64_t)sv[1], U(msg), 0), 6);
    assert_memory_equal(data + 100, "hell", 4);
    assert_memory_equal(data + 200, "ow", 2);
    assert_int_equal(msg->msg_flags, MSG_TRUNC);
    assert_int_equal(msg->msg_controllen, 0);
    /* SCM_RIGHTS refused */
    char *ctl = mem + 3 * PAGE;
    struct cmsghdr *c = (struct cmsghdr *)ctl;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    memcpy(CMSG_DATA(c), &sv[0], sizeof(int));
    iov[0] = (struct iovec){ data, 1 };
    *msg = (struct msghdr){ .msg_iov = iov, .msg_iovlen = 1, .msg_control = ctl,
                            .msg_controllen = CMSG_SPACE(sizeof(int)) };
    assert_int_equal(SC(__NR_sendmsg, (uint64_t)sv[0], U(msg), 0), -EOPNOTSUPP);
    /* a host iovec array / host msghdr */
    struct msghdr hmsg = { .msg_iov = iov, .msg_iovlen = 1 };
    assert_int_equal(SC(__NR_sendmsg, (uint64_t)sv[0], U(&hmsg), 0), -EFAULT);
    struct iovec hiov = { data, 1 };
    *msg = (struct msghdr){ .msg_iov = &hiov, .msg_iovlen = 1 };
    assert_int_equal(SC(__NR_sendmsg, (uint64_t)sv[0], U(msg), 0), -EFAULT);
    /* too many iovecs: EMSGSIZE (not sendmsg's EINVAL of writev) */
    *msg = (struct msghdr){ .msg_iov = iov, .msg_iovlen = IOV_MAX + 1 };
    assert_int_equal(SC(__NR_sendmsg, (uint64_t)sv[0], U(msg), 0), -EMSGSIZE);
    assert_int_equal(SC(__NR_recvmsg, (uint64_t)sv[0], U(msg), 0), -EMSGSIZE);
    SC(__NR_close, (uint64_t)sv[0]);
    SC(__NR_close, (uint64_t)sv[1]);
}

static void test_udp_addresses(void **state)
{
    (void)state;
    int a = (int)SC(__NR_socket, AF_INET, SOCK_DGRAM, 0);
    int b = (int)SC(__NR_socket, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(a >= 0 && b >= 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)b, F_GETFL), O_RDWR | O_NONBLOCK);
    struct sockaddr_in *sa = (struct sockaddr_in *)mem;
    int *salen = (int *)(mem + 64);
    *sa = (struct sockaddr_in){ .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(SC(__NR_bind, (uint64_t)b, U(sa), sizeof *sa), 0);
    assert_int_equal(SC(__NR_bind, (uint64_t)a, U(sa), 1000), -EINVAL);
    *salen = sizeof *sa;
    assert_int_equal(SC(__NR_getsockname, (uint64_t)b, U(sa), U(salen)), 0);
    assert_int_equal(*salen, sizeof *sa);
    assert_true(sa->sin_port != 0);
    char *buf = mem + PAGE;
    memcpy(buf, "dgram", 5);
    assert_int_equal(SC(__NR_sendto, (uint64_t)a, U(buf), 5, 0, U(sa), sizeof *sa), 5);
    /* recvfrom: the sender's address; a short addrlen gets a partial
     * copy and the full length back (as Linux) */
    struct sockaddr_in *from = (struct sockaddr_in *)(mem + 128);
    int *fromlen = (int *)(mem + 192);
    *fromlen = 4;
    memset(from, 0xee, sizeof *from);
    long n = SC(__NR_recvfrom, (uint64_t)b, U(buf + 100), 100, 0, U(from), U(fromlen));
    if (n == -EAGAIN) { /* not delivered yet: wait for it */
        struct pollfd *pf = (struct pollfd *)(mem + 256);
        *pf = (struct pollfd){ .fd = b, .events = POLLIN };
        assert_int_equal(SC(__NR_poll, U(pf), 1, (uint64_t)-1), 1);
        n = SC(__NR_recvfrom, (uint64_t)b, U(buf + 100), 100, 0, U(from), U(fromlen));
    }
    assert_int_equal(n, 5);
    assert_memory_equal(buf + 100, "dgram", 5);
    assert_int_equal(*fromlen, sizeof(struct sockaddr_in));
    assert_int_equal(from->sin_family, AF_INET);
    assert_int_equal(((unsigned char *)from)[4], 0xee); /* only 4 bytes copied */
    /* getpeername on an unconnected socket: ENOTCONN */
    *salen = sizeof *sa;
    assert_int_equal(SC(__NR_getpeername, (uint64_t)a, U(sa), U(salen)), -ENOTCONN);
    *salen = -1;
    assert_int_equal(SC(__NR_getsockname, (uint64_t)a, U(sa), U(salen)), -EINVAL);
    SC(__NR_close, (uint64_t)a);
    SC(__NR_close, (uint64_t)b);
}

struct server {
    int lfd;
    long result;
    struct thread *t;
    char *buf;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool ready;
};

/* Accept one connection and echo until EOF. */
static void *echo_server(void *arg)
{
    struct server *s = arg;
    struct thread t;
    sys_thread_init(&t);
    pthread_mutex_lock(&s->lock);
    s->t = &t;
    s->ready = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    long c = SC_AS(&t, __NR_accept4, (uint64_t)s->lfd, 0, 0, SOCK_CLOEXEC);
    s->result = c;
    if (c >= 0) {
        for (;;) {
            long n = SC_AS(&t, __NR_recvfrom, (uint64_t)c, U(s->buf), 1000, 0, 0, 0);
            if (n <= 0)
                break;
            long w = SC_AS(&t, __NR_sendto, (uint64_t)c, U(s->buf), (uint64_t)n, 0, 0, 0);
            if (w != n) {
                s->result = -1000;
                break;
            }
        }
        SC_AS(&t, __NR_close, (uint64_t)c);
    }
    sys_thread_fini(&t);
    return NULL;
}

static int tcp_listener(struct sockaddr_in *sa, int *salen)
{
    int l = (int)SC(__NR_socket, AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    int *one = (int *)(mem + 3 * PAGE + 512);
    *one = 1;
    assert_int_equal(SC(__NR_setsockopt, (uint64_t)l, SOL_SOCKET, SO_REUSEADDR, U(one), 4), 0);
    *sa = (struct sockaddr_in){ .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(SC(__NR_bind, (uint64_t)l, U(sa), sizeof *sa), 0);
    assert_int_equal(SC(__NR_listen, (uint64_t)l, 4), 0);
    *salen = sizeof *sa;
    assert_int_equal(SC(__NR_getsockname, (uint64_t)l, U(sa), U(salen)), 0);
    return l;
}

static void start_server(struct server *s, pthread_t *th, int lfd, char *buf)
{
    *s = (struct server){ .lfd = lfd, .buf = buf };
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    assert_int_equal(pthread_create(th, NULL, echo_server, s), 0);
    pthread_mutex_lock(&s->lock);
    while (!s->ready)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

static void test_tcp_echo(void **state)
{
    (void)state;
    struct sockaddr_in *sa = (struct sockaddr_in *)mem;
    int *salen = (int *)(mem + 64);
    int l = tcp_listener(sa, salen);
    struct server s;
    pthread_t th;
    start_server(&s, &th, l, mem + 2 * PAGE);

    int c = (int)SC(__NR_socket, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(c >= 0);
    assert_int_equal(SC(__NR_connect, (uint64_t)c, U(sa), sizeof *sa), 0);
    int *one = (int *)(mem + 3 * PAGE + 512);
    *one = 1;
    assert_int_equal(SC(__NR_setsockopt, (uint64_t)c, IPPROTO_TCP, TCP_NODELAY, U(one), 4), 0);
    int *val = (int *)(mem + 3 * PAGE + 520), *len = (int *)(mem + 3 * PAGE + 524);
    *len = 4;
    assert_int_equal(SC(__NR_getsockopt, (uint64_t)c, IPPROTO_TCP, TCP_NODELAY, U(val), U(len)), 0);
    assert_true(*val != 0);
    /* the peer is the listener's address */
    struct sockaddr_in *peer = (struct sockaddr_in *)(mem + 128);
    int *plen = (int *)(mem + 192);
    *plen = sizeof *peer;
    assert_int_equal(SC(__NR_getpeername, (uint64_t)c, U(peer), U(plen)), 0);
    assert_int_equal(peer->sin_port, sa->sin_port);

    /* echo a few messages; MSG_WAITALL collects a whole reply */
    char *buf = mem + PAGE;
    for (int i = 0; i < 5; i++) {
        memset(buf, 'a' + i, 500);
        assert_int_equal(SC(__NR_sendto, (uint64_t)c, U(buf), 500, 0, 0, 0), 500);
        memset(buf + 1000, 0, 500);
        assert_int_equal(SC(__NR_recvfrom, (uint64_t)c, U(buf + 1000), 500, MSG_WAITALL, 0, 0),
                         500);
        assert_memory_equal(buf, buf + 1000, 500);
    }
    assert_int_equal(SC(__NR_shutdown, (uint64_t)c, SHUT_WR), 0);
    assert_int_equal(SC(__NR_read, (uint64_t)c, U(buf), 10), 0);
    pthread_join(th, NULL);
    assert_true(s.result >= 0);
    SC(__NR_close, (uint64_t)c);
    SC(__NR_close, (uint64_t)l);
}

/* accept blocks in a waiter that another thread interrupts: -EINTR. */
static void *interrupted_accept(void *arg)
{
    struct server *s = arg;
    struct thread t;
    sys_thread_init(&t);
    pthread_mutex_lock(&s->lock);
    s->t = &t;
    s->ready = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    s->result = SC_AS(&t, __NR_accept, (uint64_t)s->lfd, 0, 0);
    /* the interrupt is sticky until cleared (the signal layer's job) */
    waiter_clear_interrupt(&t.waiter);
    sys_thread_fini(&t);
    return NULL;
}

static void test_accept_interrupted(void **state)
{
    (void)state;
    struct sockaddr_in *sa = (struct sockaddr_in *)mem;
    int *salen = (int *)(mem + 64);
    int l = tcp_listener(sa, salen);
    struct server s = { .lfd = l };
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, interrupted_accept, &s), 0);
    pthread_mutex_lock(&s.lock);
    while (!s.ready)
        pthread_cond_wait(&s.cond, &s.lock);
    pthread_mutex_unlock(&s.lock);
    /* Whether accept sleeps already or not: the flag is sticky. */
    waiter_interrupt(&s.t->waiter);
    pthread_join(th, NULL);
    assert_int_equal(s.result, -EINTR);
    /* a nonblocking listener: EAGAIN */
    assert_int_equal(SC(__NR_fcntl, (uint64_t)l, F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(SC(__NR_accept4, (uint64_t)l, 0, 0, SOCK_NONBLOCK), -EAGAIN);
    assert_int_equal(SC(__NR_accept4, (uint64_t)l, 0, 0, 0x40000000), -EINVAL);
    SC(__NR_close, (uint64_t)l);
}

static void test_connect_refused_and_epoll(void **state)
{
    (void)state;
    struct sockaddr_in *sa = (struct sockaddr_in *)mem;
    int *salen = (int *)(mem + 64);
    /* a port nobody listens on: bind, learn it, close */
    int l = tcp_listener(sa, salen);
    SC(__NR_close, (uint64_t)l);
    int c = (int)SC(__NR_socket, AF_INET, SOCK_STREAM, 0);
    assert_int_equal(SC(__NR_connect, (uint64_t)c, U(sa), sizeof *sa), -ECONNREFUSED);
    SC(__NR_close, (uint64_t)c);

    /* epoll over a listener and a nonblocking connect */
    l = tcp_listener(sa, salen);
    int ep = (int)SC(__NR_epoll_create1, 0);
    struct epoll_event *ev = (struct epoll_event *)(mem + 256);
    struct epoll_event *out = (struct epoll_event *)(mem + 512);
    *ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 1 };
    assert_int_equal(SC(__NR_epoll_ctl, (uint64_t)ep, EPOLL_CTL_ADD, (uint64_t)l, U(ev)), 0);
    c = (int)SC(__NR_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    long r = SC(__NR_connect, (uint64_t)c, U(sa), sizeof *sa);
    assert_true(r == 0 || r == -EINPROGRESS);
    *ev = (struct epoll_event){ .events = EPOLLOUT, .data.u32 = 2 };
    assert_int_equal(SC(__NR_epoll_ctl, (uint64_t)ep, EPOLL_CTL_ADD, (uint64_t)c, U(ev)), 0);
    bool seen_l = false, seen_c = false;
    while (!seen_l || !seen_c) {
        long n = SC(__NR_epoll_wait, (uint64_t)ep, U(out), 4, (uint64_t)-1);
        assert_true(n > 0);
        for (long i = 0; i < n; i++) {
            if (out[i].data.u32 == 1)
                seen_l = true;
            if (out[i].data.u32 == 2) {
                seen_c = true;
                *ev = (struct epoll_event){ .events = 0, .data.u32 = 2 };
                SC(__NR_epoll_ctl, (uint64_t)ep, EPOLL_CTL_MOD, (uint64_t)c, U(ev));
            }
        }
    }
    int *err = (int *)(mem + 1024), *len = (int *)(mem + 1028);
    *len = 4;
    assert_int_equal(SC(__NR_getsockopt, (uint64_t)c, SOL_SOCKET, SO_ERROR, U(err), U(len)), 0);
    assert_int_equal(*err, 0);
    struct sockaddr_in *from = (struct sockaddr_in *)(mem + 2048);
    int *flen = (int *)(mem + 2100);
    *flen = sizeof *from;
    int a = (int)SC(__NR_accept, (uint64_t)l, U(from), U(flen));
    assert_true(a >= 0);
    assert_int_equal(*flen, sizeof *from);
    assert_int_equal(from->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    SC(__NR_close, (uint64_t)a);
    SC(__NR_close, (uint64_t)c);
    SC(__NR_close, (uint64_t)ep);
    SC(__NR_close, (uint64_t)l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_socketpair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socketpair_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sendmsg_recvmsg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_echo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accept_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused_and_epoll, setup, teardown),
    };
    return cmocka_run_group_tests(tests, sys_fixture_setup, sys_fixture_teardown);
}
