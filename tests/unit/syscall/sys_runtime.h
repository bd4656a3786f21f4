/* The syscall fixture (sys_fixture.h) inside a runtime instance, for the
 * handlers that need one (ids, wait4, kill, prlimit64 of another pid...):
 * fx->proc becomes pid 100 of a struct runtime with an fs context over a
 * temporary host directory, limits and a child wait queue like
 * process_create gives, and the full syscall table is built
 * (syscall_table_init); call handlers through syscall_dispatch with SD(). */
#ifndef ONESPACE_TESTS_SYS_RUNTIME_H
#define ONESPACE_TESTS_SYS_RUNTIME_H

#include "process/runtime_state.h"
#include "sys_fixture.h"

extern struct runtime *srt;

/* cmocka group setup / teardown (sys_fixture_setup/teardown inside). */
int sys_runtime_setup(void **state);
int sys_runtime_teardown(void **state);

/* syscall_dispatch as the fixture's thread, or as t. */
#define SD(nr, ...) syscall_dispatch(&fx->thread, (nr), (const uint64_t[6]){ __VA_ARGS__ })
#define SD_AS(t, nr, ...) syscall_dispatch((t), (nr), (const uint64_t[6]){ __VA_ARGS__ })

/* A child process of fx->proc with its first thread (asserts). */
struct process *sys_child(struct thread **first);
/* End p: release all its threads with exit status `status`. */
void sys_end(struct process *p, int status);

#endif
