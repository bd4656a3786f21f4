/* eventfd as a LibOS file (see eventfd.h). A spinlock protects the
 * counter; blocked readers/writers wait in waiter queues (spinning first),
 * pollers observe the notifier. */
#include "util/barrier.h"
#include "fs/eventfd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events/waiter.h"
#include "util/compiler.h"
#include "util/spinlock.h"

#define EVENTFD_FLAGS (EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)

struct eventfd {
    struct file file;
    spinlock_t lock;
    _Atomic uint64_t count; /* written under lock, read lock-free by poll */
    bool semaphore;
    struct waiter_queue rq, wq;
    struct notifier notifier;
};

static inline struct eventfd *efd_of(struct file *f)
{
    return container_of(f, struct eventfd, file);
}

static inline uint64_t load_count(struct eventfd *e)
{
    return atomic_load_explicit(&e->count, memory_order_acquire);
}

/* After the counter changed: wake whoever may proceed now. */
static void changed(struct eventfd *e, struct waiter_queue *q, io_events_t ev)
{
    smp_mb();
    if (atomic_load_explicit(&q->count, memory_order_relaxed))
        waiter_queue_wake_all_slow(q);
    if (atomic_load_explicit(&e->notifier.count, memory_order_relaxed))
        notifier_broadcast_info(&e->notifier, ev, NULL);
}

static bool readable_cond(void *arg)
{
    return load_count(arg) != 0;
}

struct room_arg {
    struct eventfd *e;
    uint64_t add;
};

static bool room_cond(void *arg)
{
    struct room_arg *a = arg;
    return UINT64_MAX - load_count(a->e) > a->add;
}

static ssize_t efd_read(struct file *f, void *buf, size_t len)
{
    struct eventfd *e = efd_of(f);
    if (len < sizeof(uint64_t))
        return -EINVAL;
    for (;;) {
        spin_lock(&e->lock);
        uint64_t c = atomic_load_explicit(&e->count, memory_order_relaxed);
        if (c) {
            uint64_t v = e->semaphore ? 1 : c;
            atomic_store_explicit(&e->count, c - v, memory_order_release);
            spin_unlock(&e->lock);
            changed(e, &e->wq, IO_OUT);
            memcpy(buf, &v, sizeof v);
            return sizeof v;
        }
        spin_unlock(&e->lock);
        if (file_nonblocking(f))
            return -EAGAIN;
        int r = waiter_queue_wait(&e->rq, readable_cond, e, WAIT_FOREVER);
        if (r < 0)
            return r;
    }
}

static ssize_t efd_write(struct file *f, const void *buf, size_t len)
{
    struct eventfd *e = efd_of(f);
    uint64_t v;
    /* Current Linux (6.x) wants exactly 8 bytes for a write; older
     * kernels accepted more. Reads take any buffer of at least 8. */
    if (len != sizeof v)
        return -EINVAL;
    memcpy(&v, buf, sizeof v);
    if (v == UINT64_MAX)
        return -EINVAL;
    for (;;) {
        spin_lock(&e->lock);
        uint64_t c = atomic_load_explicit(&e->count, memory_order_relaxed);
        if (UINT64_MAX - c > v) {
            atomic_store_explicit(&e->count, c + v, memory_order_release);
            spin_unlock(&e->lock);
            changed(e, &e->rq, IO_IN);
            return sizeof v;
        }
        spin_unlock(&e->lock);
        if (file_nonblocking(f))
            return -EAGAIN;
        struct room_arg a = { e, v };
        int r = waiter_queue_wait(&e->wq, room_cond, &a, WAIT_FOREVER);
        if (r < 0)
            return r;
    }
}

static io_events_t eventfd_poll(struct file *f)
{
    /* Linux's eventfd_poll reports IN / OUT / ERR only (no NORM bits). */
    uint64_t c = atomic_load_explicit(&efd_of(f)->count, memory_order_seq_cst);
    io_events_t ev = 0;
    if (c > 0)
        ev |= IO_IN;
    if (c == UINT64_MAX)
        ev |= IO_ERR;
    if (UINT64_MAX - 1 > c)
        ev |= IO_OUT;
    return ev;
}

/* Linux gives eventfd noop_llseek: any lseek "succeeds" at 0. */
static off_t efd_lseek(struct file *f, off_t off, int whence)
{
    return 0;
}

static struct notifier *eventfd_notifier(struct file *f)
{
    return &efd_of(f)->notifier;
}

static int eventfd_stat(struct file *f, struct stat *st)
{
    st->st_mode = 0600; /* an anonymous inode: no file type bits */
    st->st_nlink = 1;
    st->st_blksize = 4096;
    st->st_ino = 1;
    st->st_dev = 0xe;
    return 0;
}

static void eventfd_release(struct file *f)
{
    struct eventfd *e = efd_of(f);
    if (notifier_count(&e->notifier))
        notifier_broadcast_info(&e->notifier, IO_CLOSED, f);
    notifier_destroy(&e->notifier);
    waiter_queue_destroy(&e->rq);
    waiter_queue_destroy(&e->wq);
    free(e);
}

static const struct file_ops eventfd_ops = {
    .name = "eventfd",
    .read = efd_read,
    .write = efd_write,
    .lseek = efd_lseek,
    .stat = eventfd_stat,
    .poll = eventfd_poll,
    .notifier = eventfd_notifier,
    .release = eventfd_release,
};

bool file_is_eventfd(const struct file *f)
{
    return f->ops == &eventfd_ops;
}

int eventfd_create(unsigned int initval, int flags, struct file **out)
{
    if (flags & ~EVENTFD_FLAGS)
        return -EINVAL;
    struct eventfd *e = calloc(1, sizeof *e);
    if (!e)
        return -ENOMEM;
    file_init(&e->file, &eventfd_ops, O_RDWR | (flags & EFD_NONBLOCK ? O_NONBLOCK : 0));
    spin_init(&e->lock);
    atomic_init(&e->count, initval);
    e->semaphore = (flags & EFD_SEMAPHORE) != 0;
    waiter_queue_init(&e->rq);
    waiter_queue_init(&e->wq);
    notifier_init(&e->notifier);
    *out = &e->file;
    return 0;
}

int eventfd_install(struct fd_table *t, unsigned int initval, int flags)
{
    struct file *f;
    int r = eventfd_create(initval, flags, &f);
    if (r < 0)
        return r;
    r = fd_table_install(t, f, flags & EFD_CLOEXEC ? O_CLOEXEC : 0);
    file_put(f);
    return r;
}

int eventfd_peek(struct file *f, uint64_t *count)
{
    if (!file_is_eventfd(f))
        return -EINVAL;
    *count = load_count(efd_of(f));
    return 0;
}
