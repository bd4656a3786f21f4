/* The watchdog: finds a deadlock or a stall of an instance and fails the
 * run with every guest thread's state (docs/stress.md).
 *
 * Every guest thread is in a registry (thread_create adds, thread_release
 * removes); syscall_dispatch records the syscall in progress in the thread
 * (struct thread's wd_* fields, a few plain stores). A host thread samples
 * the registry every tick without taking any other lock, and fires when
 *   - one thread has been inside the same syscall for `seconds`, or
 *   - no thread finished a syscall (and none started or ended) for
 *     `seconds` while guest threads exist.
 * Firing prints, for each thread: pid, tid, "guest code" or the syscall
 * with its first argument and for how long, and how it waits (spinning,
 * futex sleep, host sleep, or running onespace code: a lock or a loop);
 * then the host process exits with WATCHDOG_EXIT_STATUS.
 *
 * A guest that legitimately blocks (sleep 60, a read nobody answers) for
 * `seconds` trips it too: it is a test tool, enabled with
 * ONESPACE_WATCHDOG=<seconds> or by onespace-stress. */
#ifndef ONESPACE_PROCESS_WATCHDOG_H
#define ONESPACE_PROCESS_WATCHDOG_H

#include <stdatomic.h>
#include <stdbool.h>

#include "process/process.h"

#define WATCHDOG_EXIT_STATUS 86

/* Registry (always on; O(1) under a leaf lock). */
void watchdog_thread_add(struct thread *t);
void watchdog_thread_remove(struct thread *t);

/* Start the sampling thread (seconds > 0); `name` turns a syscall number
 * into its name (the process layer does not know them). 0 or -errno. */
int watchdog_start(unsigned seconds, const char *(*name)(long nr));
/* Stop and join it (no-op if not started). */
void watchdog_stop(void);

/* Print every registered thread's state to stderr (also used on firing). */
void watchdog_report(const char *why);

/* The syscall hooks (syscall_dispatch). */
static inline void watchdog_enter(struct thread *t, long nr, unsigned long a0)
{
    atomic_store_explicit(&t->wd_arg0, a0, memory_order_relaxed);
    atomic_store_explicit(&t->wd_syscall, nr, memory_order_relaxed);
}
static inline void watchdog_leave(struct thread *t)
{
    atomic_store_explicit(&t->wd_syscall, -1, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->wd_done, 1, memory_order_relaxed);
}

#endif
