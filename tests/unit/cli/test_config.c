/* onespace.json: defaults, every field, sizes, each validation error with
 * its exact message, malformed JSON, generation round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/config.h"
#include "cli/size.h"
#include "entry/runtime.h"

static void assert_config_equal(const struct onespace_config *a, const struct onespace_config *b)
{
    assert_int_equal(a->user_space_size, b->user_space_size);
    assert_int_equal(a->max_num_of_threads, b->max_num_of_threads);
    assert_int_equal(a->default_stack_size, b->default_stack_size);
    assert_int_equal(a->default_heap_size, b->default_heap_size);
    assert_int_equal(a->chunk_size, b->chunk_size);
    assert_int_equal(a->log_level, b->log_level);
    assert_int_equal(a->trace, b->trace);
    assert_int_equal(a->env_count, b->env_count);
    for (size_t i = 0; i < a->env_count; i++)
        assert_string_equal(a->env[i], b->env[i]);
    assert_int_equal(a->entry_point_count, b->entry_point_count);
    for (size_t i = 0; i < a->entry_point_count; i++)
        assert_string_equal(a->entry_points[i], b->entry_points[i]);
}

static void test_empty_object_gives_defaults(void **state)
{
    struct onespace_config c, d;
    char err[256];
    assert_int_equal(config_load_string("{}", &c, err, sizeof(err)), 0);
    assert_int_equal(config_defaults(&d), 0);
    assert_config_equal(&c, &d);
    assert_int_equal(c.user_space_size, 1ull << 30);
    assert_int_equal(c.max_num_of_threads, 64);
    assert_int_equal(c.default_stack_size, 8ull << 20);
    assert_int_equal(c.default_heap_size, 32ull << 20);
    assert_int_equal(c.chunk_size, 32ull << 20);
    assert_int_equal(c.log_level, LOG_WARN);
    assert_false(c.trace);
    assert_int_equal(c.env_count, 3);
    assert_string_equal(c.env[0], "PATH=/bin:/usr/bin");
    assert_string_equal(c.env[1], "HOME=/");
    assert_string_equal(c.env[2], "TERM=xterm");
    assert_int_equal(c.entry_point_count, 1);
    assert_string_equal(c.entry_points[0], "/bin");
    config_free(&c);
    config_free(&d);
    /* Whitespace and empty sections are fine too. */
    assert_int_equal(config_load_string("\n { \"process\": {}, \"log\": {} }\n\n", &c, err,
                                        sizeof(err)), 0);
    config_free(&c);
}

static void test_every_field(void **state)
{
    const char *json =
        "{\n"
        "  \"resource_limits\": { \"user_space_size\": \"2GB\", \"max_num_of_threads\": 128 },\n"
        "  \"process\": { \"default_stack_size\": \"256KB\", \"default_heap_size\": 1048576 },\n"
        "  \"vm\": { \"chunk_size\": \"4M\" },\n"
        "  \"env\": { \"default\": [\"PATH=/bin\", \"HOME=/root\", \"EMPTY=\"] },\n"
        "  \"entry_points\": [\"/bin\", \"/usr/local/bin\"],\n"
        "  \"log\": { \"level\": \"debug\", \"trace\": true }\n"
        "}\n";
    struct onespace_config c;
    char err[256];
    assert_int_equal(config_load_string(json, &c, err, sizeof(err)), 0);
    assert_int_equal(c.user_space_size, 2ull << 30);
    assert_int_equal(c.max_num_of_threads, 128);
    assert_int_equal(c.default_stack_size, 256ull << 10);
    assert_int_equal(c.default_heap_size, 1ull << 20);
    assert_int_equal(c.chunk_size, 4ull << 20);
    assert_int_equal(c.env_count, 3);
    assert_string_equal(c.env[0], "PATH=/bin");
    assert_string_equal(c.env[1], "HOME=/root");
    assert_string_equal(c.env[2], "EMPTY=");
    assert_int_equal(c.entry_point_count, 2);
    assert_string_equal(c.entry_points[1], "/usr/local/bin");
    assert_int_equal(c.log_level, LOG_DEBUG);
    assert_true(c.trace);

    struct runtime_opts o;
    memset(&o, 0, sizeof(o));
    o.no_fast_path = true;   /* not the config's: left alone */
    o.cwd = "/tmp";
    config_to_runtime_opts(&c, &o);
    assert_int_equal(o.user_space_size, 2ull << 30);
    assert_int_equal(o.chunk_size, 4ull << 20);
    assert_int_equal(o.default_stack_size, 256ull << 10);
    assert_int_equal(o.default_heap_size, 1ull << 20);
    assert_int_equal(o.max_threads, 128);
    assert_true(o.trace);
    assert_true(o.no_fast_path);
    assert_string_equal(o.cwd, "/tmp");
    assert_null(o.root);
    assert_null(o.argv);
    assert_null(o.envp);
    config_free(&c);

    /* An empty env.default is allowed: the guest gets no variables. */
    assert_int_equal(config_load_string("{\"env\":{\"default\":[]}}", &c, err, sizeof(err)), 0);
    assert_int_equal(c.env_count, 0);
    config_free(&c);
}

static void test_size_syntax(void **state)
{
    static const struct { const char *s; uint64_t v; } ok[] = {
        { "0", 0 },           { "4096", 4096 },          { "4096B", 4096 },
        { "512KB", 512 << 10 }, { "512kb", 512 << 10 },  { "512K", 512 << 10 },
        { "512k", 512 << 10 }, { "32MB", 32ull << 20 },  { "32mb", 32ull << 20 },
        { "32M", 32ull << 20 }, { "32Mb", 32ull << 20 }, { "1GB", 1ull << 30 },
        { "1g", 1ull << 30 },  { "64 GB", 64ull << 30 }, { "3b", 3 },
        { "17179869183G", 17179869183ull << 30 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t v = 1;
        assert_int_equal(size_parse(ok[i].s, &v), 0);
        assert_int_equal(v, ok[i].v);
    }
    static const char *const bad[] = { "", "MB", "-1", "1.5GB", "32 ", "32MiB", "32TB",
                                       " 32MB", "32MBs", "0x10", "1e6", "32 M B" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 7;
        assert_int_equal(size_parse(bad[i], &v), -EINVAL);
        assert_int_equal(v, 7);
    }
    uint64_t v;
    assert_int_equal(size_parse("18446744073709551616", &v), -ERANGE);
    assert_int_equal(size_parse("17179869184GB0", &v), -EINVAL);
    assert_int_equal(size_parse("17179869184G", &v), -ERANGE);
    assert_int_equal(size_parse("18446744073709551615", &v), 0);
    assert_int_equal(v, UINT64_MAX);

    char buf[32];
    assert_string_equal(size_format(1ull << 30, buf, sizeof(buf)), "1GB");
    assert_string_equal(size_format(3ull << 29, buf, sizeof(buf)), "1536MB");
    assert_string_equal(size_format(64 << 10, buf, sizeof(buf)), "64KB");
    assert_string_equal(size_format(4095, buf, sizeof(buf)), "4095");
    assert_string_equal(size_format(0, buf, sizeof(buf)), "0");
}

/* Each bad file and the exact one-line message. */
static const struct {
    const char *json;
    const char *msg;
} errors[] = {
    { "[]", "expected a JSON object at the top level" },
    { "42", "expected a JSON object at the top level" },
    { "{\"foo\": 1}",
      "foo: unknown key (known: resource_limits, process, vm, env, entry_points, log, feature)" },
    { "{\"process\": {\"default_mmap_size\": \"32MB\"}}",
      "process.default_mmap_size: not needed: onespace has no per-process mmap size (every "
      "mmap comes from the shared resource_limits.user_space_size); remove it" },
    { "{\"resource_limits\": {\"kernel_space_heap_size\": \"32MB\"}}",
      "resource_limits.kernel_space_heap_size: an Occlum setting onespace does not use; "
      "remove it" },
    { "{\"mount\": []}", "mount: an Occlum setting onespace does not use; remove it" },
    { "{\"env\": {\"untrusted\": [\"A=1\"]}}",
      "env.untrusted: not supported: the guest never sees the host environment; use "
      "env.default (or onespace run --env NAME=VALUE)" },
    { "{\"process\": 3}", "process: expected an object" },
    { "{\"resource_limits\": []}", "resource_limits: expected an object" },
    { "{\"vm\": null}", "vm: expected an object" },
    { "{\"env\": \"A=1\"}", "env: expected an object" },
    { "{\"log\": true}", "log: expected an object" },
    { "{\"process\": {\"default_heap_size\": \"lots\"}}",
      "process.default_heap_size: expected a size like \"32MB\"" },
    { "{\"process\": {\"default_heap_size\": true}}",
      "process.default_heap_size: expected a size like \"32MB\"" },
    { "{\"process\": {\"default_heap_size\": -4096}}",
      "process.default_heap_size: expected a size like \"32MB\"" },
    { "{\"process\": {\"default_heap_size\": 1.5}}",
      "process.default_heap_size: expected a size like \"32MB\"" },
    { "{\"process\": {\"default_heap_size\": \"99999999999999999999\"}}",
      "process.default_heap_size: size too large" },
    { "{\"process\": {\"default_heap_size\": \"100000\"}}",
      "process.default_heap_size: must be a multiple of 4KB (got 100000)" },
    { "{\"process\": {\"default_heap_size\": \"65GB\"}}",
      "process.default_heap_size: must be between 0 and 64GB (got 65GB)" },
    { "{\"process\": {\"stack\": 1}}",
      "process.stack: unknown key (known: default_stack_size, default_heap_size)" },
    { "{\"process\": {\"default_stack_size\": \"32KB\"}}",
      "process.default_stack_size: must be between 64KB and 1GB (got 32KB)" },
    { "{\"process\": {\"default_stack_size\": \"2GB\"}}",
      "process.default_stack_size: must be between 64KB and 1GB (got 2GB)" },
    { "{\"process\": {\"default_stack_size\": 70000}}",
      "process.default_stack_size: must be a multiple of 4KB (got 70000)" },
    { "{\"resource_limits\": {\"user_space_size\": \"8MB\"}}",
      "resource_limits.user_space_size: must be between 16MB and 64GB (got 8MB)" },
    { "{\"resource_limits\": {\"user_space_size\": \"65GB\"}}",
      "resource_limits.user_space_size: must be between 16MB and 64GB (got 65GB)" },
    { "{\"resource_limits\": {\"user_space_size\": [1]}}",
      "resource_limits.user_space_size: expected a size like \"32MB\"" },
    { "{\"resource_limits\": {\"max_num_of_threads\": 0}}",
      "resource_limits.max_num_of_threads: must be between 1 and 4096 (got 0)" },
    { "{\"resource_limits\": {\"max_num_of_threads\": 4097}}",
      "resource_limits.max_num_of_threads: must be between 1 and 4096 (got 4097)" },
    { "{\"resource_limits\": {\"max_num_of_threads\": \"64\"}}",
      "resource_limits.max_num_of_threads: expected an integer from 1 to 4096" },
    { "{\"resource_limits\": {\"threads\": 1}}",
      "resource_limits.threads: unknown key (known: user_space_size, max_num_of_threads)" },
    { "{\"vm\": {\"chunk_size\": \"3MB\"}}",
      "vm.chunk_size: must be a power of two between 1MB and 1GB (got 3MB)" },
    { "{\"vm\": {\"chunk_size\": \"512KB\"}}",
      "vm.chunk_size: must be a power of two between 1MB and 1GB (got 512KB)" },
    { "{\"vm\": {\"chunk_size\": \"2GB\"}}",
      "vm.chunk_size: must be a power of two between 1MB and 1GB (got 2GB)" },
    { "{\"vm\": {\"chunk\": \"2MB\"}}", "vm.chunk: unknown key (known: chunk_size)" },
    { "{\"resource_limits\": {\"user_space_size\": \"16MB\"}}",
      "vm.chunk_size: 32MB is larger than resource_limits.user_space_size (16MB)" },
    { "{\"resource_limits\": {\"user_space_size\": \"64MB\"}, \"process\": "
      "{\"default_heap_size\": \"60MB\"}}",
      "process: default_stack_size + default_heap_size (68MB) must be less than "
      "resource_limits.user_space_size (64MB)" },
    { "{\"env\": {\"default\": \"PATH=/bin\"}}",
      "env.default: expected an array of \"NAME=value\" strings" },
    { "{\"env\": {\"default\": [\"PATH=/bin\", \"NOVALUE\"]}}",
      "env.default[1]: expected \"NAME=value\"" },
    { "{\"env\": {\"default\": [\"=x\"]}}", "env.default[0]: expected \"NAME=value\"" },
    { "{\"env\": {\"default\": [3]}}", "env.default[0]: expected \"NAME=value\"" },
    { "{\"env\": {\"default\": [\"A=1\", \"B=2\", \"A=3\"]}}",
      "env.default[2]: A is already set by env.default[0]" },
    { "{\"env\": {\"other\": []}}", "env.other: unknown key (known: default)" },
    { "{\"entry_points\": \"/bin\"}",
      "entry_points: expected an array of absolute paths like \"/bin\"" },
    { "{\"entry_points\": [\"/bin\", \"bin\"]}",
      "entry_points[1]: expected an absolute path like \"/bin\"" },
    { "{\"entry_points\": [null]}", "entry_points[0]: expected an absolute path like \"/bin\"" },
    { "{\"entry_points\": []}", "entry_points: expected at least one absolute path like \"/bin\"" },
    { "{\"log\": {\"level\": \"loud\"}}",
      "log.level: expected one of \"error\", \"warn\", \"info\", \"debug\", \"trace\"" },
    { "{\"log\": {\"level\": 1}}",
      "log.level: expected one of \"error\", \"warn\", \"info\", \"debug\", \"trace\"" },
    { "{\"log\": {\"trace\": 1}}", "log.trace: expected true or false" },
    { "{\"log\": {\"file\": \"x\"}}", "log.file: unknown key (known: level, trace)" },
    /* The first error wins, in file order. */
    { "{\"log\": {\"trace\": 1}, \"foo\": 2}", "log.trace: expected true or false" },
};

static void test_errors_name_their_path(void **state)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        struct onespace_config c;
        char err[512];
        memset(&c, 0x5a, sizeof(c));
        int r = config_load_string(errors[i].json, &c, err, sizeof(err));
        if (r != -EINVAL || strcmp(err, errors[i].msg) != 0)
            fail_msg("case %zu: %s\n got %d '%s'\n want '%s'", i, errors[i].json, r, err,
                     errors[i].msg);
        assert_null(strchr(err, '\n'));
        /* Nothing to free on error. */
        assert_null(c.env);
        assert_null(c.entry_points);
        assert_int_equal(c.env_count, 0);
    }
}

static void test_malformed_json(void **state)
{
    struct onespace_config c;
    char err[512];
    assert_int_equal(config_load_string("{\n  \"process\": {\n    \"default_heap_size\" \"1MB\"\n",
                                        &c, err, sizeof(err)), -EINVAL);
    /* json-c's text, with where it stopped. */
    assert_non_null(strstr(err, "line 3"));
    assert_non_null(strstr(err, "invalid JSON: "));
    assert_null(strchr(err, '\n'));

    /* Truncated: json-c's own words for it. */
    char want[256];
    assert_int_equal(config_load_string("{\n\"a\": 1,\n", &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "line 3, column 1: invalid JSON: %s",
             json_tokener_error_desc(json_tokener_error_parse_eof));
    assert_string_equal(err, want);

    assert_int_equal(config_load_string("", &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want), "line 1, column 1: invalid JSON: %s",
             json_tokener_error_desc(json_tokener_error_parse_eof));
    assert_string_equal(err, want);

    assert_int_equal(config_load_string("{} {}", &c, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "invalid JSON: unexpected text after the top-level object");

    assert_int_equal(config_load_string("{\"a\": tru}", &c, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "line 1, column "));

    /* A short buffer truncates but stays a string. */
    char tiny[8];
    assert_int_equal(config_load_string("{\"foo\":1}", &c, tiny, sizeof(tiny)), -EINVAL);
    assert_int_equal(strlen(tiny), 7);
}

static char tmpdir[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_file(void **state)
{
    char path[128], err[512];
    struct onespace_config c;
    strcpy(tmpdir, "/tmp/onespace-cfg-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/onespace.json", tmpdir);

    assert_int_equal(config_load_file(path, &c, err, sizeof(err)), -ENOENT);
    char want[512];
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    assert_string_equal(err, want);

    write_file(path, "{ \"vm\": { \"chunk_size\": \"33MB\" } }");
    assert_int_equal(config_load_file(path, &c, err, sizeof(err)), -EINVAL);
    snprintf(want, sizeof(want),
             "%s: vm.chunk_size: must be a power of two between 1MB and 1GB (got 33MB)", path);
    assert_string_equal(err, want);

    write_file(path, "{ \"vm\": { \"chunk_size\": \"64MB\" } }\n");
    assert_int_equal(config_load_file(path, &c, err, sizeof(err)), 0);
    assert_int_equal(c.chunk_size, 64ull << 20);
    config_free(&c);

    /* A directory is not a config file. */
    assert_int_equal(config_load_file(tmpdir, &c, err, sizeof(err)), -EISDIR);

    /* Too large. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputc('{', f);
    for (unsigned i = 0; i < CONFIG_MAX_FILE_SIZE; i++)
        fputc(' ', f);
    fputc('}', f);
    fclose(f);
    assert_int_equal(config_load_file(path, &c, err, sizeof(err)), -EFBIG);

    unlink(path);
    rmdir(tmpdir);
}

static void test_generated_json_round_trips(void **state)
{
    const char *json =
        "{ \"resource_limits\": { \"user_space_size\": \"3GB\", \"max_num_of_threads\": 7 },"
        "  \"process\": { \"default_stack_size\": \"68KB\", \"default_heap_size\": 0 },"
        "  \"vm\": { \"chunk_size\": \"1GB\" },"
        "  \"env\": { \"default\": [\"A=1\", \"Q=\\\"x/y\\\"\"] },"
        "  \"entry_points\": [\"/\"],"
        "  \"log\": { \"level\": \"trace\", \"trace\": true } }";
    struct onespace_config a, b;
    char err[256];
    assert_int_equal(config_load_string(json, &a, err, sizeof(err)), 0);
    char *text = config_to_json(&a);
    assert_non_null(text);
    assert_null(strstr(text, "\\/"));          /* paths stay readable */
    assert_non_null(strstr(text, "\"68KB\""));
    assert_int_equal(config_load_string(text, &b, err, sizeof(err)), 0);
    assert_config_equal(&a, &b);
    free(text);
    config_free(&a);
    config_free(&b);

    /* The defaults' text names every field. */
    assert_int_equal(config_defaults(&a), 0);
    text = config_to_json(&a);
    static const char *const fields[] = {
        "\"resource_limits\"", "\"user_space_size\": \"1GB\"", "\"max_num_of_threads\": 64",
        "\"process\"", "\"default_stack_size\": \"8MB\"", "\"default_heap_size\": \"32MB\"",
        "\"vm\"", "\"chunk_size\": \"32MB\"", "\"env\"", "\"default\"", "\"entry_points\"",
        "\"log\"", "\"level\": \"warn\"", "\"trace\": false",
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (!strstr(text, fields[i]))
            fail_msg("missing %s in\n%s", fields[i], text);
    free(text);
    config_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_object_gives_defaults),
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_size_syntax),
        cmocka_unit_test(test_errors_name_their_path),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_generated_json_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
