/* Command-line parsing: every command and option, and every misuse with
 * its one-line message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "cli/args.h"

#define ARGV(...) ((char *[]){ "onespace", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "onespace", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, err, ...) cli_parse_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a, err, sizeof(err))

static void test_run_instance(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE(&a, err, "run", "-C", "app", "--trace", "/bin/ls", "-l", "--trace"), 0);
    assert_int_equal(a.command, CLI_RUN);
    assert_string_equal(a.dir, "app");
    assert_null(a.root);
    assert_true(a.trace);
    assert_false(a.no_fast_path);
    /* Options stop at the program: the rest is its argv. */
    assert_int_equal(a.prog_argc, 3);
    assert_string_equal(a.prog_argv[0], "/bin/ls");
    assert_string_equal(a.prog_argv[1], "-l");
    assert_string_equal(a.prog_argv[2], "--trace");
    assert_null(a.prog_argv[3]);
    cli_args_free(&a);

    /* No -C: the current directory (dir stays NULL); -CDIR form. */
    assert_int_equal(PARSE(&a, err, "run", "/bin/true"), 0);
    assert_null(a.dir);
    assert_false(a.trace);
    assert_int_equal(a.prog_argc, 1);
    cli_args_free(&a);
    assert_int_equal(PARSE(&a, err, "run", "-Capp", "/bin/true"), 0);
    assert_string_equal(a.dir, "app");
    cli_args_free(&a);

    /* "--" ends options even before something that looks like one. */
    assert_int_equal(PARSE(&a, err, "run", "--no-fast-path", "--", "--weird", "x"), 0);
    assert_true(a.no_fast_path);
    assert_int_equal(a.prog_argc, 2);
    assert_string_equal(a.prog_argv[0], "--weird");
    cli_args_free(&a);

    /* A lone "-" is a program name, not an option. */
    assert_int_equal(PARSE(&a, err, "run", "-"), 0);
    assert_string_equal(a.prog_argv[0], "-");
    cli_args_free(&a);
}

static void test_run_root_and_env(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE(&a, err, "run", "--root", "/srv/r", "--env", "A=1", "--env=B=",
                           "--env", "A=2", "prog", "x"), 0);
    assert_int_equal(a.command, CLI_RUN);
    assert_string_equal(a.root, "/srv/r");
    assert_null(a.dir);
    assert_int_equal(a.env_count, 3);
    assert_string_equal(a.env[0], "A=1");
    assert_string_equal(a.env[1], "B=");
    assert_string_equal(a.env[2], "A=2");
    assert_string_equal(a.prog_argv[0], "prog");
    assert_int_equal(a.prog_argc, 2);
    cli_args_free(&a);

    assert_int_equal(PARSE(&a, err, "run", "--root=/r", "p"), 0);
    assert_string_equal(a.root, "/r");
    cli_args_free(&a);
}

static void test_help_and_version(void **state)
{
    struct cli_args a;
    char err[256];
    const struct {
        int argc;
        char **argv;
        enum cli_command cmd;
        enum cli_help_topic topic;
    } cases[] = {
        { ARGC("--help"), ARGV("--help"), CLI_HELP, CLI_HELP_MAIN },
        { ARGC("-h"), ARGV("-h"), CLI_HELP, CLI_HELP_MAIN },
        { ARGC("help"), ARGV("help"), CLI_HELP, CLI_HELP_MAIN },
        { ARGC("help", "run"), ARGV("help", "run"), CLI_HELP, CLI_HELP_RUN },
        { ARGC("help", "init"), ARGV("help", "init"), CLI_HELP, CLI_HELP_INIT },
        { ARGC("run", "--help"), ARGV("run", "--help"), CLI_HELP, CLI_HELP_RUN },
        { ARGC("run", "-C", "x", "-h"), ARGV("run", "-C", "x", "-h"), CLI_HELP, CLI_HELP_RUN },
        { ARGC("init", "--help"), ARGV("init", "--help"), CLI_HELP, CLI_HELP_INIT },
        { ARGC("--version"), ARGV("--version"), CLI_VERSION, CLI_HELP_MAIN },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(cli_parse_args(cases[i].argc, cases[i].argv, &a, err, sizeof(err)), 0);
        assert_int_equal(a.command, cases[i].cmd);
        if (cases[i].cmd == CLI_HELP)
            assert_int_equal(a.help_topic, cases[i].topic);
        cli_args_free(&a);
    }
    assert_non_null(strstr(cli_help_text(CLI_HELP_MAIN), "Usage: onespace COMMAND"));
    assert_non_null(strstr(cli_help_text(CLI_HELP_RUN), "--root HOSTDIR"));
    assert_non_null(strstr(cli_help_text(CLI_HELP_INIT), "Usage: onespace init DIR"));
    /* After the program, --help belongs to the program. */
    assert_int_equal(PARSE(&a, err, "run", "/bin/ls", "--help"), 0);
    assert_int_equal(a.command, CLI_RUN);
    cli_args_free(&a);
}

static void test_init(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE(&a, err, "init", "myapp"), 0);
    assert_int_equal(a.command, CLI_INIT);
    assert_string_equal(a.dir, "myapp");
    cli_args_free(&a);
    assert_int_equal(PARSE(&a, err, "init", "--", "-odd"), 0);
    assert_string_equal(a.dir, "-odd");
    cli_args_free(&a);
}

static void test_misuse(void **state)
{
    const struct {
        int argc;
        char **argv;
        const char *msg;
    } cases[] = {
        { 1, (char *[]){ "onespace", NULL }, "onespace: missing command (try 'onespace --help')" },
        { ARGC("frob"), ARGV("frob"), "onespace: unknown command 'frob' (try 'onespace --help')" },
        { ARGC("--frob"), ARGV("--frob"), "onespace: unknown option '--frob' (try 'onespace --help')" },
        { ARGC("help", "frob"), ARGV("help", "frob"), "onespace: help: unknown command 'frob'" },
        { ARGC("help", "run", "x"), ARGV("help", "run", "x"), "onespace: help: unexpected argument 'x'" },
        { ARGC("run"), ARGV("run"),
          "onespace: run: missing the program to run (try 'onespace run --help')" },
        { ARGC("run", "-C", "app"), ARGV("run", "-C", "app"),
          "onespace: run: missing the program to run (try 'onespace run --help')" },
        { ARGC("run", "--"), ARGV("run", "--"),
          "onespace: run: missing the program to run (try 'onespace run --help')" },
        { ARGC("run", "-C"), ARGV("run", "-C"), "onespace: run: -C needs a directory" },
        { ARGC("run", "-C", ""), ARGV("run", "-C", ""), "onespace: run: -C needs a directory" },
        { ARGC("run", "--root"), ARGV("run", "--root"), "onespace: run: --root needs a host directory" },
        { ARGC("run", "--root="), ARGV("run", "--root="), "onespace: run: --root needs a host directory" },
        { ARGC("run", "--env"), ARGV("run", "--env"), "onespace: run: --env needs NAME=VALUE" },
        { ARGC("run", "--env", "X", "p"), ARGV("run", "--env", "X", "p"),
          "onespace: run: --env expects NAME=VALUE, got 'X'" },
        { ARGC("run", "--env", "=1", "p"), ARGV("run", "--env", "=1", "p"),
          "onespace: run: --env expects NAME=VALUE, got '=1'" },
        { ARGC("run", "-C", "a", "--root", "b", "p"), ARGV("run", "-C", "a", "--root", "b", "p"),
          "onespace: run: -C and --root cannot be used together" },
        { ARGC("run", "--rooot", "b", "p"), ARGV("run", "--rooot", "b", "p"),
          "onespace: run: unknown option '--rooot' (try 'onespace run --help')" },
        { ARGC("run", "-x", "p"), ARGV("run", "-x", "p"),
          "onespace: run: unknown option '-x' (try 'onespace run --help')" },
        { ARGC("init"), ARGV("init"), "onespace: init: missing DIR (try 'onespace init --help')" },
        { ARGC("init", "a", "b"), ARGV("init", "a", "b"), "onespace: init: unexpected argument 'b'" },
        { ARGC("init", ""), ARGV("init", ""), "onespace: init: DIR must not be empty" },
        { ARGC("init", "-f", "a"), ARGV("init", "-f", "a"),
          "onespace: init: unknown option '-f' (try 'onespace init --help')" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cli_args a;
        char err[256];
        int r = cli_parse_args(cases[i].argc, cases[i].argv, &a, err, sizeof(err));
        if (r != -EINVAL || strcmp(err, cases[i].msg) != 0)
            fail_msg("case %zu: got %d '%s'\n want '%s'", i, r, err, cases[i].msg);
        /* Nothing left to free. */
        assert_null(a.env);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_instance),
        cmocka_unit_test(test_run_root_and_env),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
