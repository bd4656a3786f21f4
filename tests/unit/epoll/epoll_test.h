/* Helpers for the epoll tests: one API table with a native Linux and an
 * onespace implementation, so a scenario runs twice and its logs (return
 * values, errnos, events) must be equal: Linux is the oracle. */
#ifndef ONESPACE_TEST_EPOLL_TEST_H
#define ONESPACE_TEST_EPOLL_TEST_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>

#include "fs/fd_table.h"
#include "fs/file.h"

struct os_api {
    const char *name;
    int (*pipe2)(int fds[2], int flags);
    int (*socketpair)(int fds[2]);   /* AF_UNIX stream, nonblocking */
    int (*tcp_pair)(int fds[2]);     /* connected over 127.0.0.1, nonblocking */
    int (*eventfd)(unsigned init, int flags);
    int (*open_regular)(void);       /* a regular host file, O_RDWR */
    int (*epoll_create1)(int flags);
    int (*epoll_create)(int size);
    int (*epoll_ctl)(int ep, int op, int fd, struct epoll_event *ev);
    int (*epoll_wait)(int ep, struct epoll_event *ev, int max, int timeout_ms);
    int (*epoll_pwait)(int ep, struct epoll_event *ev, int max, int timeout_ms,
                       const uint64_t *mask, size_t sigsetsize);
    int (*epoll_pwait2)(int ep, struct epoll_event *ev, int max,
                        const struct timespec *ts);
    ssize_t (*read)(int fd, void *buf, size_t n);
    ssize_t (*write)(int fd, const void *buf, size_t n);
    int (*close)(int fd);
    int (*dup)(int fd);
    int (*shutdown_wr)(int fd);      /* host sockets */
    int (*poll)(struct pollfd *fds, unsigned long n, int timeout_ms);
    int (*ppoll)(struct pollfd *fds, unsigned long n, struct timespec *ts,
                 const uint64_t *mask, size_t sigsetsize);
    int (*select)(int n, uint64_t *r, uint64_t *w, uint64_t *e, struct timeval *tv);
    int (*pselect6)(int n, uint64_t *r, uint64_t *w, uint64_t *e, struct timespec *ts,
                    const uint64_t *mask, size_t sigsetsize);
    unsigned long (*nofile)(void);   /* RLIMIT_NOFILE / the table's limit */
};

extern const struct os_api native_api;
extern const struct os_api onespace_api;

/* The fd table behind onespace_api (created on first use). */
struct fd_table *os_table(void);
/* Reset the onespace table (close everything, new table). */
void os_table_reset(void);

/* The File behind an onespace fd (a new reference). */
struct file *os_file(int fd);

/* A scenario log: (line, value) pairs. */
struct tlog {
    int n;
    int line[4096];
    long val[4096];
};
void tlog_add(struct tlog *l, int line, long v);
#define LOG(l, x) tlog_add((l), __LINE__, (long)(x))
/* Fail (cmocka) with the first difference if the logs differ. */
void tlog_expect_equal(const struct tlog *native, const struct tlog *ours);

/* Run scenario(api, log) natively and in onespace and compare. */
void compare_with_native(void (*scenario)(const struct os_api *api, struct tlog *log));

/* Threads: start fn(arg); join (asserting it finished within `secs`). */
struct tthread;
struct tthread *tthread_start(void *(*fn)(void *), void *arg);
void *tthread_join(struct tthread *t, int secs);

/* Sleep a little (ms), to let another thread block first. Tests never
 * assert on time; this only makes the interesting interleaving likely. */
void msleep(int ms);

uint64_t now_ns(void);

#endif
