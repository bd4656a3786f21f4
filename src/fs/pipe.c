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
#include "fs/pipe_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#ifndef F_GETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

static _Atomic(pipe_sigpipe_hook_fn) sigpipe_hook;
static atomic_uint_fast64_t next_ino = 1;

void pipe_set_sigpipe_hook(pipe_sigpipe_hook_fn hook)
{
    atomic_store(&sigpipe_hook, hook);
}

void pipe_raise_sigpipe(void)
{
    pipe_sigpipe_hook_fn h = atomic_load(&sigpipe_hook);
    if (h)
        h();
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
