/* epoll, poll, ppoll, select, pselect6: copy guest arguments in and out
 * like Linux (fs/eventpoll.c, fs/select.c) around fs/epoll.h and
 * fs/poll.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fs/epoll.h"
#include "fs/poll.h"
#include "syscall/sys_fd_internal.h"
#include "util/compiler.h"

/* Copy in a guest sigmask argument: *mask NULL when none was given. */
static int sigmask_in(struct thread *self, uintptr_t umask, size_t sigsetsize,
                      guest_sigset_t *buf, const guest_sigset_t **mask)
{
    *mask = NULL;
    if (!umask)
        return 0;
    if (sigsetsize != sizeof(guest_sigset_t))
        return -EINVAL;
    int err = uaccess_read(self->proc, buf, umask, sizeof *buf);
    if (err)
        return err;
    *mask = buf;
    return 0;
}

/* ---- epoll ------------------------------------------------------------ */

SYS_STATIC(epoll_create) { return epoll_create_in(sys_fds(self), (int)a[0]); }
SYS_STATIC(epoll_create1) { return epoll_create1_in(sys_fds(self), (int)a[0]); }

SYS_STATIC(epoll_ctl)
{
    int op = (int)a[1];
    struct epoll_event ev, *evp = NULL;
    if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
        int err = uaccess_read(self->proc, &ev, (uintptr_t)a[3], sizeof ev);
        if (err)
            return err;
        evp = &ev;
    }
    return epoll_ctl_in(sys_fds(self), (int)a[0], op, (int)a[2], evp);
}

/* maxevents and the events array, checked in Linux's order. */
static int epoll_events_check(struct thread *self, uint64_t uevents, int maxevents)
{
    if (maxevents <= 0 || maxevents > EPOLL_MAX_EVENTS)
        return -EINVAL;
    return uaccess_check(self->proc, (uintptr_t)uevents,
                         (size_t)maxevents * sizeof(struct epoll_event), PROT_WRITE);
}

/* The events array is checked guest memory: epoll writes it directly. */
static long do_epoll_pwait(struct thread *self, const uint64_t a[6], bool with_mask)
{
    guest_sigset_t mbuf;
    const guest_sigset_t *mask = NULL;
    size_t sigsetsize = with_mask ? (size_t)a[5] : 0;
    int err = with_mask ? sigmask_in(self, (uintptr_t)a[4], sigsetsize, &mbuf, &mask) : 0;
    if (err)
        return err;
    err = epoll_events_check(self, a[1], (int)a[2]);
    if (err)
        return err;
    return epoll_wait_in(sys_fds(self), (int)a[0], (struct epoll_event *)(uintptr_t)a[1],
                         (int)a[2], (int)a[3], mask, sigsetsize);
}

SYS_STATIC(epoll_wait) { return do_epoll_pwait(self, a, false); }
SYS_STATIC(epoll_pwait) { return do_epoll_pwait(self, a, true); }

SYS_STATIC(epoll_pwait2)
{
    struct timespec ts, *tsp = NULL;
    if (a[3]) {
        int err = uaccess_read(self->proc, &ts, (uintptr_t)a[3], sizeof ts);
        if (err)
            return err;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
            return -EINVAL;
        tsp = &ts;
    }
    guest_sigset_t mbuf;
    const guest_sigset_t *mask;
    int err = sigmask_in(self, (uintptr_t)a[4], (size_t)a[5], &mbuf, &mask);
    if (err)
        return err;
    err = epoll_events_check(self, a[1], (int)a[2]);
    if (err)
        return err;
    return epoll_pwait2_in(sys_fds(self), (int)a[0], (struct epoll_event *)(uintptr_t)a[1],
                           (int)a[2], tsp, mask, (size_t)a[5]);
}

/* ---- poll ------------------------------------------------------------- */

/* The pollfd array, copied in and (like Linux) back out: the guest's may
 * be misaligned, or unmapped by another thread while we sleep. */
struct pollfds {
    struct pollfd *p;
    struct pollfd fast[16];
};

static int pollfds_in(struct thread *self, uint64_t ufds, uint64_t nfds, struct pollfds *s)
{
    if (nfds > fd_table_limit(sys_fds(self)))
        return -EINVAL;
    size_t bytes = nfds * sizeof(struct pollfd);
    int err = uaccess_check(self->proc, (uintptr_t)ufds, bytes, PROT_READ | PROT_WRITE);
    if (err)
        return err;
    s->p = nfds <= ARRAY_SIZE(s->fast) ? s->fast : malloc(bytes);
    if (!s->p)
        return -ENOMEM;
    err = uaccess_read(self->proc, s->p, (uintptr_t)ufds, bytes);
    if (err && s->p != s->fast)
        free(s->p);
    return err;
}

/* Linux writes revents back whatever the wait returned (EINTR too). */
static long pollfds_out(struct thread *self, uint64_t ufds, uint64_t nfds, struct pollfds *s,
                        long r)
{
    if (r != -EINVAL && r != -ENOMEM &&
        uaccess_write(self->proc, (uintptr_t)ufds, s->p, nfds * sizeof(struct pollfd)))
        r = -EFAULT;
    if (s->p != s->fast)
        free(s->p);
    return r;
}

SYS_STATIC(poll)
{
    struct pollfds s;
    int err = pollfds_in(self, a[0], a[1], &s);
    if (err)
        return err;
    return pollfds_out(self, a[0], a[1], &s,
                       poll_in(sys_fds(self), s.p, (unsigned long)a[1], (int)a[2]));
}

/* Linux writes a remaining time back only for a non-zero timeout, and
 * ignores a fault doing so (the timeout may be in read-only memory). */
static void timeout_out(struct thread *self, uintptr_t uts, const void *orig,
                        const void *now, size_t size)
{
    static const char zero[sizeof(struct timespec)];
    if (memcmp(orig, zero, size) != 0)
        (void)uaccess_write(self->proc, uts, now, size);
}

SYS_STATIC(ppoll)
{
    struct timespec ts, orig, *tsp = NULL;
    if (a[2]) {
        int err = uaccess_read(self->proc, &ts, (uintptr_t)a[2], sizeof ts);
        if (err)
            return err;
        orig = ts;
        tsp = &ts;
    }
    guest_sigset_t mbuf;
    const guest_sigset_t *mask;
    int err = sigmask_in(self, (uintptr_t)a[3], (size_t)a[4], &mbuf, &mask);
    if (err)
        return err;
    struct pollfds s;
    err = pollfds_in(self, a[0], a[1], &s);
    if (err)
        return err;
    int r = (int)pollfds_out(self, a[0], a[1], &s,
                             ppoll_in(sys_fds(self), s.p, (unsigned long)a[1], tsp, mask,
                                      (size_t)a[4]));
    if (tsp && r != -EINVAL)
        timeout_out(self, (uintptr_t)a[2], &orig, &ts, sizeof ts);
    return r;
}

/* ---- select ----------------------------------------------------------- */

/* The three guest fd sets of select, copied in (NULL pointers stay NULL). */
struct fd_sets {
    uint64_t *set[3];
    uint64_t fast[3][16]; /* up to 1024 fds without malloc */
    uint64_t *heap;
    size_t bytes;
};

static int fd_sets_in(struct thread *self, struct fd_sets *s, int n,
                      const uint64_t uset[3])
{
    size_t words = ((size_t)n + 63) / 64;
    s->bytes = words * sizeof(uint64_t);
    s->heap = NULL;
    if (words > 16) {
        s->heap = calloc(3 * words, sizeof(uint64_t));
        if (!s->heap)
            return -ENOMEM;
    }
    for (int i = 0; i < 3; i++) {
        s->set[i] = NULL;
        if (!uset[i])
            continue;
        s->set[i] = s->heap ? s->heap + i * words : s->fast[i];
        int err = uaccess_read(self->proc, s->set[i], (uintptr_t)uset[i], s->bytes);
        if (err)
            return err;
    }
    return 0;
}

static int fd_sets_out(struct thread *self, struct fd_sets *s, const uint64_t uset[3])
{
    for (int i = 0; i < 3; i++) {
        if (!s->set[i])
            continue;
        int err = uaccess_write(self->proc, (uintptr_t)uset[i], s->set[i], s->bytes);
        if (err)
            return err;
    }
    return 0;
}

/* select (timeval) and pselect6 (timespec + sigmask). */
static long do_select(struct thread *self, const uint64_t a[6], bool pselect)
{
    int nfds = (int)a[0];
    union {
        struct timeval tv;
        struct timespec ts;
    } t, orig;
    size_t tsize = pselect ? sizeof t.ts : sizeof t.tv;
    bool has_timeout = a[4] != 0;
    if (has_timeout) {
        int err = uaccess_read(self->proc, &t, (uintptr_t)a[4], tsize);
        if (err)
            return err;
        orig = t;
    }
    guest_sigset_t mbuf;
    const guest_sigset_t *mask = NULL;
    size_t sigsetsize = 0;
    if (pselect && a[5]) {
        /* a[5] points to { const sigset_t *ss; size_t ss_len; } */
        uint64_t pack[2];
        int err = uaccess_read(self->proc, pack, (uintptr_t)a[5], sizeof pack);
        if (err)
            return err;
        sigsetsize = (size_t)pack[1];
        err = sigmask_in(self, (uintptr_t)pack[0], sigsetsize, &mbuf, &mask);
        if (err)
            return err;
    }
    if (nfds < 0)
        return -EINVAL;
    unsigned limit = fd_table_limit(sys_fds(self));
    int n = (unsigned)nfds > limit ? (int)limit : nfds;
    const uint64_t uset[3] = { a[1], a[2], a[3] };
    struct fd_sets s;
    int r = fd_sets_in(self, &s, n, uset);
    if (!r) {
        if (pselect)
            r = pselect6_in(sys_fds(self), n, s.set[0], s.set[1], s.set[2],
                            has_timeout ? &t.ts : NULL, mask, sigsetsize);
        else
            r = select_in(sys_fds(self), n, s.set[0], s.set[1], s.set[2],
                          has_timeout ? &t.tv : NULL);
        if (has_timeout && r != -EINVAL)
            timeout_out(self, (uintptr_t)a[4], &orig, &t, tsize);
        if (r >= 0) {
            int err = fd_sets_out(self, &s, uset);
            if (err)
                r = err;
        }
    }
    free(s.heap);
    return r;
}

SYS_STATIC(select) { return do_select(self, a, false); }
SYS_STATIC(pselect6) { return do_select(self, a, true); }

void sys_register_fd_poll(sys_fn *table)
{
    table[__NR_epoll_create] = sys_epoll_create;
    table[__NR_epoll_create1] = sys_epoll_create1;
    table[__NR_epoll_ctl] = sys_epoll_ctl;
    table[__NR_epoll_wait] = sys_epoll_wait;
    table[__NR_epoll_pwait] = sys_epoll_pwait;
    table[__NR_epoll_pwait2] = sys_epoll_pwait2;
    table[__NR_poll] = sys_poll;
    table[__NR_ppoll] = sys_ppoll;
    table[__NR_select] = sys_select;
    table[__NR_pselect6] = sys_pselect6;
}
