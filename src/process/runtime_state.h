/* One running instance: the pool, the pid table and the options every
 * process is created with. The entry layer creates it (runtime_run); the
 * process layer keeps its tables. */
#ifndef ONESPACE_PROCESS_RUNTIME_STATE_H
#define ONESPACE_PROCESS_RUNTIME_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "process/process.h"

struct user_space_vm;

#define RUNTIME_PID_MAX 32768

struct runtime {
    struct user_space_vm *usv;
    size_t default_stack_size, default_heap_size;
    unsigned max_threads;
    bool trace;

    pthread_mutex_t lock;           /* pid table, counts */
    pthread_cond_t all_exited;
    /* pid/tid -> process (for a tid: its process), NULL if free. */
    struct process **pids;
    pid_t last_pid;
    unsigned nr_threads;            /* live guest threads, all processes */
    unsigned nr_processes;          /* processes not yet fully exited */
    int init_status;                /* wait status of pid 1, once it exited */
    bool init_exited;
};

int runtime_state_init(struct runtime *rt, struct user_space_vm *usv);
void runtime_state_destroy(struct runtime *rt);

/* A new process (pid allocated, memory and fd table empty or copied from
 * `parent`, fs context given or copied). The caller adds its first thread.
 * host_root is used when there is no parent. */
int process_create(struct runtime *rt, struct process *parent, const char *host_root,
                   struct process **out);

/* A new thread struct of p (tid allocated; tid == pid for the first).
 * -EAGAIN past max_threads. */
int thread_create(struct process *p, struct thread **out);

/* The thread has left guest code for good: drop it. The last thread of a
 * process ends the process (memory, fds, fs released; status recorded). */
void thread_release(struct thread *t);

/* Mark p as exiting with wait status `status` (first caller wins).
 * Returns true if this call started the exit. */
bool process_begin_exit(struct process *p, int status);

/* A vfork child of `parent`: a new process on the parent's memory (until
 * it execs or exits), with a copy of its fd table and fs context. */
int process_create_vfork_child(struct process *parent, struct process **out);

/* The vfork child c stops borrowing its parent's memory (execve with its
 * own new memory, or exit): wakes the parent. */
void process_vfork_release(struct process *c);

/* Sleep until the vfork child c released the parent's memory. */
void process_vfork_wait(struct process *parent, struct process *c);

/* wait4/waitid core: find a child of p matching `pid` (-1 any, > 0 that
 * pid, 0 p's group, < -1 group -pid) with something to report: a zombie
 * (WEXITED; reaped unless WNOWAIT), a completed stop (WSTOPPED: *status
 * 0x7f | sig << 8) or a continue (WCONTINUED: 0xffff), each reported once
 * unless WNOWAIT. Options without any of WEXITED, WSTOPPED, WCONTINUED
 * mean WEXITED. Returns its pid and *status, 0 if WNOHANG and none yet,
 * -ECHILD if p has no matching child, -EINTR if interrupted. */
pid_t process_wait_child(struct process *p, pid_t pid, int options, int *status);

/* Wait until every process has exited; returns pid 1's wait status. */
int runtime_wait_all(struct runtime *rt);

struct process *runtime_find_process(struct runtime *rt, pid_t pid);

/* Make /proc show this instance's processes (NULL: none). */
void runtime_procfs_attach(struct runtime *rt);

#endif
