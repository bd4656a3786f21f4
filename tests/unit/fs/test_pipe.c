/* Pipes, compared with a native pipe in the same test wherever Linux's
 * behaviour is observable the same way: EAGAIN and partial writes, EPIPE,
 * EOF, F_GETPIPE_SZ/F_SETPIPE_SZ (sizes and errnos), FIONREAD, poll bits,
 * packet mode (O_DIRECT), readv/writev; plus blocking behaviour with host
 * threads: blocking writes complete fully, EINTR, the SIGPIPE hook,
 * observers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "events/waiter.h"
#include "fs/pipe.h"

#define NATIVE(call) ({ long r_ = (long)(call); r_ < 0 ? -errno : r_; })

struct both {
    int n[2];          /* native */
    struct file *r, *w; /* ours */
};

static void both_open(struct both *b, int flags)
{
    assert_int_equal(pipe2(b->n, flags), 0);
    assert_int_equal(pipe_create(flags, &b->r, &b->w), 0);
}

static void both_close_read(struct both *b)
{
    close(b->n[0]);
    b->n[0] = -1;
    file_put(b->r);
    b->r = NULL;
}

static void both_close_write(struct both *b)
{
    close(b->n[1]);
    b->n[1] = -1;
    file_put(b->w);
    b->w = NULL;
}

static void both_close(struct both *b)
{
    if (b->r)
        both_close_read(b);
    if (b->w)
        both_close_write(b);
}

static short native_poll(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLPRI | POLLRDNORM |
                                             POLLWRNORM | POLLRDBAND | POLLWRBAND | POLLRDHUP };
    assert_int_equal(poll(&p, 1, 0) >= 0, 1);
    return p.revents;
}

/* Poll bits of both ends agree with Linux. */
static void check_poll(struct both *b)
{
    if (b->r)
        assert_int_equal(file_poll(b->r, IO_ALL_POLL), native_poll(b->n[0]));
    if (b->w)
        assert_int_equal(file_poll(b->w, IO_ALL_POLL), native_poll(b->n[1]));
}

static void check_fionread(struct both *b)
{
    int a = -1, c = -1;
    assert_int_equal(ioctl(b->n[0], FIONREAD, &a), 0);
    assert_int_equal(file_ioctl(b->r, FIONREAD, &c), 0);
    assert_int_equal(a, c);
}

static char pattern[1 << 20];

static void test_basic_and_poll(void **state)
{
    struct both b;
    both_open(&b, O_NONBLOCK);
    check_poll(&b);
    char buf[64];
    assert_int_equal(file_read(b.r, buf, 10), NATIVE(read(b.n[0], buf, 10)));  /* EAGAIN */
    assert_int_equal(file_write(b.w, "hello", 5), NATIVE(write(b.n[1], "hello", 5)));
    check_poll(&b);
    check_fionread(&b);
    assert_int_equal(file_read(b.r, buf, 0), NATIVE(read(b.n[0], buf, 0)));
    assert_int_equal(file_read(b.r, buf, 3), 3);
    assert_memory_equal(buf, "hel", 3);
    assert_int_equal(read(b.n[0], buf, 3), 3);
    check_fionread(&b);
    /* other ops */
    assert_int_equal(file_pread(b.r, buf, 1, 0), NATIVE(pread(b.n[0], buf, 1, 0)));
    assert_int_equal(file_pwrite(b.w, buf, 1, 0), NATIVE(pwrite(b.n[1], buf, 1, 0)));
    assert_int_equal(file_pread(b.w, buf, 1, -1), NATIVE(pread(b.n[1], buf, 1, -1)));
    assert_int_equal(file_lseek(b.r, 0, SEEK_CUR), NATIVE(lseek(b.n[0], 0, SEEK_CUR)));
    assert_int_equal(file_read(b.w, buf, 1), NATIVE(read(b.n[1], buf, 1)));
    assert_int_equal(file_write(b.r, buf, 1), NATIVE(write(b.n[0], buf, 1)));
    assert_int_equal(file_ioctl(b.r, 0x5401 /* TCGETS */, buf), NATIVE(ioctl(b.n[0], 0x5401, buf)));
    struct stat st;
    assert_int_equal(file_stat(b.r, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    struct stat nst;
    fstat(b.n[0], &nst);
    assert_int_equal(st.st_mode, nst.st_mode);
    assert_int_equal(st.st_blksize, nst.st_blksize);
    assert_true(file_is_pipe(b.r));

    /* writer closed: the data, then EOF; HUP (with IN while data) */
    both_close_write(&b);
    check_poll(&b);
    assert_int_equal(file_read(b.r, buf, 64), NATIVE(read(b.n[0], buf, 64)));
    check_poll(&b);
    assert_int_equal(file_read(b.r, buf, 64), NATIVE(read(b.n[0], buf, 64))); /* 0 */
    both_close(&b);

    /* reader closed: EPIPE (SIGPIPE ignored natively), ERR on the write end;
     * a zero-length write still returns 0 */
    signal(SIGPIPE, SIG_IGN);
    both_open(&b, 0);
    both_close_read(&b);
    check_poll(&b);
    assert_int_equal(file_write(b.w, "x", 1), NATIVE(write(b.n[1], "x", 1)));
    assert_int_equal(file_write(b.w, "x", 0), NATIVE(write(b.n[1], "x", 0)));
    both_close(&b);
}

static void test_bad_flags(void **state)
{
    int fds[2];
    struct file *r, *w;
    assert_int_equal(pipe_create(O_APPEND, &r, &w), NATIVE(pipe2(fds, O_APPEND)));
    assert_int_equal(pipe_create(O_RDWR, &r, &w), NATIVE(pipe2(fds, O_RDWR)));
}

/* Fill a nonblocking pipe: same totals, EAGAIN, partial writes. */
static void test_nonblocking_fill(void **state)
{
    struct both b;
    both_open(&b, O_NONBLOCK);
    long total_n = 0, total_o = 0;
    for (;;) {
        long a = NATIVE(write(b.n[1], pattern, 4096));
        long c = file_write(b.w, pattern, 4096);
        assert_int_equal(a, c);
        if (a < 0)
            break;
        total_n += a;
        total_o += c;
    }
    assert_int_equal(total_n, 65536);
    assert_int_equal(total_o, 65536);
    check_poll(&b); /* write end: not writable */
    check_fionread(&b);
    /* a 1-byte write into a full pipe: EAGAIN in both */
    assert_int_equal(file_write(b.w, "x", 1), NATIVE(write(b.n[1], "x", 1)));
    /* reading 1 byte frees less than PIPE_BUF: still EAGAIN for 4096 */
    char buf[8192];
    assert_int_equal(file_read(b.r, buf, 1), NATIVE(read(b.n[0], buf, 1)));
    assert_int_equal(file_write(b.w, pattern, 4096), NATIVE(write(b.n[1], pattern, 4096)));
    check_poll(&b);
    /* after a whole page is read, an atomic write fits */
    assert_int_equal(file_read(b.r, buf, 4095), NATIVE(read(b.n[0], buf, 4095)));
    check_poll(&b);
    assert_int_equal(file_write(b.w, pattern, 4096), NATIVE(write(b.n[1], pattern, 4096)));
    both_close(&b);

    /* a big nonblocking write into an empty pipe is partial (64 KiB) */
    both_open(&b, O_NONBLOCK);
    assert_int_equal(file_write(b.w, pattern, 100000), NATIVE(write(b.n[1], pattern, 100000)));
    check_fionread(&b);
    /* and a read of everything returns it all, in order */
    static char in[70000];
    assert_int_equal(file_read(b.r, in, sizeof in), 65536);
    assert_memory_equal(in, pattern, 65536);
    both_close(&b);
}

static void test_pipe_size(void **state)
{
    struct both b;
    both_open(&b, O_NONBLOCK);
    assert_int_equal(file_fcntl(b.r, F_GETPIPE_SZ, 0), NATIVE(fcntl(b.n[0], F_GETPIPE_SZ)));
    unsigned long sizes[] = { 0, 1, 4096, 5000, 65536, 65537, 300000, 1 << 20 };
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, sizes[i]),
                         NATIVE(fcntl(b.n[1], F_SETPIPE_SZ, sizes[i])));
        assert_int_equal(file_fcntl(b.r, F_GETPIPE_SZ, 0), NATIVE(fcntl(b.n[0], F_GETPIPE_SZ)));
    }
    /* absurd sizes: EINVAL; above the maximum: EPERM (for an unprivileged
     * process; the native test may run as root, so only ours here) */
    assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, (unsigned long)-1),
                     NATIVE(fcntl(b.n[1], F_SETPIPE_SZ, -1)));
    assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, (1ul << 31) + 1),
                     NATIVE(fcntl(b.n[1], F_SETPIPE_SZ, (1u << 31) + 1)));
    assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, (1 << 20) + 1), -EPERM);
    assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, 1ul << 31), -EPERM);

    /* shrinking below the data: EBUSY; data survives a resize */
    assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, 65536), NATIVE(fcntl(b.n[1], F_SETPIPE_SZ, 65536)));
    assert_int_equal(file_write(b.w, pattern, 3 * 4096), NATIVE(write(b.n[1], pattern, 3 * 4096)));
    assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, 8192), NATIVE(fcntl(b.n[1], F_SETPIPE_SZ, 8192)));
    assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, 16384), NATIVE(fcntl(b.n[1], F_SETPIPE_SZ, 16384)));
    check_fionread(&b);
    check_poll(&b);
    /* wrapped data across a resize */
    char buf[16384];
    assert_int_equal(file_read(b.r, buf, 10000), 10000);
    assert_memory_equal(buf, pattern, 10000);
    assert_int_equal(file_write(b.w, pattern + 12288, 4096), 4096); /* wraps */
    assert_int_equal(file_fcntl(b.w, F_SETPIPE_SZ, 1 << 20), 1 << 20);
    assert_int_equal(file_read(b.r, buf, sizeof buf), 2288 + 4096);
    assert_memory_equal(buf, pattern + 10000, 2288 + 4096);
    /* F_*PIPE_SZ is EBADF for a non-pipe (see test_file), EINVAL for
     * unknown commands here */
    assert_int_equal(file_fcntl(b.r, 12345, 0), NATIVE(fcntl(b.n[0], 12345)));
    both_close(&b);
}

static void test_readv_writev(void **state)
{
    struct both b;
    both_open(&b, O_NONBLOCK);
    struct iovec wv[3] = { { pattern, 10 }, { NULL, 0 }, { pattern + 10, 4086 } };
    assert_int_equal(file_writev(b.w, wv, 3), NATIVE(writev(b.n[1], wv, 3)));
    char a[100], c[5000];
    struct iovec rv[2] = { { a, 100 }, { c, 5000 } };
    assert_int_equal(file_readv(b.r, rv, 2), 4096);
    assert_memory_equal(a, pattern, 100);
    assert_memory_equal(c, pattern + 100, 3996);
    assert_int_equal(NATIVE(readv(b.n[0], rv, 2)), 4096);
    both_close(&b);
}

/* Packet mode: one packet per write (split at PIPE_BUF), one per read,
 * the rest of a packet dropped; a page per packet (16 fit in 64 KiB). */
static void test_packet_mode(void **state)
{
    struct both b;
    both_open(&b, O_DIRECT | O_NONBLOCK);
    assert_int_equal(file_fcntl(b.r, F_GETFL, 0), NATIVE(fcntl(b.n[0], F_GETFL)));
    assert_int_equal(file_fcntl(b.w, F_GETFL, 0), NATIVE(fcntl(b.n[1], F_GETFL)));
    size_t lens[] = { 100, 200, 50, 5000, 1 };
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(file_write(b.w, pattern, lens[i]),
                         NATIVE(write(b.n[1], pattern, lens[i])));
    check_fionread(&b);
    char x[8192], y[8192];
    for (;;) {
        long n = NATIVE(read(b.n[0], x, 4096));
        long o = file_read(b.r, y, 4096);
        assert_int_equal(n, o);
        if (n < 0)
            break;
        assert_memory_equal(x, y, (size_t)n);
    }
    /* short reads drop the rest of the packet */
    assert_int_equal(file_write(b.w, pattern, 300), NATIVE(write(b.n[1], pattern, 300)));
    assert_int_equal(file_write(b.w, pattern + 300, 300), NATIVE(write(b.n[1], pattern + 300, 300)));
    assert_int_equal(file_read(b.r, y, 10), NATIVE(read(b.n[0], x, 10)));
    assert_memory_equal(x, y, 10);
    assert_int_equal(file_read(b.r, y, 4096), NATIVE(read(b.n[0], x, 4096)));
    assert_memory_equal(x, y, 300);
    /* 16 one-byte packets fill a 64 KiB pipe */
    int cnt_n = 0, cnt_o = 0;
    while (write(b.n[1], "p", 1) == 1)
        cnt_n++;
    while (file_write(b.w, "p", 1) == 1)
        cnt_o++;
    assert_int_equal(cnt_n, cnt_o);
    check_poll(&b);
    both_close(&b);

    /* stream data, then a packet (padding), then stream again */
    both_open(&b, O_NONBLOCK);
    assert_int_equal(file_write(b.w, pattern, 10), NATIVE(write(b.n[1], pattern, 10)));
    assert_int_equal(file_fcntl(b.w, F_SETFL, O_NONBLOCK | O_DIRECT),
                     NATIVE(fcntl(b.n[1], F_SETFL, O_NONBLOCK | O_DIRECT)));
    assert_int_equal(file_write(b.w, pattern + 10, 20), NATIVE(write(b.n[1], pattern + 10, 20)));
    assert_int_equal(file_fcntl(b.w, F_SETFL, O_NONBLOCK), NATIVE(fcntl(b.n[1], F_SETFL, O_NONBLOCK)));
    assert_int_equal(file_write(b.w, pattern + 30, 40), NATIVE(write(b.n[1], pattern + 30, 40)));
    check_fionread(&b);
    for (int i = 0; i < 4; i++) {
        long n = NATIVE(read(b.n[0], x, 25));
        long o = file_read(b.r, y, 25);
        assert_int_equal(n, o);
        if (n > 0)
            assert_memory_equal(x, y, (size_t)n);
    }
    both_close(&b);

    /* a packet that does not fit in the stream's page: padding, then a
     * packet; a read crosses from the stream into the packet and drops
     * the packet's rest */
    both_open(&b, O_NONBLOCK);
    assert_int_equal(file_write(b.w, pattern, 4000), NATIVE(write(b.n[1], pattern, 4000)));
    assert_int_equal(file_fcntl(b.w, F_SETFL, O_NONBLOCK | O_DIRECT),
                     NATIVE(fcntl(b.n[1], F_SETFL, O_NONBLOCK | O_DIRECT)));
    assert_int_equal(file_write(b.w, pattern + 4000, 200), NATIVE(write(b.n[1], pattern + 4000, 200)));
    assert_int_equal(file_write(b.w, pattern + 4200, 50), NATIVE(write(b.n[1], pattern + 4200, 50)));
    check_fionread(&b);
    check_poll(&b);
    for (int i = 0; i < 3; i++) {
        long n = NATIVE(read(b.n[0], x, 4096));
        long o = file_read(b.r, y, 4096);
        assert_int_equal(n, o);
        if (n > 0)
            assert_memory_equal(x, y, (size_t)n);
        check_fionread(&b);
    }
    both_close(&b);
}

/* ---- blocking behaviour (threads) ------------------------------------ */

struct reader_arg {
    struct file *r;
    size_t total;
    size_t chunk;
    unsigned delay_us;
    char *out;
    size_t got;
};

static void *slow_reader(void *p)
{
    struct reader_arg *a = p;
    while (a->got < a->total) {
        if (a->delay_us)
            usleep(a->delay_us);
        ssize_t n = file_read(a->r, a->out + a->got, a->chunk);
        if (n <= 0)
            break;
        a->got += (size_t)n;
    }
    return NULL;
}

static void test_blocking_write_completes(void **state)
{
    struct file *r, *w;
    assert_int_equal(pipe_create(0, &r, &w), 0);
    char *out = malloc(sizeof pattern);
    struct reader_arg a = { r, sizeof pattern, 1000, 20, out, 0 };
    pthread_t th;
    pthread_create(&th, NULL, slow_reader, &a);
    /* 1 MiB through a 64 KiB pipe with a slow reader: one call, all of it */
    assert_int_equal(file_write(w, pattern, sizeof pattern), (ssize_t)sizeof pattern);
    pthread_join(th, NULL);
    assert_int_equal(a.got, sizeof pattern);
    assert_memory_equal(out, pattern, sizeof pattern);
    free(out);
    file_put(r);
    file_put(w);
}

struct blocked {
    struct file *f;
    struct waiter *w;
    atomic_int ready;
    ssize_t result;
    size_t len;
    bool is_write;
};

static void *blocked_main(void *p)
{
    struct blocked *b = p;
    b->w = waiter_current();
    atomic_store(&b->ready, 1);
    static char buf[1 << 18];
    b->result = b->is_write ? file_write(b->f, pattern, b->len) : file_read(b->f, buf, b->len);
    return NULL;
}

static void start_blocked(pthread_t *th, struct blocked *b)
{
    pthread_create(th, NULL, blocked_main, b);
    while (!atomic_load(&b->ready))
        usleep(100);
    usleep(50 * 1000);
}

static void test_blocking_read_and_eof(void **state)
{
    struct file *r, *w;
    assert_int_equal(pipe_create(0, &r, &w), 0);
    pthread_t th;
    struct blocked b = { .f = r, .len = 100 };
    start_blocked(&th, &b);
    assert_int_equal(file_write(w, "abc", 3), 3);
    pthread_join(th, NULL);
    assert_int_equal(b.result, 3); /* what was there, no waiting for more */

    struct blocked b2 = { .f = r, .len = 100 };
    start_blocked(&th, &b2);
    file_put(w); /* last writer: the blocked reader sees EOF */
    pthread_join(th, NULL);
    assert_int_equal(b2.result, 0);
    file_put(r);
}

static void test_interrupts(void **state)
{
    struct file *r, *w;
    assert_int_equal(pipe_create(0, &r, &w), 0);
    pthread_t th;
    struct blocked b = { .f = r, .len = 100 };
    start_blocked(&th, &b);
    waiter_interrupt(b.w);
    pthread_join(th, NULL);
    assert_int_equal(b.result, -EINTR);

    /* a writer interrupted after writing part: the count so far */
    struct blocked b2 = { .f = w, .len = 200000, .is_write = true };
    start_blocked(&th, &b2);
    waiter_interrupt(b2.w);
    pthread_join(th, NULL);
    assert_int_equal(b2.result, 65536);

    /* a writer interrupted before writing anything: EINTR */
    struct blocked b3 = { .f = w, .len = 10, .is_write = true };
    start_blocked(&th, &b3);
    waiter_interrupt(b3.w);
    pthread_join(th, NULL);
    assert_int_equal(b3.result, -EINTR);

    /* a blocked writer sees EPIPE when the reader goes */
    struct blocked b4 = { .f = w, .len = 10, .is_write = true };
    start_blocked(&th, &b4);
    file_put(r);
    pthread_join(th, NULL);
    assert_int_equal(b4.result, -EPIPE);
    file_put(w);
}

/* A blocking write <= PIPE_BUF waits for room for all of it (atomic). */
static void test_atomic_blocking_write(void **state)
{
    struct file *r, *w;
    assert_int_equal(pipe_create(0, &r, &w), 0);
    assert_int_equal(file_write(w, pattern, 65536 - 100), 65536 - 100);
    pthread_t th;
    struct blocked b = { .f = w, .len = 4096, .is_write = true };
    start_blocked(&th, &b);
    int n;
    assert_int_equal(file_ioctl(r, FIONREAD, &n), 0);
    assert_int_equal(n, 65536 - 100); /* nothing written yet */
    static char buf[8192];
    assert_int_equal(file_read(r, buf, 4000), 4000);
    pthread_join(th, NULL);
    assert_int_equal(b.result, 4096);
    assert_int_equal(file_ioctl(r, FIONREAD, &n), 0);
    assert_int_equal(n, 65536 - 100 - 4000 + 4096);
    file_put(r);
    file_put(w);
}

static atomic_int sigpipes;
static void count_sigpipe(void) { atomic_fetch_add(&sigpipes, 1); }

static void test_sigpipe_hook(void **state)
{
    struct file *r, *w;
    assert_int_equal(pipe_create(0, &r, &w), 0);
    pipe_set_sigpipe_hook(count_sigpipe);
    file_put(r);
    assert_int_equal(file_write(w, "x", 1), -EPIPE);
    assert_int_equal(file_write(w, "x", 1), -EPIPE);
    assert_int_equal(atomic_load(&sigpipes), 2);
    assert_int_equal(file_write(w, "x", 0), 0); /* no signal for nothing */
    assert_int_equal(atomic_load(&sigpipes), 2);
    pipe_set_sigpipe_hook(NULL);
    file_put(w);
}

/* Observers see IN on writes, OUT on reads, HUP/ERR on close, and
 * IO_CLOSED when their end goes. */
struct evrec {
    struct observer obs;
    io_events_t seen;
    int calls;
    struct file *f;
};

static void evrec_fn(struct observer *obs, io_events_t ev, const void *info)
{
    struct evrec *e = obs->context;
    e->seen |= ev;
    e->calls++;
    if (ev & IO_CLOSED)
        file_poll_unregister(e->f, obs);
}

static void test_observers(void **state)
{
    struct file *r, *w;
    assert_int_equal(pipe_create(O_NONBLOCK, &r, &w), 0);
    struct evrec er = { .f = r }, ew = { .f = w };
    observer_init(&er.obs, evrec_fn, &er);
    observer_init(&ew.obs, evrec_fn, &ew);
    io_events_t ev;
    assert_int_equal(file_poll_register(r, IO_IN, &er.obs, &ev), 0);
    assert_int_equal(ev, 0);
    assert_int_equal(file_poll_register(w, IO_OUT, &ew.obs, &ev), 0);
    assert_int_equal(ev, IO_OUT);
    assert_int_equal(file_write(w, "ab", 2), 2);
    assert_int_equal(er.seen, IO_IN);
    assert_int_equal(file_write(w, "c", 1), 1); /* every write is an event (ET) */
    assert_int_equal(er.calls, 2);
    char buf[4];
    assert_int_equal(file_read(r, buf, 4), 3);
    assert_int_equal(ew.seen, IO_OUT);
    /* mod: re-register with another mask */
    assert_int_equal(file_poll_register(r, IO_PRI, &er.obs, &ev), 0);
    er.seen = 0;
    assert_int_equal(file_write(w, "d", 1), 1);
    assert_int_equal(er.seen, 0);
    /* writer closes: HUP reaches the read end's observer (always-on bit);
     * its own end's observer gets IO_CLOSED and unregisters */
    file_put(w);
    assert_true(er.seen & IO_HUP);
    assert_true(ew.seen & IO_CLOSED);
    assert_false(observer_is_registered(&ew.obs));
    file_put(r);
    assert_true(er.seen & IO_CLOSED);
    assert_false(observer_is_registered(&er.obs));
}

/* Callbacks run with no pipe lock held: one may even use the pipe. */
struct reentrant {
    struct observer obs;
    struct file *r, *w;
    int depth;
    ssize_t got;
};

static void reentrant_fn(struct observer *obs, io_events_t ev, const void *info)
{
    struct reentrant *x = obs->context;
    if (!(ev & IO_IN) || x->depth++)
        return;
    char buf[8];
    x->got = file_read(x->r, buf, sizeof buf);   /* takes the read side */
    file_write(x->w, "again", 5);                /* and the write side */
}

static void test_observer_reentrancy(void **state)
{
    struct file *r, *w;
    assert_int_equal(pipe_create(O_NONBLOCK, &r, &w), 0);
    struct reentrant x = { .r = r, .w = w };
    observer_init(&x.obs, reentrant_fn, &x);
    io_events_t ev;
    assert_int_equal(file_poll_register(r, IO_IN, &x.obs, &ev), 0);
    assert_int_equal(file_write(w, "hi", 2), 2);
    assert_int_equal(x.got, 2);
    char buf[8];
    assert_int_equal(file_read(r, buf, sizeof buf), 5);
    assert_int_equal(file_poll_unregister(r, &x.obs), 0);
    file_put(r);
    file_put(w);
}

static void test_install(void **state)
{
    struct fd_table *t;
    assert_int_equal(fd_table_create(3, &t), 0);
    int fds[2];
    assert_int_equal(pipe_install(t, O_CLOEXEC | O_NONBLOCK, fds), 0);
    assert_int_equal(fds[0], 0);
    assert_int_equal(fds[1], 1);
    assert_int_equal(fd_table_get_fd_flags(t, 0), FD_CLOEXEC);
    assert_int_equal(fd_table_fcntl(t, 1, F_GETFL, 0), O_WRONLY | O_NONBLOCK);
    assert_int_equal(pipe_install(t, 0, fds), -EMFILE);
    assert_int_equal(fd_table_count(t), 2); /* unchanged */
    assert_int_equal(pipe_install(t, O_APPEND, fds), -EINVAL);
    fd_table_put(t);
}

int main(void)
{
    alarm(120);
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (char)(i * 7 + (i >> 12));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_poll),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_nonblocking_fill),
        cmocka_unit_test(test_pipe_size),
        cmocka_unit_test(test_readv_writev),
        cmocka_unit_test(test_packet_mode),
        cmocka_unit_test(test_blocking_write_completes),
        cmocka_unit_test(test_blocking_read_and_eof),
        cmocka_unit_test(test_interrupts),
        cmocka_unit_test(test_atomic_blocking_write),
        cmocka_unit_test(test_sigpipe_hook),
        cmocka_unit_test(test_observers),
        cmocka_unit_test(test_observer_reentrancy),
        cmocka_unit_test(test_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
