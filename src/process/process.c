/* Processes and threads: creation, pid allocation, exit. */
#include "process/runtime_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fs/fd_table.h"
#include "fs/host_file.h"
#include "fs/vfs.h"
#include "host/host_fd.h"
#include "host/host_wait.h"
#include "process/jobctl.h"
#include "process/signal.h"
#include "process/timer.h"
#include "process/watchdog.h"
#include "util/log.h"
#include "vm/process_vm.h"

int runtime_state_init(struct runtime *rt, struct user_space_vm *usv)
{
    memset(rt, 0, sizeof(*rt));
    rt->usv = usv;
    rt->pids = calloc(RUNTIME_PID_MAX, sizeof(*rt->pids));
    if (!rt->pids)
        return -ENOMEM;
    pthread_mutex_init(&rt->lock, NULL);
    pthread_cond_init(&rt->all_exited, NULL);
    return 0;
}

void runtime_state_destroy(struct runtime *rt)
{
    free(rt->pids);
    pthread_mutex_destroy(&rt->lock);
    pthread_cond_destroy(&rt->all_exited);
}

/* Lowest free pid after the last one given, wrapping like Linux. */
static pid_t alloc_pid_locked(struct runtime *rt, struct process *p)
{
    for (int i = 0; i < RUNTIME_PID_MAX - 1; i++) {
        pid_t pid = rt->last_pid + 1 + i;
        if (pid >= RUNTIME_PID_MAX)
            pid -= RUNTIME_PID_MAX - 1;
        if (pid == 1 && rt->last_pid)
            continue;   /* pid 1 is the first process's only: orphans go there */
        if (!rt->pids[pid]) {
            rt->pids[pid] = p;
            rt->last_pid = pid;
            return pid;
        }
    }
    return -EAGAIN;
}

struct process *runtime_find_process(struct runtime *rt, pid_t pid)
{
    if (pid <= 0 || pid >= RUNTIME_PID_MAX)
        return NULL;
    pthread_mutex_lock(&rt->lock);
    struct process *p = rt->pids[pid];
    if (p && p->pid != pid)
        p = NULL;   /* a tid, not a pid */
    pthread_mutex_unlock(&rt->lock);
    return p;
}

/* The host's stdin/stdout/stderr as the first process's fds 0-2. */
static int install_stdio(struct fd_table *t)
{
    static const int modes[3] = { O_RDONLY, O_WRONLY, O_WRONLY };
    for (int fd = 0; fd < 3; fd++) {
        int hfd = host_fd_dup(fd);
        if (hfd < 0)
            return hfd;
        struct file *f;
        int err = host_file_create(hfd, modes[fd], HOST_FILE_OWN_FD | HOST_FILE_KEEP_HOST_BLOCKING,
                                   &f);
        if (err) {
            host_fd_close(hfd);
            return err;
        }
        int got = fd_table_install(t, f, 0);
        file_put(f);
        if (got != fd)
            return got < 0 ? got : -EBADF;
    }
    return 0;
}

static int create(struct runtime *rt, struct process *parent, const char *host_root,
                  bool borrow_vm, struct process **out)
{
    struct process *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    atomic_init(&p->refs, 1);
    p->rt = rt;
    pthread_mutex_init(&p->lock, NULL);
    waiter_queue_init(&p->child_wq);
    for (int i = 0; i < RLIM_NLIMITS; i++)
        p->rlim[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
    p->rlim[RLIMIT_NOFILE] = (struct rlimit){ FD_TABLE_DEFAULT_LIMIT, 4096 };
    p->rlim[RLIMIT_STACK] = (struct rlimit){ rt->default_stack_size, RLIM_INFINITY };
    p->rlim[RLIMIT_CORE] = (struct rlimit){ 0, RLIM_INFINITY };    /* Linux's usual default */
    p->start_time_ns = host_monotonic_ns();

    pthread_mutex_lock(&rt->lock);
    pid_t pid = alloc_pid_locked(rt, p);
    if (pid > 0)
        rt->nr_processes++;
    pthread_mutex_unlock(&rt->lock);
    if (pid < 0) {
        free(p);
        return pid;
    }
    p->pid = p->pgid = p->sid = pid;
    p->ppid = parent ? parent->pid : 0;
    if (parent) {
        p->pgid = parent->pgid;
        p->sid = parent->sid;
        memcpy(p->rlim, parent->rlim, sizeof(p->rlim));
        pthread_mutex_lock(&parent->lock);
        memcpy(p->sigactions, parent->sigactions, sizeof(p->sigactions));
        pthread_mutex_unlock(&parent->lock);
    }

    int err = parent && borrow_vm ? 0 : process_vm_create(rt->usv, pid, &p->vm);
    if (parent && borrow_vm) {
        p->vm = parent->vm;
        p->vm_borrowed = true;
    }
    if (!err)
        err = parent ? fd_table_copy(parent->fds, &p->fds)
                     : fd_table_create(FD_TABLE_DEFAULT_LIMIT, &p->fds);
    if (!err && !parent)
        err = install_stdio(p->fds);
    if (!err)
        err = parent ? fs_ctx_copy(parent->fs, &p->fs) : fs_ctx_create(host_root, &p->fs);
    if (err) {
        p->nr_threads = 0;
        process_begin_exit(p, 0);
        /* No thread will ever run: release like a last thread would. */
        if (p->fs)
            fs_ctx_put(p->fs);
        if (p->fds)
            fd_table_put(p->fds);
        if (p->vm && !p->vm_borrowed)
            process_vm_destroy(p->vm);
        pthread_mutex_lock(&rt->lock);
        rt->pids[pid] = NULL;
        rt->nr_processes--;
        pthread_mutex_unlock(&rt->lock);
        waiter_queue_destroy(&p->child_wq);
        free(p);
        return err;
    }
    if (parent) {
        pthread_mutex_lock(&rt->lock);
        p->parent = parent;
        p->next_sibling = parent->children;
        parent->children = p;
        pthread_mutex_unlock(&rt->lock);
    }
    *out = p;
    return 0;
}

int process_create_vfork_child(struct process *parent, struct process **out)
{
    return create(parent->rt, parent, NULL, true, out);
}

/* The memory of a process that finished while vfork children still ran on
 * it (Linux keeps an mm alive as long as someone uses it). */
struct lent_vm {
    struct process_vm *vm;
    int users;                      /* children still on it (rt->lock) */
};

void process_vfork_release(struct process *c)
{
    if (!c->vm_borrowed)            /* only c changes it */
        return;
    struct runtime *rt = c->rt;
    struct process_vm *last = NULL;
    pthread_mutex_lock(&rt->lock);
    c->vm_borrowed = false;
    atomic_store_explicit(&c->vfork_done, true, memory_order_release);
    struct lent_vm *l = c->vm_lender;
    c->vm_lender = NULL;
    if (l && --l->users == 0) {
        last = l->vm;
        free(l);
    }
    struct process *parent = c->parent;
    if (parent)
        waiter_queue_wake_all(&parent->child_wq);
    pthread_mutex_unlock(&rt->lock);
    if (last)
        process_vm_destroy(last);
}

/* p finishes: its memory goes now, or with the last vfork child still
 * running on it. */
static void release_own_vm(struct process *p)
{
    struct runtime *rt = p->rt;
    pthread_mutex_lock(&rt->lock);
    int users = 0;
    for (struct process *c = p->children; c; c = c->next_sibling)
        users += c->vm_borrowed && c->vm == p->vm;
    struct lent_vm *l = users ? malloc(sizeof(*l)) : NULL;
    if (l) {
        *l = (struct lent_vm){ p->vm, users };
        for (struct process *c = p->children; c; c = c->next_sibling)
            if (c->vm_borrowed && c->vm == p->vm)
                c->vm_lender = l;
    }
    pthread_mutex_unlock(&rt->lock);
    if (!users)
        process_vm_destroy(p->vm);
    else if (!l)
        log_warn("process", "pid %d: out of memory lending its memory to a vfork child: leaked",
                 p->pid);
}

static bool vfork_released(void *arg)
{
    return atomic_load_explicit(&((struct process *)arg)->vfork_done, memory_order_acquire);
}

void process_vfork_wait(struct process *parent, struct process *c)
{
    /* Like Linux, only a fatal signal ends the wait early; the child still
     * holds a reference to the parent through `parent`, which exit keeps
     * valid until the child is reaped or reparented. */
    while (!vfork_released(c)) {
        int r = waiter_queue_wait(&parent->child_wq, vfork_released, c, UINT64_MAX);
        if (r == -EINTR) {
            waiter_clear_interrupt(waiter_current());
            if (atomic_load(&parent->exiting))
                return;
        }
    }
}

int process_create(struct runtime *rt, struct process *parent, const char *host_root,
                   struct process **out)
{
    return create(rt, parent, host_root, false, out);
}

int thread_create(struct process *p, struct thread **out)
{
    struct runtime *rt = p->rt;
    struct thread *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    pthread_mutex_lock(&rt->lock);
    if (rt->max_threads && rt->nr_threads >= rt->max_threads) {
        pthread_mutex_unlock(&rt->lock);
        free(t);
        return -EAGAIN;
    }
    pid_t tid = p->nr_threads == 0 && !p->threads ? p->pid : alloc_pid_locked(rt, p);
    if (tid > 0)
        rt->nr_threads++;
    pthread_mutex_unlock(&rt->lock);
    if (tid < 0) {
        free(t);
        return tid;
    }
    t->proc = p;
    t->tid = tid;
    waiter_init(&t->waiter);
    watchdog_thread_add(t);
    pthread_mutex_lock(&p->lock);
    t->next = p->threads;
    p->threads = t;
    p->nr_threads++;
    p->nr_in_guest++;
    pthread_mutex_unlock(&p->lock);
    *out = t;
    return 0;
}

bool process_begin_exit(struct process *p, int status)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&p->exiting, &expected, true))
        return false;
    p->exit_status = status;
    return true;
}

static void process_free(struct process *p)
{
    signal_release_process(p);
    free(p->cmdline);
    waiter_queue_destroy(&p->child_wq);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Unlink c from its parent's children (rt->lock held). */
static void unlink_child_locked(struct process *c)
{
    struct process *parent = c->parent;
    for (struct process **pp = &parent->children; *pp; pp = &(*pp)->next_sibling) {
        if (*pp == c) {
            *pp = c->next_sibling;
            break;
        }
    }
    c->parent = NULL;
}

/* rt->lock held: where p's children go when p exits (Linux's
 * find_new_reaper): the nearest ancestor that set PR_SET_CHILD_SUBREAPER
 * and is not exiting, else pid 1 unless it is exiting; NULL: none (the
 * instance is ending). */
static struct process *new_parent_locked(struct runtime *rt, struct process *p)
{
    for (struct process *a = p->parent; a; a = a->parent)
        if (a->child_subreaper && !atomic_load(&a->exiting))
            return a;
    struct process *init = rt->pids[1];
    if (init && init != p && init->pid == 1 && !init->zombie && !atomic_load(&init->exiting))
        return init;
    return NULL;
}

/* rt->lock held: give p's children to their new parent; the zombies
 * among them that nobody will wait for go onto *unwanted (freed by the
 * caller once the lock is dropped). */
#define MAX_ORPHAN_GROUPS 16

static void reparent_children_locked(struct runtime *rt, struct process *p,
                                     struct process **unwanted, pid_t *groups, int *nr_groups)
{
    if (!p->children)
        return;
    struct process *reaper = new_parent_locked(rt, p);
    bool autoreap = false;
    if (reaper) {
        pthread_mutex_lock(&reaper->lock);
        autoreap = signal_child_autoreap_locked(reaper);
        pthread_mutex_unlock(&reaper->lock);
    }
    bool adopted = false;
    for (struct process *c = p->children, *next; c; c = next) {
        next = c->next_sibling;
        /* A group of another of the session that p linked out. */
        if (!c->zombie && c->pgid != p->pgid && c->sid == p->sid &&
            *nr_groups < MAX_ORPHAN_GROUPS)
            groups[(*nr_groups)++] = c->pgid;
        if (reaper && !(c->zombie && autoreap)) {
            c->parent = reaper;
            c->ppid = reaper->pid;
            c->next_sibling = reaper->children;
            reaper->children = c;
            adopted = true;
            if (c->zombie)
                signal_child_exited(reaper, c);     /* as Linux's reparent_leader */
            continue;
        }
        c->parent = NULL;
        c->ppid = reaper ? reaper->pid : 1;
        if (c->zombie) {
            rt->pids[c->pid] = NULL;
            c->next_sibling = *unwanted;
            *unwanted = c;
        }
    }
    p->children = NULL;
    if (adopted)
        waiter_queue_wake_all(&reaper->child_wq);
}

static void process_finish(struct process *p)
{
    struct runtime *rt = p->rt;
    if (!atomic_load(&p->exiting))
        process_begin_exit(p, 0);
    process_timers_release(p);     /* no timer signal after this */
    /* Out of /proc first: it renders only what is in the table. */
    pthread_mutex_lock(&rt->lock);
    if (!p->parent)
        rt->pids[p->pid] = NULL;
    pthread_mutex_unlock(&rt->lock);
    fs_ctx_put(p->fs);
    fd_table_put(p->fds);
    if (!p->vm_borrowed)
        release_own_vm(p);
    p->vm = NULL;
    process_vfork_release(p);

    pthread_mutex_lock(&rt->lock);
    if (p->pid == 1) {
        rt->init_status = p->exit_status;
        rt->init_exited = true;
    }
    p->wait_report = 0;     /* a stop not yet reported is gone with it */
    /* Orphans go to a subreaper or pid 1 (zombies among them that nobody
     * will wait for go at once). */
    struct process *orphan_zombies = NULL;
    pid_t groups[MAX_ORPHAN_GROUPS + 1];
    int nr_groups = 0;
    reparent_children_locked(rt, p, &orphan_zombies, groups, &nr_groups);
    /* Groups this exit orphans with a stopped member: SIGHUP + SIGCONT. */
    nr_groups = jobctl_newly_orphaned_locked(rt, p, groups, nr_groups);
    bool reaped_now = !p->parent;
    /* The parent may have exited (orphaning p) since the check above. */
    if (reaped_now)
        rt->pids[p->pid] = NULL;
    if (p->parent) {
        /* SIGCHLD; a parent that ignores it explicitly (or set
         * SA_NOCLDWAIT) gets no zombie (signal.c). */
        struct process *parent = p->parent;
        pthread_mutex_lock(&parent->lock);
        bool autoreap = signal_child_autoreap_locked(parent);
        pthread_mutex_unlock(&parent->lock);
        signal_child_exited(parent, p);
        if (autoreap) {
            unlink_child_locked(p);
            rt->pids[p->pid] = NULL;
            reaped_now = true;
        } else {
            p->zombie = true;   /* the parent's wait4 frees it */
        }
        waiter_queue_wake_all(&parent->child_wq);
    }
    /* Under rt->lock: no target can be reaped (freed) meanwhile. */
    for (int i = 0; i < nr_groups; i++)
        jobctl_hangup_pgrp_locked(rt, groups[i]);
    rt->nr_processes--;
    pthread_cond_broadcast(&rt->all_exited);
    pthread_mutex_unlock(&rt->lock);
    for (struct process *c = orphan_zombies, *next; c; c = next) {
        next = c->next_sibling;
        process_free(c);
    }
    if (reaped_now)
        process_free(p);
}

static bool matches(const struct process *c, const struct process *p, pid_t pid)
{
    if (pid == -1)
        return true;
    if (pid > 0)
        return c->pid == pid;
    if (pid == 0)
        return c->pgid == p->pgid;
    return c->pgid == -pid;
}

struct wait_arg {
    struct process *p;
    pid_t pid;
    int options;
    struct process *found;
    bool any;
};

/* c (rt->lock held) has something to report for these options? */
static bool reportable(const struct process *c, int options)
{
    if (c->zombie)
        return options & WEXITED;
    if (options & WSTOPPED && (c->wait_report & 0xff) == 0x7f)
        return true;
    return options & WCONTINUED && c->wait_report == 0xffff;
}

/* rt->lock held: is there a matching child with something to report
 * (found), or a matching child at all? */
static void scan_children_locked(struct wait_arg *w)
{
    w->found = NULL;
    w->any = false;
    for (struct process *c = w->p->children; c; c = c->next_sibling) {
        if (!matches(c, w->p, w->pid))
            continue;
        w->any = true;
        if (reportable(c, w->options)) {
            w->found = c;
            return;
        }
    }
}

static bool child_ready(void *arg)
{
    struct wait_arg *w = arg;
    struct runtime *rt = w->p->rt;
    pthread_mutex_lock(&rt->lock);
    scan_children_locked(w);
    pthread_mutex_unlock(&rt->lock);
    return w->found || !w->any;
}

pid_t process_wait_child(struct process *p, pid_t pid, int options, int *status)
{
    struct runtime *rt = p->rt;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
        options |= WEXITED;
    struct wait_arg w = { p, pid, options, NULL, false };
    for (;;) {
        pthread_mutex_lock(&rt->lock);
        scan_children_locked(&w);
        if (w.found && !w.found->zombie) {
            /* A stop or continue: reported once (unless WNOWAIT). */
            struct process *c = w.found;
            *status = c->wait_report;
            if (!(options & WNOWAIT))
                c->wait_report = 0;
            pthread_mutex_unlock(&rt->lock);
            return c->pid;
        }
        if (w.found) {
            struct process *c = w.found;
            pid_t cpid = c->pid;
            *status = c->exit_status;
            bool reap = !(options & WNOWAIT);
            if (reap) {
                unlink_child_locked(c);
                rt->pids[cpid] = NULL;
            }
            pthread_mutex_unlock(&rt->lock);
            if (reap)
                process_free(c);
            return cpid;
        }
        pthread_mutex_unlock(&rt->lock);
        if (!w.any)
            return -ECHILD;
        if (options & WNOHANG)
            return 0;
        int r = waiter_queue_wait(&p->child_wq, child_ready, &w, UINT64_MAX);
        if (r == -EINTR)
            return -EINTR;
    }
}

void thread_release(struct thread *t)
{
    struct process *p = t->proc;
    struct runtime *rt = p->rt;
    watchdog_thread_remove(t);      /* it reads t->proc */
    pthread_mutex_lock(&p->lock);
    for (struct thread **pp = &p->threads; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    bool last = --p->nr_threads == 0;
    if (!t->left_guest)
        p->nr_in_guest--;
    /* Once the lock is dropped p may be gone (the last thread's release
     * finishes it and a wait4 frees it): nothing below touches it. */
    signal_release_thread_locked(t);
    pid_t pid = p->pid;
    pthread_mutex_unlock(&p->lock);

    pthread_mutex_lock(&rt->lock);
    rt->nr_threads--;
    if (t->tid != pid && rt->pids[t->tid] == p)
        rt->pids[t->tid] = NULL;
    pthread_mutex_unlock(&rt->lock);
    waiter_destroy(&t->waiter);
    free(t);
    if (last)
        process_finish(p);
    else
        jobctl_thread_gone(p);  /* the others may all be parked for a stop */
}

int runtime_wait_all(struct runtime *rt)
{
    pthread_mutex_lock(&rt->lock);
    while (rt->nr_processes > 0)
        pthread_cond_wait(&rt->all_exited, &rt->lock);
    int status = rt->init_status;
    pthread_mutex_unlock(&rt->lock);
    return status;
}
