/* `onespace init` into a temp dir (the file loads back as the defaults) and
 * `onespace run` up to the runtime call, with a fake runtime that records
 * what it was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static char tmp[64];

static char *in_tmp(const char *rel)
{
    static char buf[4][512];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof(buf[0]), "%s/%s", tmp, rel);
    return b;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int setup(void **state)
{
    strcpy(tmp, "/tmp/onespace-cli-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_init_creates_defaults(void **state)
{
    char err[512], dir[512];
    snprintf(dir, sizeof(dir), "%s", in_tmp("app"));
    assert_int_equal(cli_init_instance(dir, err, sizeof(err)), 0);
    static const char *const dirs[] = { "app/image", "app/image/bin", "app/image/etc",
                                        "app/image/tmp", "app/image/dev", "app/image/proc" };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        assert_true(is_dir(in_tmp(dirs[i])));

    struct onespace_config c, d;
    assert_int_equal(config_load_file(in_tmp("app/onespace.json"), &c, err, sizeof(err)), 0);
    assert_int_equal(config_defaults(&d), 0);
    assert_int_equal(c.user_space_size, d.user_space_size);
    assert_int_equal(c.max_num_of_threads, d.max_num_of_threads);
    assert_int_equal(c.default_stack_size, d.default_stack_size);
    assert_int_equal(c.default_heap_size, d.default_heap_size);
    assert_int_equal(c.chunk_size, d.chunk_size);
    assert_int_equal(c.log_level, d.log_level);
    assert_int_equal(c.trace, d.trace);
    assert_int_equal(c.env_count, d.env_count);
    for (size_t i = 0; i < c.env_count; i++)
        assert_string_equal(c.env[i], d.env[i]);
    assert_int_equal(c.entry_point_count, d.entry_point_count);
    for (size_t i = 0; i < c.entry_point_count; i++)
        assert_string_equal(c.entry_points[i], d.entry_points[i]);
    config_free(&c);
    config_free(&d);

    /* A second init refuses and leaves the file alone. */
    write_file(in_tmp("app/onespace.json"), "{}");
    assert_int_equal(cli_init_instance(dir, err, sizeof(err)), -EEXIST);
    char want[1024];
    snprintf(want, sizeof(want), "onespace: init: %s/onespace.json already exists; not "
             "overwriting it", dir);
    assert_string_equal(err, want);
    char *text;
    size_t len;
    FILE *f = fopen(in_tmp("app/onespace.json"), "r");
    assert_non_null(f);
    char buf[16] = { 0 };
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    assert_int_equal(len, 2);
    text = buf;
    assert_string_equal(text, "{}");

    /* Trailing slashes do not double. */
    assert_int_equal(cli_init_instance(in_tmp("app2//"), err, sizeof(err)), 0);
    assert_true(is_dir(in_tmp("app2/image/bin")));
    assert_int_equal(access(in_tmp("app2/onespace.json"), R_OK), 0);

    /* A missing parent is an error, not a mkdir -p. */
    assert_int_equal(cli_init_instance(in_tmp("no/such/app"), err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "onespace: init: cannot create "));
    /* DIR exists as a file. */
    write_file(in_tmp("plainfile"), "x");
    assert_int_equal(cli_init_instance(in_tmp("plainfile"), err, sizeof(err)), -ENOTDIR);
}

/* ---- run ---- */

static struct {
    int calls;
    int result;
    char root[256];
    char argv[8][64];
    int argc;
    char envp[16][64];
    int envc;
    struct runtime_opts o;
} fake;

static int fake_runtime(const struct runtime_opts *o)
{
    fake.calls++;
    fake.o = *o;
    snprintf(fake.root, sizeof(fake.root), "%s", o->root);
    for (fake.argc = 0; o->argv[fake.argc]; fake.argc++)
        snprintf(fake.argv[fake.argc], sizeof(fake.argv[0]), "%s", o->argv[fake.argc]);
    for (fake.envc = 0; o->envp[fake.envc]; fake.envc++)
        snprintf(fake.envp[fake.envc], sizeof(fake.envp[0]), "%s", o->envp[fake.envc]);
    return fake.result;
}

struct captured {
    char *out, *err;
    size_t outlen, errlen;
};

static int run_main(struct captured *c, const struct cli_host_env *env, int argc, char **argv)
{
    memset(c, 0, sizeof(*c));
    FILE *out = open_memstream(&c->out, &c->outlen);
    FILE *err = open_memstream(&c->err, &c->errlen);
    int status = cli_main(argc, argv, env, fake_runtime, out, err);
    fclose(out);
    fclose(err);
    return status;
}

static void captured_free(struct captured *c)
{
    free(c->out);
    free(c->err);
}

#define MAIN(c, env, ...)                                                                  \
    run_main(c, env, (int)(sizeof((char *[]){ "onespace", __VA_ARGS__ }) / sizeof(char *)), \
             (char *[]){ "onespace", __VA_ARGS__, NULL })

static void make_instance(const char *name, const char *json)
{
    char err[512];
    assert_int_equal(cli_init_instance(in_tmp(name), err, sizeof(err)), 0);
    char path[64];
    snprintf(path, sizeof(path), "%.40s/onespace.json", name);
    unlink(in_tmp(path));
    write_file(in_tmp(path), json);
}

static void test_run_instance(void **state)
{
    make_instance("inst",
                  "{ \"resource_limits\": { \"user_space_size\": \"256MB\", "
                  "\"max_num_of_threads\": 9 },"
                  "  \"process\": { \"default_stack_size\": \"1MB\" },"
                  "  \"vm\": { \"chunk_size\": \"2MB\" },"
                  "  \"env\": { \"default\": [\"PATH=/bin\", \"HOME=/root\"] },"
                  "  \"entry_points\": [\"/bin\", \"/opt/app\"] }");
    write_file(in_tmp("inst/image/bin/hello"), "");
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", in_tmp("inst"));
    struct captured c;
    memset(&fake, 0, sizeof(fake));
    fake.result = 42;
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "--env", "HOME=/h", "--env",
                          "X=1", "/bin/hello", "a", "b c"), 42);
    assert_int_equal(fake.calls, 1);
    char want[1024];
    snprintf(want, sizeof(want), "%s/image", dir);
    assert_string_equal(fake.root, want);
    assert_int_equal(fake.argc, 3);
    assert_string_equal(fake.argv[0], "/bin/hello");
    assert_string_equal(fake.argv[1], "a");
    assert_string_equal(fake.argv[2], "b c");
    /* env.default, --env replacing HOME in place and appending X; nothing
     * from the host. */
    assert_int_equal(fake.envc, 3);
    assert_string_equal(fake.envp[0], "PATH=/bin");
    assert_string_equal(fake.envp[1], "HOME=/h");
    assert_string_equal(fake.envp[2], "X=1");
    assert_int_equal(fake.o.user_space_size, 256u << 20);
    assert_int_equal(fake.o.max_threads, 9);
    assert_int_equal(fake.o.default_stack_size, 1u << 20);
    assert_int_equal(fake.o.default_heap_size, 32u << 20);
    assert_int_equal(fake.o.chunk_size, 2u << 20);
    assert_false(fake.o.trace);
    assert_false(fake.o.no_fast_path);
    assert_null(fake.o.cwd);
    assert_int_equal(c.errlen, 0);
    captured_free(&c);

    /* A bare name is looked up in the entry points. */
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "hello"), 42);
    assert_string_equal(fake.argv[0], "/bin/hello");
    captured_free(&c);

    /* Any entry point will do; the runtime reports missing programs. */
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "/opt/app/sub/x"), 42);
    assert_string_equal(fake.argv[0], "/opt/app/sub/x");
    captured_free(&c);

    /* Runtime failure before the guest ran: exit 1, message already out. */
    fake.result = -ENOENT;
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "/bin/hello"), 1);
    captured_free(&c);
    fake.result = 0;

    /* Not under an entry point, relative with a slash, "..": exit 1, runtime
     * not called. */
    int calls = fake.calls;
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "/usr/bin/hello"), 1);
    snprintf(want, sizeof(want),
             "onespace: run: /usr/bin/hello is not under an entry point of %s (add its folder "
             "to entry_points in onespace.json)\n", dir);
    assert_string_equal(c.err, want);
    captured_free(&c);
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "/bin/../etc/x"), 1);
    assert_string_equal(c.err,
                        "onespace: run: /bin/../etc/x: '..' is not allowed in the program path\n");
    captured_free(&c);
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "bin/hello"), 1);
    assert_string_equal(c.err, "onespace: run: bin/hello: expected an absolute guest path like "
                               "/bin/prog\n");
    captured_free(&c);
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "nothere"), 1);
    snprintf(want, sizeof(want),
             "onespace: run: nothere: not found in any entry point of %s (/bin, ...)\n", dir);
    assert_string_equal(c.err, want);
    captured_free(&c);
    /* "/bin2" is not under "/bin". */
    assert_int_equal(MAIN(&c, NULL, "run", "-C", dir, "/bin2/x"), 1);
    captured_free(&c);
    assert_int_equal(fake.calls, calls);
}

static void test_run_trace_and_log_sources(void **state)
{
    make_instance("tr", "{ \"log\": { \"level\": \"error\", \"trace\": false } }");
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", in_tmp("tr"));
    struct captured c;
    struct cli_host_env env = { 0 };
    memset(&fake, 0, sizeof(fake));

    assert_int_equal(MAIN(&c, &env, "run", "-C", dir, "/bin/x"), 0);
    assert_false(fake.o.trace);
    assert_int_equal(log_current_level(), LOG_ERROR);   /* log.level applied */
    captured_free(&c);

    assert_int_equal(MAIN(&c, &env, "run", "-C", dir, "--trace", "/bin/x"), 0);
    assert_true(fake.o.trace);
    captured_free(&c);

    env.trace = "1";
    env.log = "debug";
    assert_int_equal(MAIN(&c, &env, "run", "-C", dir, "/bin/x"), 0);
    assert_true(fake.o.trace);
    assert_int_equal(log_current_level(), LOG_DEBUG);   /* ONESPACE_LOG wins */
    captured_free(&c);

    env.trace = "0";
    env.log = NULL;
    assert_int_equal(MAIN(&c, &env, "run", "-C", dir, "/bin/x"), 0);
    assert_false(fake.o.trace);
    captured_free(&c);

    /* Bad values are misuse: exit 2, one line. */
    env.trace = "maybe";
    assert_int_equal(MAIN(&c, &env, "run", "-C", dir, "/bin/x"), 2);
    assert_string_equal(c.err, "onespace: ONESPACE_TRACE=maybe: expected 1 or 0\n");
    captured_free(&c);
    env.trace = NULL;
    env.log = "loud";
    assert_int_equal(MAIN(&c, &env, "--version"), 2);
    assert_string_equal(c.err,
                        "onespace: ONESPACE_LOG=loud: expected error, warn, info, debug or trace\n");
    captured_free(&c);

    make_instance("tr2", "{ \"log\": { \"trace\": true } }");
    assert_int_equal(MAIN(&c, NULL, "run", "-C", in_tmp("tr2"), "/bin/x"), 0);
    assert_true(fake.o.trace);
    captured_free(&c);
    log_set_level(LOG_WARN);
}

/* --stats and ONESPACE_STATS (added by bigtests). */
static void test_run_stats_sources(void **state)
{
    assert_int_equal(mkdir(in_tmp("statroot"), 0755), 0);
    struct captured c;
    struct cli_host_env env = { 0 };
    memset(&fake, 0, sizeof(fake));
    assert_int_equal(MAIN(&c, &env, "run", "--root", in_tmp("statroot"), "/bin/x"), 0);
    assert_false(fake.o.stats);
    captured_free(&c);
    assert_int_equal(MAIN(&c, &env, "run", "--root", in_tmp("statroot"), "--stats", "/bin/x",
                          "--stats"), 0);
    assert_true(fake.o.stats);
    captured_free(&c);
    env.stats = "1";
    assert_int_equal(MAIN(&c, &env, "run", "--root", in_tmp("statroot"), "/bin/x"), 0);
    assert_true(fake.o.stats);
    captured_free(&c);
    env.stats = "0";
    assert_int_equal(MAIN(&c, &env, "run", "--root", in_tmp("statroot"), "/bin/x"), 0);
    assert_false(fake.o.stats);
    captured_free(&c);
    env.stats = "lots";
    assert_int_equal(MAIN(&c, &env, "run", "--root", in_tmp("statroot"), "/bin/x"), 2);
    assert_string_equal(c.err, "onespace: ONESPACE_STATS=lots: expected 1 or 0\n");
    captured_free(&c);
}

static void test_run_root_mode(void **state)
{
    assert_int_equal(mkdir(in_tmp("hostroot"), 0755), 0);
    struct captured c;
    memset(&fake, 0, sizeof(fake));
    fake.result = 3;
    assert_int_equal(MAIN(&c, NULL, "run", "--root", in_tmp("hostroot"), "--env", "TERM=dumb",
                          "--no-fast-path", "prog", "-v"), 3);
    assert_string_equal(fake.root, in_tmp("hostroot"));
    assert_int_equal(fake.argc, 2);
    assert_string_equal(fake.argv[0], "prog");   /* no entry point rules */
    assert_string_equal(fake.argv[1], "-v");
    assert_int_equal(fake.envc, 3);
    assert_string_equal(fake.envp[0], "PATH=/bin:/usr/bin");
    assert_string_equal(fake.envp[1], "HOME=/");
    assert_string_equal(fake.envp[2], "TERM=dumb");
    assert_int_equal(fake.o.user_space_size, CONFIG_DEFAULT_USER_SPACE_SIZE);
    assert_int_equal(fake.o.max_threads, CONFIG_DEFAULT_MAX_THREADS);
    assert_true(fake.o.no_fast_path);
    captured_free(&c);

    /* Not a directory / missing. */
    write_file(in_tmp("afile"), "");
    assert_int_equal(MAIN(&c, NULL, "run", "--root", in_tmp("afile"), "p"), 1);
    char want[1024];
    snprintf(want, sizeof(want), "onespace: run: --root %s: not a directory\n", in_tmp("afile"));
    assert_string_equal(c.err, want);
    captured_free(&c);
    assert_int_equal(MAIN(&c, NULL, "run", "--root", in_tmp("none"), "p"), 1);
    snprintf(want, sizeof(want), "onespace: run: --root %s: No such file or directory\n",
             in_tmp("none"));
    assert_string_equal(c.err, want);
    captured_free(&c);
    assert_int_equal(fake.calls, 1);
}

static void test_run_config_problems(void **state)
{
    struct captured c;
    char want[2048];
    memset(&fake, 0, sizeof(fake));
    /* No onespace.json. */
    assert_int_equal(mkdir(in_tmp("empty"), 0755), 0);
    assert_int_equal(MAIN(&c, NULL, "run", "-C", in_tmp("empty"), "/bin/x"), 1);
    snprintf(want, sizeof(want),
             "onespace: %s/onespace.json: no such file (create an instance with 'onespace init "
             "%s', or use --root)\n", in_tmp("empty"), in_tmp("empty"));
    assert_string_equal(c.err, want);
    captured_free(&c);

    /* Bad value: the file name and JSON path. */
    make_instance("bad", "{ \"process\": { \"default_heap_size\": \"lots\" } }");
    assert_int_equal(MAIN(&c, NULL, "run", "-C", in_tmp("bad"), "/bin/x"), 1);
    snprintf(want, sizeof(want),
             "onespace: %s/onespace.json: process.default_heap_size: expected a size like "
             "\"32MB\"\n", in_tmp("bad"));
    assert_string_equal(c.err, want);
    captured_free(&c);

    /* No image/ folder. */
    assert_int_equal(mkdir(in_tmp("noimage"), 0755), 0);
    write_file(in_tmp("noimage/onespace.json"), "{}");
    assert_int_equal(MAIN(&c, NULL, "run", "-C", in_tmp("noimage"), "/bin/x"), 1);
    snprintf(want, sizeof(want), "onespace: run: %s/image: No such file or directory\n",
             in_tmp("noimage"));
    assert_string_equal(c.err, want);
    captured_free(&c);
    assert_int_equal(fake.calls, 0);
}

static void test_main_help_version_usage(void **state)
{
    struct captured c;
    assert_int_equal(MAIN(&c, NULL, "--help"), 0);
    assert_string_equal(c.out, cli_help_text(CLI_HELP_MAIN));
    assert_int_equal(c.errlen, 0);
    captured_free(&c);
    assert_int_equal(MAIN(&c, NULL, "init", "--help"), 0);
    assert_string_equal(c.out, cli_help_text(CLI_HELP_INIT));
    captured_free(&c);
    assert_int_equal(MAIN(&c, NULL, "--version"), 0);
    assert_string_equal(c.out, "onespace " ONESPACE_VERSION "\n");
    captured_free(&c);
    assert_int_equal(MAIN(&c, NULL, "run", "--bogus", "p"), 2);
    assert_string_equal(c.err,
                        "onespace: run: unknown option '--bogus' (try 'onespace run --help')\n");
    assert_int_equal(c.outlen, 0);
    captured_free(&c);
    /* init through main: exit 1 when it refuses. */
    assert_int_equal(MAIN(&c, NULL, "init", in_tmp("viamain")), 0);
    assert_non_null(strstr(c.out, "onespace run -C "));
    captured_free(&c);
    assert_int_equal(MAIN(&c, NULL, "init", in_tmp("viamain")), 1);
    assert_non_null(strstr(c.err, "already exists"));
    captured_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_creates_defaults),
        cmocka_unit_test(test_run_instance),
        cmocka_unit_test(test_run_trace_and_log_sources),
        cmocka_unit_test(test_run_root_mode),
        cmocka_unit_test(test_run_stats_sources),
        cmocka_unit_test(test_run_config_problems),
        cmocka_unit_test(test_main_help_version_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
