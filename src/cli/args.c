/* Command-line parsing (see args.h). */
#include "cli/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4)))
static int usage_error(char *err, size_t errlen, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "onespace: ");
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* "--name=value" or "--name value": returns the value and advances *i, or
 * NULL if `arg` is not this option. *missing is set if the value is absent. */
static const char *option_value(const char *name, int argc, char **argv, int *i, bool *missing)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=' && name[1] == '-')
        return arg + n + 1;
    if (arg[n] != '\0')
        return name[1] != '-' ? arg + n : NULL;   /* -CDIR */
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static int parse_run(int argc, char **argv, int i, struct cli_args *a, char *err, size_t errlen)
{
    a->command = CLI_RUN;
    a->env = calloc((size_t)argc, sizeof(*a->env));
    if (!a->env) {
        snprintf(err, errlen, "onespace: out of memory");
        return -ENOMEM;
    }
    for (; i < argc; i++) {
        const char *arg = argv[i];
        const char *v;
        bool missing = false;
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break;   /* the program: everything from here is its argv */
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            a->command = CLI_HELP;
            a->help_topic = CLI_HELP_RUN;
            return 0;
        }
        if (strcmp(arg, "--trace") == 0) {
            a->trace = true;
        } else if (strcmp(arg, "--no-fast-path") == 0) {
            a->no_fast_path = true;
        } else if (strcmp(arg, "--stats") == 0) {
            a->stats = true;
        } else if (strcmp(arg, "-i") == 0 || strcmp(arg, "--ignore-environment") == 0) {
            a->empty_env = true;
        } else if ((v = option_value("-C", argc, argv, &i, &missing)) || missing) {
            if (missing || !*v)
                return usage_error(err, errlen, "run: -C needs a directory");
            a->dir = v;
        } else if ((v = option_value("--root", argc, argv, &i, &missing)) || missing) {
            if (missing || !*v)
                return usage_error(err, errlen, "run: --root needs a host directory");
            a->root = v;
        } else if ((v = option_value("--env", argc, argv, &i, &missing)) || missing) {
            if (missing)
                return usage_error(err, errlen, "run: --env needs NAME=VALUE");
            const char *eq = strchr(v, '=');
            if (!eq || eq == v)
                return usage_error(err, errlen, "run: --env expects NAME=VALUE, got '%s'", v);
            a->env[a->env_count++] = v;
        } else {
            return usage_error(err, errlen, "run: unknown option '%s' (try 'onespace run --help')",
                               arg);
        }
    }
    if (a->dir && a->root)
        return usage_error(err, errlen, "run: -C and --root cannot be used together");
    if (i >= argc)
        return usage_error(err, errlen,
                           "run: missing the program to run (try 'onespace run --help')");
    a->prog_argv = argv + i;
    a->prog_argc = argc - i;
    return 0;
}

static int parse_init(int argc, char **argv, int i, struct cli_args *a, char *err, size_t errlen)
{
    a->command = CLI_INIT;
    bool no_more_options = false;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (!no_more_options && strcmp(arg, "--") == 0) {
            no_more_options = true;
            continue;
        }
        if (!no_more_options && arg[0] == '-' && arg[1] != '\0') {
            if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
                a->command = CLI_HELP;
                a->help_topic = CLI_HELP_INIT;
                return 0;
            }
            return usage_error(err, errlen,
                               "init: unknown option '%s' (try 'onespace init --help')", arg);
        }
        if (a->dir)
            return usage_error(err, errlen, "init: unexpected argument '%s'", arg);
        if (!*arg)
            return usage_error(err, errlen, "init: DIR must not be empty");
        a->dir = arg;
    }
    if (!a->dir)
        return usage_error(err, errlen, "init: missing DIR (try 'onespace init --help')");
    return 0;
}

int cli_parse_args(int argc, char **argv, struct cli_args *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (errlen)
        err[0] = '\0';
    if (argc < 2)
        return usage_error(err, errlen, "missing command (try 'onespace --help')");
    const char *cmd = argv[1];
    int r;
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        out->command = CLI_HELP;
        out->help_topic = CLI_HELP_MAIN;
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        out->command = CLI_VERSION;
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        out->command = CLI_HELP;
        if (argc > 3)
            return usage_error(err, errlen, "help: unexpected argument '%s'", argv[3]);
        if (argc == 2)
            out->help_topic = CLI_HELP_MAIN;
        else if (strcmp(argv[2], "run") == 0)
            out->help_topic = CLI_HELP_RUN;
        else if (strcmp(argv[2], "init") == 0)
            out->help_topic = CLI_HELP_INIT;
        else
            return usage_error(err, errlen, "help: unknown command '%s'", argv[2]);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        r = parse_run(argc, argv, 2, out, err, errlen);
    else if (strcmp(cmd, "init") == 0)
        r = parse_init(argc, argv, 2, out, err, errlen);
    else if (cmd[0] == '-')
        r = usage_error(err, errlen, "unknown option '%s' (try 'onespace --help')", cmd);
    else
        r = usage_error(err, errlen, "unknown command '%s' (try 'onespace --help')", cmd);
    if (r < 0)
        cli_args_free(out);
    return r;
}

void cli_args_free(struct cli_args *a)
{
    free(a->env);
    memset(a, 0, sizeof(*a));
}

static const char help_main[] =
    "Usage: onespace COMMAND [ARGS]\n"
    "\n"
    "Runs unmodified static-PIE Linux x86-64 programs as processes of one\n"
    "library OS inside a single host process.\n"
    "\n"
    "Commands:\n"
    "  init DIR                      create an instance folder: DIR/onespace.json\n"
    "                                and DIR/image/ (the guest's /)\n"
    "  run [-C DIR] PROG [ARGS]      run PROG (a guest path) in the instance DIR\n"
    "  run --root HOSTDIR PROG ...   run with defaults, HOSTDIR as the guest's /\n"
    "  sgx export-root [-C DIR] FILE write the instance's simulated SGX root CA (PEM)\n"
    "  sgx mrenclave IMAGE PROG      the mr_enclave /dev/sgx reports for PROG\n"
    "  quote verify [-C DIR] [--root-cert PEM] FILE\n"
    "                                verify a DCAP quote of the instance (docs/sgx.md)\n"
    "  help [COMMAND]                show this text, or a command's\n"
    "\n"
    "Options:\n"
    "  -h, --help                    show this text\n"
    "  --version                     show the version\n"
    "\n"
    "Environment:\n"
    "  ONESPACE_LOG=error|warn|info|debug|trace   log level (overrides log.level)\n"
    "  ONESPACE_TRACE=1                           same as run --trace\n"
    "  ONESPACE_FAST_PATH=0                       same as run --no-fast-path\n"
    "  ONESPACE_STATS=1                           same as run --stats\n"
    "\n"
    "The configuration file is described in docs/config.md.\n";

static const char help_run[] =
    "Usage: onespace run [-C DIR] [OPTIONS] [--] PROG [ARGS]...\n"
    "       onespace run --root HOSTDIR [OPTIONS] [--] PROG [ARGS]...\n"
    "\n"
    "Runs PROG, a path inside the guest file system, with ARGS as its\n"
    "arguments. The exit status is PROG's exit code, or 128+N if it was\n"
    "killed by signal N.\n"
    "\n"
    "  -C DIR            the instance folder (default: .): settings from\n"
    "                    DIR/onespace.json, guest / is DIR/image; PROG must\n"
    "                    be under one of its entry_points\n"
    "  --root HOSTDIR    no instance folder: default settings, guest / is\n"
    "                    HOSTDIR\n"
    "  --env NAME=VALUE  add or replace a variable of the guest's environment\n"
    "                    (env.default; nothing comes from the host); repeatable\n"
    "  -i, --ignore-environment\n"
    "                    start from an empty environment instead of\n"
    "                    env.default (then only --env variables are set)\n"
    "  --trace           print every system call of the guest (strace-like)\n"
    "  --no-fast-path    handle every system call through the trap path\n"
    "  --stats           at exit, print to stderr every process that ran (pid,\n"
    "                    command, the most pool memory it had mapped) and the\n"
    "                    memory pool's size and peak use (also ONESPACE_STATS=1)\n"
    "  -h, --help        show this text\n";

static const char help_init[] =
    "Usage: onespace init DIR\n"
    "\n"
    "Creates the instance folder DIR: DIR/onespace.json with every setting\n"
    "and its default, and DIR/image/ (the guest's /) with bin/, etc/, tmp/,\n"
    "dev/ and proc/. Copy programs into DIR/image/bin/, then run them with\n"
    "'onespace run -C DIR /bin/PROG'. Refuses if DIR/onespace.json exists.\n"
    "\n"
    "  -h, --help        show this text\n";

const char *cli_help_text(enum cli_help_topic topic)
{
    switch (topic) {
    case CLI_HELP_RUN:
        return help_run;
    case CLI_HELP_INIT:
        return help_init;
    case CLI_HELP_MAIN:
    default:
        return help_main;
    }
}
