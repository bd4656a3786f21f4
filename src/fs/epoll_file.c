/* The epoll instance as a File: interest set, ready list, the observers
 * that feed it, EPOLLEXCLUSIVE groups, readiness of the instance itself
 * (for nesting and poll), and release. See epoll_internal.h for locks. */
#include "fs/epoll_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/host_epoll.h"
#include "host/host_fd.h"
#include "host/host_wait.h"

pthread_mutex_t epoll_nest_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- targets ----------------------------------------------------------- */

enum ep_kind ep_target_kind(struct file *target)
{
    if (file_is_epoll(target))
        return EP_KIND_NESTED;
    if (file_host_fd(target) >= 0)
        return EP_KIND_HOST;
    return EP_KIND_LIBOS;
}

bool ep_target_pollable(struct file *target)
{
    switch (ep_target_kind(target)) {
    case EP_KIND_NESTED:
        return true;
    case EP_KIND_LIBOS:
        return file_notifier(target) != NULL;
    case EP_KIND_HOST:
        break;
    }
    /* Linux: files without a poll method (regular files, directories,
     * block devices) give EPERM. The host's epoll_ctl says so too, but
     * Linux checks it before anything else, so ask fstat here. */
    struct stat st;
    if (file_stat(target, &st) < 0)
        return true; /* let the host decide at ADD */
    return !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode));
}

/* ---- interest set ------------------------------------------------------- */

enum { EP_MIN_BUCKETS = 16 };

static unsigned key_hash(const struct file *f, int fd, unsigned nbuckets)
{
    uint64_t k = (uint64_t)(uintptr_t)f ^ ((uint64_t)(unsigned)fd * 0x9e3779b97f4a7c15ull);
    k ^= k >> 29;
    k *= 0xbf58476d1ce4e5b9ull;
    k ^= k >> 32;
    return (unsigned)k & (nbuckets - 1);
}

struct epoll_entry *ep_find(struct epoll *ep, struct file *file, int fd)
{
    struct epoll_entry *e = ep->buckets[key_hash(file, fd, ep->nbuckets)];
    while (e && (e->file != file || e->fd != fd))
        e = e->hnext;
    return e;
}

static void rehash(struct epoll *ep, unsigned nbuckets)
{
    struct epoll_entry **nb = calloc(nbuckets, sizeof *nb);
    if (!nb)
        return; /* keep the old table: longer chains, still correct */
    for (unsigned i = 0; i < ep->nbuckets; i++) {
        struct epoll_entry *e = ep->buckets[i], *next;
        for (; e; e = next) {
            next = e->hnext;
            unsigned h = key_hash(e->file, e->fd, nbuckets);
            e->hnext = nb[h];
            nb[h] = e;
        }
    }
    free(ep->buckets);
    ep->buckets = nb;
    ep->nbuckets = nbuckets;
}

void ep_set_insert(struct epoll *ep, struct epoll_entry *e)
{
    if (ep->count >= ep->nbuckets)
        rehash(ep, ep->nbuckets * 2);
    unsigned h = key_hash(e->file, e->fd, ep->nbuckets);
    e->hnext = ep->buckets[h];
    ep->buckets[h] = e;
    e->in_set = true;
    ep->count++;
}

void ep_set_remove(struct epoll *ep, struct epoll_entry *e)
{
    struct epoll_entry **pp = &ep->buckets[key_hash(e->file, e->fd, ep->nbuckets)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    e->hnext = NULL;
    e->in_set = false;
    ep->count--;
    if (ep->count < ep->nbuckets / 8 && ep->nbuckets > EP_MIN_BUCKETS && !ep->dying)
        rehash(ep, ep->nbuckets / 2);
}

/* ---- ready list and wake-ups -------------------------------------------- */

/* A waiter taken off the list, to wake after dropping ep->rdlock. */
struct claimed {
    struct ep_waiter *rec;
    struct waiter *waiter; /* read under the lock: the record is reused */
};

/* Take the first waiter off the list and pin it (rdlock held). */
static bool claim_waiter(struct epoll *ep, struct claimed *c)
{
    if (list_empty(&ep->waiters))
        return false;
    struct ep_waiter *w = list_first_entry(&ep->waiters, struct ep_waiter, link);
    list_del(&w->link);
    w->queued = false;
    w->woken = true;
    atomic_fetch_add_explicit(&w->pins, 1, memory_order_relaxed);
    c->rec = w;
    c->waiter = w->waiter;
    return true;
}

/* Wake a claimed waiter (no lock held). Its thread may already have gone
 * on; the pin keeps its Waiter alive (see struct ep_waiter). */
static void wake_claimed(struct claimed *c)
{
    waiter_wake(c->waiter);
    atomic_fetch_sub_explicit(&c->rec->pins, 1, memory_order_release);
}

static bool queue_locked(struct epoll *ep, struct epoll_entry *e)
{
    if (e->on_ready)
        return false;
    list_add_tail(&e->rdlink, &ep->ready);
    e->on_ready = true;
    atomic_fetch_add_explicit(&ep->nready, 1, memory_order_release);
    return true;
}

bool ep_queue(struct epoll *ep, struct epoll_entry *e)
{
    spin_lock(&ep->rdlock);
    bool added = queue_locked(ep, e);
    spin_unlock(&ep->rdlock);
    return added;
}

bool ep_queue_wake(struct epoll *ep, struct epoll_entry *e)
{
    struct claimed c;
    spin_lock(&ep->rdlock);
    queue_locked(ep, e);
    bool woke = claim_waiter(ep, &c);
    spin_unlock(&ep->rdlock);
    if (woke)
        wake_claimed(&c);
    notifier_broadcast(&ep->notifier, IO_IN | IO_RDNORM);
    return woke;
}

int ep_wake_waiters(struct epoll *ep, bool all)
{
    struct claimed batch[16];
    int total = 0;
    do {
        int n = 0;
        spin_lock(&ep->rdlock);
        while (n < (all ? (int)ARRAY_SIZE(batch) : 1) && claim_waiter(ep, &batch[n]))
            n++;
        spin_unlock(&ep->rdlock);
        for (int i = 0; i < n; i++)
            wake_claimed(&batch[i]);
        total += n;
        if (n < (int)ARRAY_SIZE(batch))
            break;
    } while (all);
    return total;
}

bool ep_waiter_join(struct epoll *ep, struct ep_waiter *w)
{
    spin_lock(&ep->rdlock);
    if (!w->queued) {
        list_add_tail(&w->link, &ep->waiters);
        w->queued = true;
        w->woken = false;
    }
    /* Same lock as the queueing side: no wake-up falls in between. */
    bool empty = list_empty(&ep->ready);
    spin_unlock(&ep->rdlock);
    return empty;
}

bool ep_waiter_leave(struct epoll *ep, struct ep_waiter *w)
{
    spin_lock(&ep->rdlock);
    if (w->queued) {
        list_del(&w->link);
        w->queued = false;
    }
    bool woken = w->woken;
    w->woken = false;
    spin_unlock(&ep->rdlock);
    return woken;
}

/* Wait until no waker is inside waiter_wake() for this record. */
static void waiter_record_quiesce(struct ep_waiter *w)
{
    for (unsigned spins = 0; atomic_load_explicit(&w->pins, memory_order_acquire); spins++) {
        if (spins < 64)
            cpu_relax();
        else
            host_yield();
    }
}

static void waiter_record_free(void *p)
{
    waiter_record_quiesce(p);
    free(p);
}

/* Created at load time, before the Waiter's own thread-exit key (glibc
 * runs key destructors in creation order): at thread exit the record is
 * quiesced before the Waiter it points to goes away. */
static pthread_key_t waiter_record_key;
__attribute__((constructor)) static void waiter_record_key_init(void)
{
    pthread_key_create(&waiter_record_key, waiter_record_free);
}

static __thread struct ep_waiter *tls_record;

struct ep_waiter *ep_waiter_current(void)
{
    struct ep_waiter *w = tls_record;
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w)
            abort(); /* a thread that cannot wait cannot go on */
        list_init(&w->link);
        atomic_init(&w->pins, 0);
        tls_record = w;
        pthread_setspecific(waiter_record_key, w);
    }
    /* Not queued anywhere now: nobody reads it concurrently. */
    w->waiter = waiter_current();
    return w;
}

void epoll_thread_quiesce(void)
{
    if (tls_record)
        waiter_record_quiesce(tls_record);
}

/* A watched file's notifier: like Linux's ep_poll_callback. */
static void entry_notify(struct observer *obs, io_events_t ev, const void *info)
{
    struct epoll_entry *e = obs->context;
    if (ev & IO_CLOSED) {
        /* The file's own notifier goes away; its release observer has
         * normally taken the entry out already. */
        if (obs->notifier)
            notifier_unregister(obs->notifier, obs);
        return;
    }
    uint32_t armed = atomic_load_explicit(&e->events, memory_order_acquire);
    if (!(armed & ~EP_PRIVATE_BITS))
        return; /* a ONESHOT that fired: disarmed until EPOLL_CTL_MOD */
    if (!(ev & armed))
        return;
    ep_queue_wake(e->ep, e);
}

/* ---- EPOLLEXCLUSIVE groups --------------------------------------------
 * Linux puts exclusive entries at the tail of the file's wait queue and a
 * wake-up stops after the first exclusive entry whose instance had a
 * thread waiting in epoll_wait. Our notifier calls every observer, so the
 * exclusive entries of one notifier share one observer (a hub) that walks
 * them in order and stops the same way. */
struct ep_hub {
    struct notifier *notifier;
    struct observer obs;
    spinlock_t lock;
    struct list_head entries; /* EXCLUSIVE entries, oldest first */
    unsigned users;           /* hub_registry_lock */
    struct list_head link;    /* in hubs */
};

static pthread_mutex_t hub_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct list_head hubs = LIST_HEAD_INIT(hubs);

static void hub_notify(struct observer *obs, io_events_t ev, const void *info)
{
    struct ep_hub *h = obs->context;
    if (ev & IO_CLOSED) {
        if (obs->notifier)
            notifier_unregister(obs->notifier, obs);
        return;
    }
    struct epoll_entry *e;
    spin_lock(&h->lock);
    list_for_each_entry(e, &h->entries, hub_link) {
        uint32_t armed = atomic_load_explicit(&e->events, memory_order_acquire);
        if (!(armed & ~EP_PRIVATE_BITS) || !(ev & armed))
            continue;
        bool woke = ep_queue_wake(e->ep, e);
        /* Linux counts the wake-up as the exclusive one only if a waiter
         * was woken and the event is what the entry asked for (IN or OUT
         * alone; an event with both, or neither, goes on). */
        bool counts = false;
        switch (ev & (IO_IN | IO_OUT)) {
        case IO_IN:
            counts = armed & EPOLLIN;
            break;
        case IO_OUT:
            counts = armed & EPOLLOUT;
            break;
        case 0:
            counts = true;
            break;
        }
        if (woke && counts)
            break;
    }
    spin_unlock(&h->lock);
}

static int hub_add(struct epoll_entry *e, struct notifier *n)
{
    pthread_mutex_lock(&hub_registry_lock);
    struct ep_hub *h = NULL, *it;
    list_for_each_entry(it, &hubs, link) {
        if (it->notifier == n) {
            h = it;
            break;
        }
    }
    if (!h) {
        h = calloc(1, sizeof *h);
        if (!h) {
            pthread_mutex_unlock(&hub_registry_lock);
            return -ENOMEM;
        }
        h->notifier = n;
        spin_init(&h->lock);
        list_init(&h->entries);
        observer_init(&h->obs, hub_notify, h);
        int r = notifier_register(n, &h->obs, IO_ALL_POLL);
        if (r < 0) {
            free(h);
            pthread_mutex_unlock(&hub_registry_lock);
            return r;
        }
        list_add_tail(&h->link, &hubs);
    }
    h->users++;
    spin_lock(&h->lock);
    list_add_tail(&e->hub_link, &h->entries);
    spin_unlock(&h->lock);
    e->hub = h;
    pthread_mutex_unlock(&hub_registry_lock);
    return 0;
}

static void hub_remove(struct epoll_entry *e)
{
    struct ep_hub *h = e->hub;
    pthread_mutex_lock(&hub_registry_lock);
    spin_lock(&h->lock);
    list_del(&e->hub_link);
    spin_unlock(&h->lock);
    e->hub = NULL;
    bool last = --h->users == 0;
    if (last)
        list_del(&h->link);
    pthread_mutex_unlock(&hub_registry_lock);
    if (last) {
        /* Waits for a running hub_notify (which takes no lock we hold). */
        if (h->obs.notifier)
            notifier_unregister(h->notifier, &h->obs);
        free(h);
    }
}

/* ---- watching an entry's file ------------------------------------------ */

int ep_entry_watch(struct epoll_entry *e, io_events_t *now)
{
    uint32_t armed = atomic_load_explicit(&e->events, memory_order_relaxed);
    io_events_t mask = armed & EP_POLL_BITS;
    if (armed & EPOLLEXCLUSIVE) {
        struct notifier *n = file_notifier(e->file);
        if (!n)
            return -EPERM;
        if (!e->hub) {
            int r = hub_add(e, n);
            if (r < 0)
                return r;
        }
        /* Registered first, then polled: nothing falls in between. */
        *now = file_poll(e->file, mask) & mask;
        return 0;
    }
    int r = file_poll_register(e->file, mask, &e->obs, now);
    if (r < 0)
        return r;
    *now &= mask;
    return 0;
}

void ep_entry_unwatch(struct epoll_entry *e)
{
    if (e->hub)
        hub_remove(e);
    else if (observer_is_registered(&e->obs))
        file_poll_unregister(e->file, &e->obs);
}

/* ---- host side ---------------------------------------------------------- */

int ep_host_epfd(struct epoll *ep)
{
    if (ep->host_epfd < 0) {
        int fd = host_epoll_create();
        if (fd < 0)
            return fd;
        ep->host_epfd = fd;
    }
    return ep->host_epfd;
}

uint32_t ep_host_mask(const struct epoll_entry *e, uint32_t events)
{
    if (e->kind == EP_KIND_NESTED)
        return EPOLLIN | EPOLLET; /* edges only: see epoll_wait.c */
    /* EPOLLWAKEUP needs CAP_BLOCK_SUSPEND on the host and means nothing
     * here; the rest passes unchanged. */
    return events & ~(uint32_t)EPOLLWAKEUP;
}

void ep_host_user_added(struct epoll *ep)
{
    bool first = !ep_uses_host(ep);
    if (first) {
        /* Threads sleeping on the futex (no host files until now) must
         * sleep again on the host epoll: wake them all, and whoever
         * watches this instance (a parent epoll, a poll()). */
        ep_wake_waiters(ep, true);
        notifier_broadcast(&ep->notifier, IO_IN | IO_RDNORM);
    }
}

/* ---- entries ------------------------------------------------------------ */

static void entry_released(struct observer *obs, io_events_t ev, const void *info);

struct epoll_entry *ep_entry_alloc(struct epoll *ep, struct file *file, int fd,
                                   enum ep_kind kind)
{
    struct epoll_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->ep = ep;
    e->file = file;
    e->fd = fd;
    e->kind = kind;
    atomic_init(&e->events, 0);
    list_init(&e->rdlink);
    e->host_fd = -1;
    observer_init(&e->obs, entry_notify, e);
    observer_init(&e->rel_obs, entry_released, e);
    list_init(&e->hub_link);
    list_init(&e->child_link);
    list_init(&e->parent_link);
    list_init(&e->zombie_link);
    return e;
}

void ep_entry_free(struct epoll_entry *e)
{
    free(e);
}

void ep_entry_detach_locked(struct epoll *ep, struct epoll_entry *e)
{
    ep_set_remove(ep, e);
    /* No callback queues it again once unwatched. */
    ep_entry_unwatch(e);
    spin_lock(&ep->rdlock);
    if (e->on_ready) {
        list_del(&e->rdlink);
        e->on_ready = false;
        atomic_fetch_sub_explicit(&ep->nready, 1, memory_order_relaxed);
    }
    spin_unlock(&ep->rdlock);
    if (e->host_fd >= 0) {
        host_epoll_ctl(ep->host_epfd, EPOLL_CTL_DEL, e->host_fd, 0, 0);
        if (e->host_fd_owned)
            host_fd_close(e->host_fd);
        e->host_fd = -1;
    }
    if (e->kind == EP_KIND_HOST)
        ep->host_files--;
    else if (e->kind == EP_KIND_NESTED)
        ep->nested--;
}

void ep_entry_unlink_graph(struct epoll_entry *e)
{
    if (e->in_graph) {
        list_del(&e->child_link);
        list_del(&e->parent_link);
        e->in_graph = false;
    }
}

/* The watched file is going away (its last reference): Linux's
 * eventpoll_release(). Runs in the thread that dropped the reference. */
static void entry_released(struct observer *obs, io_events_t ev, const void *info)
{
    struct epoll_entry *e = obs->context;
    struct epoll *ep = e->ep;
    pthread_mutex_lock(&ep->mtx);
    if (e->in_set)
        ep_entry_detach_locked(ep, e);
    /* Allowed from inside the callback; the memory must outlive the
     * broadcast, so the entry is freed later (ep_reap_zombies). */
    notifier_unregister(obs->notifier, obs);
    list_add_tail(&e->zombie_link, &ep->zombies);
    bool graph = e->kind == EP_KIND_NESTED;
    pthread_mutex_unlock(&ep->mtx);
    if (graph) {
        /* After ep->mtx (lock order); the zombie is not freed before this
         * callback returned. */
        pthread_mutex_lock(&epoll_nest_lock);
        ep_entry_unlink_graph(e);
        pthread_mutex_unlock(&epoll_nest_lock);
    }
}

void ep_reap_zombies(struct epoll *ep, bool wait)
{
    struct epoll_entry *e, *tmp;
    list_for_each_entry_safe(e, tmp, &ep->zombies, zombie_link) {
        /* The broadcaster unpins the observer (busy--) as the last thing
         * it does with it after the callback returned. */
        while (atomic_load_explicit(&e->rel_obs.busy, memory_order_acquire) != 0) {
            if (!wait)
                goto next;
            host_yield();
        }
        list_del(&e->zombie_link);
        ep_entry_free(e);
    next:;
    }
}

/* ---- the instance as a file --------------------------------------------- */

static io_events_t ep_file_poll(struct file *f)
{
    struct epoll *ep = ep_of(f);
    int ready = 0;
    pthread_mutex_lock(&ep->mtx);
    if (ep_uses_host(ep))
        ep_harvest(ep, 64);
    if (atomic_load_explicit(&ep->nready, memory_order_acquire))
        ready = ep_scan_ready(ep, NULL, 1);
    pthread_mutex_unlock(&ep->mtx);
    return ready > 0 ? (IO_IN | IO_RDNORM) : 0;
}

static struct notifier *ep_file_notifier(struct file *f)
{
    return &ep_of(f)->notifier;
}

/* For poll/select on an epoll fd: the host epoll to sleep on as well, when
 * the instance watches host files (or other instances). */
static int ep_file_host_fd(struct file *f)
{
    struct epoll *ep = ep_of(f);
    pthread_mutex_lock(&ep->mtx);
    int fd = ep_uses_host(ep) ? ep->host_epfd : -1;
    pthread_mutex_unlock(&ep->mtx);
    return fd;
}

static int ep_file_stat(struct file *f, struct stat *st)
{
    /* An anonymous inode, like Linux's "anon_inode:[eventpoll]". */
    memset(st, 0, sizeof *st);
    st->st_mode = 0600;
    st->st_nlink = 1;
    st->st_blksize = 4096;
    st->st_ino = (ino_t)(uintptr_t)f;
    return 0;
}

static void ep_file_release(struct file *f)
{
    struct epoll *ep = ep_of(f);
    struct epoll_entry *e;
    struct list_head pinned;
    list_init(&pinned);

    /* Entries whose file we can pin are taken out here; the others belong
     * to files being released right now, whose release observers take
     * them out (they wait for ep->mtx). */
    pthread_mutex_lock(&epoll_nest_lock);
    pthread_mutex_lock(&ep->mtx);
    ep->dying = true;
    for (unsigned i = 0; i < ep->nbuckets; i++) {
        struct epoll_entry *next;
        for (e = ep->buckets[i]; e; e = next) {
            next = e->hnext; /* (the table does not shrink while dying) */
            if (!file_tryget(e->file))
                continue;
            ep_entry_detach_locked(ep, e);
            notifier_unregister(file_release_notifier(e->file), &e->rel_obs);
            ep_entry_unlink_graph(e);
            list_add_tail(&e->zombie_link, &pinned);
        }
    }
    pthread_mutex_unlock(&ep->mtx);
    pthread_mutex_unlock(&epoll_nest_lock);

    struct epoll_entry *tmp;
    list_for_each_entry_safe(e, tmp, &pinned, zombie_link) {
        file_put(e->file);
        ep_entry_free(e);
    }

    for (;;) {
        pthread_mutex_lock(&ep->mtx);
        bool empty = ep->count == 0;
        if (empty)
            ep_reap_zombies(ep, true);
        pthread_mutex_unlock(&ep->mtx);
        if (empty)
            break;
        host_yield();
    }

    if (ep->host_epfd >= 0)
        host_epoll_close(ep->host_epfd);
    if (notifier_count(&ep->notifier))
        notifier_broadcast_info(&ep->notifier, IO_CLOSED, f);
    notifier_destroy(&ep->notifier);
    pthread_mutex_destroy(&ep->mtx);
    free(ep->buckets);
    free(ep);
}

static const struct file_ops epoll_ops = {
    .name = "epoll",
    .stat = ep_file_stat,
    .poll = ep_file_poll,
    .notifier = ep_file_notifier,
    .host_fd = ep_file_host_fd,
    .release = ep_file_release,
};

bool file_is_epoll(const struct file *f)
{
    return f->ops == &epoll_ops;
}

int epoll_file_create(int flags, struct file **out)
{
    if (flags & ~EPOLL_CLOEXEC)
        return -EINVAL;
    struct epoll *ep = calloc(1, sizeof *ep);
    if (!ep)
        return -ENOMEM;
    pthread_mutex_init(&ep->mtx, NULL);
    ep->nbuckets = EP_MIN_BUCKETS;
    ep->buckets = calloc(EP_MIN_BUCKETS, sizeof *ep->buckets);
    if (!ep->buckets) {
        free(ep);
        return -ENOMEM;
    }
    ep->host_epfd = -1;
    list_init(&ep->zombies);
    spin_init(&ep->rdlock);
    list_init(&ep->ready);
    atomic_init(&ep->nready, 0);
    list_init(&ep->waiters);
    notifier_init(&ep->notifier);
    list_init(&ep->children);
    list_init(&ep->parents);
    file_init(&ep->file, &epoll_ops, O_RDWR);
    *out = &ep->file;
    return 0;
}

int epoll_create1_in(struct fd_table *t, int flags)
{
    struct file *f;
    int r = epoll_file_create(flags, &f);
    if (r < 0)
        return r;
    r = fd_table_install(t, f, (flags & EPOLL_CLOEXEC) ? O_CLOEXEC : 0);
    file_put(f);
    return r;
}

int epoll_create_in(struct fd_table *t, int size)
{
    if (size <= 0)
        return -EINVAL;
    return epoll_create1_in(t, 0);
}

int epoll_file_count(struct file *f)
{
    if (!file_is_epoll(f))
        return -EINVAL;
    struct epoll *ep = ep_of(f);
    pthread_mutex_lock(&ep->mtx);
    int n = (int)ep->count;
    pthread_mutex_unlock(&ep->mtx);
    return n;
}

int epoll_file_uses_host(struct file *f)
{
    if (!file_is_epoll(f))
        return -EINVAL;
    struct epoll *ep = ep_of(f);
    pthread_mutex_lock(&ep->mtx);
    int r = ep_uses_host(ep);
    pthread_mutex_unlock(&ep->mtx);
    return r;
}
