/* The entry layer's internal interface (src/entry/ only). */
#ifndef ONESPACE_ENTRY_ENTRY_H
#define ONESPACE_ENTRY_ENTRY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

#include "entry/guest_ctx.h"
#include "process/process.h"

/* The host signal that interrupts a guest thread (to make it leave guest
 * code, or to end a blocking host call with EINTR). */
#define ENTRY_KICK_SIGNAL 63     /* SIGRTMAX - 1 of the host glibc */

/* Install the process-wide handlers (once) for the pool [start, start+len). */
int entry_init(uintptr_t pool_start, size_t pool_len);

/* Start a host thread running guest thread t with the registers in
 * regs[GR_COUNT] and FS base guest_fs. On failure nothing was started. */
int entry_start_thread(struct thread *t, const uint64_t *regs, uintptr_t guest_fs);

/* Leave guest code for good on this thread (after process exit began or
 * for thread exit): jumps back to the host thread's start. */
__attribute__((noreturn)) void entry_leave(struct guest_ctx *ctx);

/* Must this thread stop running guest code (its process exits, or another
 * thread's execve replaces the program)? */
static inline bool entry_should_leave(const struct thread *t)
{
    return atomic_load_explicit(&t->proc->exiting, memory_order_acquire) ||
           atomic_load_explicit(&t->must_leave, memory_order_acquire);
}

/* Kick every other thread of p out of guest code / blocking calls. */
void entry_kick_process(struct process *p, struct thread *except);

/* Syscalls that need the caller's registers or end the thread. */
long entry_clone(struct guest_ctx *ctx, ucontext_t *uc, long nr, const uint64_t a[6]);
long entry_vfork(struct guest_ctx *ctx, ucontext_t *uc, uint64_t stack);
long entry_execve(struct guest_ctx *ctx, ucontext_t *uc, long nr, const uint64_t a[6]);
/* Signals (entry_signal.c): deliver what is pending on the way back to
 * guest code (nr: the syscall just made, or -1); a guest fault with a
 * handler (true if delivered); rt_sigreturn (returns the restored RAX);
 * make a thread notice a new signal. */
void entry_deliver_signals(struct guest_ctx *ctx, ucontext_t *uc, long nr);
bool entry_deliver_fault(struct guest_ctx *ctx, ucontext_t *uc, const siginfo_t *si);
long entry_rt_sigreturn(struct guest_ctx *ctx, ucontext_t *uc);
void entry_notify_thread(struct thread *t);

/* Run syscall nr for the thread whose registers are in uc (trap path and
 * fast path alike): the result goes to RAX, pending signals are delivered
 * (uc may then point at a handler); may leave guest code for good. */
void entry_syscall(struct guest_ctx *ctx, ucontext_t *uc, long nr);

long entry_arch_prctl(struct guest_ctx *ctx, const uint64_t a[6]);
__attribute__((noreturn)) void entry_exit_thread(struct guest_ctx *ctx, int code);
__attribute__((noreturn)) void entry_exit_group(struct guest_ctx *ctx, int status);

#endif
