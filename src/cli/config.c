/* onespace.json loading, validation and generation (see config.h). */
#include "cli/config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/size.h"
#include "entry/runtime.h"
#include "host/host_instance_fs.h"

#define PAGE_SIZE_4K 4096u

static const char *const default_env[] = { "PATH=/bin:/usr/bin", "HOME=/", "TERM=xterm" };
static const char *const default_entry_points[] = { "/bin" };
static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

/* ---- owned string arrays ---- */

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int strv_dup(const char *const *src, size_t n, char ***out)
{
    char **v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i] = strdup(src[i]);
        if (!v[i]) {
            strv_free(v, i);
            return -ENOMEM;
        }
    }
    *out = v;
    return 0;
}

int config_defaults(struct onespace_config *c)
{
    memset(c, 0, sizeof(*c));
    c->user_space_size = CONFIG_DEFAULT_USER_SPACE_SIZE;
    c->max_num_of_threads = CONFIG_DEFAULT_MAX_THREADS;
    c->default_stack_size = CONFIG_DEFAULT_STACK_SIZE;
    c->default_heap_size = CONFIG_DEFAULT_HEAP_SIZE;
    c->chunk_size = CONFIG_DEFAULT_CHUNK_SIZE;
    c->log_level = CONFIG_DEFAULT_LOG_LEVEL;
    c->trace = false;
    size_t ne = sizeof(default_env) / sizeof(default_env[0]);
    size_t np = sizeof(default_entry_points) / sizeof(default_entry_points[0]);
    if (strv_dup(default_env, ne, &c->env) < 0)
        return -ENOMEM;
    c->env_count = ne;
    if (strv_dup(default_entry_points, np, &c->entry_points) < 0) {
        config_free(c);
        return -ENOMEM;
    }
    c->entry_point_count = np;
    return 0;
}

void config_free(struct onespace_config *c)
{
    strv_free(c->env, c->env_count);
    strv_free(c->entry_points, c->entry_point_count);
    memset(c, 0, sizeof(*c));
}

int config_log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_TRACE; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *config_log_level_name(enum log_level l)
{
    return (unsigned)l <= LOG_TRACE ? level_names[l] : "?";
}

/* ---- validation ---- */

struct parser {
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, const char *path, const char *fmt, ...)
{
    int n = 0;
    if (path && *path)
        n = snprintf(p->err, p->errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* Keys that exist in Occlum.json but mean nothing here, with why. */
static const struct {
    const char *path;
    const char *why;
} foreign_keys[] = {
    { "process.default_mmap_size",
      "not needed: onespace has no per-process mmap size (every mmap comes "
      "from the shared resource_limits.user_space_size); remove it" },
    { "env.untrusted",
      "not supported: the guest never sees the host environment; use "
      "env.default (or onespace run --env NAME=VALUE)" },
    { "resource_limits.kernel_space_heap_size", NULL },
    { "resource_limits.kernel_space_heap_max_size", NULL },
    { "resource_limits.kernel_space_stack_size", NULL },
    { "metadata", NULL },
    { "mount", NULL },
    { "feature", NULL },
};

static int unknown_key(struct parser *p, const char *path, const char *known)
{
    for (size_t i = 0; i < sizeof(foreign_keys) / sizeof(foreign_keys[0]); i++) {
        if (strcmp(foreign_keys[i].path, path) == 0)
            return fail(p, path, "%s", foreign_keys[i].why
                                       ? foreign_keys[i].why
                                       : "an Occlum setting onespace does not use; remove it");
    }
    return fail(p, path, "unknown key (known: %s)", known);
}

static void join_path(char *buf, size_t len, const char *parent, const char *key)
{
    snprintf(buf, len, "%s%s%s", parent, *parent ? "." : "", key);
}

static int get_size(struct parser *p, const char *path, json_object *v, uint64_t *out)
{
    enum json_type t = json_object_get_type(v);
    if (t == json_type_int) {
        int64_t i = json_object_get_int64(v);
        if (i < 0)
            return fail(p, path, "expected a size like \"32MB\"");
        *out = (uint64_t)i;
        return 0;
    }
    if (t != json_type_string)
        return fail(p, path, "expected a size like \"32MB\"");
    int r = size_parse(json_object_get_string(v), out);
    if (r == -ERANGE)
        return fail(p, path, "size too large");
    if (r < 0)
        return fail(p, path, "expected a size like \"32MB\"");
    return 0;
}

static int check_range(struct parser *p, const char *path, uint64_t v, uint64_t lo,
                       uint64_t hi)
{
    char a[32], b[32], c[32];
    if (v < lo || v > hi)
        return fail(p, path, "must be between %s and %s (got %s)", size_format(lo, a, sizeof(a)),
                    size_format(hi, b, sizeof(b)), size_format(v, c, sizeof(c)));
    return 0;
}

static int check_page_multiple(struct parser *p, const char *path, uint64_t v)
{
    char a[32];
    if (v % PAGE_SIZE_4K)
        return fail(p, path, "must be a multiple of 4KB (got %s)", size_format(v, a, sizeof(a)));
    return 0;
}

static int expect_object(struct parser *p, const char *path, json_object *v)
{
    if (!json_object_is_type(v, json_type_object))
        return fail(p, path, "expected an object");
    return 0;
}

static int parse_resource_limits(struct parser *p, json_object *obj, struct onespace_config *c)
{
    char path[256];
    json_object_object_foreach(obj, key, v) {
        join_path(path, sizeof(path), "resource_limits", key);
        int r;
        if (strcmp(key, "user_space_size") == 0) {
            if ((r = get_size(p, path, v, &c->user_space_size)) < 0 ||
                (r = check_range(p, path, c->user_space_size, CONFIG_MIN_USER_SPACE_SIZE,
                                 CONFIG_MAX_USER_SPACE_SIZE)) < 0 ||
                (r = check_page_multiple(p, path, c->user_space_size)) < 0)
                return r;
        } else if (strcmp(key, "max_num_of_threads") == 0) {
            if (!json_object_is_type(v, json_type_int))
                return fail(p, path, "expected an integer from 1 to %u", CONFIG_MAX_THREADS_LIMIT);
            int64_t n = json_object_get_int64(v);
            if (n < 1 || n > CONFIG_MAX_THREADS_LIMIT)
                return fail(p, path, "must be between 1 and %u (got %lld)",
                            CONFIG_MAX_THREADS_LIMIT, (long long)n);
            c->max_num_of_threads = (unsigned)n;
        } else {
            return unknown_key(p, path, "user_space_size, max_num_of_threads");
        }
    }
    return 0;
}

static int parse_process(struct parser *p, json_object *obj, struct onespace_config *c)
{
    char path[256];
    json_object_object_foreach(obj, key, v) {
        join_path(path, sizeof(path), "process", key);
        int r;
        if (strcmp(key, "default_stack_size") == 0) {
            if ((r = get_size(p, path, v, &c->default_stack_size)) < 0 ||
                (r = check_range(p, path, c->default_stack_size, CONFIG_MIN_STACK_SIZE,
                                 CONFIG_MAX_STACK_SIZE)) < 0 ||
                (r = check_page_multiple(p, path, c->default_stack_size)) < 0)
                return r;
        } else if (strcmp(key, "default_heap_size") == 0) {
            if ((r = get_size(p, path, v, &c->default_heap_size)) < 0 ||
                (r = check_range(p, path, c->default_heap_size, 0,
                                 CONFIG_MAX_USER_SPACE_SIZE)) < 0 ||
                (r = check_page_multiple(p, path, c->default_heap_size)) < 0)
                return r;
        } else {
            return unknown_key(p, path, "default_stack_size, default_heap_size");
        }
    }
    return 0;
}

static int parse_vm(struct parser *p, json_object *obj, struct onespace_config *c)
{
    char path[256];
    json_object_object_foreach(obj, key, v) {
        join_path(path, sizeof(path), "vm", key);
        if (strcmp(key, "chunk_size") == 0) {
            int r = get_size(p, path, v, &c->chunk_size);
            if (r < 0)
                return r;
            uint64_t s = c->chunk_size;
            if (s < CONFIG_MIN_CHUNK_SIZE || s > CONFIG_MAX_CHUNK_SIZE || (s & (s - 1))) {
                char a[32];
                return fail(p, path, "must be a power of two between 1MB and 1GB (got %s)",
                            size_format(s, a, sizeof(a)));
            }
        } else {
            return unknown_key(p, path, "chunk_size");
        }
    }
    return 0;
}

/* Replaces the owned array (v, n) by the strings of JSON array `arr`, each
 * accepted by `check` first. */
static int take_strings(struct parser *p, const char *path, json_object *arr,
                        const char *expected_array,
                        int (*check)(const char *s, char **seen, size_t n, char *msg,
                                     size_t msglen),
                        char ***v, size_t *n)
{
    if (!json_object_is_type(arr, json_type_array))
        return fail(p, path, "%s", expected_array);
    size_t len = json_object_array_length(arr);
    char **out = calloc(len ? len : 1, sizeof(*out));
    if (!out) {
        fail(p, path, "out of memory");
        return -ENOMEM;
    }
    char epath[300];
    for (size_t i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
        char msg[160];
        const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e)
                                                                   : NULL;
        if (check(s, out, i, msg, sizeof(msg)) < 0) {
            strv_free(out, i);
            return fail(p, epath, "%s", msg);
        }
        out[i] = strdup(s);
        if (!out[i]) {
            strv_free(out, i);
            fail(p, path, "out of memory");
            return -ENOMEM;
        }
    }
    strv_free(*v, *n);
    *v = out;
    *n = len;
    return 0;
}

/* Check functions of take_strings: 0, or -EINVAL with a message. */
static int check_env_entry(const char *s, char **seen, size_t n, char *msg, size_t msglen)
{
    const char *eq = s ? strchr(s, '=') : NULL;
    if (!eq || eq == s) {
        snprintf(msg, msglen, "expected \"NAME=value\"");
        return -EINVAL;
    }
    size_t klen = (size_t)(eq - s);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(seen[i], s, klen + 1) == 0) {
            snprintf(msg, msglen, "%.*s is already set by env.default[%zu]",
                     (int)(klen > 64 ? 64 : klen), s, i);
            return -EINVAL;
        }
    }
    return 0;
}

static int check_entry_point(const char *s, char **seen, size_t n, char *msg, size_t msglen)
{
    if (!s || s[0] != '/') {
        snprintf(msg, msglen, "expected an absolute path like \"/bin\"");
        return -EINVAL;
    }
    return 0;
}

static int parse_env(struct parser *p, json_object *obj, struct onespace_config *c)
{
    char path[256];
    json_object_object_foreach(obj, key, v) {
        join_path(path, sizeof(path), "env", key);
        if (strcmp(key, "default") == 0) {
            int r = take_strings(p, path, v, "expected an array of \"NAME=value\" strings",
                                 check_env_entry, &c->env, &c->env_count);
            if (r < 0)
                return r;
        } else {
            return unknown_key(p, path, "default");
        }
    }
    return 0;
}

static int parse_log(struct parser *p, json_object *obj, struct onespace_config *c)
{
    char path[256];
    json_object_object_foreach(obj, key, v) {
        join_path(path, sizeof(path), "log", key);
        if (strcmp(key, "level") == 0) {
            if (!json_object_is_type(v, json_type_string) ||
                config_log_level_parse(json_object_get_string(v), &c->log_level) < 0)
                return fail(p, path,
                            "expected one of \"error\", \"warn\", \"info\", \"debug\", \"trace\"");
        } else if (strcmp(key, "trace") == 0) {
            if (!json_object_is_type(v, json_type_boolean))
                return fail(p, path, "expected true or false");
            c->trace = json_object_get_boolean(v);
        } else {
            return unknown_key(p, path, "level, trace");
        }
    }
    return 0;
}

static const char *const dcap_names[] = { "auto", "sim", "intel", "off" };

static int parse_feature(struct parser *p, json_object *obj, struct onespace_config *c)
{
    char path[256];
    json_object_object_foreach(obj, key, v) {
        join_path(path, sizeof(path), "feature", key);
        if (strcmp(key, "dcap") != 0)
            return unknown_key(p, path, "dcap");
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        size_t i = 0;
        while (i < sizeof(dcap_names) / sizeof(dcap_names[0]) && strcmp(s, dcap_names[i]))
            i++;
        if (i == sizeof(dcap_names) / sizeof(dcap_names[0]))
            return fail(p, path, "expected one of \"auto\", \"sim\", \"intel\", \"off\"");
        c->dcap = (enum config_dcap)i;
    }
    return 0;
}

static int parse_top(struct parser *p, json_object *root, struct onespace_config *c)
{
    if (!json_object_is_type(root, json_type_object))
        return fail(p, NULL, "expected a JSON object at the top level");
    json_object_object_foreach(root, key, v) {
        int r;
        if (strcmp(key, "resource_limits") == 0) {
            if ((r = expect_object(p, key, v)) < 0 || (r = parse_resource_limits(p, v, c)) < 0)
                return r;
        } else if (strcmp(key, "process") == 0) {
            if ((r = expect_object(p, key, v)) < 0 || (r = parse_process(p, v, c)) < 0)
                return r;
        } else if (strcmp(key, "vm") == 0) {
            if ((r = expect_object(p, key, v)) < 0 || (r = parse_vm(p, v, c)) < 0)
                return r;
        } else if (strcmp(key, "env") == 0) {
            if ((r = expect_object(p, key, v)) < 0 || (r = parse_env(p, v, c)) < 0)
                return r;
        } else if (strcmp(key, "log") == 0) {
            if ((r = expect_object(p, key, v)) < 0 || (r = parse_log(p, v, c)) < 0)
                return r;
        } else if (strcmp(key, "feature") == 0) {
            if ((r = expect_object(p, key, v)) < 0 || (r = parse_feature(p, v, c)) < 0)
                return r;
        } else if (strcmp(key, "entry_points") == 0) {
            r = take_strings(p, key, v, "expected an array of absolute paths like \"/bin\"",
                             check_entry_point, &c->entry_points, &c->entry_point_count);
            if (r < 0)
                return r;
            if (c->entry_point_count == 0)
                return fail(p, key, "expected at least one absolute path like \"/bin\"");
        } else {
            char path[256];
            join_path(path, sizeof(path), "", key);
            return unknown_key(p, path,
                               "resource_limits, process, vm, env, entry_points, log, feature");
        }
    }
    /* Checks between fields, once every field is known. */
    char a[32], b[32];
    if (c->chunk_size > c->user_space_size)
        return fail(p, "vm.chunk_size", "%s is larger than resource_limits.user_space_size (%s)",
                    size_format(c->chunk_size, a, sizeof(a)),
                    size_format(c->user_space_size, b, sizeof(b)));
    if (c->default_stack_size + c->default_heap_size >= c->user_space_size)
        return fail(p, "process",
                    "default_stack_size + default_heap_size (%s) must be less than "
                    "resource_limits.user_space_size (%s)",
                    size_format(c->default_stack_size + c->default_heap_size, a, sizeof(a)),
                    size_format(c->user_space_size, b, sizeof(b)));
    return 0;
}

int config_load_string(const char *json, struct onespace_config *out, char *err, size_t errlen)
{
    struct parser p = { .err = err, .errlen = errlen };
    if (errlen)
        err[0] = '\0';
    struct onespace_config c;
    if (config_defaults(&c) < 0) {
        memset(out, 0, sizeof(*out));
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    size_t len = strlen(json);
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        config_free(&c);
        memset(out, 0, sizeof(*out));
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    /* Include the NUL so a top-level number ("42") ends instead of waiting
     * for more digits. */
    json_object *root = json_tokener_parse_ex(tok, json, (int)len + 1);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    int r = 0;
    if (!root || jerr != json_tokener_success) {
        /* Line and column of where the tokener stopped. */
        unsigned line = 1, col = 1;
        for (size_t i = 0; i < end && i < len; i++) {
            if (json[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        if (jerr == json_tokener_continue || jerr == json_tokener_success)
            r = fail(&p, NULL, "line %u: invalid JSON: unexpected end of file", line);
        else
            r = fail(&p, NULL, "line %u, column %u: invalid JSON: %s", line, col,
                     json_tokener_error_desc(jerr));
    } else {
        size_t i = end;
        while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' ||
                           json[i] == '\r'))
            i++;
        if (i < len)
            r = fail(&p, NULL, "invalid JSON: unexpected text after the top-level object");
        else
            r = parse_top(&p, root, &c);
    }
    json_object_put(root);
    json_tokener_free(tok);
    if (r < 0) {
        config_free(&c);
        memset(out, 0, sizeof(*out));
        return r;
    }
    *out = c;
    return 0;
}

int config_load_file(const char *path, struct onespace_config *out, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    int r = host_instance_read_file(path, CONFIG_MAX_FILE_SIZE, &text, &len);
    if (r == -EFBIG) {
        snprintf(err, errlen, "%s: larger than %u bytes", path, CONFIG_MAX_FILE_SIZE);
        return r;
    }
    if (r < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(-r));
        return r;
    }
    if (strlen(text) != len) {
        free(text);
        snprintf(err, errlen, "%s: invalid JSON: contains a NUL byte", path);
        return -EINVAL;
    }
    char msg[512];
    r = config_load_string(text, out, msg, sizeof(msg));
    free(text);
    if (r < 0)
        snprintf(err, errlen, "%s: %s", path, msg);
    return r;
}

/* ---- generation ---- */

static json_object *size_string(uint64_t v)
{
    char buf[32];
    return json_object_new_string(size_format(v, buf, sizeof(buf)));
}

static json_object *string_array(char *const *v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < n; i++)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

char *config_to_json(const struct onespace_config *c)
{
    json_object *root = json_object_new_object();
    json_object *rl = json_object_new_object();
    json_object_object_add(rl, "user_space_size", size_string(c->user_space_size));
    json_object_object_add(rl, "max_num_of_threads",
                           json_object_new_int64((int64_t)c->max_num_of_threads));
    json_object_object_add(root, "resource_limits", rl);

    json_object *pr = json_object_new_object();
    json_object_object_add(pr, "default_stack_size", size_string(c->default_stack_size));
    json_object_object_add(pr, "default_heap_size", size_string(c->default_heap_size));
    json_object_object_add(root, "process", pr);

    json_object *vm = json_object_new_object();
    json_object_object_add(vm, "chunk_size", size_string(c->chunk_size));
    json_object_object_add(root, "vm", vm);

    json_object *env = json_object_new_object();
    json_object_object_add(env, "default", string_array(c->env, c->env_count));
    json_object_object_add(root, "env", env);

    json_object_object_add(root, "entry_points",
                           string_array(c->entry_points, c->entry_point_count));

    json_object *log = json_object_new_object();
    json_object_object_add(log, "level", json_object_new_string(config_log_level_name(c->log_level)));
    json_object_object_add(log, "trace", json_object_new_boolean(c->trace));
    json_object_object_add(root, "log", log);

    json_object *feature = json_object_new_object();
    json_object_object_add(feature, "dcap", json_object_new_string(dcap_names[c->dcap]));
    json_object_object_add(root, "feature", feature);

    const char *s = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out = NULL;
    if (s && asprintf(&out, "%s\n", s) < 0)
        out = NULL;
    json_object_put(root);
    return out;
}

void config_to_runtime_opts(const struct onespace_config *c, struct runtime_opts *o)
{
    o->user_space_size = (size_t)c->user_space_size;
    o->chunk_size = (size_t)c->chunk_size;
    o->default_stack_size = (size_t)c->default_stack_size;
    o->default_heap_size = (size_t)c->default_heap_size;
    o->max_threads = c->max_num_of_threads;
    o->trace = c->trace;
    o->dcap_provider = (int)c->dcap;
}
