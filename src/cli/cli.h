/* The `onespace` command (tools/onespace.c is only `main`): commands init
 * and run, help and version, exit statuses. See docs/config.md.
 *
 * Exit status: 0 success; 1 a failure reported in one line (bad
 * onespace.json, no instance folder, init refused, runtime failure before
 * the guest ran); 2 command-line misuse (one line starting "onespace: ");
 * otherwise the guest's own status as runtime_run returns it. */
#ifndef ONESPACE_CLI_CLI_H
#define ONESPACE_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/args.h"
#include "cli/config.h"
#include "entry/runtime.h"

#define ONESPACE_VERSION "0.1.0"

#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE   2

/* What the command reads from the host environment (NULL = unset). */
struct cli_host_env {
    const char *log;          /* ONESPACE_LOG */
    const char *trace;        /* ONESPACE_TRACE */
    const char *fast_path;    /* ONESPACE_FAST_PATH (0: every syscall traps) */
    const char *stats;        /* ONESPACE_STATS (added by bigtests) */
    const char *watchdog;     /* ONESPACE_WATCHDOG (seconds; added by stress) */
};

/* The runtime entry point; runtime_run in the real command, a fake in
 * tests. */
typedef int (*cli_runtime_fn)(const struct runtime_opts *o);

/* Runs the whole command; returns the exit status. Help/version text goes
 * to `out`, messages to `err`. */
int cli_main(int argc, char **argv, const struct cli_host_env *env, cli_runtime_fn run,
             FILE *out, FILE *err);

/* `onespace init DIR`: DIR (created if missing; its parent must exist),
 * DIR/onespace.json with every field at its default, DIR/image/{bin,etc,
 * tmp,dev,proc}. -EEXIST if DIR/onespace.json exists (nothing is touched),
 * or another -errno; err gets one line "onespace: ...". */
int cli_init_instance(const char *dir, char *err, size_t errlen);

/* Everything `run` hands to the runtime, with the storage it points to. */
struct cli_run_plan {
    struct runtime_opts opts;
    struct onespace_config config;
    char *root;               /* owned: DIR/image or --root */
    char *prog;               /* owned: argv[0] resolved through entry_points */
    char **argv;              /* owned array; argv[0] = prog, rest point into args */
    char **envp;              /* owned array; strings live in config or args */
    enum log_level log_level; /* to apply before running */
};

/* Parses ONESPACE_LOG / ONESPACE_TRACE values. 0 or -EINVAL. */
int cli_env_log_level(const char *s, enum log_level *out);
int cli_env_trace(const char *s, bool *out);

/* Loads the config (instance mode) or defaults (--root), checks the program
 * against entry_points, builds argv/envp and runtime_opts. 0, or -errno with
 * one line "onespace: ..." in err (exit status 1). `env` values must be
 * valid (cli_main checks them first). */
int cli_prepare_run(const struct cli_args *a, const struct cli_host_env *env,
                    struct cli_run_plan *plan, char *err, size_t errlen);

void cli_run_plan_free(struct cli_run_plan *plan);

#endif
