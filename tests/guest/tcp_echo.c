/* A loopback TCP echo server thread (epoll, non-blocking accept) and a
 * client sending 100 messages; a socketpair round trip; UDP loopback. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest_check.h"

#define MESSAGES 100

static int listen_fd;

static void *server(void *arg)
{
    (void)arg;
    int ep = epoll_create1(0);
    CHECK(ep >= 0, "epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listen_fd};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev) == 0, "add listen");
    int done = 0;
    while (!done) {
        struct epoll_event out[8];
        int n = epoll_wait(ep, out, 8, 10000);
        CHECK(n > 0, "server epoll_wait timed out or failed (%d)", n);
        for (int i = 0; i < n; i++) {
            int fd = out[i].data.fd;
            if (fd == listen_fd) {
                struct sockaddr_in peer;
                socklen_t pl = sizeof peer;
                int c = accept4(listen_fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK);
                CHECK(c >= 0, "accept4");
                CHECK(peer.sin_family == AF_INET &&
                      peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "peer address");
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.fd = c;
                CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0, "add conn");
                continue;
            }
            char buf[8192];
            for (;;) {
                ssize_t r = read(fd, buf, sizeof buf);
                if (r < 0 && errno == EAGAIN)
                    break;
                CHECK(r >= 0, "server read");
                if (r == 0) {
                    close(fd);
                    done = 1;
                    break;
                }
                for (ssize_t off = 0; off < r;) {
                    ssize_t w = write(fd, buf + off, (size_t)(r - off));
                    CHECK(w > 0, "server write");
                    off += w;
                }
            }
        }
    }
    close(ep);
    return NULL;
}

static void read_full(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        CHECK(r > 0, "read_full (%zd after %zu/%zu)", r, got, n);
        got += (size_t)r;
    }
}

static void tcp(void)
{
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(listen_fd >= 0, "socket");
    int one = 1;
    CHECK(setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "reuseaddr");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(listen_fd, (struct sockaddr *)&a, sizeof a) == 0, "bind");
    CHECK(listen(listen_fd, 8) == 0, "listen");
    socklen_t al = sizeof a;
    CHECK(getsockname(listen_fd, (struct sockaddr *)&a, &al) == 0 && a.sin_port != 0,
          "getsockname");

    pthread_t t;
    CHECK(pthread_create(&t, NULL, server, NULL) == 0, "create");

    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(c >= 0, "client socket");
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0, "connect");
    CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "nodelay");
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    CHECK(getpeername(c, (struct sockaddr *)&peer, &pl) == 0 && peer.sin_port == a.sin_port,
          "getpeername");

    uint64_t h = 1469598103934665603ull;
    size_t total = 0;
    for (int i = 0; i < MESSAGES; i++) {
        char msg[4096], back[4096];
        size_t n = 1 + (size_t)(i * 37) % sizeof msg;
        for (size_t j = 0; j < n; j++)
            msg[j] = (char)('a' + (i + (int)j) % 26);
        CHECK(send(c, msg, n, 0) == (ssize_t)n, "send %d", i);
        read_full(c, back, n);
        CHECK(!memcmp(msg, back, n), "echo %d differs", i);
        for (size_t j = 0; j < n; j++)
            h = (h ^ (unsigned char)back[j]) * 1099511628211ull;
        total += n;
    }
    CHECK(shutdown(c, SHUT_WR) == 0, "shutdown");
    char x;
    CHECK(read(c, &x, 1) == 0, "EOF after server closed");
    close(c);
    pthread_join(t, NULL);
    close(listen_fd);
    OUT("tcp echo: %d messages, %zu bytes, hash %016llx", MESSAGES, total,
        (unsigned long long)h);

    /* Connecting to the now-closed port is refused. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == -1 && errno == ECONNREFUSED,
          "connect to closed port");
    close(c);
    OUT("connect refused ok");
}

static void pair(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    CHECK(write(sv[0], "ping", 4) == 4, "write");
    char buf[8];
    CHECK(read(sv[1], buf, sizeof buf) == 4 && !memcmp(buf, "ping", 4), "read ping");
    CHECK(write(sv[1], "pong!", 5) == 5, "write");
    CHECK(read(sv[0], buf, sizeof buf) == 5 && !memcmp(buf, "pong!", 5), "read pong");
    close(sv[1]);
    CHECK(read(sv[0], buf, sizeof buf) == 0, "EOF");
    close(sv[0]);

    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair dgram");
    CHECK(send(sv[0], "one", 3, 0) == 3 && send(sv[0], "three", 5, 0) == 5, "send");
    CHECK(recv(sv[1], buf, sizeof buf, 0) == 3 && recv(sv[1], buf, sizeof buf, 0) == 5,
          "datagram boundaries");
    close(sv[0]);
    close(sv[1]);
    OUT("socketpair round trips ok");
}

static void udp(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(s >= 0 && c >= 0, "udp sockets");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0, "bind");
    socklen_t al = sizeof a;
    CHECK(getsockname(s, (struct sockaddr *)&a, &al) == 0, "getsockname");
    CHECK(sendto(c, "datagram", 8, 0, (struct sockaddr *)&a, sizeof a) == 8, "sendto");
    char buf[16];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    CHECK(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) == 8 &&
          !memcmp(buf, "datagram", 8) && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
          "recvfrom");
    close(s);
    close(c);
    OUT("udp loopback ok");
}

int main(void)
{
    tcp();
    pair();
    udp();
    OUT("tcp_echo ok");
    return 0;
}
