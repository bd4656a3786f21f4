/* epoll_server_16proc: one server process and 16 client processes (the
 * program itself, spawned with pipes on the client's fds 0/1). Each client
 * sends N 64-byte requests, one at a time, and waits for each 64-byte
 * reply; the server serves them all from one (level-triggered) epoll
 * instance. Timed from the moment every client is ready to the last
 * hang-up; prints req_per_s. Usage: epoll_server [N] */
#include <sys/epoll.h>

#include "pipe_proc.h"

#define CLIENTS 16
#define MSG 64

static int child_client(long n)
{
    char buf[MSG];
    memset(buf, 'q', sizeof buf);
    char c = 'r';
    if (write(1, &c, 1) != 1 || read(0, &c, 1) != 1 || c != 'g')   /* ready, go */
        return 1;
    for (long i = 0; i < n; i++) {
        if (write(1, buf, MSG) != MSG)
            return 1;
        for (size_t got = 0; got < MSG;) {
            ssize_t r = read(0, buf + got, MSG - got);
            if (r <= 0)
                return 1;
            got += (size_t)r;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "client"))
        return child_client(atol(argv[2]));
    long n = gb_count(argc, argv, 1, 2000);
    char arg[32];
    snprintf(arg, sizeof arg, "%ld", n);
    struct peer p[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        p[i] = peer_spawn(argv[0], "client", arg);
    for (int i = 0; i < CLIENTS; i++) {
        char c;
        if (read(p[i].from_child, &c, 1) != 1 || c != 'r')
            gb_fail("ready");
    }
    int ep = epoll_create1(0);
    if (ep < 0)
        gb_fail("epoll_create1");
    for (int i = 0; i < CLIENTS; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, p[i].from_child, &ev) != 0)
            gb_fail("epoll_ctl");
    }
    double t0 = gb_now_ns();
    for (int i = 0; i < CLIENTS; i++)
        if (write(p[i].to_child, "g", 1) != 1)
            gb_fail("go");
    long served = 0;
    size_t partial[CLIENTS] = { 0 };
    char buf[4096];
    for (int open = CLIENTS; open > 0;) {
        struct epoll_event evs[CLIENTS];
        int k = epoll_wait(ep, evs, CLIENTS, 10000);
        if (k <= 0)
            gb_fail("epoll_wait");
        for (int e = 0; e < k; e++) {
            int i = (int)evs[e].data.u32;
            ssize_t r = read(p[i].from_child, buf, sizeof buf);
            if (r < 0)
                gb_fail("read");
            if (r == 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, p[i].from_child, NULL);
                open--;
                continue;
            }
            partial[i] += (size_t)r;
            for (; partial[i] >= MSG; partial[i] -= MSG) {
                if (write(p[i].to_child, buf, MSG) != MSG)
                    gb_fail("reply");
                served++;
            }
        }
    }
    double t1 = gb_now_ns();
    if (served != n * CLIENTS)
        gb_fail("request count");
    for (int i = 0; i < CLIENTS; i++)
        peer_finish(&p[i]);
    gb_report("req_per_s", (double)served / ((t1 - t0) / 1e9));
    return 0;
}
