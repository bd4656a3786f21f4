/* Running an instance: the one call the `onespace` command makes.
 *
 * runtime_run() reserves the user-space pool, creates pid 1 from
 * `argv[0]` (a guest path, found through the VFS rooted at `root`), runs it
 * and every process it starts until the last one exits, and returns what
 * the command should exit with: the first process's exit code, or 128+N if
 * it was killed by signal N. A failure before the guest runs (no such
 * program, bad ELF, pool too small) is a negative errno, with a one-line
 * message already printed to stderr. */
#ifndef ONESPACE_ENTRY_RUNTIME_H
#define ONESPACE_ENTRY_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

struct runtime_opts {
    const char *root;               /* host directory that is the guest's / */
    char *const *argv;              /* argv[0]: guest path of the program */
    char *const *envp;              /* the guest's environment (NULL-terminated) */
    const char *cwd;                /* guest cwd at start; NULL = "/" */

    size_t user_space_size;         /* resource_limits.user_space_size */
    size_t chunk_size;              /* multi-VMA chunk size; 0 = default */
    size_t default_stack_size;      /* process.default_stack_size */
    size_t default_heap_size;       /* process.default_heap_size */
    unsigned max_threads;           /* resource_limits.max_num_of_threads */

    bool trace;                     /* print every syscall (strace-like) */
    /* Where /dev/sgx's simulated platform (keys, certificates) persists:
     * the instance folder; NULL = a fresh one in memory for this run. */
    const char *sgx_dir;
    int dcap_provider;              /* feature.dcap: 0 auto, 1 sim, 2 intel, 3 off */
    bool no_fast_path;              /* keep every site on the trap path */
    bool stats;                     /* at exit, print pool use per process to
                                       stderr (runtime_stats.h; added by bigtests) */

    /* Added by stress (docs/stress.md): fail the run if a guest thread
     * stays in one syscall, or the instance finishes none, for this many
     * seconds (0: off; the command sets it from ONESPACE_WATCHDOG). */
    unsigned watchdog_seconds;
    /* If set, filled at the end of the run, after the last process exited
     * and before the pool is released: what the pool still holds. */
    struct runtime_end_stats *end_stats;
};

/* What was left in the pool when the last process had exited (all zero
 * but total_bytes if nothing leaked); user_space_vm_check's verdict. */
struct runtime_end_stats {
    size_t pool_total_bytes, pool_free_bytes;
    size_t nr_chunks, nr_vmas, nr_shm_segments;
    int check;                      /* 0, or -EUCLEAN: an invariant broke */
};

/* Defaults for every field but root/argv/envp (see docs/config.md). */
void runtime_opts_defaults(struct runtime_opts *o);

int runtime_run(const struct runtime_opts *o);

#endif
