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

int process_create(struct runtime *rt, struct process *parent, const char *host_root,
                   struct process **out)
{
    struct process *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    atomic_init(&p->refs, 1);
    p->rt = rt;
    pthread_mutex_init(&p->lock, NULL);
    for (int i = 0; i < RLIM_NLIMITS; i++)
        p->rlim[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
    p->rlim[RLIMIT_NOFILE] = (struct rlimit){ FD_TABLE_DEFAULT_LIMIT, 4096 };
    p->rlim[RLIMIT_STACK] = (struct rlimit){ rt->default_stack_size, RLIM_INFINITY };
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
    }

    int err = process_vm_create(rt->usv, pid, &p->vm);
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
        if (p->vm)
            process_vm_destroy(p->vm);
        pthread_mutex_lock(&rt->lock);
        rt->pids[pid] = NULL;
        rt->nr_processes--;
        pthread_mutex_unlock(&rt->lock);
        free(p);
        return err;
    }
    *out = p;
    return 0;
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

static void process_finish(struct process *p)
{
    struct runtime *rt = p->rt;
    if (!atomic_load(&p->exiting))
        process_begin_exit(p, 0);
    /* Out of the table first: /proc renders only what is in it. */
    pthread_mutex_lock(&rt->lock);
    rt->pids[p->pid] = NULL;
    pthread_mutex_unlock(&rt->lock);
    fs_ctx_put(p->fs);
    fd_table_put(p->fds);
    process_vm_destroy(p->vm);
    pthread_mutex_lock(&rt->lock);
    if (p->pid == 1) {
        rt->init_status = p->exit_status;
        rt->init_exited = true;
    }
    rt->nr_processes--;
    pthread_cond_broadcast(&rt->all_exited);
    pthread_mutex_unlock(&rt->lock);
    free(p->cmdline);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

void thread_release(struct thread *t)
{
    struct process *p = t->proc;
    struct runtime *rt = p->rt;
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
    pthread_mutex_unlock(&p->lock);

    pthread_mutex_lock(&rt->lock);
    rt->nr_threads--;
    if (t->tid != p->pid && rt->pids[t->tid] == p)
        rt->pids[t->tid] = NULL;
    pthread_mutex_unlock(&rt->lock);
    waiter_destroy(&t->waiter);
    free(t);
    if (last)
        process_finish(p);
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
