/* Command-line parsing of `onespace` (no side effects, testable).
 *
 *   onespace init DIR
 *   onespace run [-C DIR] [--trace] [--no-fast-path] [--stats] [--env K=V]... [--] PROG args...
 *   onespace run --root HOSTDIR [same options] [--] PROG args...
 *   onespace --help | --version | help [COMMAND] | COMMAND --help
 *
 * Options of `run` stop at the first argument that is not an option: what
 * follows is the guest's argv. */
#ifndef ONESPACE_CLI_ARGS_H
#define ONESPACE_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

enum cli_command {
    CLI_HELP,       /* print help for `help_topic` */
    CLI_VERSION,
    CLI_INIT,
    CLI_RUN,
};

enum cli_help_topic { CLI_HELP_MAIN, CLI_HELP_RUN, CLI_HELP_INIT };

struct cli_args {
    enum cli_command command;
    enum cli_help_topic help_topic;
    const char *dir;          /* init DIR; run -C DIR (NULL: not given) */
    const char *root;         /* run --root HOSTDIR (NULL: not given) */
    bool trace;               /* --trace */
    bool no_fast_path;        /* --no-fast-path */
    bool stats;               /* --stats (added by bigtests) */
    bool empty_env;           /* -i: no env.default */
    const char **env;         /* --env values, in order (malloc'ed array) */
    size_t env_count;
    char **prog_argv;         /* run: the guest's argv, points into argv */
    int prog_argc;
};

/* 0 on success (free with cli_args_free), or -EINVAL / -ENOMEM with a
 * one-line message "onespace: ..." in err (the caller exits with status 2).
 * Pointers in *out point into argv. */
int cli_parse_args(int argc, char **argv, struct cli_args *out, char *err, size_t errlen);

void cli_args_free(struct cli_args *a);

/* Usage texts printed by --help. */
const char *cli_help_text(enum cli_help_topic topic);

#endif
