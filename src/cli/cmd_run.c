/* `onespace run`: from arguments and onespace.json to runtime_opts (see
 * cli.h). Nothing here calls the runtime, so tests run it directly. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/path.h"
#include "host/host_instance_fs.h"

int cli_env_log_level(const char *s, enum log_level *out)
{
    return config_log_level_parse(s, out);
}

int cli_env_trace(const char *s, bool *out)
{
    static const char *const on[] = { "1", "true", "yes", "on" };
    static const char *const off[] = { "", "0", "false", "no", "off" };
    for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
        if (strcasecmp(s, on[i]) == 0) {
            *out = true;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        if (strcasecmp(s, off[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* env.default, then each --env replacing the variable of the same name or
 * appending. Strings are borrowed. */
static int build_envp(const struct onespace_config *c, const struct cli_args *a, char ***out)
{
    size_t cap = c->env_count + a->env_count + 1, n = 0;
    char **envp = calloc(cap, sizeof(*envp));
    if (!envp)
        return -ENOMEM;
    for (size_t i = 0; i < c->env_count && !a->empty_env; i++)
        envp[n++] = c->env[i];
    for (size_t i = 0; i < a->env_count; i++) {
        const char *kv = a->env[i];
        size_t klen = (size_t)(strchr(kv, '=') - kv);
        size_t j = 0;
        while (j < n && strncmp(envp[j], kv, klen + 1) != 0)
            j++;
        envp[j] = (char *)kv;
        if (j == n)
            n++;
    }
    envp[n] = NULL;
    *out = envp;
    return 0;
}

/* The program's guest path in instance mode: absolute and under an entry
 * point, or a bare name looked up in the entry points (like PATH). */
static int resolve_prog(const struct onespace_config *c, const char *dir, const char *root,
                        const char *prog, char **out, char *err, size_t errlen)
{
    if (strchr(prog, '/') == NULL) {
        for (size_t i = 0; i < c->entry_point_count; i++) {
            char *guest = cli_path_join(c->entry_points[i], prog);
            char *host = guest ? cli_path_join(root, guest) : NULL;
            bool found = host && host_instance_exists(host) == 0;
            free(host);
            if (!guest)
                return -ENOMEM;
            if (found) {
                *out = guest;
                return 0;
            }
            free(guest);
        }
        snprintf(err, errlen, "onespace: run: %s: not found in any entry point of %s (%s%s)",
                 prog, dir, c->entry_points[0], c->entry_point_count > 1 ? ", ..." : "");
        return -ENOENT;
    }
    if (prog[0] != '/') {
        snprintf(err, errlen,
                 "onespace: run: %s: expected an absolute guest path like /bin/prog", prog);
        return -EINVAL;
    }
    if (cli_path_has_dotdot(prog)) {
        snprintf(err, errlen, "onespace: run: %s: '..' is not allowed in the program path",
                 prog);
        return -EINVAL;
    }
    for (size_t i = 0; i < c->entry_point_count; i++) {
        if (cli_path_is_under(prog, c->entry_points[i])) {
            *out = strdup(prog);
            return *out ? 0 : -ENOMEM;
        }
    }
    snprintf(err, errlen,
             "onespace: run: %s is not under an entry point of %s (add its folder to "
             "entry_points in onespace.json)",
             prog, dir);
    return -EACCES;
}

static int prepare(const struct cli_args *a, const struct cli_host_env *env,
                   struct cli_run_plan *plan, char *err, size_t errlen)
{
    int r;
    bool instance = a->root == NULL;
    const char *dir = a->dir ? a->dir : ".";

    if (instance) {
        char *cfg_path = cli_path_join(dir, "onespace.json");
        if (!cfg_path)
            return -ENOMEM;
        char msg[512];
        r = config_load_file(cfg_path, &plan->config, msg, sizeof(msg));
        if (r == -ENOENT)
            snprintf(err, errlen,
                     "onespace: %s: no such file (create an instance with 'onespace init "
                     "%s', or use --root)",
                     cfg_path, dir);
        else if (r < 0)
            snprintf(err, errlen, "onespace: %s", msg);
        free(cfg_path);
        if (r < 0)
            return r;
        plan->root = cli_path_join(dir, "image");
    } else {
        if (config_defaults(&plan->config) < 0)
            return -ENOMEM;
        plan->root = strdup(a->root);
    }
    if (!plan->root)
        return -ENOMEM;

    r = host_instance_is_dir(plan->root);
    if (r != 1) {
        snprintf(err, errlen, "onespace: run: %s%s: %s", instance ? "" : "--root ", plan->root,
                 r == 0 ? "not a directory" : strerror(-r));
        return r == 0 ? -ENOTDIR : r;
    }

    if (instance) {
        r = resolve_prog(&plan->config, dir, plan->root, a->prog_argv[0], &plan->prog, err,
                         errlen);
        if (r < 0)
            return r;
    } else {
        plan->prog = strdup(a->prog_argv[0]);
        if (!plan->prog)
            return -ENOMEM;
    }

    plan->argv = calloc((size_t)a->prog_argc + 1, sizeof(*plan->argv));
    if (!plan->argv)
        return -ENOMEM;
    plan->argv[0] = plan->prog;
    for (int i = 1; i < a->prog_argc; i++)
        plan->argv[i] = a->prog_argv[i];

    r = build_envp(&plan->config, a, &plan->envp);
    if (r < 0)
        return r;

    /* ONESPACE_LOG wins over log.level; any trace switch turns tracing on. */
    plan->log_level = plan->config.log_level;
    bool env_trace = false, env_stats = false;
    if (env && env->log)
        cli_env_log_level(env->log, &plan->log_level);
    if (env && env->trace)
        cli_env_trace(env->trace, &env_trace);
    if (env && env->stats)
        cli_env_trace(env->stats, &env_stats);     /* the same 1/0 words */

    memset(&plan->opts, 0, sizeof(plan->opts));
    config_to_runtime_opts(&plan->config, &plan->opts);
    plan->opts.root = plan->root;
    plan->opts.argv = plan->argv;
    plan->opts.envp = plan->envp;
    plan->opts.cwd = NULL;
    plan->opts.trace = plan->config.trace || a->trace || env_trace;
    bool env_fast = true;
    if (env && env->fast_path)
        cli_env_trace(env->fast_path, &env_fast);
    plan->opts.no_fast_path = a->no_fast_path || !env_fast;
    plan->opts.stats = a->stats || env_stats;
    if (env && env->watchdog) {
        char *end;
        unsigned long s = strtoul(env->watchdog, &end, 10);
        if (*end || s > 86400) {
            if (errlen)
                snprintf(err, errlen, "onespace: ONESPACE_WATCHDOG=%s: want seconds (0..86400)",
                         env->watchdog);
            return -EINVAL;
        }
        plan->opts.watchdog_seconds = (unsigned)s;
    }
    plan->opts.sgx_dir = instance ? dir : NULL; /* /dev/sgx's platform persists there */
    return 0;
}

int cli_prepare_run(const struct cli_args *a, const struct cli_host_env *env,
                    struct cli_run_plan *plan, char *err, size_t errlen)
{
    memset(plan, 0, sizeof(*plan));
    if (errlen)
        err[0] = '\0';
    int r = prepare(a, env, plan, err, errlen);
    if (r < 0) {
        if (errlen && !err[0])
            snprintf(err, errlen, "onespace: run: %s", strerror(-r));
        cli_run_plan_free(plan);
    }
    return r;
}

void cli_run_plan_free(struct cli_run_plan *plan)
{
    config_free(&plan->config);
    free(plan->root);
    free(plan->prog);
    free(plan->argv);
    free(plan->envp);
    memset(plan, 0, sizeof(*plan));
}
