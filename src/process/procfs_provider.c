/* What /proc shows of guest processes: the process layer's side of
 * fs/procfs.h. One instance runs per onespace process, so the provider
 * reads the running instance's pid table (runtime_procfs_attach). A
 * process is rendered under the table lock, which keeps it from being
 * released meanwhile (process_finish removes it from the table first). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fs/epoll.h"
#include "fs/eventfd.h"
#include "fs/fd_table.h"
#include "fs/pipe.h"
#include "fs/procfs.h"
#include "fs/vfs.h"
#include "host/host_wait.h"
#include "process/runtime_state.h"
#include "vm/process_vm.h"
#include "vm/vm_stats.h"

static struct runtime *the_rt;

static pid_t self_pid(void)
{
    struct process *p = process_current();
    return p ? p->pid : 0;
}

/* The live process with this pid (not a tid), table lock held by caller. */
static struct process *find_locked(pid_t pid)
{
    if (!the_rt || pid <= 0 || pid >= RUNTIME_PID_MAX)
        return NULL;
    struct process *p = the_rt->pids[pid];
    return p && p->pid == pid && !p->zombie ? p : NULL;
}

static int list_pids(pid_t *out, int max)
{
    int n = 0;
    pthread_mutex_lock(&the_rt->lock);
    for (pid_t pid = 1; pid < RUNTIME_PID_MAX && n < max; pid++)
        if (find_locked(pid))
            out[n++] = pid;
    pthread_mutex_unlock(&the_rt->lock);
    return n;
}

static int exists(pid_t pid)
{
    pthread_mutex_lock(&the_rt->lock);
    int yes = find_locked(pid) != NULL;
    pthread_mutex_unlock(&the_rt->lock);
    return yes;
}

static const char *comm_of(const struct process *p)
{
    const char *slash = strrchr(p->exe_path, '/');
    return slash ? slash + 1 : p->exe_path;
}

static ssize_t render_status(struct process *p, char *buf, size_t len)
{
    /* p->lock: threads may be released meanwhile. SigBlk is the main
     * thread's (the newest thread is first in the list). */
    pthread_mutex_lock(&p->lock);
    int nr_threads = p->nr_threads;
    uint64_t blocked = p->threads ? p->threads->sigmask : 0;
    for (struct thread *t = p->threads; t; t = t->next)
        if (t->tid == p->pid)
            blocked = t->sigmask;
    bool stopped = p->stopped;
    pthread_mutex_unlock(&p->lock);
    /* VmPeak/VmSize: the pool bytes of its own mappings (vm_stats.h; no
     * shm), the most ever and now; a zombie has none, as on Linux. */
    char vm[96] = "";
    if (p->vm)
        snprintf(vm, sizeof vm, "VmPeak:\t%8zu kB\nVmSize:\t%8zu kB\n",
                 process_vm_peak_bytes(p->vm) >> 10, process_vm_mapped_bytes(p->vm) >> 10);
    return snprintf(buf, len,
                    "Name:\t%.15s\nUmask:\t0022\nState:\t%s\nTgid:\t%d\nNgid:\t0\n"
                    "Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\n%sThreads:\t%d\nSigBlk:\t%016llx\n",
                    comm_of(p), stopped ? "T (stopped)" : "R (running)", p->pid, p->pid,
                    p->ppid, vm, nr_threads, (unsigned long long)blocked);
}

static ssize_t render_stat(struct process *p, char *buf, size_t len)
{
    uint64_t start_ticks = p->start_time_ns / 10000000u;
    return snprintf(buf, len,
                    "%d (%.15s) %c %d %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 %d 0 %llu 0 0 "
                    "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                    p->pid, comm_of(p), p->stopped ? 'T' : 'R', p->ppid, p->pgid, p->sid,
                    p->nr_threads,
                    (unsigned long long)start_ticks);
}

static ssize_t render(pid_t pid, const char *name, char *buf, size_t len)
{
    ssize_t n = -ENOENT;
    pthread_mutex_lock(&the_rt->lock);
    struct process *p = find_locked(pid);
    if (p) {
        if (!strcmp(name, "maps")) {
            n = process_vm_render_maps(p->vm, buf, len);
        } else if (!strcmp(name, "status")) {
            n = render_status(p, buf, len);
        } else if (!strcmp(name, "stat")) {
            n = render_stat(p, buf, len);
        } else if (!strcmp(name, "cmdline")) {
            n = (ssize_t)p->cmdline_len;
            memcpy(buf, p->cmdline, p->cmdline_len < len ? p->cmdline_len : len);
        } else if (!strcmp(name, "environ")) {
            n = 0;      /* not kept after start */
        }
    }
    pthread_mutex_unlock(&the_rt->lock);
    return n;
}

static ssize_t exe(pid_t pid, char *buf, size_t len)
{
    ssize_t n = -ENOENT;
    pthread_mutex_lock(&the_rt->lock);
    struct process *p = find_locked(pid);
    if (p && len)
        n = snprintf(buf, len, "%s", p->exe_path);
    pthread_mutex_unlock(&the_rt->lock);
    return n;
}

static int get_fd_file(pid_t pid, int fd, struct file **out)
{
    int err = -ENOENT;
    pthread_mutex_lock(&the_rt->lock);
    struct process *p = find_locked(pid);
    if (p)
        err = fd_table_get_file(p->fds, fd, out);
    pthread_mutex_unlock(&the_rt->lock);
    return err == -EBADF ? -ENOENT : err;
}

static int fd_link(pid_t pid, int fd, char *buf, size_t len)
{
    struct file *f;
    int err = get_fd_file(pid, fd, &f);
    if (err)
        return err;
    const char *path = vfs_file_path(f);
    unsigned long id = (unsigned long)((uintptr_t)f >> 4) & 0xffffff;
    int n;
    if (path)
        n = snprintf(buf, len, "%s", path);
    else if (file_is_pipe(f))
        n = snprintf(buf, len, "pipe:[%lu]", id);
    else if (file_is_eventfd(f))
        n = snprintf(buf, len, "anon_inode:[eventfd]");
    else if (file_is_epoll(f))
        n = snprintf(buf, len, "anon_inode:[eventpoll]");
    else if (fd <= 2 && file_host_fd(f) >= 0)
        n = snprintf(buf, len, "/dev/pts/0");
    else
        n = snprintf(buf, len, "socket:[%lu]", id);
    file_put(f);
    return n;
}

static int list_fds(pid_t pid, int *out, int max)
{
    int n = 0;
    pthread_mutex_lock(&the_rt->lock);
    struct process *p = find_locked(pid);
    if (p) {
        unsigned limit = fd_table_limit(p->fds);
        for (unsigned fd = 0; fd < limit && n < max; fd++) {
            struct file *f;
            if (fd_table_get_file(p->fds, (int)fd, &f) == 0) {
                file_put(f);
                out[n++] = (int)fd;
            }
        }
    }
    pthread_mutex_unlock(&the_rt->lock);
    return n;
}

static const struct procfs_provider provider = {
    .self_pid = self_pid, .list_pids = list_pids, .exists = exists, .render = render,
    .exe = exe, .fd_link = fd_link, .list_fds = list_fds, .fd_file = get_fd_file,
};

void runtime_procfs_attach(struct runtime *rt)
{
    the_rt = rt;
    procfs_set_provider(rt ? &provider : NULL);
}
