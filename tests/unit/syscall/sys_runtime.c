/* See sys_runtime.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/vfs.h"
#include "sys_runtime.h"

struct runtime *srt;
static char root[64];

int sys_runtime_setup(void **state)
{
    if (sys_fixture_setup(state))
        return -1;
    srt = calloc(1, sizeof *srt);
    if (!srt || runtime_state_init(srt, fx->usv))
        return -1;
    srt->default_stack_size = 1u << 20;
    srt->default_heap_size = 1u << 20;
    struct process *p = &fx->proc;
    p->rt = srt;
    srt->pids[p->pid] = p;
    srt->last_pid = p->pid;
    waiter_queue_init(&p->child_wq);
    /* The fixture's thread is the process's only thread (tgkill finds it). */
    p->threads = &fx->thread;
    p->nr_threads = p->nr_in_guest = 1;
    for (int i = 0; i < RLIM_NLIMITS; i++)
        p->rlim[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
    p->rlim[RLIMIT_NOFILE] = (struct rlimit){ FD_TABLE_DEFAULT_LIMIT, 4096 };
    strcpy(root, "/tmp/onespace-systest-XXXXXX");
    if (!mkdtemp(root) || fs_ctx_create(root, &p->fs))
        return -1;
    syscall_table_init();
    return 0;
}

int sys_runtime_teardown(void **state)
{
    struct process *p = &fx->proc;
    fs_ctx_put(p->fs);
    p->fs = NULL;
    waiter_queue_destroy(&p->child_wq);
    p->threads = NULL;
    p->nr_threads = p->nr_in_guest = 0;
    rmdir(root);
    runtime_state_destroy(srt);
    free(srt);
    srt = NULL;
    return sys_fixture_teardown(state);
}

struct process *sys_child(struct thread **first)
{
    struct process *c = NULL;
    assert_int_equal(process_create(srt, &fx->proc, NULL, &c), 0);
    struct thread *t = NULL;
    assert_int_equal(thread_create(c, &t), 0);
    if (first)
        *first = t;
    return c;
}

void sys_end(struct process *p, int status)
{
    process_begin_exit(p, status);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        struct thread *t = p->threads;
        bool last = p->nr_threads == 1;
        pthread_mutex_unlock(&p->lock);
        if (!t)
            return;
        thread_release(t);
        if (last)
            return;
    }
}
