/* The `onespace` command as a function (see cli.h). */
#include "cli/cli.h"

#include <errno.h>
#include <string.h>

#include "cli/cli_sgx.h"
#include "cli/size.h"
#include "util/log.h"

static int do_run(const struct cli_args *a, const struct cli_host_env *env, cli_runtime_fn run,
                  FILE *errf)
{
    struct cli_run_plan plan;
    char msg[1024];
    if (cli_prepare_run(a, env, &plan, msg, sizeof(msg)) < 0) {
        fprintf(errf, "%s\n", msg);
        return CLI_EXIT_FAILURE;
    }
    log_set_level(plan.log_level);
    char us[32], st[32], hp[32], ch[32];
    log_debug("cli", "run %s: root %s, user_space_size %s, stack %s, heap %s, chunk %s, "
              "threads %u, trace %d",
              plan.opts.argv[0], plan.opts.root, size_format(plan.opts.user_space_size, us, 32),
              size_format(plan.opts.default_stack_size, st, 32),
              size_format(plan.opts.default_heap_size, hp, 32),
              size_format(plan.opts.chunk_size, ch, 32), plan.opts.max_threads,
              (int)plan.opts.trace);
    fflush(NULL);
    int r = run(&plan.opts);
    cli_run_plan_free(&plan);
    /* < 0: the runtime failed before the guest ran and said why. */
    return r >= 0 ? r : CLI_EXIT_FAILURE;
}

int cli_main(int argc, char **argv, const struct cli_host_env *env, cli_runtime_fn run,
             FILE *out, FILE *errf)
{
    static const struct cli_host_env no_env = { NULL, NULL, NULL, NULL, NULL };
    if (!env)
        env = &no_env;
    enum log_level level;
    bool trace;
    if (env->log && cli_env_log_level(env->log, &level) < 0) {
        fprintf(errf, "onespace: ONESPACE_LOG=%s: expected error, warn, info, debug or trace\n",
                env->log);
        return CLI_EXIT_USAGE;
    }
    if (env->trace && cli_env_trace(env->trace, &trace) < 0) {
        fprintf(errf, "onespace: ONESPACE_TRACE=%s: expected 1 or 0\n", env->trace);
        return CLI_EXIT_USAGE;
    }
    if (env->fast_path && cli_env_trace(env->fast_path, &trace) < 0) {
        fprintf(errf, "onespace: ONESPACE_FAST_PATH=%s: expected 1 or 0\n", env->fast_path);
        return CLI_EXIT_USAGE;
    }
    if (env->stats && cli_env_trace(env->stats, &trace) < 0) {
        fprintf(errf, "onespace: ONESPACE_STATS=%s: expected 1 or 0\n", env->stats);
        return CLI_EXIT_USAGE;
    }

    /* The relying party's commands (cmd_sgx.c) have their own arguments. */
    if (argc >= 2 && (!strcmp(argv[1], "sgx") || !strcmp(argv[1], "quote")))
        return cli_sgx_main(argc, argv, out, errf);

    struct cli_args a;
    char msg[512];
    if (cli_parse_args(argc, argv, &a, msg, sizeof(msg)) < 0) {
        fprintf(errf, "%s\n", msg);
        return CLI_EXIT_USAGE;
    }
    int status = 0;
    switch (a.command) {
    case CLI_HELP:
        fputs(cli_help_text(a.help_topic), out);
        break;
    case CLI_VERSION:
        fprintf(out, "onespace %s\n", ONESPACE_VERSION);
        break;
    case CLI_INIT:
        if (cli_init_instance(a.dir, msg, sizeof(msg)) < 0) {
            fprintf(errf, "%s\n", msg);
            status = CLI_EXIT_FAILURE;
        } else {
            fprintf(out,
                    "Created %s/onespace.json and %s/image/.\n"
                    "Copy programs into %s/image/bin/ and run them with:\n"
                    "  onespace run -C %s /bin/PROG [ARGS]\n",
                    a.dir, a.dir, a.dir, a.dir);
        }
        break;
    case CLI_RUN:
        status = do_run(&a, env, run, errf);
        break;
    }
    cli_args_free(&a);
    return status;
}
