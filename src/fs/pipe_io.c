/* Pipe reads and writes (see pipe.c for the design, pipe_internal.h for
 * the structures). */
#include "fs/pipe_internal.h"

#include <errno.h>
#include <string.h>

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

ssize_t pipe_writev(struct file *f, const struct iovec *iov, int iovcnt)
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
            notify_read_end(p, IO_READABLE);
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
        notify_read_end(p, IO_READABLE);
    if (sigpipe)
        pipe_raise_sigpipe();
    return ret;
}

ssize_t pipe_write(struct file *f, const void *buf, size_t len)
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

ssize_t pipe_readv(struct file *f, const struct iovec *iov, int iovcnt)
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

ssize_t pipe_read(struct file *f, void *buf, size_t len)
{
    struct iovec iov = { buf, len };
    return pipe_readv(f, &iov, 1);
}

