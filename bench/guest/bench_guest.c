/* Guest programs, natively and inside onespace, in the same run.
 *
 * Each program of bench/guest/programs/ (static-PIE, glibc; getpid also
 * musl) times its own loop and prints `ns_per_op V`, `mb_per_s V` or
 * `req_per_s V`. This driver copies them into a temporary image
 * (IMAGE/bin/), runs each one natively (IMAGE/bin/NAME) and as `onespace
 * run --root IMAGE -i /bin/NAME` with the same arguments, alternating,
 * ROUNDS times (or the figure's own count), and reports the best round of
 * each side (the machine is shared: the best round is the least disturbed
 * one):
 *   getpid_guest          raw getpid (ns)
 *   getpid_guest_musl     the same, musl
 *   mmap_munmap_4k_guest  anonymous 4 KiB mmap + munmap (ns)
 *   pipe_pingpong_proc    1-byte round trip between two processes (us)
 *   pipe_throughput_proc  2 GiB parent -> child, 128 KiB writes (MB/s)
 *   spawn_wait_empty      posix_spawn + waitpid of the empty program, 5,000
 *                         times, one round (us)
 *   epoll_server_16proc   16 client processes, one 64-byte request at a
 *                         time each, over pipes, served through one epoll
 *                         (requests/s)
 *   thread_create_join    pthread_create + pthread_join (us)
 *   startup_empty         wall time of a whole `onespace run` of the empty
 *                         program vs a native exec of it, median of 20 (ms)
 * BENCH_SCALE scales the counts. BENCH_ONESPACE overrides the onespace
 * binary. Exit status 1 if any run failed (the figure is then skipped). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define ROUNDS 3
#define STARTUP_RUNS 20
#define RUN_TIMEOUT_MS 300000         /* 5,000 spawns on a loaded machine */

extern char **environ;

static char image[PATH_MAX];            /* the temporary guest root */
static const char *onespace_bin = BENCH_ONESPACE;
static bool any_failed;

static const char *const programs[] = {
    "empty.glibc", "getpid.glibc", "mmap_munmap.glibc", "pipe_pingpong.glibc",
    "pipe_throughput.glibc", "spawn_wait.glibc", "thread_create_join.glibc",
    "epoll_server.glibc",
#if BENCH_GUEST_MUSL
    "getpid.musl",
#endif
};
#define NPROGRAMS (sizeof programs / sizeof programs[0])

/* ---- the image ---- */

static int copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (out < 0) {
        close(in);
        return -1;
    }
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            rc = -1;
            break;
        }
    if (n < 0)
        rc = -1;
    close(in);
    if (close(out) != 0)
        rc = -1;
    return rc;
}

static void image_path(char *dst, size_t size, const char *rel)
{
    snprintf(dst, size, "%s/%s", image, rel);
}

static void image_make(void)
{
    char p[PATH_MAX * 2], from[PATH_MAX];
    snprintf(image, sizeof image, "/tmp/onespace-bench-guest-XXXXXX");
    if (!mkdtemp(image)) {
        perror("bench_guest: mkdtemp");
        exit(1);
    }
    image_path(p, sizeof p, "bin");
    mkdir(p, 0755);
    image_path(p, sizeof p, "tmp");
    mkdir(p, 01777);
    chmod(p, 01777);
    for (size_t i = 0; i < NPROGRAMS; i++) {
        snprintf(from, sizeof from, "%s/%s", BENCH_GUEST_DIR, programs[i]);
        snprintf(p, sizeof p, "%s/bin/%s", image, programs[i]);
        if (copy_file(from, p) != 0) {
            fprintf(stderr, "bench_guest: cannot copy %s into the image\n", from);
            exit(1);
        }
    }
}

static void image_remove(void)
{
    char p[PATH_MAX * 2];
    for (size_t i = 0; i < NPROGRAMS; i++) {
        snprintf(p, sizeof p, "%s/bin/%s", image, programs[i]);
        unlink(p);
    }
    image_path(p, sizeof p, "bin");
    rmdir(p);
    image_path(p, sizeof p, "tmp");
    rmdir(p);
    rmdir(image);
}

/* ---- running a program ---- */

/* Runs argv (stderr inherited, stdout captured into out), killing it after
 * RUN_TIMEOUT_MS. Returns its wait status, or -1. */
static int run_capture(char *const argv[], char *const envp[], char *out, size_t size)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    if (envp == environ)     /* onespace: its exit report (ONESPACE_STATS) too */
        posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    pid_t pid;
    int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (r != 0) {
        fprintf(stderr, "bench_guest: spawn %s: %s\n", argv[0], strerror(r));
        close(p[0]);
        return -1;
    }
    size_t len = 0;
    uint64_t deadline = bench_now_ns() + (uint64_t)RUN_TIMEOUT_MS * 1000000;
    bool timed_out = false;
    for (;;) {
        uint64_t now = bench_now_ns();
        if (now >= deadline) {
            timed_out = true;
            break;
        }
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        int n = poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            continue;
        char tmp[512];
        ssize_t got = read(p[0], tmp, sizeof tmp);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;                      /* EOF: the program (and its children) closed stdout */
        size_t keep = (size_t)got < size - 1 - len ? (size_t)got : size - 1 - len;
        memcpy(out + len, tmp, keep);
        len += keep;
    }
    out[len] = '\0';
    close(p[0]);
    if (timed_out) {
        fprintf(stderr, "bench_guest: %s timed out; killing it\n", argv[0]);
        kill(pid, SIGKILL);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return timed_out ? -1 : st;
}

static char *native_env[] = { "PATH=/bin", "LC_ALL=C", NULL };

/* argv for PROG (a name in IMAGE/bin) with ARGS, natively or in onespace;
 * the strings live in store. */
static void build_argv(bool in_onespace, const char *prog, char *const args[],
                       char *argv[], char store[][PATH_MAX + 64])
{
    int a = 0;
    if (in_onespace) {
        argv[a++] = (char *)onespace_bin;
        argv[a++] = "run";
        argv[a++] = "--root";
        argv[a++] = image;
        argv[a++] = "-i";
        argv[a++] = "--env";
        argv[a++] = "PATH=/bin";
        argv[a++] = "--env";
        argv[a++] = "LC_ALL=C";
        snprintf(store[0], sizeof store[0], "/bin/%s", prog);
    } else {
        snprintf(store[0], sizeof store[0], "%s/bin/%s", image, prog);
    }
    argv[a++] = store[0];
    for (int i = 0; args && args[i]; i++)
        argv[a++] = args[i];
    argv[a] = NULL;
}

/* The share of syscalls onespace's last run took on the fast path (its
 * exit report: "... NN.N% fast"), or -1. */
static double fast_share = -1;

static void read_fast_share(const char *out)
{
    const char *line = strstr(out, "onespace: fast path");
    const char *pct = line ? strstr(line, "% fast") : NULL;
    if (!pct)
        return;
    while (pct > line && (pct[-1] == '.' || (pct[-1] >= '0' && pct[-1] <= '9')))
        pct--;
    fast_share = strtod(pct, NULL);
}

/* Runs a guest program and reads its `KEY VALUE` line. */
static int run_guest(bool in_onespace, const char *prog, char *const args[], const char *key,
                     double *value)
{
    char *argv[24];
    char store[1][PATH_MAX + 64];
    char out[4096];
    build_argv(in_onespace, prog, args, argv, store);
    int st = run_capture(argv, in_onespace ? environ : native_env, out, sizeof out);
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_guest: %s %s failed (status %d)\n",
                in_onespace ? "onespace" : "native", prog,
                st < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    if (in_onespace)
        read_fast_share(out);
    size_t klen = strlen(key);
    for (char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (!strncmp(line, key, klen) && line[klen] == ' ') {
            *value = strtod(line + klen + 1, NULL);
            return 0;
        }
    fprintf(stderr, "bench_guest: %s %s printed no `%s` line\n",
            in_onespace ? "onespace" : "native", prog, key);
    return -1;
}

/* ---- figures ---- */

struct figure {
    const char *name;
    const char *prog;
    long count;            /* first argument, scaled */
    long min_count;
    bool spawns_empty;     /* second argument: the empty program's path */
    const char *key;       /* ns_per_op (lower is better), mb_per_s or req_per_s */
    double divisor;        /* ns -> unit */
    const char *unit;
    int rounds;            /* 0: ROUNDS */
};

static const struct figure figures[] = {
    { "getpid_guest", "getpid.glibc", 50000, 1000, false, "ns_per_op", 1, "ns", 0 },
#if BENCH_GUEST_MUSL
    { "getpid_guest_musl", "getpid.musl", 50000, 1000, false, "ns_per_op", 1, "ns", 0 },
#endif
    { "mmap_munmap_4k_guest", "mmap_munmap.glibc", 20000, 500, false, "ns_per_op", 1, "ns", 0 },
    { "pipe_pingpong_proc", "pipe_pingpong.glibc", 10000, 200, false, "ns_per_op", 1000, "us", 0 },
    /* Occlum's pipe_throughput: 2 GiB in 128 KiB writes. */
    { "pipe_throughput_proc", "pipe_throughput.glibc", 2048, 16, false, "mb_per_s", 1, "MB/s", 0 },
    /* Occlum's spawn_and_exit: 5,000 spawns; long enough for one round. */
    { "spawn_wait_empty", "spawn_wait.glibc", 5000, 10, true, "ns_per_op", 1000, "us", 1 },
    { "thread_create_join", "thread_create_join.glibc", 500, 20, false, "ns_per_op", 1000, "us", 0 },
    { "epoll_server_16proc", "epoll_server.glibc", 2000, 50, false, "req_per_s", 1, "req/s", 0 },
};

static void run_figure(const struct figure *f, double scale)
{
    long count = (long)((double)f->count * scale);
    if (count < f->min_count)
        count = f->min_count;
    char count_s[32], empty_native[PATH_MAX + 32];
    snprintf(count_s, sizeof count_s, "%ld", count);
    snprintf(empty_native, sizeof empty_native, "%s/bin/empty.glibc", image);
    bool higher = !strcmp(f->key, "mb_per_s") || !strcmp(f->key, "req_per_s");
    double best[2] = { 0, 0 };          /* [0] native, [1] onespace */
    fast_share = -1;
    for (int r = 0; r < (f->rounds ? f->rounds : ROUNDS); r++)
        for (int side = 0; side < 2; side++) {
            char *args[] = { count_s, NULL, NULL };
            if (f->spawns_empty)
                args[1] = side ? "/bin/empty.glibc" : empty_native;
            double v;
            if (run_guest(side == 1, f->prog, args, f->key, &v) != 0) {
                any_failed = true;
                return;
            }
            v /= f->divisor;
            if (r == 0 || (higher ? v > best[side] : v < best[side]))
                best[side] = v;
        }
    if (higher)
        bench_report_higher(f->name, best[1], best[0], f->unit);
    else
        bench_report_lower(f->name, best[1], best[0], f->unit);
    if (fast_share >= 0)
        printf("#   %s: %.1f%% of onespace's syscalls took the fast path\n", f->name,
               fast_share);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Wall time of the whole command, native exec vs `onespace run`. */
static void run_startup(double scale)
{
    int runs = (int)(STARTUP_RUNS * scale);
    if (runs < 3)
        runs = 3;
    double *t[2] = { calloc((size_t)runs, sizeof(double)), calloc((size_t)runs, sizeof(double)) };
    if (!t[0] || !t[1]) {
        fprintf(stderr, "bench_guest: out of memory\n");
        exit(1);
    }
    for (int r = -1; r < runs; r++)     /* round -1 warms the page cache */
        for (int side = 0; side < 2; side++) {
            char *argv[24];
            char store[1][PATH_MAX + 64];
            char out[256];
            build_argv(side == 1, "empty.glibc", NULL, argv, store);
            uint64_t t0 = bench_now_ns();
            int st = run_capture(argv, side ? environ : native_env, out, sizeof out);
            uint64_t t1 = bench_now_ns();
            if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "bench_guest: startup_empty %s run failed\n",
                        side ? "onespace" : "native");
                any_failed = true;
                goto out;
            }
            if (r >= 0)
                t[side][r] = (double)(t1 - t0) / 1e6;
        }
    qsort(t[0], (size_t)runs, sizeof(double), cmp_double);
    qsort(t[1], (size_t)runs, sizeof(double), cmp_double);
    bench_report_lower("startup_empty", t[1][runs / 2], t[0][runs / 2], "ms");
out:
    free(t[0]);
    free(t[1]);
}

int main(void)
{
    const char *o = getenv("BENCH_ONESPACE");
    if (o && *o)
        onespace_bin = o;
    if (access(onespace_bin, X_OK) != 0) {
        fprintf(stderr, "bench_guest: %s is not executable (build the onespace target)\n",
                onespace_bin);
        return 1;
    }
    double scale = bench_scale();
    setenv("ONESPACE_STATS", "1", 1);   /* the fast path's share, per figure */
    image_make();
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
        run_figure(&figures[i], scale);
    run_startup(scale);
    image_remove();
    return any_failed ? 1 : 0;
}
