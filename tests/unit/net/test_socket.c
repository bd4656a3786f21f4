/* The socket layer on its own (src/net/socket.h): blocking semantics over
 * nonblocking host sockets (a large blocking send completes, MSG_WAITALL,
 * accept and recv interrupted), connect, SCM_RIGHTS handling, and
 * native Linux as the oracle for the host side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "events/waiter.h"
#include "fs/host_file.h"
#include "net/socket.h"

static void test_create(void **state)
{
    (void)state;
    struct file *f;
    assert_int_equal(socket_create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, &f), 0);
    assert_true(file_is_socket(f));
    assert_false(file_is_host(f));
    assert_true(file_nonblocking(f));
    int hfd = socket_host_fd(f);
    assert_true(hfd >= 0);
    assert_true(fcntl(hfd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(hfd, F_GETFD) & FD_CLOEXEC);
    file_put(f);
    /* the host's errors come through, as native */
    assert_int_equal(socket(AF_INET, SOCK_STREAM, 12345), -1);
    int native = errno;
    assert_int_equal(socket_create(AF_INET, SOCK_STREAM, 12345, &f), -native);
    assert_int_equal(socket_create(12345, SOCK_STREAM, 0, &f), -EAFNOSUPPORT);
    /* a File that is not a host file */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(host_file_create(p[0], O_RDONLY, HOST_FILE_OWN_FD, &f), 0);
    assert_int_equal(socket_listen(f, 1), -ENOTSOCK);
    file_put(f);
    close(p[1]);
}

struct reader {
    struct file *f;
    size_t want;
    size_t got;
    int flags;
    ssize_t err;
    struct waiter *w;
    atomic_bool ready;
};

/* Reads `want` bytes (as the peer of a large blocking send). */
static void *drain(void *arg)
{
    struct reader *r = arg;
    char *buf = malloc(65536);
    while (r->got < r->want) {
        struct iovec iov = { buf, 65536 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n = socket_recvmsg(r->f, &m, 0);
        if (n <= 0) {
            r->err = n;
            break;
        }
        r->got += (size_t)n;
    }
    free(buf);
    return NULL;
}

static void test_blocking_send_completes(void **state)
{
    (void)state;
    struct file *f[2];
    assert_int_equal(socket_pair_create(AF_UNIX, SOCK_STREAM, 0, f), 0);
    size_t big = 4u << 20; /* far more than the socket buffers */
    char *data = malloc(big);
    memset(data, 'x', big);
    struct reader r = { .f = f[1], .want = big };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, drain, &r), 0);
    struct iovec iov = { data, big };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    assert_int_equal(socket_sendmsg(f[0], &m, 0), (ssize_t)big);
    pthread_join(th, NULL);
    assert_int_equal(r.got, big);
    /* MSG_DONTWAIT on a full socket: a partial count or EAGAIN */
    ssize_t n = socket_sendmsg(f[0], &m, MSG_DONTWAIT);
    assert_true(n == -EAGAIN || (n > 0 && (size_t)n < big));
    free(data);
    file_put(f[0]);
    file_put(f[1]);
}

static void *send_slowly(void *arg)
{
    struct file *f = arg;
    for (int i = 0; i < 10; i++) {
        struct iovec iov = { (void *)"0123456789", 10 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (socket_sendmsg(f, &m, 0) != 10)
            return (void *)1;
    }
    return NULL;
}

static void test_waitall(void **state)
{
    (void)state;
    struct file *f[2];
    assert_int_equal(socket_pair_create(AF_UNIX, SOCK_STREAM, 0, f), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, send_slowly, f[0]), 0);
    char buf[100];
    struct iovec iov[2] = { { buf, 45 }, { buf + 45, 55 } };
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
    assert_int_equal(socket_recvmsg(f[1], &m, MSG_WAITALL), 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(buf[i], '0' + i % 10);
    void *res;
    pthread_join(th, &res);
    assert_null(res);
    /* EOF ends MSG_WAITALL early */
    assert_int_equal(socket_shutdown(f[0], SHUT_WR), 0);
    assert_int_equal(socket_recvmsg(f[1], &m, MSG_WAITALL), 0);
    file_put(f[0]);
    file_put(f[1]);
}

struct blocked {
    struct file *f;
    bool accept;
    long result;
    struct waiter waiter;
    atomic_bool ready;
};

static void *block_in_call(void *arg)
{
    struct blocked *b = arg;
    waiter_bind_current(&b->waiter);
    atomic_store(&b->ready, true);
    if (b->accept) {
        struct file *nf = NULL;
        b->result = socket_accept(b->f, NULL, NULL, 0, &nf);
        if (nf)
            file_put(nf);
    } else {
        char c;
        struct iovec iov = { &c, 1 };
        struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
        b->result = socket_recvmsg(b->f, &m, 0);
    }
    waiter_bind_current(NULL);
    return NULL;
}

static void interrupt_blocked(struct file *f, bool accept)
{
    struct blocked b = { .f = f, .accept = accept };
    waiter_init(&b.waiter);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, block_in_call, &b), 0);
    while (!atomic_load(&b.ready))
        sched_yield();
    waiter_interrupt(&b.waiter); /* sticky: works before or during the wait */
    pthread_join(th, NULL);
    assert_int_equal(b.result, -EINTR);
    waiter_destroy(&b.waiter);
}

static void test_interrupts(void **state)
{
    (void)state;
    struct file *l;
    assert_int_equal(socket_create(AF_INET, SOCK_STREAM, 0, &l), 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(socket_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(socket_listen(l, 1), 0);
    interrupt_blocked(l, true);
    struct file *f[2];
    assert_int_equal(socket_pair_create(AF_UNIX, SOCK_STREAM, 0, f), 0);
    interrupt_blocked(f[0], false);
    file_put(f[0]);
    file_put(f[1]);
    file_put(l);
}

/* SO_RCVTIMEO: a blocking recv/accept gives up with EAGAIN, as native. */
static void test_rcvtimeo(void **state)
{
    (void)state;
    struct timeval tv = { 0, 20000 };
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    char c;
    assert_int_equal(recv(sv[0], &c, 1, 0), -1);
    int native = errno;
    close(sv[0]);
    close(sv[1]);
    struct file *f[2];
    assert_int_equal(socket_pair_create(AF_UNIX, SOCK_STREAM, 0, f), 0);
    assert_int_equal(socket_setsockopt(f[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    struct iovec iov = { &c, 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    assert_int_equal(socket_recvmsg(f[0], &m, 0), -native);
    assert_int_equal(native, EAGAIN);
    /* read(2) too; and the rest of the read family of a socket */
    assert_int_equal(file_read(f[0], &c, 1), -EAGAIN);
    assert_int_equal(file_readv(f[0], &iov, 1), -EAGAIN);
    assert_int_equal(file_pread(f[0], &c, 1, 0), -ESPIPE);
    assert_int_equal(file_lseek(f[0], 0, SEEK_SET), -ESPIPE);
    struct stat st;
    assert_int_equal(file_stat(f[0], &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    file_put(f[0]);
    file_put(f[1]);
    struct file *l, *nf = NULL;
    assert_int_equal(socket_create(AF_INET, SOCK_STREAM, 0, &l), 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(socket_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(socket_listen(l, 1), 0);
    assert_int_equal(socket_setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    assert_int_equal(socket_accept(l, NULL, NULL, 0, &nf), -EAGAIN);
    file_put(l);
}

static void test_connect_and_accept(void **state)
{
    (void)state;
    struct file *l, *c, *a;
    assert_int_equal(socket_create(AF_INET6, SOCK_STREAM, 0, &l), 0);
    struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    assert_int_equal(socket_bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(socket_listen(l, 1), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(socket_getsockname(l, (struct sockaddr *)&sa, &len), 0);
    assert_int_equal(socket_create(AF_INET6, SOCK_STREAM, 0, &c), 0);
    assert_int_equal(socket_connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    struct sockaddr_in6 peer;
    len = sizeof peer;
    assert_int_equal(socket_accept(l, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK, &a), 0);
    assert_int_equal(len, sizeof peer);
    assert_true(file_nonblocking(a));
    assert_false(file_nonblocking(c));
    assert_int_equal(file_write(c, "hi", 2), 2);
    char buf[4];
    ssize_t n;
    while ((n = file_read(a, buf, sizeof buf)) == -EAGAIN)
        sched_yield();
    assert_int_equal(n, 2);
    /* a second connect: EISCONN, as native */
    assert_int_equal(socket_connect(c, (struct sockaddr *)&sa, sizeof sa), -EISCONN);
    file_put(a);
    file_put(c);
    file_put(l);
}

static void test_scm_rights(void **state)
{
    (void)state;
    struct file *f[2];
    assert_int_equal(socket_pair_create(AF_UNIX, SOCK_DGRAM, 0, f), 0);
    /* sending is refused */
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    u.h.cmsg_len = CMSG_LEN(sizeof(int));
    u.h.cmsg_level = SOL_SOCKET;
    u.h.cmsg_type = SCM_RIGHTS;
    int one = 0;
    memcpy(CMSG_DATA(&u.h), &one, sizeof one);
    struct iovec iov = { (void *)"x", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof u.buf };
    assert_int_equal(socket_sendmsg(f[0], &m, 0), -EOPNOTSUPP);
    /* a host fd received from outside is closed, MSG_CTRUNC set */
    int p[2];
    assert_int_equal(pipe(p), 0);
    memcpy(CMSG_DATA(&u.h), &p[0], sizeof(int));
    assert_int_equal(sendmsg(socket_host_fd(f[0]), &m, 0), 1);
    close(p[0]);
    char c;
    struct iovec riov = { &c, 1 };
    char ctl[CMSG_SPACE(sizeof(int))];
    struct msghdr rm = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = ctl,
                         .msg_controllen = sizeof ctl };
    assert_int_equal(socket_recvmsg(f[1], &rm, 0), 1);
    assert_true(rm.msg_flags & MSG_CTRUNC);
    assert_int_equal(rm.msg_controllen, 0);
    /* the received duplicate was closed: the pipe's write end sees no reader */
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(write(p[1], "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    close(p[1]);
    file_put(f[0]);
    file_put(f[1]);
}

static atomic_int sigpipes;
static void count_sigpipe(void) { atomic_fetch_add(&sigpipes, 1); }

/* EPIPE calls the SIGPIPE hook unless MSG_NOSIGNAL; the host never gets a
 * SIGPIPE (it would kill the test). */
static void test_epipe(void **state)
{
    (void)state;
    struct file *f[2];
    assert_int_equal(socket_pair_create(AF_UNIX, SOCK_STREAM, 0, f), 0);
    file_put(f[1]);
    socket_set_sigpipe_hook(count_sigpipe);
    struct iovec iov = { (void *)"x", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    assert_int_equal(socket_sendmsg(f[0], &m, 0), -EPIPE);
    assert_int_equal(atomic_load(&sigpipes), 1);
    assert_int_equal(socket_sendmsg(f[0], &m, MSG_NOSIGNAL), -EPIPE);
    assert_int_equal(atomic_load(&sigpipes), 1);
    /* write(2) on a socket is a send without MSG_NOSIGNAL */
    assert_int_equal(file_write(f[0], "x", 1), -EPIPE);
    assert_int_equal(atomic_load(&sigpipes), 2);
    struct iovec two[2] = { { (void *)"a", 1 }, { (void *)"b", 1 } };
    assert_int_equal(file_writev(f[0], two, 2), -EPIPE);
    assert_int_equal(atomic_load(&sigpipes), 3);
    socket_set_sigpipe_hook(NULL);
    file_put(f[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_blocking_send_completes),
        cmocka_unit_test(test_waitall),
        cmocka_unit_test(test_interrupts),
        cmocka_unit_test(test_rcvtimeo),
        cmocka_unit_test(test_connect_and_accept),
        cmocka_unit_test(test_scm_rights),
        cmocka_unit_test(test_epipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
