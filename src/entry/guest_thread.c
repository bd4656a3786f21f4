/* Guest threads: one host thread each. It arms Syscall User Dispatch for
 * the pool, jumps into guest code, and comes back here (entry_leave) only
 * when the guest thread or its process ends. */
#include "entry/entry.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "entry/fastpath.h"
#include "host/host_thread.h"
#include "process/runtime_state.h"
#include "syscall/uaccess.h"
#include "util/log.h"
#include "vm/user_space_vm.h"

/* Host stack of a guest thread: the trap handlers run on the alternate
 * stack, so this only carries the thread's start and exit. */
#define HOST_STACK_SIZE (256 * 1024)
/* The alternate signal stack runs every syscall handler (which may block
 * and do real work): generous, per the reference. */
#define ALT_STACK_SIZE (256 * 1024)

static void unblock_entry_signals(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGSYS);
    sigaddset(&s, SIGSEGV);
    sigaddset(&s, SIGBUS);
    sigaddset(&s, SIGILL);
    sigaddset(&s, SIGFPE);
    sigaddset(&s, SIGTRAP);
    sigaddset(&s, ENTRY_KICK_SIGNAL);
    host_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* t has left guest code. When its process is exiting, the other threads
 * must leave too; a kick can land just before a thread starts to block,
 * so kick until none is left in guest code (each releases itself; the
 * last one releases the process). */
static void left_guest(struct thread *t)
{
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    p->nr_in_guest--;
    t->left_guest = true;
    pthread_mutex_unlock(&p->lock);
    if (!atomic_load(&p->exiting))
        return;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int n = p->nr_in_guest;
        pthread_mutex_unlock(&p->lock);
        if (n <= 0)
            return;
        entry_kick_process(p, t);
        host_sleep_ns(2 * 1000 * 1000);
    }
}

static void *guest_thread_main(void *arg)
{
    struct guest_ctx *ctx = arg;
    struct thread *t = ctx->thread;
    struct vm_range pool = user_space_vm_range(t->proc->rt->usv);

    host_set_gs(0);     /* inherited from a guest thread's handler: not ours yet */
    /* Kicks (under the process lock) need our handle; until it is there
     * they skip us, so look at the exit flags only after publishing it. */
    pthread_mutex_lock(&t->proc->lock);
    ctx->host = pthread_self();
    ctx->host_set = true;
    pthread_mutex_unlock(&t->proc->lock);
    ctx->host_fs = host_get_fs();
    thread_set_current(t);
    waiter_bind_current(&t->waiter);
    int err = host_sigaltstack(ctx->altstack, ctx->altstack_size);
    if (!err)
        err = host_sud_trap_range(pool.start, pool.end - pool.start);
    if (err) {
        log_error("entry", "tid %d: cannot arm the trap path: %d", t->tid, err);
        if (process_begin_exit(t->proc, SIGKILL))
            entry_kick_process(t->proc, t);
    } else if (entry_should_leave(t)) {
        /* the process began to exit (or exec) before we ran */
    } else if (sigsetjmp(ctx->exit_jmp, 1) == 0) {
        unblock_entry_signals();
        host_set_gs((uintptr_t)ctx);
        entry_jump_to_guest(ctx);
    }
    /* Back from guest code for good (entry_leave). */
    host_set_gs(0);
    left_guest(t);
    host_sud_off();
    host_sigaltstack(NULL, 0);
    waiter_bind_current(NULL);
    thread_set_current(NULL);
    fastpath_thread_fini(ctx);
    /* t stays in its process's thread list until thread_release: senders
     * and kicks (under the process lock) must stop using the context. */
    pthread_mutex_lock(&t->proc->lock);
    t->entry = NULL;
    pthread_mutex_unlock(&t->proc->lock);
    free(ctx->altstack);
    free(ctx);
    thread_release(t);
    return NULL;
}

int entry_start_thread(struct thread *t, const uint64_t *regs, uintptr_t guest_fs)
{
    struct guest_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    ctx->altstack_size = ALT_STACK_SIZE;
    ctx->altstack = malloc(ctx->altstack_size);
    if (!ctx->altstack) {
        free(ctx);
        return -ENOMEM;
    }
    if (fastpath_thread_init(ctx)) {
        free(ctx->altstack);
        free(ctx);
        return -ENOMEM;
    }
    memcpy(ctx->regs, regs, sizeof(ctx->regs));
    ctx->guest_fs = guest_fs;
    ctx->thread = t;
    t->entry = ctx;
    /* Detached from the start: the thread may run, exit and free ctx (and
     * t) before pthread_create returns, so nothing here may touch them
     * after a success. */
    int err = host_thread_create_detached(HOST_STACK_SIZE, guest_thread_main, ctx);
    if (err) {
        t->entry = NULL;
        fastpath_thread_fini(ctx);
        free(ctx->altstack);
        free(ctx);
    }
    return err;
}

void entry_leave(struct guest_ctx *ctx)
{
    siglongjmp(ctx->exit_jmp, 1);
}

void entry_kick_process(struct process *p, struct thread *except)
{
    pthread_mutex_lock(&p->lock);
    for (struct thread *t = p->threads; t; t = t->next) {
        if (t == except)
            continue;
        entry_notify_thread(t);
    }
    pthread_mutex_unlock(&p->lock);
}

/* CLONE_CHILD_CLEARTID: store 0 and wake one waiter (pthread_join). */
static void clear_child_tid(struct thread *t)
{
    if (!t->clear_child_tid)
        return;
    uint32_t zero = 0;
    if (uaccess_write(t->proc, t->clear_child_tid, &zero, sizeof(zero)) == 0) {
        host_futex_raw((uint32_t *)t->clear_child_tid, FUTEX_WAKE, 1, NULL, NULL, 0);
        host_futex_raw((uint32_t *)t->clear_child_tid, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL,
                       NULL, 0);
    }
}

void entry_exit_thread(struct guest_ctx *ctx, int code)
{
    struct thread *t = ctx->thread;
    struct process *p = t->proc;
    pthread_mutex_lock(&p->lock);
    bool last = p->nr_threads == 1;
    pthread_mutex_unlock(&p->lock);
    if (last)
        process_begin_exit(p, W_EXITCODE(code & 0xff, 0));
    else
        clear_child_tid(t);
    entry_leave(ctx);
}

void entry_exit_group(struct guest_ctx *ctx, int status)
{
    struct process *p = ctx->thread->proc;
    if (process_begin_exit(p, status))
        entry_kick_process(p, ctx->thread);
    entry_leave(ctx);
}
