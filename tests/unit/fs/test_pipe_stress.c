/* Pipe stress (also built with TSan): many threads, several pipes, random
 * read and write sizes, resizes and O_NONBLOCK toggles while data flows.
 * Every byte is checked: stream pipes carry a position-derived byte
 * sequence (one writer each), record pipes carry sequence-numbered records
 * of <= PIPE_BUF bytes from several writers (so each record must arrive
 * whole, per writer in order, never lost or duplicated). Ends with EOF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/pipe.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define STREAM_BYTES (16u << 20)
#define RECORDS 6000
#else
#define STREAM_BYTES (256u << 20)
#define RECORDS 60000
#endif

#define STREAM_PIPES 3
#define RECORD_PIPES 3
#define WRITERS_PER_RECORD_PIPE 3

static atomic_int failures;
static atomic_ullong bytes_checked;
#define CHECK(c) do { if (!(c)) { atomic_fetch_add(&failures, 1); return NULL; } } while (0)

static inline unsigned char stream_byte(unsigned pipe, uint64_t pos)
{
    uint64_t x = pos * 0x9e3779b97f4a7c15ull + pipe;
    return (unsigned char)(x >> 56);
}

static uint32_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (uint32_t)*s;
}

struct pipe_pair {
    struct file *r, *w;
    unsigned id;
    atomic_int writers_left;
};

static struct pipe_pair pipes[STREAM_PIPES + RECORD_PIPES];
static atomic_int stop_meddling;

/* ---- stream pipes ------------------------------------------------------ */

static void *stream_writer(void *arg)
{
    struct pipe_pair *p = arg;
    uint64_t seed = 0x1234 + p->id, pos = 0;
    static __thread unsigned char buf[200000];
    while (pos < STREAM_BYTES) {
        size_t n = 1 + rnd(&seed) % (rnd(&seed) % 4 ? 4096 : sizeof buf);
        if (n > STREAM_BYTES - pos)
            n = STREAM_BYTES - pos;
        for (size_t i = 0; i < n; i++)
            buf[i] = stream_byte(p->id, pos + i);
        /* now and then a nonblocking write (EAGAIN / partial counts) */
        bool nb = rnd(&seed) % 8 == 0;
        if (nb)
            file_set_status_flags(p->w, O_NONBLOCK);
        size_t off = 0;
        while (off < n) {
            ssize_t w = file_write(p->w, buf + off, n - off);
            if (w == -EAGAIN && nb) {
                sched_yield();
                continue;
            }
            CHECK(w > 0);
            CHECK(nb || (size_t)w == n - off); /* blocking writes complete */
            off += (size_t)w;
        }
        if (nb)
            file_set_status_flags(p->w, 0);
        pos += n;
    }
    file_put(p->w);
    return NULL;
}

static void *stream_reader(void *arg)
{
    struct pipe_pair *p = arg;
    uint64_t seed = 0x777 + p->id, pos = 0;
    static __thread unsigned char buf[150000];
    for (;;) {
        size_t n = 1 + rnd(&seed) % (rnd(&seed) % 2 ? 512 : sizeof buf);
        ssize_t r;
        if (rnd(&seed) % 3 == 0) {
            struct iovec iov[2] = { { buf, n / 2 }, { buf + n / 2, n - n / 2 } };
            r = file_readv(p->r, iov, 2);
        } else {
            r = file_read(p->r, buf, n);
        }
        if (r == -EAGAIN) {
            sched_yield();
            continue;
        }
        CHECK(r >= 0);
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            CHECK(buf[i] == stream_byte(p->id, pos + (uint64_t)i));
        pos += (uint64_t)r;
    }
    CHECK(pos == STREAM_BYTES);
    atomic_fetch_add(&bytes_checked, pos);
    file_put(p->r);
    return NULL;
}

/* ---- record pipes ------------------------------------------------------ */

struct rec_hdr {
    uint32_t magic;
    uint16_t writer;
    uint16_t len;   /* total record length, header included */
    uint32_t seq;
};

#define REC_MAGIC 0x5eedf00d

struct rec_writer_arg {
    struct pipe_pair *p;
    unsigned writer;
};

static void *record_writer(void *arg)
{
    struct rec_writer_arg *a = arg;
    uint64_t seed = 0x4242 + a->writer * 31 + a->p->id;
    unsigned char buf[PIPE_BUF];
    for (uint32_t seq = 0; seq < RECORDS; seq++) {
        size_t len = sizeof(struct rec_hdr) + rnd(&seed) % (PIPE_BUF - sizeof(struct rec_hdr) + 1);
        struct rec_hdr h = { REC_MAGIC, (uint16_t)a->writer, (uint16_t)len, seq };
        memcpy(buf, &h, sizeof h);
        for (size_t i = sizeof h; i < len; i++)
            buf[i] = (unsigned char)(seq + i + a->writer);
        for (;;) {
            ssize_t w;
            if (seq & 1) {
                struct iovec iov[3] = { { buf, 5 }, { buf + 5, (len - 5) / 2 },
                                        { buf + 5 + (len - 5) / 2, len - 5 - (len - 5) / 2 } };
                w = file_writev(a->p->w, iov, 3);
            } else {
                w = file_write(a->p->w, buf, len);
            }
            if (w == -EAGAIN) {
                sched_yield();
                continue;
            }
            CHECK(w == (ssize_t)len); /* <= PIPE_BUF: all or nothing */
            break;
        }
    }
    if (atomic_fetch_sub(&a->p->writers_left, 1) == 1)
        file_put(a->p->w);
    return NULL;
}

static void *record_reader(void *arg)
{
    struct pipe_pair *p = arg;
    uint32_t next[WRITERS_PER_RECORD_PIPE] = { 0 };
    static __thread unsigned char buf[3 * 65536];
    size_t have = 0;
    uint64_t seed = 99 + p->id;
    for (;;) {
        size_t want = 1 + rnd(&seed) % 20000;
        if (want > sizeof buf - have)
            want = sizeof buf - have;
        ssize_t r = file_read(p->r, buf + have, want);
        if (r == -EAGAIN) {
            sched_yield();
            continue;
        }
        CHECK(r >= 0);
        if (r == 0)
            break;
        have += (size_t)r;
        size_t off = 0;
        while (have - off >= sizeof(struct rec_hdr)) {
            struct rec_hdr h;
            memcpy(&h, buf + off, sizeof h);
            CHECK(h.magic == REC_MAGIC);
            CHECK(h.writer < WRITERS_PER_RECORD_PIPE);
            if (have - off < h.len)
                break;
            CHECK(h.seq == next[h.writer]);
            next[h.writer]++;
            for (size_t i = sizeof h; i < h.len; i++)
                CHECK(buf[off + i] == (unsigned char)(h.seq + i + h.writer));
            off += h.len;
            atomic_fetch_add(&bytes_checked, h.len);
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
    CHECK(have == 0);
    for (int w = 0; w < WRITERS_PER_RECORD_PIPE; w++)
        CHECK(next[w] == RECORDS);
    file_put(p->r);
    return NULL;
}

/* ---- meddler: resizes, and O_NONBLOCK toggles on read ends ---------------- */

static void *meddler(void *arg)
{
    uint64_t seed = 5;
    struct file *mine[STREAM_PIPES + RECORD_PIPES];
    for (unsigned i = 0; i < STREAM_PIPES + RECORD_PIPES; i++)
        mine[i] = file_get(pipes[i].r); /* keep the pipes alive */
    while (!atomic_load(&stop_meddling)) {
        struct file *f = mine[rnd(&seed) % (STREAM_PIPES + RECORD_PIPES)];
        unsigned size = 4096u << (rnd(&seed) % 9); /* 4 KiB .. 1 MiB */
        long r = file_fcntl(f, F_SETPIPE_SZ, size);
        if (r != -EBUSY && r != (long)size)
            atomic_fetch_add(&failures, 1);
        if (rnd(&seed) % 4 == 0) {
            int fl = file_get_status_flags(f);
            file_set_status_flags(f, fl ^ O_NONBLOCK);
        }
        usleep(200 + rnd(&seed) % 2000);
    }
    for (unsigned i = 0; i < STREAM_PIPES + RECORD_PIPES; i++) {
        file_set_status_flags(mine[i], 0);
        file_put(mine[i]);
    }
    return NULL;
}

static void test_stress(void **state)
{
    pthread_t th[64];
    int n = 0;
    struct rec_writer_arg wargs[RECORD_PIPES][WRITERS_PER_RECORD_PIPE];
    for (unsigned i = 0; i < STREAM_PIPES + RECORD_PIPES; i++) {
        pipes[i].id = i;
        assert_int_equal(pipe_create(0, &pipes[i].r, &pipes[i].w), 0);
        atomic_store(&pipes[i].writers_left, WRITERS_PER_RECORD_PIPE);
    }
    pthread_t med;
    pthread_create(&med, NULL, meddler, NULL);
    for (unsigned i = 0; i < STREAM_PIPES; i++) {
        pthread_create(&th[n++], NULL, stream_writer, &pipes[i]);
        pthread_create(&th[n++], NULL, stream_reader, &pipes[i]);
    }
    for (unsigned i = 0; i < RECORD_PIPES; i++) {
        struct pipe_pair *p = &pipes[STREAM_PIPES + i];
        for (unsigned w = 0; w < WRITERS_PER_RECORD_PIPE; w++) {
            wargs[i][w] = (struct rec_writer_arg){ p, w };
            pthread_create(&th[n++], NULL, record_writer, &wargs[i][w]);
        }
        pthread_create(&th[n++], NULL, record_reader, p);
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    atomic_store(&stop_meddling, 1);
    pthread_join(med, NULL);
    assert_int_equal(atomic_load(&failures), 0);
    print_message("checked %llu bytes\n", (unsigned long long)atomic_load(&bytes_checked));
    assert_true(atomic_load(&bytes_checked) >= (unsigned long long)STREAM_PIPES * STREAM_BYTES);
}

int main(void)
{
    alarm(300);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
