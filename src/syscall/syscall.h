/* The Linux x86-64 syscall table.
 *
 * A handler gets the calling thread and the six raw argument registers and
 * returns the value for RAX: a result >= 0 or a negative errno. It checks
 * and copies guest memory with syscall/uaccess.h (a bad pointer is -EFAULT,
 * never a crash).
 *
 * Handlers live in one file per area (sys_mem.c, sys_fd.c, sys_path.c,
 * ...). Each area file exports one function that fills its entries:
 *     void sys_register_fd(sys_fn *table);
 * and syscall_table.c calls every one of them once at start-up. */
#ifndef ONESPACE_SYSCALL_SYSCALL_H
#define ONESPACE_SYSCALL_SYSCALL_H

#include <stdint.h>

struct thread;

#define SYSCALL_TABLE_SIZE 512

typedef long (*sys_fn)(struct thread *self, const uint64_t a[6]);

/* Define a handler: SYS(read) { ... a[0] ... } */
#define SYS(name) long sys_##name(struct thread *self, const uint64_t a[6])
#define SYS_STATIC(name) static long sys_##name(struct thread *self, const uint64_t a[6])

/* Fill the table (idempotent, thread safe). */
void syscall_table_init(void);

/* Run syscall `nr` for `self`. Unknown numbers: -ENOSYS (logged once per
 * number). Traced when tracing is on. */
long syscall_dispatch(struct thread *self, long nr, const uint64_t a[6]);

/* Trace every syscall to stderr (strace-like: [pid tid] name(args) = ret). */
void syscall_set_trace(int on);

/* Area registration functions (one per sys_*.c file). */
void sys_register_mem(sys_fn *table);
void sys_register_misc(sys_fn *table);
void sys_register_thread(sys_fn *table);
void sys_register_fd(sys_fn *table);      /* fd-based file calls, pipes, epoll, poll */
void sys_register_net(sys_fn *table);     /* sockets */
void sys_register_path(sys_fn *table);    /* path-based calls: open, stat, dirs */
void sys_register_signal(sys_fn *table);
void sys_register_timer(sys_fn *table);   /* alarm, itimers, POSIX timers */
void sys_register_process(sys_fn *table); /* wait4, waitid, groups, sessions */  /* signal state (delivery: process issue) */

#endif
