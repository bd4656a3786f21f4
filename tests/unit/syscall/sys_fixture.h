/* A minimal process for calling syscall handlers directly: a user-space
 * pool, a process_vm, an fd table, a struct process and the calling
 * host thread bound as its struct thread. Guest buffers come from
 * process_vm_mmap, so uaccess checks pass for them. */
#ifndef ONESPACE_TESTS_SYS_FIXTURE_H
#define ONESPACE_TESTS_SYS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fs/fd_table.h"
#include "process/process.h"
#include "syscall/syscall.h"

struct sys_fixture {
    struct user_space_vm *usv;
    struct process proc;
    struct thread thread;
    sys_fn table[SYSCALL_TABLE_SIZE];
};

extern struct sys_fixture *fx;

/* cmocka group setup / teardown: build and free *fx. */
int sys_fixture_setup(void **state);
int sys_fixture_teardown(void **state);

/* Anonymous guest memory (page-rounded) with `prot`; asserts success. */
void *guest_alloc(size_t len, int prot);
void guest_free(void *p, size_t len);

/* Call handler `nr` as `t` (NULL: the fixture's thread). */
long sys_call_as(struct thread *t, long nr, const uint64_t a[6]);
#define U(x) ((uint64_t)(uintptr_t)(x))
#define SC(nr, ...) sys_call_as(NULL, (nr), (const uint64_t[6]){ __VA_ARGS__ })
#define SC_AS(t, nr, ...) sys_call_as((t), (nr), (const uint64_t[6]){ __VA_ARGS__ })

/* A second guest thread of the fixture's process, for a host thread. */
void sys_thread_init(struct thread *t);
void sys_thread_fini(struct thread *t);

#endif
