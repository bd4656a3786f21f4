/* Shared helpers of the process-layer tests: one runtime instance (pool,
 * pid table) over a temporary host directory used as the image root, and
 * processes with a first thread made the way runtime_run makes them. */
#ifndef ONESPACE_TESTS_PROC_FIXTURE_H
#define ONESPACE_TESTS_PROC_FIXTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "process/runtime_state.h"

struct proc_env {
    struct user_space_vm *usv;
    struct runtime rt;
    char root[PATH_MAX];        /* host directory: the guests' "/" */
};

extern struct proc_env *penv;

/* cmocka group setup / teardown: build and free *penv. */
int proc_env_setup(void **state);
int proc_env_teardown(void **state);

/* A process (child of parent, or a first process if NULL) with its first
 * thread; asserts success. */
struct process *proc_spawn(struct process *parent, struct thread **first);

/* Release every thread of p (ends it: zombie if it has a parent). */
void proc_end(struct process *p, int status);

/* A host file under the root: guest path `gpath` with `data`, `mode`. */
void root_write(const char *gpath, const void *data, size_t len, unsigned mode);
/* Copy a host file into the root at guest path `gpath` (mode 0755). */
void root_copy(const char *host_path, const char *gpath);

#endif
