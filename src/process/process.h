/* Processes and threads: what every syscall handler sees of its caller.
 *
 * A process owns its memory (process_vm), its fd table, its file-system
 * context (root, cwd, umask: fs/vfs.h) and its identity. A thread is one
 * guest thread, run by one host thread created by onespace.
 *
 * thread_current() is the calling guest thread (NULL on host threads that
 * are not guest threads, e.g. in unit tests that did not bind one).
 */
#ifndef ONESPACE_PROCESS_PROCESS_H
#define ONESPACE_PROCESS_PROCESS_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "events/waiter.h"

struct process_vm;
struct fd_table;
struct fs_ctx;
struct runtime;
struct process_timers;
struct sigqueue_entry;

struct process {
    pid_t pid, ppid, pgid, sid;
    atomic_int refs;
    struct runtime *rt;             /* the instance this process runs in */
    struct process_vm *vm;
    struct fd_table *fds;
    struct fs_ctx *fs;              /* root, cwd, umask (fs/vfs.h) */

    char exe_path[PATH_MAX];        /* guest path of the running program */
    char *cmdline;                  /* argv, NUL-separated (as /proc/pid/cmdline) */
    size_t cmdline_len;
    struct rlimit rlim[RLIM_NLIMITS];
    uint64_t start_time_ns;         /* CLOCK_MONOTONIC at creation */

    /* Signal dispositions (the kernel's struct sigaction layout:
     * handler, flags, restorer, mask). Delivery comes with the signals
     * work; until then handlers are recorded, not run. */
    struct guest_sigaction {
        uint64_t handler, flags, restorer, mask;
    } sigactions[64];
    uint64_t sig_pending;           /* process-directed, not yet taken */
    siginfo_t sig_info[64];
    struct sigqueue_entry *sig_queue;   /* more real-time signals (signal.c) */
    int sig_queued;                 /* entries queued, process and its threads */

    pthread_mutex_t lock;           /* threads list, exit state, sigactions */
    struct thread *threads;         /* singly linked via thread.next */
    int nr_threads;
    int nr_in_guest;                /* threads that have not left guest code */
    atomic_bool exiting;            /* exit_group or a fatal signal began */
    int exit_status;                /* wait status word (Linux encoding) */

    /* Family (under rt->lock): children in a list, zombies until reaped. */
    struct process *parent;         /* NULL: none (pid 1, or orphaned) */
    struct process *children;       /* first child; linked by next_sibling */
    struct process *next_sibling;
    bool zombie;                    /* exited, waiting for wait4 */
    struct waiter_queue child_wq;   /* a child exited / vfork child released */

    /* vfork: this process runs on its parent's memory until it execs or
     * exits; the parent sleeps until then (vfork_done). */
    bool vm_borrowed;               /* changed by this process, read under rt->lock */
    atomic_bool vfork_done;
    /* Added by stress: set (under rt->lock) when the parent finished while
     * this child still ran on its memory; the last such child destroys it
     * (process.c, process_vfork_release). */
    struct lent_vm *vm_lender;

    /* alarm/setitimer and POSIX timers (process/timer.h); NULL until the
     * first is armed. */
    struct process_timers *timers;

    /* Job control (process/jobctl.h). stop_sig: the signal of a group stop
     * asked for (0: running), read without the lock on the way back to
     * guest code; stopped and nr_parked under lock. */
    atomic_int stop_sig;
    bool stopped;                   /* every thread parked: the stop is complete */
    int nr_parked;                  /* threads parked for the stop */
    unsigned cont_seq;              /* SIGCONTs sent (under lock) */
    /* Under rt->lock: a stop or continue not yet reported to wait (0,
     * 0x7f | sig << 8, or 0xffff), as Linux's group_exit_code / flags. */
    int wait_report;
    /* PR_SET_CHILD_SUBREAPER: orphaned descendants are reparented here
     * (under rt->lock). */
    bool child_subreaper;
    bool did_exec;                  /* execve'd since created (setpgid: EACCES) */
};

struct thread {
    struct process *proc;
    pid_t tid;
    struct thread *next;            /* in proc->threads */
    struct waiter waiter;           /* bound to the host thread: blocking calls */

    uintptr_t clear_child_tid;      /* CLONE_CHILD_CLEARTID / set_tid_address */
    uintptr_t robust_list;
    size_t robust_len;
    uintptr_t guest_fs;             /* the guest's FS base (TLS) */
    uint64_t sigmask;               /* blocked signals (bit n-1 = signal n) */
    uint64_t sig_pending;           /* thread-directed (under proc->lock) */
    siginfo_t sig_info[64];
    struct sigqueue_entry *sig_queue;   /* more real-time signals (signal.c) */
    uint64_t saved_mask;            /* sigsuspend / pwait: mask to restore */
    bool restore_mask;              /* ... after the next delivery */
    uint64_t altstack_sp, altstack_size;
    int altstack_flags;
    uint64_t syscall_sp;            /* guest RSP at the current syscall (sigaltstack) */
    void *entry;                    /* entry layer's per-thread context */
    bool left_guest;                /* counted out of nr_in_guest */
    atomic_bool must_leave;         /* execve by another thread: leave guest code */
    unsigned dequeue_cont_seq;      /* process cont_seq when it last took a signal */

    /* Watchdog (process/watchdog.h), added by stress: the syscall in
     * progress (-1: none, i.e. guest code) and its first argument, and a
     * count of syscalls finished. Written by the thread itself in
     * syscall_dispatch, read by the watchdog thread. */
    atomic_long wd_syscall;
    atomic_ulong wd_arg0;
    atomic_ulong wd_done;
    struct thread *wd_next, *wd_prev;   /* watchdog registry (its lock) */
    unsigned long wd_seen_done;         /* watchdog's last sample ... */
    uint64_t wd_seen_ns;                /* ... and when it last changed */
};

struct thread *thread_current(void);
void thread_set_current(struct thread *t);

static inline struct process *process_current(void)
{
    struct thread *t = thread_current();
    return t ? t->proc : NULL;
}

#endif
