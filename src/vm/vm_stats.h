/* Memory-pool use per process, for `onespace run --stats` (added by
 * bigtests). Each process_vm counts the bytes of its own mappings (every
 * private or file VMA it owns; SysV shm segments are not counted: they
 * belong to no one process) and remembers the most it ever had; the pool
 * remembers the most bytes it ever had in chunks. When recording is on,
 * every process_vm leaves a record when it is destroyed (process exit, or
 * the old image at execve). */
#ifndef ONESPACE_VM_VM_STATS_H
#define ONESPACE_VM_VM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vm/process_vm.h"
#include "vm/user_space_vm.h"

struct vm_proc_record {
    pid_t pid;
    char name[64];              /* process_vm_set_name, or "" */
    size_t peak_bytes;          /* the most it had mapped at once */
};

struct vm_pool_use {
    size_t total_bytes;         /* the pool */
    size_t used_bytes;          /* in chunks now */
    size_t peak_used_bytes;     /* the most ever in chunks */
};

/* Name the process's address space (e.g. its command line; NULs become
 * spaces; truncated to 63 bytes). */
void process_vm_set_name(struct process_vm *vm, const char *name, size_t len);
/* Bytes of its own mappings now, and the most at any time. */
size_t process_vm_mapped_bytes(struct process_vm *vm);
size_t process_vm_peak_bytes(struct process_vm *vm);

/* Start keeping a record of every process_vm destroyed from now on. */
void user_space_vm_record_procs(struct user_space_vm *usv);
/* Copies up to max records, in the order the processes went; returns how
 * many there are in all. */
size_t user_space_vm_proc_records(struct user_space_vm *usv, struct vm_proc_record *out,
                                  size_t max);
void user_space_vm_pool_use(struct user_space_vm *usv, struct vm_pool_use *out);

/* Internal to src/vm: process_vm_destroy leaves its record (no locks held). */
void vm_stats_record_exit(struct process_vm *vm);

#endif
