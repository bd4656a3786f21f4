/* onespace.json: the instance configuration (docs/config.md).
 *
 * Names follow Occlum.json where they mean the same thing. Every field has a
 * default, so "{}" is a valid file. Errors are one line naming the JSON path
 * of the bad value, e.g.
 *   process.default_heap_size: expected a size like "32MB"
 * (config_load_file prefixes the file name: "onespace.json: ..."). */
#ifndef ONESPACE_CLI_CONFIG_H
#define ONESPACE_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/log.h"

struct runtime_opts;

/* feature.dcap: which DCAP quote provider /dev/sgx uses (same order as
 * the runtime's runtime_opts.dcap_provider). */
enum config_dcap { CONFIG_DCAP_AUTO, CONFIG_DCAP_SIM, CONFIG_DCAP_INTEL, CONFIG_DCAP_OFF };

struct onespace_config {
    uint64_t user_space_size;       /* resource_limits.user_space_size */
    unsigned max_num_of_threads;    /* resource_limits.max_num_of_threads */
    uint64_t default_stack_size;    /* process.default_stack_size */
    uint64_t default_heap_size;     /* process.default_heap_size */
    uint64_t chunk_size;            /* vm.chunk_size */
    char **env;                     /* env.default: "NAME=value", owned */
    size_t env_count;
    char **entry_points;            /* entry_points: absolute guest paths, owned */
    size_t entry_point_count;
    enum log_level log_level;       /* log.level */
    bool trace;                     /* log.trace */
    enum config_dcap dcap;          /* feature.dcap */
};

/* Defaults (documented in docs/config.md). */
#define CONFIG_DEFAULT_USER_SPACE_SIZE  (1ull << 30)   /* 1GB */
#define CONFIG_DEFAULT_MAX_THREADS      64u
#define CONFIG_DEFAULT_STACK_SIZE       (8ull << 20)   /* 8MB */
#define CONFIG_DEFAULT_HEAP_SIZE        (32ull << 20)  /* 32MB */
#define CONFIG_DEFAULT_CHUNK_SIZE       (32ull << 20)  /* 32MB */
#define CONFIG_DEFAULT_LOG_LEVEL        LOG_WARN

/* Limits checked by the loader. */
#define CONFIG_MIN_USER_SPACE_SIZE      (16ull << 20)  /* 16MB */
#define CONFIG_MAX_USER_SPACE_SIZE      (64ull << 30)  /* 64GB */
#define CONFIG_MAX_THREADS_LIMIT        4096u
#define CONFIG_MIN_STACK_SIZE           (64ull << 10)  /* 64KB */
#define CONFIG_MAX_STACK_SIZE           (1ull << 30)   /* 1GB */
#define CONFIG_MIN_CHUNK_SIZE           (1ull << 20)   /* 1MB */
#define CONFIG_MAX_CHUNK_SIZE           (1ull << 30)   /* 1GB */
#define CONFIG_MAX_FILE_SIZE            (1u << 20)     /* onespace.json itself */

/* Fills every field with its default. Returns 0 or -ENOMEM. */
int config_defaults(struct onespace_config *c);

/* Frees what the config owns (env, entry_points) and zeroes it. */
void config_free(struct onespace_config *c);

/* Parses JSON text. 0 on success (*out filled; free with config_free), or
 * -EINVAL (bad content) / -ENOMEM with a one-line message in err. On error
 * *out is left zeroed (nothing to free). */
int config_load_string(const char *json, struct onespace_config *out,
                       char *err, size_t errlen);

/* Reads and parses a file; messages are prefixed with `path`. Besides
 * config_load_string's errors: -ENOENT etc. from reading, -EFBIG if the file
 * is larger than CONFIG_MAX_FILE_SIZE. */
int config_load_file(const char *path, struct onespace_config *out,
                     char *err, size_t errlen);

/* The config as pretty-printed JSON with every field (what `onespace init`
 * writes); malloc'ed, NULL on allocation failure. */
char *config_to_json(const struct onespace_config *c);

/* Overwrites the runtime_opts fields the config decides (sizes, threads,
 * trace) and leaves the others alone: start from runtime_opts_defaults() or
 * a zeroed struct, and set root, argv, envp, cwd yourself. Does not call
 * into the runtime. */
void config_to_runtime_opts(const struct onespace_config *c, struct runtime_opts *o);

/* Log level names: "error" "warn" "info" "debug" "trace". */
int config_log_level_parse(const char *s, enum log_level *out);
const char *config_log_level_name(enum log_level l);

#endif
