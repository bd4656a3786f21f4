/* Pipe internals shared by pipe.c (life, size, poll, fcntl) and
 * pipe_io.c (read and write). See pipe.c for the design. */
#ifndef ONESPACE_FS_PIPE_INTERNAL_H
#define ONESPACE_FS_PIPE_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>

#include "events/observer.h"
#include "events/waiter.h"
#include "fs/pipe.h"
#include "util/barrier.h"
#include "util/compiler.h"
#include "util/spinlock.h"

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
static inline void data_arrived(struct pipe *p, io_events_t ev)
{
    smp_mb();
    if (atomic_load_explicit(&p->rq.count, memory_order_relaxed))
        waiter_queue_wake_all_slow(&p->rq);
    if (ev && atomic_load_explicit(&p->rnote.count, memory_order_relaxed))
        notifier_broadcast_info(&p->rnote, ev, NULL);
}

/* Observers of the read end only (blocked readers were already woken). */
static inline void notify_read_end(struct pipe *p, io_events_t ev)
{
    smp_mb();
    if (atomic_load_explicit(&p->rnote.count, memory_order_relaxed))
        notifier_broadcast_info(&p->rnote, ev, NULL);
}

/* After consuming data (or a writer count change): writers may go on.
 * Same rule for ev. */
static inline void space_freed(struct pipe *p, io_events_t ev)
{
    smp_mb();
    if (atomic_load_explicit(&p->wq.count, memory_order_relaxed))
        waiter_queue_wake_all_slow(&p->wq);
    if (ev && atomic_load_explicit(&p->wnote.count, memory_order_relaxed))
        notifier_broadcast_info(&p->wnote, ev, NULL);
}

/* pipe.c */
void pipe_raise_sigpipe(void);

/* pipe_io.c */
ssize_t pipe_read(struct file *f, void *buf, size_t len);
ssize_t pipe_write(struct file *f, const void *buf, size_t len);
ssize_t pipe_readv(struct file *f, const struct iovec *iov, int iovcnt);
ssize_t pipe_writev(struct file *f, const struct iovec *iov, int iovcnt);

#endif
