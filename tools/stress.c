/* onespace-stress: the stress and soak run (docs/stress.md).
 *
 *   onespace-stress [--seconds N] [--seed S] [--procs P] [--threads T]
 *                   [--watchdog W] [--libc glibc|musl|both] [--guest-dir DIR]
 *
 * Runs the guest tests/guest/stress.c inside onespace, in this process, for
 * N seconds (split between a glibc pid 1 and a musl pid 1 with --libc both;
 * the workers alternate both libcs either way), with the watchdog on. A
 * short warm-up run comes first. Fails (exit 1) unless
 *   - every run exits 0 (every worker checked its own results),
 *   - after each run the pool is entirely free (no chunk, VMA or shm
 *     segment left; the manager's invariants hold),
 *   - after the runs this process has as many host fds and host threads as
 *     after the warm-up, and the host allocator's bytes in use grew by at
 *     most the tolerance (onespace's own memory stays flat).
 * The watchdog ends the process with status 86 and every guest thread's
 * state if a thread stays in one syscall (or nothing happens) for W s. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entry/runtime.h"
#include "host/host_selfcheck.h"
#include "host/host_thread.h"

#ifndef STRESS_GUEST_DIR
#define STRESS_GUEST_DIR "."
#endif

#define GiB (1024UL * 1024 * 1024)
#define MiB (1024UL * 1024)

struct stress_opts {
    unsigned seconds, procs, threads, watchdog;
    unsigned long seed;
    const char *libc;
    const char *guest_dir;
    size_t mem_tolerance;
};

struct host_usage {
    int fds, threads;
    size_t heap;
};

static void usage_now(struct host_usage *u)
{
    u->fds = host_count_fds();
    u->threads = host_count_threads();
    u->heap = host_malloc_in_use();
}

/* Guest host threads end just after the runtime hears of their exit: give
 * them a moment to be gone from /proc/self/task. */
static int settle_threads(int want)
{
    int n = host_count_threads();
    for (int i = 0; i < 200 && n > want; i++) {
        host_sleep_ns(10 * 1000 * 1000);
        n = host_count_threads();
    }
    return n;
}

/* One instance: init SEED SECONDS PROCS THREADS OTHER. 0 if it passed. */
static int run_once(const struct stress_opts *so, const char *root, const char *init,
                    const char *other, unsigned seconds, unsigned procs, unsigned long seed)
{
    char s_seed[32], s_secs[16], s_procs[16], s_thr[16], init_path[64], other_path[64];
    snprintf(s_seed, sizeof s_seed, "%lu", seed);
    snprintf(s_secs, sizeof s_secs, "%u", seconds);
    snprintf(s_procs, sizeof s_procs, "%u", procs);
    snprintf(s_thr, sizeof s_thr, "%u", so->threads);
    snprintf(init_path, sizeof init_path, "/bin/%s", init);
    snprintf(other_path, sizeof other_path, "/bin/%s", other);
    char *argv[] = { init_path, "init", s_seed, s_secs, s_procs, s_thr, other_path, NULL };
    /* STRESS_ONLY (narrowing a failure down) passes through. */
    char only[64];
    const char *o_env = getenv("STRESS_ONLY");
    snprintf(only, sizeof only, "STRESS_ONLY=%s", o_env ? o_env : "mpesgtz");
    char *envp[] = { "PATH=/bin", "HOME=/", "LC_ALL=C", only, NULL };

    struct runtime_end_stats es;
    struct runtime_opts o;
    runtime_opts_defaults(&o);
    o.root = root;
    o.argv = argv;
    o.envp = envp;
    /* Dozens of processes with several threads (8 MiB stacks, glibc's
     * per-thread malloc arenas): a big pool (reserved, not committed). */
    o.user_space_size = 16 * GiB;
    o.default_heap_size = 8 * MiB;
    o.max_threads = 1024;
    o.watchdog_seconds = so->watchdog;
    o.end_stats = &es;
    printf("stress: run %s (workers also %s): seed %lu, %u s, %u processes x %u threads\n",
           init, other, seed, seconds, procs, so->threads);
    fflush(stdout);
    int status = runtime_run(&o);
    int fail = 0;
    if (status != 0) {
        printf("stress: FAIL: the instance exited with %d\n", status);
        fail = 1;
    }
    if (es.pool_free_bytes != es.pool_total_bytes || es.nr_chunks || es.nr_vmas ||
        es.nr_shm_segments || es.check) {
        printf("stress: FAIL: pool not free after the run: %zu of %zu bytes free, %zu chunks, "
               "%zu VMAs, %zu shm segments, check %d\n", es.pool_free_bytes,
               es.pool_total_bytes, es.nr_chunks, es.nr_vmas, es.nr_shm_segments, es.check);
        fail = 1;
    } else {
        printf("stress: pool free again (%zu bytes, no chunk, VMA or shm segment left)\n",
               es.pool_total_bytes);
    }
    fflush(stdout);
    return fail;
}

static int parse(int argc, char **argv, struct stress_opts *so)
{
    static const struct option lo[] = {
        { "seconds", required_argument, NULL, 'n' },
        { "seed", required_argument, NULL, 's' },
        { "procs", required_argument, NULL, 'p' },
        { "threads", required_argument, NULL, 't' },
        { "watchdog", required_argument, NULL, 'w' },
        { "libc", required_argument, NULL, 'l' },
        { "guest-dir", required_argument, NULL, 'g' },
        { "mem-tolerance", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *so = (struct stress_opts){ .seconds = 20, .procs = 24, .threads = 4, .watchdog = 20,
                                .seed = (unsigned long)time(NULL), .libc = "both",
                                .guest_dir = STRESS_GUEST_DIR, .mem_tolerance = 2 * MiB };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'n': so->seconds = (unsigned)strtoul(optarg, NULL, 10); break;
        case 's': so->seed = strtoul(optarg, NULL, 10); break;
        case 'p': so->procs = (unsigned)strtoul(optarg, NULL, 10); break;
        case 't': so->threads = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'w': so->watchdog = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'l': so->libc = optarg; break;
        case 'g': so->guest_dir = optarg; break;
        case 'm': so->mem_tolerance = strtoul(optarg, NULL, 10) * 1024; break;
        default:
            fprintf(stderr, "usage: onespace-stress [--seconds N] [--seed S] [--procs P] "
                            "[--threads T] [--watchdog W] [--libc glibc|musl|both] "
                            "[--guest-dir DIR] [--mem-tolerance KiB]\n");
            return c == 'h' ? 1 : -1;
        }
    }
    if (strcmp(so->libc, "glibc") && strcmp(so->libc, "musl") && strcmp(so->libc, "both")) {
        fprintf(stderr, "onespace-stress: --libc glibc, musl or both\n");
        return -1;
    }
    if (!so->seconds || !so->procs || !so->threads) {
        fprintf(stderr, "onespace-stress: --seconds, --procs and --threads must be > 0\n");
        return -1;
    }
    return 0;
}

/* IMAGE/bin/stress.{glibc,musl}, IMAGE/tmp. */
static int make_image(const struct stress_opts *so, char *dir, size_t len, bool *have_musl)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/onespace-stress.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int err = host_make_temp_dir(dir);
    if (err)
        return err;
    static const char *const libcs[] = { "glibc", "musl" };
    char from[PATH_MAX], to[PATH_MAX];
    if (snprintf(from, sizeof from, "%s/bin", dir) >= (int)sizeof from ||
        snprintf(to, sizeof to, "%s/tmp", dir) >= (int)sizeof to)
        return -ENAMETOOLONG;
    if ((err = host_make_dir(from, 0755)) || (err = host_make_dir(to, 01777)))
        return err;
    for (int i = 0; i < 2; i++) {
        if (snprintf(from, sizeof from, "%s/stress.%s", so->guest_dir, libcs[i]) >=
                (int)sizeof from ||
            snprintf(to, sizeof to, "%s/bin/stress.%s", dir, libcs[i]) >= (int)sizeof to)
            return -ENAMETOOLONG;
        err = host_copy_file(from, to, 0755);
        if (err && i == 1 && err == -ENOENT) {
            *have_musl = false;
            return 0;
        }
        if (err) {
            fprintf(stderr, "onespace-stress: %s: %s\n", from, strerror(-err));
            return err;
        }
    }
    *have_musl = true;
    return 0;
}

int main(int argc, char **argv)
{
    struct stress_opts so;
    int r = parse(argc, argv, &so);
    if (r)
        return r < 0 ? 2 : 0;
    char root[PATH_MAX];
    bool have_musl;
    int err = make_image(&so, root, sizeof root, &have_musl);
    if (err) {
        fprintf(stderr, "onespace-stress: cannot build the image: %s\n", strerror(-err));
        return 2;
    }
    const char *other = have_musl ? "stress.musl" : "stress.glibc";
    if (!have_musl)
        printf("stress: no stress.musl next to stress.glibc: glibc only\n");

    struct host_usage before, warm, after;
    usage_now(&before);
    int fail = 0;
    /* Warm-up: the first run creates what lives as long as the process
     * (lazy tables, the allocator's arenas): measure from after it. */
    fail |= run_once(&so, root, "stress.glibc", other, 1, 4, so.seed ^ 0x5eed);
    settle_threads(before.threads);
    usage_now(&warm);

    bool both = !strcmp(so.libc, "both") && have_musl;
    unsigned first = both ? (so.seconds + 1) / 2 : so.seconds;
    if (!strcmp(so.libc, "musl") && have_musl)
        fail |= run_once(&so, root, "stress.musl", "stress.glibc", so.seconds, so.procs, so.seed);
    else
        fail |= run_once(&so, root, "stress.glibc", other, first, so.procs, so.seed);
    if (both)
        fail |= run_once(&so, root, "stress.musl", "stress.glibc", so.seconds - first ?
                         so.seconds - first : 1, so.procs, so.seed + 1);

    settle_threads(warm.threads);
    usage_now(&after);
    printf("stress: host fds %d at start, %d after warm-up, %d at the end\n", before.fds,
           warm.fds, after.fds);
    printf("stress: host threads %d at start, %d after warm-up, %d at the end\n",
           before.threads, warm.threads, after.threads);
    printf("stress: host heap in use %zu at start, %zu after warm-up, %zu at the end "
           "(tolerance %zu)\n", before.heap, warm.heap, after.heap, so.mem_tolerance);
    if (after.fds != warm.fds || warm.fds != before.fds) {
        printf("stress: FAIL: host fds leaked\n");
        fail = 1;
    }
    if (after.threads != warm.threads || warm.threads != before.threads) {
        printf("stress: FAIL: host threads leaked\n");
        fail = 1;
    }
    if (after.heap > warm.heap + so.mem_tolerance) {
        printf("stress: FAIL: onespace's heap grew by %zu bytes\n", after.heap - warm.heap);
        fail = 1;
    }
    host_remove_tree(root);
    printf("stress: %s (seed %lu)\n", fail ? "FAILED" : "passed", so.seed);
    return fail;
}
