/* Loading a program into a process: the first program of an instance and
 * every execve. The new image goes into a NEW ProcessVM, so a failure
 * leaves the caller's memory as it was (execve then returns the errno). */
#ifndef ONESPACE_PROCESS_EXEC_H
#define ONESPACE_PROCESS_EXEC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "process/process.h"

struct exec_image {
    struct process_vm *vm;
    uintptr_t entry, rsp;           /* first instruction, initial stack */
    char exe_path[PATH_MAX];        /* absolute guest path of the program */
    char *cmdline;                  /* argv as /proc/pid/cmdline */
    size_t cmdline_len;
};

/* Load `path` (found through p's VFS context; `#!` scripts run their
 * interpreter like Linux) with argv/envp into a new memory for p.
 * -ENOENT, -EACCES, -ENOEXEC, -E2BIG, -ENOMEM, -ELOOP... */
int process_exec_load(struct process *p, const char *path, char *const argv[],
                      char *const envp[], struct exec_image *out);

/* Make the loaded image p's: its old memory goes (unless borrowed from a
 * vfork parent, which is woken), close-on-exec fds close, caught signals
 * go back to their default. */
void process_exec_commit(struct process *p, struct exec_image *img);

/* Drop a loaded image that will not be used. */
void process_exec_abort(struct exec_image *img);

#endif
