/* One server process, 16 client processes (itself, spawned with a role
 * argument), one edge-triggered epoll instance. Four transports, four
 * clients each:
 *   pipe     two pipes on the client's fds 0/1 (posix_spawn dup2)
 *   pair     an AF_UNIX stream socketpair on the client's fds 0/1
 *   unix     the client connects to a listening AF_UNIX socket in /tmp
 *   tcp      the client connects to a listening TCP socket, 127.0.0.1:port
 * Each client sends REQUESTS requests in bursts (one write per burst, so
 * several requests arrive at once and a large one arrives in pieces), then
 * reads the burst's replies and checks each. Requests: a 12-byte header
 * (client id, sequence number, payload length) and the payload; replies:
 * sequence, length, FNV-1a of the payload. The server keeps a buffer per
 * connection, parses whole requests out of it, reads and writes
 * non-blocking until EAGAIN (an output buffer and EPOLLOUT when a reply
 * does not fit), and prints per-client totals in client order after all
 * have hung up and been reaped. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

#define CLIENTS 16
#define PER_KIND 4
#define REQUESTS 240
#define BURST 8
#define BIG_EVERY 40                /* every 40th request is large */
#define BIG_LEN (70 * 1024)
#define IOBUF (64 * 1024)

extern char **environ;

static const char *const kinds[] = { "pipe", "pair", "unix", "tcp" };

struct req_hdr {
    uint32_t client, seq, len;
};
struct reply {
    uint32_t seq, len;
    uint32_t fnv, pad;
};

static uint32_t fnv32(uint32_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}
#define FNV32_INIT 2166136261u

/* Request seq of client id: its length and payload (both sides agree). */
static uint32_t req_len(uint32_t id, uint32_t seq)
{
    if (seq % BIG_EVERY == BIG_EVERY - 1)
        return BIG_LEN + id;
    return (seq * 37 + id * 11) % 2000 + 1;
}

static void req_fill(unsigned char *p, uint32_t id, uint32_t seq, uint32_t len)
{
    for (uint32_t j = 0; j < len; j++)
        p[j] = (unsigned char)(id * 7 + seq * 13 + j);
}

static void write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        CHECK(w > 0, "client write");
        p += w;
        n -= (size_t)w;
    }
}

static void read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        CHECK(r > 0, "client read (%zd)", r);
        p += r;
        n -= (size_t)r;
    }
}

/* ---- the client ---- */

static int client(uint32_t id, const char *kind, const char *where)
{
    int rfd = 0, wfd = 1;
    if (!strcmp(kind, "unix")) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", where);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(s >= 0, "socket unix");
        CHECK(connect(s, (struct sockaddr *)&sa, sizeof sa) == 0, "connect %s", where);
        rfd = wfd = s;
    } else if (!strcmp(kind, "tcp")) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)atoi(where)),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(s >= 0, "socket tcp");
        CHECK(connect(s, (struct sockaddr *)&sa, sizeof sa) == 0, "connect tcp");
        rfd = wfd = s;
    } else if (!strcmp(kind, "pair")) {
        rfd = wfd = 0;              /* the socket is on 0 and 1; use one */
    }
    size_t cap = (sizeof(struct req_hdr) + BIG_LEN + CLIENTS) * 2 + BURST * 2100;
    unsigned char *out = malloc(cap);
    CHECK(out != NULL, "malloc");
    uint32_t want_fnv[BURST], want_len[BURST];
    for (uint32_t seq = 0; seq < REQUESTS; seq += BURST) {
        size_t n = 0;
        for (uint32_t k = 0; k < BURST; k++) {
            struct req_hdr h = { id, seq + k, req_len(id, seq + k) };
            CHECK(n + sizeof h + h.len <= cap, "burst buffer");
            memcpy(out + n, &h, sizeof h);
            req_fill(out + n + sizeof h, id, h.seq, h.len);
            want_fnv[k] = fnv32(FNV32_INIT, out + n + sizeof h, h.len);
            want_len[k] = h.len;
            n += sizeof h + h.len;
        }
        write_all(wfd, out, n);
        for (uint32_t k = 0; k < BURST; k++) {
            struct reply rp;
            read_all(rfd, &rp, sizeof rp);
            CHECK(rp.seq == seq + k && rp.len == want_len[k] && rp.fnv == want_fnv[k],
                  "client %u: reply %u/%u/%08x, want %u/%u/%08x", id, rp.seq, rp.len, rp.fnv,
                  seq + k, want_len[k], want_fnv[k]);
        }
    }
    free(out);
    /* Hang up; the server sees EOF. */
    if (!strcmp(kind, "pipe")) {
        close(wfd);
        char c;
        CHECK(read(rfd, &c, 1) == 0, "EOF from the server");
    } else {
        CHECK(shutdown(wfd, SHUT_WR) == 0, "shutdown");
        char c;
        CHECK(read(rfd, &c, 1) == 0, "EOF from the server");
    }
    return 0;
}

/* ---- the server ---- */

struct conn {
    int rfd, wfd;               /* the same fd for sockets */
    int client;                 /* -1 until its first request header */
    unsigned char *in;          /* unparsed input */
    size_t in_len, in_cap;
    unsigned char *out;         /* replies not yet written */
    size_t out_len, out_cap;
    bool want_out;              /* EPOLLOUT armed */
    bool open;
};

struct totals {
    uint64_t requests, bytes;
    uint32_t fnv;               /* over every payload, in order */
    int conns;
};

#define MAX_CONNS 64
static struct conn conns[MAX_CONNS];
static int nconns;
static struct totals totals[CLIENTS];
static int ep, open_conns;
static unsigned char iobuf[IOBUF];
static uint64_t server_reads, server_eagain_writes;

/* epoll data: conn index << 1 | 1 for a pipe's write end; listeners are
 * the high values below. */
#define TAG_UNIX_LISTENER (~0ull)
#define TAG_TCP_LISTENER (~0ull - 1)

static int conn_add(int rfd, int wfd, int client)
{
    CHECK(nconns < MAX_CONNS, "too many connections");
    int i = nconns++;
    conns[i] = (struct conn){ .rfd = rfd, .wfd = wfd, .client = client, .open = true };
    CHECK(fcntl(rfd, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
    if (wfd != rfd)
        CHECK(fcntl(wfd, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = (uint64_t)i << 1 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev) == 0, "epoll add conn");
    open_conns++;
    return i;
}

static void grow(unsigned char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    *p = realloc(*p, c);
    CHECK(*p != NULL, "realloc");
    *cap = c;
}

/* Write what is buffered; arm EPOLLOUT if the peer is full. */
static void conn_flush(int i)
{
    struct conn *c = &conns[i];
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t w = write(c->wfd, c->out + off, c->out_len - off);
        if (w < 0 && errno == EAGAIN) {
            server_eagain_writes++;
            break;
        }
        CHECK(w > 0, "server write");
        off += (size_t)w;
    }
    memmove(c->out, c->out + off, c->out_len - off);
    c->out_len -= off;
    bool want = c->out_len > 0;
    if (want == c->want_out)
        return;
    c->want_out = want;
    if (c->wfd == c->rfd) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET | (want ? EPOLLOUT : 0),
                                  .data.u64 = (uint64_t)i << 1 };
        CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, c->rfd, &ev) == 0, "epoll mod");
    } else if (want) {
        struct epoll_event ev = { .events = EPOLLOUT | EPOLLET,
                                  .data.u64 = (uint64_t)i << 1 | 1 };
        CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c->wfd, &ev) == 0, "epoll add write end");
    } else {
        CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, c->wfd, NULL) == 0, "epoll del write end");
    }
}

/* Parse every whole request in the input buffer, queue the replies. */
static void conn_parse(int i)
{
    struct conn *c = &conns[i];
    size_t off = 0;
    for (;;) {
        struct req_hdr h;
        if (c->in_len - off < sizeof h)
            break;
        memcpy(&h, c->in + off, sizeof h);
        CHECK(h.client < CLIENTS && h.len <= BIG_LEN + CLIENTS, "bad header");
        if (c->in_len - off - sizeof h < h.len)
            break;
        if (c->client < 0) {
            c->client = (int)h.client;
            totals[h.client].conns++;
            totals[h.client].fnv = FNV32_INIT;
        }
        CHECK(c->client == (int)h.client, "client id changed");
        struct totals *t = &totals[h.client];
        CHECK(h.seq == t->requests, "client %u: seq %u, want %llu", h.client, h.seq,
              (unsigned long long)t->requests);
        const unsigned char *payload = c->in + off + sizeof h;
        struct reply rp = { h.seq, h.len, fnv32(FNV32_INIT, payload, h.len), 0 };
        t->fnv = fnv32(t->fnv, payload, h.len);
        t->requests++;
        t->bytes += h.len;
        grow(&c->out, &c->out_cap, c->out_len + sizeof rp);
        memcpy(c->out + c->out_len, &rp, sizeof rp);
        c->out_len += sizeof rp;
        off += sizeof h + h.len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static void conn_close(int i)
{
    struct conn *c = &conns[i];
    CHECK(c->in_len == 0, "client %d hung up mid-request", c->client);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, c->rfd, NULL) == 0, "epoll del");
    if (c->want_out && c->wfd != c->rfd)
        CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, c->wfd, NULL) == 0, "epoll del write end");
    close(c->rfd);
    if (c->wfd != c->rfd)
        close(c->wfd);
    free(c->in);
    free(c->out);
    c->open = false;
    open_conns--;
}

/* Edge-triggered: read until EAGAIN (or EOF). */
static void conn_readable(int i)
{
    struct conn *c = &conns[i];
    for (;;) {
        ssize_t r = read(c->rfd, iobuf, sizeof iobuf);
        if (r < 0 && errno == EAGAIN)
            break;
        CHECK(r >= 0, "server read");
        server_reads++;
        if (r == 0) {
            CHECK(c->out_len == 0, "unsent replies at EOF");
            conn_close(i);
            return;
        }
        grow(&c->in, &c->in_cap, c->in_len + (size_t)r);
        memcpy(c->in + c->in_len, iobuf, (size_t)r);
        c->in_len += (size_t)r;
        conn_parse(i);
    }
    conn_flush(i);
}

static void accept_all(int lfd)
{
    for (;;) {
        int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (s < 0 && errno == EAGAIN)
            return;
        CHECK(s >= 0, "accept4");
        conn_add(s, s, -1);
    }
}

static pid_t spawn_client(const char *self, int id, int fd0, int fd1, const char *where)
{
    posix_spawn_file_actions_t fa;
    CHECK(posix_spawn_file_actions_init(&fa) == 0, "file actions");
    if (fd0 >= 0)
        CHECK(posix_spawn_file_actions_adddup2(&fa, fd0, 0) == 0, "adddup2");
    if (fd1 >= 0)
        CHECK(posix_spawn_file_actions_adddup2(&fa, fd1, 1) == 0, "adddup2");
    char ids[8];
    snprintf(ids, sizeof ids, "%d", id);
    char *av[] = { (char *)self, "client", ids, (char *)kinds[id / PER_KIND],
                   (char *)(where ? where : "-"), NULL };
    pid_t pid;
    int r = posix_spawn(&pid, self, &fa, NULL, av, environ);
    CHECK(r == 0, "posix_spawn client %d: %s", id, strerror(r));
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

int main(int argc, char **argv)
{
    if (argc > 4 && !strcmp(argv[1], "client"))
        return client((uint32_t)atoi(argv[2]), argv[3], argv[4]);
    const char *self = argv[0];
    signal(SIGPIPE, SIG_IGN);
    ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0, "epoll_create1");

    /* Listeners: a socket file of this process's own in /tmp, and TCP on
     * a port the kernel picks. */
    char path[108];
    snprintf(path, sizeof path, "/tmp/epoll_server.%d.sock", (int)getpid());
    unlink(path);
    int ul = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(ul >= 0, "socket unix");
    struct sockaddr_un su = { .sun_family = AF_UNIX };
    snprintf(su.sun_path, sizeof su.sun_path, "%s", path);
    CHECK(bind(ul, (struct sockaddr *)&su, sizeof su) == 0, "bind %s", path);
    CHECK(listen(ul, CLIENTS) == 0, "listen unix");
    struct stat st;     /* the socket file is in this process's own /tmp */
    CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "stat %s", path);
    int tl = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(tl >= 0, "socket tcp");
    struct sockaddr_in si = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(bind(tl, (struct sockaddr *)&si, sizeof si) == 0, "bind tcp");
    CHECK(listen(tl, CLIENTS) == 0, "listen tcp");
    socklen_t sl = sizeof si;
    CHECK(getsockname(tl, (struct sockaddr *)&si, &sl) == 0 && si.sin_port != 0, "port");
    char port[8];
    snprintf(port, sizeof port, "%d", ntohs(si.sin_port));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = TAG_UNIX_LISTENER };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ul, &ev) == 0, "epoll add unix listener");
    ev.data.u64 = TAG_TCP_LISTENER;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, tl, &ev) == 0, "epoll add tcp listener");

    pid_t pids[CLIENTS];
    for (int id = 0; id < CLIENTS; id++) {
        const char *kind = kinds[id / PER_KIND];
        if (!strcmp(kind, "pipe")) {
            int down[2], up[2];
            CHECK(pipe2(down, O_CLOEXEC) == 0 && pipe2(up, O_CLOEXEC) == 0, "pipe2");
            pids[id] = spawn_client(self, id, down[0], up[1], NULL);
            close(down[0]);
            close(up[1]);
            conn_add(up[0], down[1], id);
        } else if (!strcmp(kind, "pair")) {
            int sv[2];
            CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
            pids[id] = spawn_client(self, id, sv[1], sv[1], NULL);
            close(sv[1]);
            conn_add(sv[0], sv[0], id);
        } else {
            pids[id] = spawn_client(self, id, -1, -1, !strcmp(kind, "unix") ? path : port);
        }
    }
    /* Connections of known clients (pipe, pair) start their totals now. */
    for (int i = 0; i < nconns; i++) {
        totals[conns[i].client].conns++;
        totals[conns[i].client].fnv = FNV32_INIT;
    }

    int accepted = 0;
    while (open_conns > 0 || accepted < 2 * PER_KIND) {
        struct epoll_event evs[32];
        int n = epoll_wait(ep, evs, 32, 20000);
        CHECK(n > 0, "epoll_wait: nothing for 20 s (%d; %d open, %d accepted)", n, open_conns,
              accepted);
        for (int k = 0; k < n; k++) {
            uint64_t tag = evs[k].data.u64;
            if (tag == TAG_UNIX_LISTENER || tag == TAG_TCP_LISTENER) {
                int before = nconns;
                accept_all(tag == TAG_UNIX_LISTENER ? ul : tl);
                accepted += nconns - before;
                continue;
            }
            int i = (int)(tag >> 1);
            if (!conns[i].open)
                continue;
            if (tag & 1) {
                conn_flush(i);
                continue;
            }
            if (evs[k].events & EPOLLOUT)
                conn_flush(i);
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                conn_readable(i);
        }
    }
    close(ul);
    close(tl);
    CHECK(unlink(path) == 0, "unlink %s", path);
    close(ep);

    for (int n = 0; n < CLIENTS; n++) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        CHECK(p > 0, "waitpid");
        int id = 0;
        while (id < CLIENTS && pids[id] != p)
            id++;
        CHECK(id < CLIENTS, "a stranger");
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client %d status %#x", id, st);
    }
    CHECK_ERR(waitpid(-1, NULL, 0), ECHILD);

    uint64_t all_req = 0, all_bytes = 0;
    for (int id = 0; id < CLIENTS; id++) {
        struct totals *t = &totals[id];
        CHECK(t->conns == 1, "client %d: %d connections", id, t->conns);
        CHECK(t->requests == REQUESTS, "client %d: %llu requests", id,
              (unsigned long long)t->requests);
        OUT("client %2d (%s): %llu requests, %llu payload bytes, fnv %08x, exit 0", id,
            kinds[id / PER_KIND], (unsigned long long)t->requests,
            (unsigned long long)t->bytes, t->fnv);
        all_req += t->requests;
        all_bytes += t->bytes;
    }
    OUT("total: %d clients, %llu requests, %llu payload bytes, %d connections accepted",
        CLIENTS, (unsigned long long)all_req, (unsigned long long)all_bytes, accepted);
    CHECK(server_reads > (uint64_t)all_req / BURST, "reads %llu",
          (unsigned long long)server_reads);
    return 0;
}
