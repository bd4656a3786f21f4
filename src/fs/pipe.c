/* Pipes (see pipe.h).
 *
 * The ring: `cap` bytes (a power of two), and two absolute stream
 * positions: `head` (bytes published by writers) and `tail` (bytes
 * consumed by readers). Writers are serialised by `wlock`, readers by
 * `rlock`; a writer and a reader copy at the same time without sharing a
 * lock: the writer publishes `head` with a release store after copying,
 * the reader publishes `tail` the same way. Neither lock is ever held
 * while sleeping. Resizing takes both (rlock, then wlock).
 *
 * Packet mode (O_DIRECT writers) and the padding it needs are described by
 * "marks" in a small side ring, published before `head` moves past them:
 *   PACKET at pos: a packet of `len` bytes, charged a whole page of ring
 *                  (like a Linux pipe_buffer slot);
 *   PAD at pos:    `len` dead bytes up to the next page boundary (normal
 *                  data followed by a packet).
 * A pipe that never saw O_DIRECT never has a mark, and readers pay one
 * load to learn that.
 *
 * Sleeping: a reader waiting for data first spins on the ring (adaptive,
 * waiter_spin_until), then queues in `rq` and sleeps; writers spin/queue in
 * `wq` for space. Wakers check the queues' counts after a fence, so a
 * pipe with nobody waiting costs no wake-up at all.
 */
#include "util/barrier.h"
#include "fs/pipe.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "events/waiter.h"
#include "util/compiler.h"
#include "util/spinlock.h"

#ifndef F_GETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

/* How much a writer copies before publishing, so a reader can start. */
#define PUBLISH_CHUNK (16u * 1024)

enum mark_kind { MARK_PAD = 1, MARK_PACKET = 2 };

struct iov_cursor {
    const struct iovec *iov;
    int cnt;
    size_t off; /* within iov[0] */
};

/* A blocking writer that found the ring full "parks" the rest of its
 * buffer: a reader that empties the ring goes on copying straight from the
 * writer's memory (one copy instead of two, and one read can take more
 * than the ring holds). The writer returns when readers took all of it,
 * or, as on Linux, as soon as there is room in the ring again: then it
 * takes the rest back and writes it into the ring itself. While a writer
 * is parked no other writer writes (so the stream order, and the atomicity
 * of small writes, are kept). Fields change under wlock. */
struct park {
    struct iov_cursor c;
    size_t remaining;
    size_t taken;            /* by readers */
    atomic_bool complete;
};

struct mark {
    uint64_t pos;
    uint32_t len;
    uint32_t kind;
};

struct pipe {
    /* Written by writers, read by readers. */
    _Alignas(64) atomic_uint_fast64_t head;
    atomic_uint marks_head;
    spinlock_t wlock;
    /* Written by readers, read by writers. */
    _Alignas(64) atomic_uint_fast64_t tail;
    atomic_uint marks_tail;
    spinlock_t rlock;

    _Alignas(64) char *buf;
    atomic_uint cap;           /* bytes, power of two */
    struct mark *marks;
    unsigned marks_cap;        /* power of two */
    atomic_uint_fast64_t pad_bytes; /* ring bytes that are not data */
    uint64_t last_packet_end;  /* writers (wlock): where the last packet's page ends */
    _Atomic(struct park *) parked; /* set and cleared under wlock */

    atomic_int readers, writers;
    atomic_int refs;           /* ends alive */
    struct waiter_queue rq, wq;
    struct notifier rnote, wnote;
    uint64_t ino;
};

struct pipe_end {
    struct file file;
    struct pipe *pipe;
    bool is_read;
};

static _Atomic(pipe_sigpipe_hook_fn) sigpipe_hook;
static atomic_uint_fast64_t next_ino = 1;

void pipe_set_sigpipe_hook(pipe_sigpipe_hook_fn hook)
{
    atomic_store(&sigpipe_hook, hook);
}

static void raise_sigpipe(void)
{
    pipe_sigpipe_hook_fn h = atomic_load(&sigpipe_hook);
    if (h)
        h();
}

static inline struct pipe_end *end_of(struct file *f)
{
    return container_of(f, struct pipe_end, file);
}

static inline uint64_t load_head(struct pipe *p)
{
    return atomic_load_explicit(&p->head, memory_order_acquire);
}
static inline uint64_t load_tail(struct pipe *p)
{
    return atomic_load_explicit(&p->tail, memory_order_acquire);
}
static inline unsigned load_cap(struct pipe *p)
{
    return atomic_load_explicit(&p->cap, memory_order_acquire);
}

static inline struct park *load_parked(struct pipe *p)
{
    return atomic_load_explicit(&p->parked, memory_order_acquire);
}

static inline uint64_t free_space(struct pipe *p)
{
    uint64_t used = load_head(p) - load_tail(p);
    unsigned cap = load_cap(p);
    return used >= cap ? 0 : cap - used;
}

/* ---- wake-ups ---------------------------------------------------------- */

/* After publishing data (or a reader count change): readers may go on.
 * ev == 0 wakes blocked readers only (safe under wlock); observers (epoll,
 * poll) are told with ev != 0, which callers do with no pipe lock held, so
 * an observer callback never runs under a pipe lock. */
static void data_arrived(struct pipe *p, io_events_t ev)
{
    smp_mb();
    if (atomic_load_explicit(&p->rq.count, memory_order_relaxed))
        waiter_queue_wake_all_slow(&p->rq);
    if (ev && atomic_load_explicit(&p->rnote.count, memory_order_relaxed))
        notifier_broadcast_info(&p->rnote, ev, NULL);
}

/* After consuming data (or a writer count change): writers may go on.
 * Same rule for ev. */
static void space_freed(struct pipe *p, io_events_t ev)
{
    smp_mb();
    if (atomic_load_explicit(&p->wq.count, memory_order_relaxed))
        waiter_queue_wake_all_slow(&p->wq);
    if (ev && atomic_load_explicit(&p->wnote.count, memory_order_relaxed))
        notifier_broadcast_info(&p->wnote, ev, NULL);
}

static bool readable_cond(void *arg)
{
    struct pipe *p = arg;
    return load_head(p) != load_tail(p) || load_parked(p) ||
           atomic_load_explicit(&p->writers, memory_order_acquire) == 0;
}

struct space_arg {
    struct pipe *p;
    uint64_t need;
};

static bool writable_cond(void *arg)
{
    struct space_arg *a = arg;
    return (free_space(a->p) >= a->need && !load_parked(a->p)) ||
           atomic_load_explicit(&a->p->readers, memory_order_acquire) == 0;
}

/* ---- iovec cursor ------------------------------------------------------ */

static void cursor_skip_empty(struct iov_cursor *c)
{
    while (c->cnt > 0 && c->off == c->iov->iov_len) {
        c->iov++;
        c->cnt--;
        c->off = 0;
    }
}

/* Copy `n` bytes from the cursor into dst. */
static void cursor_copy_out(struct iov_cursor *c, char *dst, size_t n)
{
    while (n) {
        cursor_skip_empty(c);
        size_t k = MIN(n, c->iov->iov_len - c->off);
        memcpy(dst, (char *)c->iov->iov_base + c->off, k);
        c->off += k;
        dst += k;
        n -= k;
    }
}

/* Copy `n` bytes from src into the cursor. */
static void cursor_copy_in(struct iov_cursor *c, const char *src, size_t n)
{
    while (n) {
        cursor_skip_empty(c);
        size_t k = MIN(n, c->iov->iov_len - c->off);
        memcpy((char *)c->iov->iov_base + c->off, src, k);
        c->off += k;
        src += k;
        n -= k;
    }
}

/* Copy `n` bytes from one cursor to another. */
static void cursor_copy(struct iov_cursor *dst, struct iov_cursor *src, size_t n)
{
    while (n) {
        cursor_skip_empty(src);
        size_t k = MIN(n, src->iov->iov_len - src->off);
        cursor_copy_in(dst, (const char *)src->iov->iov_base + src->off, k);
        src->off += k;
        n -= k;
    }
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
    size_t t = 0;
    for (int i = 0; i < cnt; i++)
        t += iov[i].iov_len;
    return t;
}

/* ---- ring copies (caller holds the side's lock) -------------------------- */

static void ring_write(struct pipe *p, uint64_t pos, struct iov_cursor *c, size_t n)
{
    unsigned cap = load_cap(p);
    size_t at = pos & (cap - 1);
    size_t first = MIN(n, cap - at);
    cursor_copy_out(c, p->buf + at, first);
    if (n > first)
        cursor_copy_out(c, p->buf, n - first);
}

static void ring_read(struct pipe *p, uint64_t pos, struct iov_cursor *c, size_t n)
{
    unsigned cap = load_cap(p);
    size_t at = pos & (cap - 1);
    size_t first = MIN(n, cap - at);
    cursor_copy_in(c, p->buf + at, first);
    if (n > first)
        cursor_copy_in(c, p->buf, n - first);
}

/* ---- write ------------------------------------------------------------ */

/* Publish a mark (writer side, wlock held; there is always room: marks
 * are bounded by the pages in the ring). */
static void push_mark(struct pipe *p, uint64_t pos, uint32_t len, uint32_t kind)
{
    unsigned mh = atomic_load_explicit(&p->marks_head, memory_order_relaxed);
    p->marks[mh & (p->marks_cap - 1)] = (struct mark){ pos, len, kind };
    atomic_store_explicit(&p->marks_head, mh + 1, memory_order_release);
}

/* Normal mode: copy up to `want` bytes (the caller checked there is room
 * for at least what it needs), publishing progressively. */
static size_t write_stream(struct pipe *p, struct iov_cursor *c, size_t want)
{
    size_t done = 0;
    while (done < want) {
        uint64_t h = atomic_load_explicit(&p->head, memory_order_relaxed);
        uint64_t room = load_cap(p) - (h - load_tail(p));
        if (room == 0)
            break;
        size_t n = MIN(MIN(want - done, room), (size_t)PUBLISH_CHUNK);
        ring_write(p, h, c, n);
        atomic_store_explicit(&p->head, h + n, memory_order_release);
        done += n;
        data_arrived(p, 0); /* observers: once the write lock is dropped */
    }
    return done;
}

/* Packet mode: one packet of n <= PIPE_BUF bytes, if a page (plus padding
 * to reach a page boundary) is free; else 0. Like Linux, a packet that
 * fits in the unfinished page of preceding stream data is merged into it
 * (and so is no packet). */
static size_t write_packet(struct pipe *p, struct iov_cursor *c, size_t n)
{
    uint64_t h = atomic_load_explicit(&p->head, memory_order_relaxed);
    uint64_t in_page = h & (PAGE_SIZE - 1);
    if (h != load_tail(p) && p->last_packet_end != h && in_page &&
        in_page + n <= PAGE_SIZE)
        return free_space(p) >= n ? write_stream(p, c, n) : 0;
    uint64_t pad = (PAGE_SIZE - (h & (PAGE_SIZE - 1))) & (PAGE_SIZE - 1);
    uint64_t room = load_cap(p) - (h - load_tail(p));
    if (room < pad + PAGE_SIZE)
        return 0;
    if (pad) {
        push_mark(p, h, (uint32_t)pad, MARK_PAD);
        atomic_fetch_add_explicit(&p->pad_bytes, pad, memory_order_relaxed);
        h += pad;
    }
    ring_write(p, h, c, n);
    push_mark(p, h, (uint32_t)n, MARK_PACKET);
    atomic_fetch_add_explicit(&p->pad_bytes, PAGE_SIZE - n, memory_order_relaxed);
    p->last_packet_end = h + PAGE_SIZE;
    atomic_store_explicit(&p->head, h + PAGE_SIZE, memory_order_release);
    data_arrived(p, 0); /* observers: once the write lock is dropped */
    return n;
}

struct park_arg {
    struct pipe *p;
    struct park *pk;
    uint64_t need;
};

static bool park_cond(void *arg)
{
    struct park_arg *a = arg;
    return atomic_load_explicit(&a->pk->complete, memory_order_acquire) ||
           free_space(a->p) >= a->need ||
           atomic_load_explicit(&a->p->readers, memory_order_acquire) == 0;
}

/* Park the rest of a blocking stream write (wlock held on entry and on
 * return); see struct park. Adds what readers took to *done. */
static int park(struct pipe *p, struct iov_cursor *c, size_t remaining,
                uint64_t need, size_t *done)
{
    struct park pk = { *c, remaining, 0, false };
    atomic_store_explicit(&p->parked, &pk, memory_order_release);
    spin_unlock(&p->wlock);
    data_arrived(p, IO_READABLE); /* a reader waiting on an empty ring */

    struct park_arg a = { p, &pk, need };
    int r = waiter_queue_wait(&p->wq, park_cond, &a, WAIT_FOREVER);
    spin_lock(&p->wlock);
    if (load_parked(p) == &pk) {
        /* Not all taken: take the rest back (other writers may go on). */
        atomic_store_explicit(&p->parked, NULL, memory_order_release);
        space_freed(p, 0);
    }
    *c = pk.c;
    *done += pk.taken;
    return r;
}

static ssize_t pipe_writev(struct file *f, const struct iovec *iov, int iovcnt)
{
    struct pipe *p = end_of(f)->pipe;
    size_t total = iov_total(iov, iovcnt);
    if (total == 0)
        return 0;
    struct iov_cursor c = { iov, iovcnt, 0 };
    bool nonblock = file_nonblocking(f);
    bool sigpipe = false;
    size_t done = 0;
    ssize_t ret;

    spin_lock(&p->wlock);
    for (;;) {
        if (atomic_load_explicit(&p->readers, memory_order_acquire) == 0) {
            sigpipe = true; /* raised once the lock is dropped */
            ret = done ? (ssize_t)done : -EPIPE;
            break;
        }
        /* Packet mode is the writer's O_DIRECT at the time of the write. */
        bool packet = (file_flags(f) & O_DIRECT) != 0;
        /* Room needed to make progress: all of a write <= PIPE_BUF
         * (atomic), else anything. */
        uint64_t need = (done == 0 && total <= PIPE_BUF) ? total : 1;

        size_t progress = 0;
        if (load_parked(p)) {
            /* another writer's data goes first */
        } else if (packet) {
            size_t n = MIN(total - done, (size_t)PIPE_BUF);
            progress = write_packet(p, &c, n);
        } else if (free_space(p) >= need) {
            progress = write_stream(p, &c, total - done);
        }
        done += progress;
        if (done == total) {
            ret = (ssize_t)done;
            break;
        }
        if (progress)
            continue;
        if (nonblock) {
            ret = done ? (ssize_t)done : -EAGAIN;
            break;
        }
        if (!packet && !load_parked(p)) {
            int r = park(p, &c, total - done, need, &done);
            if (done == total) {
                ret = (ssize_t)done;
                break;
            }
            if (r < 0) {
                ret = done ? (ssize_t)done : r;
                break;
            }
            continue;
        }
        spin_unlock(&p->wlock);
        if (done)
            data_arrived(p, IO_READABLE);
        struct space_arg a = { p, need };
        if (packet) {
            /* Exact: a page plus the padding to the next page boundary. */
            uint64_t h = load_head(p);
            a.need = PAGE_SIZE + ((PAGE_SIZE - (h & (PAGE_SIZE - 1))) & (PAGE_SIZE - 1));
        }
        int r = waiter_queue_wait(&p->wq, writable_cond, &a, WAIT_FOREVER);
        spin_lock(&p->wlock);
        if (r < 0) {
            ret = done ? (ssize_t)done : r;
            break;
        }
    }
    spin_unlock(&p->wlock);
    /* One readiness event per write call (Linux wakes pollers on every
     * write, so edge-triggered epoll sees each one). */
    if (done)
        data_arrived(p, IO_READABLE);
    if (sigpipe)
        raise_sigpipe();
    return ret;
}

static ssize_t pipe_write(struct file *f, const void *buf, size_t len)
{
    struct iovec iov = { (void *)buf, len };
    return pipe_writev(f, &iov, 1);
}

/* ---- read ------------------------------------------------------------- */

/* Consume up to `want` bytes into the cursor (rlock held, data present).
 * Returns bytes delivered; *stop is set when a packet ended the read. */
static size_t read_some(struct pipe *p, struct iov_cursor *c, size_t want, bool *stop,
                        uint64_t *new_tail)
{
    size_t done = 0;
    uint64_t t = atomic_load_explicit(&p->tail, memory_order_relaxed);
    uint64_t h = load_head(p);
    uint64_t pad_seen = 0;
    while (done < want && t != h) {
        unsigned mt = atomic_load_explicit(&p->marks_tail, memory_order_relaxed);
        unsigned mh = atomic_load_explicit(&p->marks_head, memory_order_acquire);
        uint64_t limit = h - t;
        if (mt != mh) {
            struct mark *m = &p->marks[mt & (p->marks_cap - 1)];
            if (m->pos == t) {
                if (m->kind == MARK_PAD) {
                    t += m->len;
                    pad_seen += m->len;
                } else {
                    size_t n = MIN((size_t)m->len, want - done);
                    ring_read(p, t, c, n);
                    done += n;
                    t += PAGE_SIZE;
                    pad_seen += PAGE_SIZE - m->len;
                    /* the rest of the packet is dropped, and a read stops
                     * after a packet (Linux) */
                    atomic_store_explicit(&p->marks_tail, mt + 1, memory_order_relaxed);
                    want = done;
                    *stop = true;
                    continue;
                }
                atomic_store_explicit(&p->marks_tail, mt + 1, memory_order_relaxed);
                continue;
            }
            limit = MIN(limit, m->pos - t);
        }
        size_t n = (size_t)MIN(limit, (uint64_t)(want - done));
        ring_read(p, t, c, n);
        done += n;
        t += n;
    }
    if (pad_seen)
        atomic_fetch_sub_explicit(&p->pad_bytes, pad_seen, memory_order_relaxed);
    *new_tail = t; /* the caller publishes it */
    return done;
}

/* Copy from a parked writer (rlock held). Only once the ring is empty:
 * the parked bytes come after everything in it. The caller has not yet
 * published the tail of what it just read from the ring (`tail`), so the
 * parked writer does not see room and take its buffer back meanwhile.
 * The writer learns of completion through the wake-up of space_freed(). */
static size_t take_parked(struct pipe *p, struct iov_cursor *c, size_t want,
                          uint64_t tail)
{
    size_t n = 0;
    spin_lock(&p->wlock);
    struct park *pk = load_parked(p);
    if (pk && load_head(p) == tail) {
        n = MIN(want, pk->remaining);
        cursor_copy(c, &pk->c, n);
        pk->remaining -= n;
        pk->taken += n;
        if (pk->remaining == 0) {
            atomic_store_explicit(&p->parked, NULL, memory_order_release);
            atomic_store_explicit(&pk->complete, true, memory_order_release);
        }
    }
    spin_unlock(&p->wlock);
    return n;
}

static ssize_t pipe_readv(struct file *f, const struct iovec *iov, int iovcnt)
{
    struct pipe *p = end_of(f)->pipe;
    size_t total = iov_total(iov, iovcnt);
    if (total == 0)
        return 0;
    struct iov_cursor c = { iov, iovcnt, 0 };
    ssize_t ret;

    spin_lock(&p->rlock);
    for (;;) {
        size_t n = 0;
        bool stop = false;
        uint64_t t = atomic_load_explicit(&p->tail, memory_order_relaxed);
        if (load_head(p) != t)
            n = read_some(p, &c, total, &stop, &t);
        if (n < total && !stop && load_parked(p))
            n += take_parked(p, &c, total - n, t);
        atomic_store_explicit(&p->tail, t, memory_order_release);
        if (n) {
            ret = (ssize_t)n;
            break;
        }
        if (load_head(p) != atomic_load_explicit(&p->tail, memory_order_relaxed) ||
            load_parked(p))
            continue; /* only padding was there, or data just arrived */
        if (atomic_load_explicit(&p->writers, memory_order_acquire) == 0) {
            /* Data published before the last writer left is visible now. */
            if (load_head(p) != atomic_load_explicit(&p->tail, memory_order_relaxed))
                continue;
            ret = 0;
            break;
        }
        if (file_nonblocking(f)) {
            ret = -EAGAIN;
            break;
        }
        spin_unlock(&p->rlock);
        int r = waiter_queue_wait(&p->rq, readable_cond, p, WAIT_FOREVER);
        spin_lock(&p->rlock);
        if (r < 0) {
            ret = r;
            break;
        }
    }
    spin_unlock(&p->rlock);
    if (ret > 0)
        space_freed(p, IO_WRITABLE);
    return ret;
}

static ssize_t pipe_read(struct file *f, void *buf, size_t len)
{
    struct iovec iov = { buf, len };
    return pipe_readv(f, &iov, 1);
}

/* ---- poll ------------------------------------------------------------- */

static io_events_t pipe_poll(struct file *f)
{
    struct pipe_end *e = end_of(f);
    struct pipe *p = e->pipe;
    io_events_t ev = 0;
    if (e->is_read) {
        if (load_head(p) != load_tail(p) || load_parked(p))
            ev |= IO_READABLE;
        if (atomic_load_explicit(&p->writers, memory_order_seq_cst) == 0)
            ev |= IO_HUP;
    } else {
        if (free_space(p) >= PIPE_BUF)
            ev |= IO_WRITABLE;
        if (atomic_load_explicit(&p->readers, memory_order_seq_cst) == 0)
            ev |= IO_ERR;
    }
    return ev;
}

static struct notifier *pipe_notifier(struct file *f)
{
    struct pipe_end *e = end_of(f);
    return e->is_read ? &e->pipe->rnote : &e->pipe->wnote;
}

/* ---- size ------------------------------------------------------------- */

/* Linux's round_pipe_size: a power of two, at least a page; 0 if absurd. */
static uint64_t round_pipe_size(uint64_t size)
{
    if (size > (1ull << 31))
        return 0;
    if (size < PAGE_SIZE)
        return PAGE_SIZE;
    uint64_t r = PAGE_SIZE;
    while (r < size)
        r <<= 1;
    return r;
}

static int alloc_ring(unsigned cap, char **buf, struct mark **marks, unsigned *marks_cap)
{
    unsigned pages = cap / PAGE_SIZE;
    unsigned mc = 4;
    while (mc < 2 * pages + 2)
        mc <<= 1;
    *buf = malloc(cap);
    *marks = malloc(mc * sizeof **marks);
    if (!*buf || !*marks) {
        free(*buf);
        free(*marks);
        return -ENOMEM;
    }
    *marks_cap = mc;
    return 0;
}

static long pipe_set_size(struct pipe *p, unsigned long arg)
{
    uint64_t size = round_pipe_size((unsigned int)arg);
    if (size == 0)
        return -EINVAL;
    if (size > PIPE_MAX_SIZE)
        return -EPERM;
    char *nbuf;
    struct mark *nmarks;
    unsigned nmc;
    if (alloc_ring((unsigned)size, &nbuf, &nmarks, &nmc) < 0)
        return -ENOMEM;

    spin_lock(&p->rlock);
    spin_lock(&p->wlock);
    unsigned cap = load_cap(p);
    if (size == cap) {
        spin_unlock(&p->wlock);
        spin_unlock(&p->rlock);
        free(nbuf);
        free(nmarks);
        return (long)size;
    }
    uint64_t t = atomic_load_explicit(&p->tail, memory_order_relaxed);
    uint64_t h = atomic_load_explicit(&p->head, memory_order_relaxed);
    if (h - t > size) {
        spin_unlock(&p->wlock);
        spin_unlock(&p->rlock);
        free(nbuf);
        free(nmarks);
        return -EBUSY;
    }
    for (uint64_t pos = t; pos < h; pos++)
        nbuf[pos & (size - 1)] = p->buf[pos & (cap - 1)];
    unsigned mt = atomic_load_explicit(&p->marks_tail, memory_order_relaxed);
    unsigned mh = atomic_load_explicit(&p->marks_head, memory_order_relaxed);
    for (unsigned i = mt; i != mh; i++)
        nmarks[(i - mt) & (nmc - 1)] = p->marks[i & (p->marks_cap - 1)];
    free(p->buf);
    free(p->marks);
    p->buf = nbuf;
    p->marks = nmarks;
    p->marks_cap = nmc;
    atomic_store_explicit(&p->marks_tail, 0, memory_order_relaxed);
    atomic_store_explicit(&p->marks_head, mh - mt, memory_order_relaxed);
    atomic_store_explicit(&p->cap, (unsigned)size, memory_order_release);
    spin_unlock(&p->wlock);
    spin_unlock(&p->rlock);
    /* More room may unblock writers (fewer never blocks anyone new). */
    space_freed(p, IO_WRITABLE);
    return (long)size;
}

static long pipe_fcntl(struct file *f, int cmd, unsigned long arg)
{
    struct pipe *p = end_of(f)->pipe;
    switch (cmd) {
    case F_GETPIPE_SZ:
        return load_cap(p);
    case F_SETPIPE_SZ:
        return pipe_set_size(p, arg);
    }
    return -EINVAL;
}

static int pipe_ioctl(struct file *f, unsigned long cmd, void *arg)
{
    struct pipe *p = end_of(f)->pipe;
    if (cmd == FIONREAD) {
        if (!arg)
            return -EFAULT;
        /* What is in the ring (as Linux: not what a blocked writer still
         * holds, even if it is parked). */
        spin_lock(&p->rlock);
        uint64_t n = load_head(p) - atomic_load_explicit(&p->tail, memory_order_relaxed);
        uint64_t pad = atomic_load_explicit(&p->pad_bytes, memory_order_relaxed);
        spin_unlock(&p->rlock);
        *(int *)arg = (int)(n > pad ? n - pad : 0);
        return 0;
    }
    return -ENOTTY;
}

static int pipe_set_status_flags(struct file *f, int old_flags, int new_flags)
{
    return 0; /* O_DIRECT switches packet mode on and off, like Linux */
}

static int pipe_stat(struct file *f, struct stat *st)
{
    st->st_mode = S_IFIFO | 0600;
    st->st_nlink = 1;
    st->st_ino = end_of(f)->pipe->ino;
    st->st_blksize = PAGE_SIZE;
    st->st_dev = 0xc; /* pipefs-like; a fixed anonymous device */
    return 0;
}

/* ---- life ------------------------------------------------------------- */

static void pipe_free(struct pipe *p)
{
    waiter_queue_destroy(&p->rq);
    waiter_queue_destroy(&p->wq);
    notifier_destroy(&p->rnote);
    notifier_destroy(&p->wnote);
    free(p->buf);
    free(p->marks);
    free(p);
}

static void pipe_release(struct file *f)
{
    struct pipe_end *e = end_of(f);
    struct pipe *p = e->pipe;
    if (e->is_read) {
        atomic_fetch_sub_explicit(&p->readers, 1, memory_order_seq_cst);
        /* Writers see EPIPE; write-end pollers see ERR. */
        space_freed(p, IO_ERR | IO_WRITABLE); /* parked writers too */
        if (notifier_count(&p->rnote))
            notifier_broadcast_info(&p->rnote, IO_CLOSED, f);
    } else {
        atomic_fetch_sub_explicit(&p->writers, 1, memory_order_seq_cst);
        /* Readers see EOF; read-end pollers see HUP. */
        data_arrived(p, IO_HUP);
        if (notifier_count(&p->wnote))
            notifier_broadcast_info(&p->wnote, IO_CLOSED, f);
    }
    free(e);
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) == 1)
        pipe_free(p);
}

static const struct file_ops pipe_ops = {
    .name = "pipe",
    .read = pipe_read,
    .write = pipe_write,
    .readv = pipe_readv,
    .writev = pipe_writev,
    .ioctl = pipe_ioctl,
    .fcntl = pipe_fcntl,
    .set_status_flags = pipe_set_status_flags,
    .stat = pipe_stat,
    .poll = pipe_poll,
    .notifier = pipe_notifier,
    .release = pipe_release,
};

bool file_is_pipe(const struct file *f)
{
    return f->ops == &pipe_ops;
}

int pipe_create(int flags, struct file **rd, struct file **wr)
{
    if (flags & ~(O_NONBLOCK | O_DIRECT | O_CLOEXEC))
        return -EINVAL;
    struct pipe *p = calloc(1, sizeof *p);
    struct pipe_end *r = calloc(1, sizeof *r);
    struct pipe_end *w = calloc(1, sizeof *w);
    if (!p || !r || !w || alloc_ring(PIPE_DEFAULT_SIZE, &p->buf, &p->marks, &p->marks_cap) < 0) {
        free(p);
        free(r);
        free(w);
        return -ENOMEM;
    }
    atomic_init(&p->head, 0);
    atomic_init(&p->tail, 0);
    atomic_init(&p->marks_head, 0);
    atomic_init(&p->marks_tail, 0);
    spin_init(&p->wlock);
    spin_init(&p->rlock);
    atomic_init(&p->cap, PIPE_DEFAULT_SIZE);
    atomic_init(&p->pad_bytes, 0);
    atomic_init(&p->readers, 1);
    atomic_init(&p->writers, 1);
    atomic_init(&p->refs, 2);
    waiter_queue_init(&p->rq);
    waiter_queue_init(&p->wq);
    notifier_init(&p->rnote);
    notifier_init(&p->wnote);
    p->ino = atomic_fetch_add(&next_ino, 1);

    /* Like Linux, only the write end carries O_DIRECT (packet mode is a
     * property of writes). */
    int st = flags & (O_NONBLOCK | O_DIRECT);
    file_init(&r->file, &pipe_ops, O_RDONLY | (st & O_NONBLOCK));
    r->pipe = p;
    r->is_read = true;
    file_init(&w->file, &pipe_ops, O_WRONLY | st);
    w->pipe = p;
    w->is_read = false;
    *rd = &r->file;
    *wr = &w->file;
    return 0;
}

int pipe_install(struct fd_table *t, int flags, int fds[2])
{
    struct file *r, *w;
    int e = pipe_create(flags, &r, &w);
    if (e < 0)
        return e;
    int cl = flags & O_CLOEXEC;
    int fr = fd_table_install(t, r, cl);
    int fw = fr < 0 ? fr : fd_table_install(t, w, cl);
    if (fw < 0 && fr >= 0)
        fd_table_close(t, fr);
    file_put(r);
    file_put(w);
    if (fw < 0)
        return fw;
    fds[0] = fr;
    fds[1] = fw;
    return 0;
}
