/* The fd table (see fd_table.h).
 *
 * Slots live in an array grown on demand (never beyond the limit); a bitmap
 * of open fds finds the lowest free number a word at a time. One spinlock
 * protects the table; it is never held while calling out (close listeners,
 * file_put, file ops). */
#include "fs/fd_table.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/spinlock.h"

struct fd_slot {
    struct file *file;
    bool cloexec;
};

struct fd_table {
    spinlock_t lock;
    struct fd_slot *slots;
    uint64_t *open_bits;       /* bit i set <=> slots[i].file != NULL */
    unsigned capacity;         /* slots allocated (multiple of 64) */
    unsigned limit;            /* RLIMIT_NOFILE */
    unsigned count;            /* open fds */
    atomic_uint users;
    atomic_uint holds;
    struct notifier close_notifier;
};

/* What a close broadcast carries. */
struct close_info {
    struct fd_table *table;
    int fd;
    struct file *file;
};

/* ---- slots ------------------------------------------------------------ */

static int grow(struct fd_table *t, unsigned need)
{
    if (need <= t->capacity)
        return 0;
    unsigned cap = t->capacity ? t->capacity : 64;
    while (cap < need)
        cap *= 2;
    struct fd_slot *s = realloc(t->slots, cap * sizeof *s);
    if (!s)
        return -ENOMEM;
    t->slots = s;
    memset(s + t->capacity, 0, (cap - t->capacity) * sizeof *s);
    uint64_t *b = realloc(t->open_bits, cap / 64 * sizeof *b);
    if (!b)
        return -ENOMEM; /* slots stay bigger than needed: harmless */
    memset(b + t->capacity / 64, 0, (cap - t->capacity) / 64 * sizeof *b);
    t->open_bits = b;
    t->capacity = cap;
    return 0;
}

static bool fd_open(struct fd_table *t, int fd)
{
    return fd >= 0 && (unsigned)fd < t->capacity && t->slots[fd].file;
}

/* Lowest free fd >= from and < limit, or -EMFILE. */
static int lowest_free(struct fd_table *t, unsigned from)
{
    unsigned i = from;
    while (i < t->capacity) {
        uint64_t w = ~t->open_bits[i / 64] & (~0ull << (i % 64));
        if (w) {
            i = (i & ~63u) + (unsigned)__builtin_ctzll(w);
            break;
        }
        i = (i & ~63u) + 64;
    }
    return i < t->limit ? (int)i : -EMFILE;
}

static void slot_set(struct fd_table *t, int fd, struct file *f, bool cloexec)
{
    if (!t->slots[fd].file)
        t->count++;
    t->slots[fd].file = f;
    t->slots[fd].cloexec = cloexec;
    t->open_bits[fd / 64] |= 1ull << (fd % 64);
}

static struct file *slot_clear(struct fd_table *t, int fd)
{
    struct file *f = t->slots[fd].file;
    if (f) {
        t->slots[fd].file = NULL;
        t->slots[fd].cloexec = false;
        t->open_bits[fd / 64] &= ~(1ull << (fd % 64));
        t->count--;
    }
    return f;
}

/* Tell listeners, then drop the table's reference. No lock held. */
static void closed(struct fd_table *t, int fd, struct file *f)
{
    if (notifier_count(&t->close_notifier)) {
        struct close_info info = { t, fd, f };
        notifier_broadcast_info(&t->close_notifier, IO_CLOSED, &info);
    }
    file_put(f);
}

/* ---- lifetime --------------------------------------------------------- */

static struct fd_table *table_alloc(unsigned limit)
{
    struct fd_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    spin_init(&t->lock);
    t->limit = limit;
    atomic_init(&t->users, 1);
    atomic_init(&t->holds, 1);
    notifier_init(&t->close_notifier);
    return t;
}

int fd_table_create(unsigned limit, struct fd_table **out)
{
    if (limit < 1 || limit > FD_TABLE_MAX_LIMIT)
        return -EINVAL;
    struct fd_table *t = table_alloc(limit);
    if (!t)
        return -ENOMEM;
    *out = t;
    return 0;
}

int fd_table_copy(struct fd_table *src, struct fd_table **out)
{
    struct fd_table *t = table_alloc(1);
    if (!t)
        return -ENOMEM;
    spin_lock(&src->lock);
    t->limit = src->limit;
    unsigned hi = 0; /* one past the highest open fd */
    for (unsigned w = 0; w < src->capacity / 64; w++)
        if (src->open_bits[w])
            hi = w * 64 + 64 - (unsigned)__builtin_clzll(src->open_bits[w]);
    if (grow(t, hi) < 0) {
        spin_unlock(&src->lock);
        fd_table_put(t);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < hi; i++)
        if (src->slots[i].file)
            slot_set(t, (int)i, file_get(src->slots[i].file), src->slots[i].cloexec);
    spin_unlock(&src->lock);
    *out = t;
    return 0;
}

int fd_table_unshare(struct fd_table **tp)
{
    struct fd_table *t = *tp;
    if (atomic_load(&t->users) == 1)
        return 0;
    struct fd_table *copy;
    int r = fd_table_copy(t, &copy);
    if (r < 0)
        return r;
    *tp = copy;
    fd_table_put(t);
    return 0;
}

void fd_table_get(struct fd_table *t)
{
    atomic_fetch_add_explicit(&t->users, 1, memory_order_relaxed);
}

static void teardown_listener_call(struct fd_table *t)
{
    if (notifier_count(&t->close_notifier)) {
        struct close_info info = { t, -1, NULL };
        notifier_broadcast_info(&t->close_notifier, IO_CLOSED, &info);
    }
}

void fd_table_put(struct fd_table *t)
{
    if (atomic_fetch_sub_explicit(&t->users, 1, memory_order_acq_rel) != 1)
        return;
    /* Close everything, highest fd first (nobody installs any more). */
    for (;;) {
        spin_lock(&t->lock);
        int fd = -1;
        for (unsigned w = t->capacity / 64; w-- > 0;)
            if (t->open_bits[w]) {
                fd = (int)(w * 64 + 63 - (unsigned)__builtin_clzll(t->open_bits[w]));
                break;
            }
        struct file *f = fd >= 0 ? slot_clear(t, fd) : NULL;
        spin_unlock(&t->lock);
        if (!f)
            break;
        closed(t, fd, f);
    }
    teardown_listener_call(t);
    fd_table_unhold(t);
}

void fd_table_hold(struct fd_table *t)
{
    atomic_fetch_add_explicit(&t->holds, 1, memory_order_relaxed);
}

void fd_table_unhold(struct fd_table *t)
{
    if (atomic_fetch_sub_explicit(&t->holds, 1, memory_order_acq_rel) != 1)
        return;
    notifier_destroy(&t->close_notifier);
    free(t->slots);
    free(t->open_bits);
    free(t);
}

unsigned fd_table_limit(struct fd_table *t)
{
    spin_lock(&t->lock);
    unsigned l = t->limit;
    spin_unlock(&t->lock);
    return l;
}

int fd_table_set_limit(struct fd_table *t, unsigned limit)
{
    if (limit < 1 || limit > FD_TABLE_MAX_LIMIT)
        return -EINVAL;
    spin_lock(&t->lock);
    t->limit = limit;
    spin_unlock(&t->lock);
    return 0;
}

unsigned fd_table_count(struct fd_table *t)
{
    spin_lock(&t->lock);
    unsigned n = t->count;
    spin_unlock(&t->lock);
    return n;
}

/* ---- install / lookup / close ----------------------------------------- */

/* Install at the lowest free fd >= from. Takes a reference. */
static int install_from(struct fd_table *t, struct file *f, unsigned from, bool cloexec)
{
    spin_lock(&t->lock);
    int fd = lowest_free(t, from);
    if (fd >= 0) {
        int r = grow(t, (unsigned)fd + 1);
        if (r < 0)
            fd = r;
        else
            slot_set(t, fd, file_get(f), cloexec);
    }
    spin_unlock(&t->lock);
    return fd;
}

int fd_table_install(struct fd_table *t, struct file *f, int flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    return install_from(t, f, 0, flags & O_CLOEXEC);
}

int fd_table_get_file(struct fd_table *t, int fd, struct file **out)
{
    spin_lock(&t->lock);
    if (!fd_open(t, fd)) {
        spin_unlock(&t->lock);
        return -EBADF;
    }
    *out = file_get(t->slots[fd].file);
    spin_unlock(&t->lock);
    return 0;
}

int fd_table_close(struct fd_table *t, int fd)
{
    spin_lock(&t->lock);
    if (!fd_open(t, fd)) {
        spin_unlock(&t->lock);
        return -EBADF;
    }
    struct file *f = slot_clear(t, fd);
    spin_unlock(&t->lock);
    closed(t, fd, f);
    return 0;
}

int fd_table_dup(struct fd_table *t, int oldfd)
{
    struct file *f;
    int r = fd_table_get_file(t, oldfd, &f);
    if (r < 0)
        return r;
    r = install_from(t, f, 0, false);
    file_put(f);
    return r;
}

/* dup2/dup3 after argument checks: newfd != oldfd, newfd >= 0. */
static int dup_onto(struct fd_table *t, int oldfd, int newfd, bool cloexec)
{
    spin_lock(&t->lock);
    if ((unsigned)newfd >= t->limit) {
        spin_unlock(&t->lock);
        return -EBADF;
    }
    if (!fd_open(t, oldfd)) {
        spin_unlock(&t->lock);
        return -EBADF;
    }
    int r = grow(t, (unsigned)newfd + 1);
    if (r < 0) {
        spin_unlock(&t->lock);
        return r;
    }
    struct file *f = file_get(t->slots[oldfd].file);
    struct file *prev = slot_clear(t, newfd);
    slot_set(t, newfd, f, cloexec);
    spin_unlock(&t->lock);
    if (prev)
        closed(t, newfd, prev);
    return newfd;
}

int fd_table_dup2(struct fd_table *t, int oldfd, int newfd)
{
    if (oldfd == newfd) {
        spin_lock(&t->lock);
        bool ok = fd_open(t, oldfd);
        spin_unlock(&t->lock);
        return ok ? newfd : -EBADF;
    }
    if (newfd < 0)
        return -EBADF; /* Linux: an unsigned newfd, beyond any limit */
    return dup_onto(t, oldfd, newfd, false);
}

int fd_table_dup3(struct fd_table *t, int oldfd, int newfd, int flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    if (newfd < 0)
        return -EBADF;
    return dup_onto(t, oldfd, newfd, flags & O_CLOEXEC);
}

int fd_table_get_fd_flags(struct fd_table *t, int fd)
{
    spin_lock(&t->lock);
    int r = fd_open(t, fd) ? (t->slots[fd].cloexec ? FD_CLOEXEC : 0) : -EBADF;
    spin_unlock(&t->lock);
    return r;
}

int fd_table_set_fd_flags(struct fd_table *t, int fd, int fd_flags)
{
    spin_lock(&t->lock);
    int r = -EBADF;
    if (fd_open(t, fd)) {
        t->slots[fd].cloexec = (fd_flags & FD_CLOEXEC) != 0;
        r = 0;
    }
    spin_unlock(&t->lock);
    return r;
}

int fd_table_close_range(struct fd_table *t, unsigned first, unsigned last,
                         unsigned flags)
{
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
        return -EINVAL;
    if (first > last)
        return -EINVAL;
    for (unsigned fd = first;; fd++) {
        spin_lock(&t->lock);
        if (fd >= t->capacity) {
            spin_unlock(&t->lock);
            break;
        }
        /* Skip to the next open fd. */
        int next = -1;
        for (unsigned i = fd; i < t->capacity && i <= last;) {
            uint64_t w = t->open_bits[i / 64] & (~0ull << (i % 64));
            if (w) {
                unsigned c = (i & ~63u) + (unsigned)__builtin_ctzll(w);
                if (c <= last)
                    next = (int)c;
                break;
            }
            i = (i & ~63u) + 64;
        }
        if (next < 0) {
            spin_unlock(&t->lock);
            break;
        }
        fd = (unsigned)next;
        if (flags & CLOSE_RANGE_CLOEXEC) {
            t->slots[fd].cloexec = true;
            spin_unlock(&t->lock);
        } else {
            struct file *f = slot_clear(t, (int)fd);
            spin_unlock(&t->lock);
            closed(t, (int)fd, f);
        }
        if (fd == last)
            break;
    }
    return 0;
}

void fd_table_close_on_exec(struct fd_table *t)
{
    for (unsigned fd = 0;; fd++) {
        spin_lock(&t->lock);
        while (fd < t->capacity && !(t->slots[fd].file && t->slots[fd].cloexec))
            fd++;
        if (fd >= t->capacity) {
            spin_unlock(&t->lock);
            return;
        }
        struct file *f = slot_clear(t, (int)fd);
        spin_unlock(&t->lock);
        closed(t, (int)fd, f);
    }
}

/* ---- fcntl / ioctl ---------------------------------------------------- */

long fd_table_fcntl(struct fd_table *t, int fd, int cmd, unsigned long arg)
{
    struct file *f;
    int r = fd_table_get_file(t, fd, &f);
    if (r < 0)
        return r;
    long ret;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= fd_table_limit(t))
            ret = -EINVAL;
        else
            ret = install_from(t, f, (unsigned)arg, cmd == F_DUPFD_CLOEXEC);
        break;
    case F_GETFD:
        ret = fd_table_get_fd_flags(t, fd);
        break;
    case F_SETFD:
        ret = fd_table_set_fd_flags(t, fd, (int)arg);
        break;
    default:
        ret = file_fcntl(f, cmd, arg);
        break;
    }
    file_put(f);
    return ret;
}

int fd_table_ioctl(struct fd_table *t, int fd, unsigned long cmd, void *arg)
{
    if (cmd == FIOCLEX || cmd == FIONCLEX) {
        spin_lock(&t->lock);
        int r = -EBADF;
        if (fd_open(t, fd)) {
            t->slots[fd].cloexec = cmd == FIOCLEX;
            r = 0;
        }
        spin_unlock(&t->lock);
        return r;
    }
    struct file *f;
    int r = fd_table_get_file(t, fd, &f);
    if (r < 0)
        return r;
    r = file_ioctl(f, cmd, arg);
    file_put(f);
    return r;
}

/* ---- close listeners -------------------------------------------------- */

static void close_trampoline(struct observer *obs, io_events_t events,
                             const void *info)
{
    struct fd_close_listener *l = container_of(obs, struct fd_close_listener, obs);
    const struct close_info *ci = info;
    if (!ci)
        return;
    l->on_close(l, ci->table, ci->fd, ci->file);
    if (ci->fd < 0) /* table teardown: this was the last call */
        notifier_unregister(&ci->table->close_notifier, obs);
}

void fd_close_listener_init(struct fd_close_listener *l, fd_close_fn on_close,
                            void *context)
{
    l->on_close = on_close;
    l->context = context;
    observer_init(&l->obs, close_trampoline, l);
}

int fd_table_add_close_listener(struct fd_table *t, struct fd_close_listener *l)
{
    return notifier_register(&t->close_notifier, &l->obs, IO_CLOSED);
}

int fd_table_remove_close_listener(struct fd_table *t, struct fd_close_listener *l)
{
    return notifier_unregister(&t->close_notifier, &l->obs);
}
