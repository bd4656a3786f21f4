/* epoll_ctl: checks in Linux's order, the nesting graph (ELOOP), and
 * adding / modifying / removing interest entries. */
#include "fs/epoll_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "host/host_epoll.h"
#include "host/host_fd.h"

/* ---- nesting graph (epoll_nest_lock) ---------------------------------- */

static uint64_t walk_gen;

/* Longest chain of instances from `ep` downwards, `ep` included; sets
 * *hit if `stop` is on the way. Memoised per walk, so O(nodes + edges). */
static int depth_down(struct epoll *ep, struct epoll *stop, bool *hit)
{
    if (ep == stop)
        *hit = true;
    if (ep->walk_gen == walk_gen)
        return ep->walk_depth;
    int best = 0;
    struct epoll_entry *e;
    list_for_each_entry(e, &ep->children, child_link) {
        int d = depth_down(ep_of(e->file), stop, hit);
        if (d > best)
            best = d;
    }
    ep->walk_gen = walk_gen;
    ep->walk_depth = best + 1;
    return best + 1;
}

/* Longest chain of instances from `ep` upwards, `ep` included. */
static int depth_up(struct epoll *ep)
{
    if (ep->walk_gen == walk_gen)
        return ep->walk_depth;
    int best = 0;
    struct epoll_entry *e;
    list_for_each_entry(e, &ep->parents, parent_link) {
        int d = depth_up(e->ep);
        if (d > best)
            best = d;
    }
    ep->walk_gen = walk_gen;
    ep->walk_depth = best + 1;
    return best + 1;
}

/* Linux's ep_loop_check: adding `inner` to `outer` must not close a loop
 * and must not make a chain of more than EPOLL_MAX_NESTS edges. */
static int check_nesting(struct epoll *outer, struct epoll *inner)
{
    bool loop = false;
    walk_gen++;
    int down = depth_down(inner, outer, &loop);
    if (loop)
        return -ELOOP;
    walk_gen++;
    int up = depth_up(outer);
    /* Edges: (down - 1) below inner, the new one, (up - 1) above outer. */
    if ((down - 1) + 1 + (up - 1) > EPOLL_MAX_NESTS)
        return -ELOOP;
    return 0;
}

/* ---- ADD ----------------------------------------------------------------- */

/* Register host fd `hfd` for `e` in our host epoll. The host keys its
 * entries by (fd, file) too: the same open file under a second fd number
 * (a dup'd socket, the same inner epoll twice) needs a host dup. */
static int host_register(struct epoll *ep, struct epoll_entry *e, int hfd, uint32_t mask)
{
    int epfd = ep_host_epfd(ep);
    if (epfd < 0)
        return epfd;
    int r = host_epoll_ctl(epfd, EPOLL_CTL_ADD, hfd, mask, (uintptr_t)e);
    if (r == -EEXIST) {
        int dup = host_fd_dup(hfd);
        if (dup < 0)
            return dup;
        r = host_epoll_ctl(epfd, EPOLL_CTL_ADD, dup, mask, (uintptr_t)e);
        if (r < 0) {
            host_fd_close(dup);
            return r;
        }
        hfd = dup;
        e->host_fd_owned = true;
    }
    if (r < 0)
        return r;
    e->host_fd = hfd;
    return 0;
}

static void host_unregister(struct epoll *ep, struct epoll_entry *e)
{
    host_epoll_ctl(ep->host_epfd, EPOLL_CTL_DEL, e->host_fd, 0, 0);
    if (e->host_fd_owned)
        host_fd_close(e->host_fd);
    e->host_fd = -1;
    e->host_fd_owned = false;
}

static int add_host(struct epoll *ep, struct epoll_entry *e, uint32_t events)
{
    int r = host_register(ep, e, file_host_fd(e->file), ep_host_mask(e, events));
    if (r < 0)
        return r;
    ep_host_user_added(ep);
    ep->host_files++;
    return 0;
}

static int add_nested(struct epoll *ep, struct epoll_entry *e, io_events_t *now)
{
    struct epoll *inner = ep_of(e->file);
    pthread_mutex_lock(&inner->mtx); /* outer before inner */
    int ihep = ep_host_epfd(inner);
    pthread_mutex_unlock(&inner->mtx);
    if (ihep < 0)
        return ihep;
    /* The inner instance's host epoll inside ours: host readiness deep
     * down reaches a thread sleeping on ours (see epoll_wait.c). */
    int r = host_register(ep, e, ihep, ep_host_mask(e, 0));
    if (r < 0)
        return r;
    r = ep_entry_watch(e, now);
    if (r < 0) {
        host_unregister(ep, e);
        return r;
    }
    ep_host_user_added(ep);
    ep->nested++;
    list_add_tail(&e->child_link, &ep->children);
    list_add_tail(&e->parent_link, &inner->parents);
    e->in_graph = true;
    return 0;
}

static int ctl_add(struct epoll *ep, int fd, struct file *target, enum ep_kind kind,
                   const struct epoll_event *ev)
{
    if (ep_find(ep, target, fd))
        return -EEXIST;
    struct epoll_entry *e = ep_entry_alloc(ep, target, fd, kind);
    if (!e)
        return -ENOMEM;
    uint32_t events = (ev->events | EPOLLERR | EPOLLHUP) & ~(uint32_t)EPOLLWAKEUP;
    atomic_store_explicit(&e->events, events, memory_order_release);
    e->data = ev->data.u64;

    io_events_t now = 0;
    int r;
    switch (kind) {
    case EP_KIND_HOST:
        r = add_host(ep, e, events);
        break;
    case EP_KIND_NESTED:
        r = add_nested(ep, e, &now);
        break;
    default:
        r = ep_entry_watch(e, &now);
        break;
    }
    if (r < 0) {
        ep_entry_free(e); /* each add_* undid its own steps */
        return r;
    }
    ep_set_insert(ep, e);
    /* A fresh observer: registering cannot fail. From here on the file's
     * last close takes the entry out (entry_released). */
    notifier_register(file_release_notifier(target), &e->rel_obs, IO_CLOSED);
    if (now)
        ep_queue_wake(ep, e);
    return 0;
}

/* ---- MOD / DEL ------------------------------------------------------------ */

static int ctl_mod(struct epoll *ep, struct epoll_entry *e, const struct epoll_event *ev)
{
    uint32_t old = atomic_load_explicit(&e->events, memory_order_relaxed);
    if (old & EPOLLEXCLUSIVE)
        return -EINVAL;
    uint32_t events = (ev->events | EPOLLERR | EPOLLHUP) & ~(uint32_t)EPOLLWAKEUP;
    if (e->kind == EP_KIND_HOST) {
        /* The host re-arms a ONESHOT and re-checks readiness, which wakes
         * threads sleeping on our host epoll. */
        int r = host_epoll_ctl(ep->host_epfd, EPOLL_CTL_MOD, e->host_fd,
                               ep_host_mask(e, events), (uintptr_t)e);
        if (r < 0)
            return r;
        e->data = ev->data.u64;
        atomic_store_explicit(&e->events, events, memory_order_release);
        return 0;
    }
    e->data = ev->data.u64;
    /* Store, then poll (seq_cst inside ep_entry_watch): an event either
     * sees the new mask or is seen by the poll (Linux's ep_modify). */
    atomic_store_explicit(&e->events, events, memory_order_seq_cst);
    io_events_t now;
    int r = ep_entry_watch(e, &now);
    if (r < 0)
        return r;
    if (now)
        ep_queue_wake(ep, e); /* wakes a thread already in epoll_wait */
    return 0;
}

static void ctl_del(struct epoll *ep, struct epoll_entry *e)
{
    ep_entry_detach_locked(ep, e);
    /* The caller holds a reference to the file: its release callback
     * cannot be running. */
    notifier_unregister(file_release_notifier(e->file), &e->rel_obs);
    ep_entry_unlink_graph(e);
    ep_entry_free(e);
}

/* ---- entry points -------------------------------------------------------- */

int epoll_ctl_file(struct file *epf, int op, int fd, struct file *target,
                   const struct epoll_event *ev)
{
    bool has_event = op != EPOLL_CTL_DEL;
    if (has_event && !ev)
        return -EFAULT;
    uint32_t events = has_event ? ev->events : 0;
    enum ep_kind kind = ep_target_kind(target);

    /* Linux's order: EPERM (target cannot be polled), EINVAL (not an
     * epoll, itself, EXCLUSIVE misuse, bad op), then per op. */
    if (kind == EP_KIND_LIBOS && !file_notifier(target))
        return -EPERM;
    int err = 0;
    if (!file_is_epoll(epf) || epf == target)
        err = -EINVAL;
    else if (has_event && (events & EPOLLEXCLUSIVE) &&
             (op == EPOLL_CTL_MOD ||
              (op == EPOLL_CTL_ADD &&
               (kind == EP_KIND_NESTED || (events & ~EP_EXCLUSIVE_OK_BITS)))))
        err = -EINVAL;
    else if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_DEL && op != EPOLL_CTL_MOD)
        err = -EINVAL;
    if (err) {
        if (kind == EP_KIND_HOST && !ep_target_pollable(target))
            return -EPERM;
        return err;
    }

    struct epoll *ep = ep_of(epf);
    bool graph = kind == EP_KIND_NESTED && op != EPOLL_CTL_MOD;
    if (graph)
        pthread_mutex_lock(&epoll_nest_lock);
    if (kind == EP_KIND_NESTED && op == EPOLL_CTL_ADD) {
        int r = check_nesting(ep, ep_of(target));
        if (r < 0) {
            pthread_mutex_unlock(&epoll_nest_lock);
            return r;
        }
    }
    pthread_mutex_lock(&ep->mtx);
    ep_reap_zombies(ep, false);
    struct epoll_entry *e = op == EPOLL_CTL_ADD ? NULL : ep_find(ep, target, fd);
    int r = 0;
    switch (op) {
    case EPOLL_CTL_ADD:
        r = ctl_add(ep, fd, target, kind, ev);
        break;
    case EPOLL_CTL_MOD:
        r = e ? ctl_mod(ep, e, ev) : -ENOENT;
        break;
    case EPOLL_CTL_DEL:
        if (e)
            ctl_del(ep, e);
        else
            r = -ENOENT;
        break;
    }
    pthread_mutex_unlock(&ep->mtx);
    if (graph)
        pthread_mutex_unlock(&epoll_nest_lock);
    if (r == -ENOENT && kind == EP_KIND_HOST && !ep_target_pollable(target))
        r = -EPERM; /* never addable: Linux says so before looking */
    return r;
}

int epoll_ctl_in(struct fd_table *t, int epfd, int op, int fd,
                 const struct epoll_event *ev)
{
    if (op != EPOLL_CTL_DEL && !ev)
        return -EFAULT;
    struct file *epf, *target;
    int r = fd_table_get_file(t, epfd, &epf);
    if (r < 0)
        return r;
    r = fd_table_get_file(t, fd, &target);
    if (r < 0) {
        file_put(epf);
        return r;
    }
    r = epoll_ctl_file(epf, op, fd, target, ev);
    file_put(target);
    file_put(epf);
    return r;
}
