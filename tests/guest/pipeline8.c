/* A shell-style pipeline of 8 processes moving 100 MiB: `source | stage 1
 * | ... | stage 6 | sink`. The program spawns itself (argv[0]) in every
 * role with posix_spawn: dup2 file actions put the pipes on fds 0/1, and
 * every pipe is O_CLOEXEC so no process keeps another's pipe end open (a
 * leaked write end would keep the sink from ever seeing EOF). The source
 * writes deterministic bytes, each middle stage transforms every byte in a
 * stage-dependent, order-sensitive way, and the sink sends the byte count
 * and an FNV-1a checksum back on a result pipe (its fd 3). The parent
 * computes the same checksum itself meanwhile, prints the sink's result,
 * waits for all 8 and prints their exit statuses. */
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

#define NPROC 8
#define STAGES (NPROC - 2)                  /* middle stages 1..6 */
#define TOTAL (100ull << 20)                /* bytes through the pipeline */
#define BLOCK (64 * 1024)                   /* read/write size */

extern char **environ;

static unsigned char buf[BLOCK];

/* Byte i of the source's stream: xorshift64 state advanced once per
 * 8 bytes, so the stream does not depend on how writes are cut. */
static void generate(unsigned char *out, size_t n, uint64_t *state)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        memcpy(out + i, &x, 8);
    }
}

/* Stage k's change to one byte. Not commutative across stages (add then
 * xor), so stages wired in the wrong order give another checksum. */
static inline unsigned char transform(unsigned char b, int k)
{
    return (unsigned char)((unsigned char)(b + 17 * k) ^ (unsigned char)(k << 4));
}

static void transform_block(unsigned char *p, size_t n, int k)
{
    for (size_t i = 0; i < n; i++)
        p[i] = transform(p[i], k);
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ull

static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        CHECK(w > 0, "write");
        p += w;
        n -= (size_t)w;
    }
}

static int role_source(void)
{
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (uint64_t sent = 0; sent < TOTAL; sent += BLOCK) {
        generate(buf, BLOCK, &state);
        write_all(1, buf, BLOCK);
    }
    return 0;
}

static int role_stage(int k)
{
    ssize_t r;
    while ((r = read(0, buf, BLOCK)) > 0) {
        transform_block(buf, (size_t)r, k);
        write_all(1, buf, (size_t)r);
    }
    CHECK(r == 0, "stage %d read", k);
    return 0;
}

static int role_sink(void)
{
    uint64_t h = FNV_INIT, got = 0;
    ssize_t r;
    while ((r = read(0, buf, BLOCK)) > 0) {
        h = fnv1a(h, buf, (size_t)r);
        got += (uint64_t)r;
    }
    CHECK(r == 0, "sink read");
    /* The result goes to the parent on fd 3 (a pipe of its own). */
    uint64_t res[2] = { got, h };
    write_all(3, (const unsigned char *)res, sizeof res);
    return 0;
}

/* What the sink must print, computed here in one process. */
static uint64_t expected_checksum(void)
{
    uint64_t state = 0x9e3779b97f4a7c15ull, h = FNV_INIT;
    unsigned char table[256];
    for (int b = 0; b < 256; b++) {
        unsigned char v = (unsigned char)b;
        for (int k = 1; k <= STAGES; k++)
            v = transform(v, k);
        table[b] = v;
    }
    for (uint64_t done = 0; done < TOTAL; done += BLOCK) {
        generate(buf, BLOCK, &state);
        for (size_t i = 0; i < BLOCK; i++)
            buf[i] = table[buf[i]];
        h = fnv1a(h, buf, BLOCK);
    }
    return h;
}

static pid_t spawn_role(const char *self, int in, int out, int res, const char *role,
                        const char *arg)
{
    posix_spawn_file_actions_t fa;
    CHECK(posix_spawn_file_actions_init(&fa) == 0, "file actions");
    if (in >= 0)
        CHECK(posix_spawn_file_actions_adddup2(&fa, in, 0) == 0, "adddup2 in");
    if (out >= 0)
        CHECK(posix_spawn_file_actions_adddup2(&fa, out, 1) == 0, "adddup2 out");
    if (res >= 0)
        CHECK(posix_spawn_file_actions_adddup2(&fa, res, 3) == 0, "adddup2 res");
    char *av[] = { (char *)self, (char *)role, (char *)arg, NULL };
    pid_t pid;
    int r = posix_spawn(&pid, self, &fa, NULL, av, environ);
    CHECK(r == 0, "posix_spawn %s: %s", role, strerror(r));
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        if (!strcmp(argv[1], "source"))
            return role_source();
        if (!strcmp(argv[1], "stage") && argc > 2)
            return role_stage(atoi(argv[2]));
        if (!strcmp(argv[1], "sink"))
            return role_sink();
        return 100;
    }
    const char *self = argv[0];

    /* pipes[i] joins process i to process i+1. */
    int pipes[NPROC - 1][2];
    for (int i = 0; i < NPROC - 1; i++)
        CHECK(pipe2(pipes[i], O_CLOEXEC) == 0, "pipe2");
    pid_t pids[NPROC];
    int result[2];
    CHECK(pipe2(result, O_CLOEXEC) == 0, "pipe2");
    pids[0] = spawn_role(self, -1, pipes[0][1], -1, "source", NULL);
    for (int k = 1; k <= STAGES; k++) {
        char arg[8];
        snprintf(arg, sizeof arg, "%d", k);
        pids[k] = spawn_role(self, pipes[k - 1][0], pipes[k][1], -1, "stage", arg);
    }
    pids[NPROC - 1] = spawn_role(self, pipes[NPROC - 2][0], -1, result[1], "sink", NULL);
    for (int i = 0; i < NPROC - 1; i++) {
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
    close(result[1]);
    OUT("spawned %d processes: source | %d stages | sink, %llu MiB", NPROC, STAGES,
        (unsigned long long)(TOTAL >> 20));

    /* The parent works while the pipeline runs. */
    uint64_t want = expected_checksum();
    uint64_t res[2];
    size_t have = 0;
    ssize_t r;
    while (have < sizeof res && (r = read(result[0], (char *)res + have, sizeof res - have)) > 0)
        have += (size_t)r;
    CHECK(have == sizeof res, "the sink's result: %zu bytes", have);
    CHECK(read(result[0], buf, 1) == 0, "EOF after the result");
    close(result[0]);
    OUT("sink: %llu bytes, fnv1a %016llx", (unsigned long long)res[0],
        (unsigned long long)res[1]);

    /* Reap in any order; report in pipeline order. */
    int status[NPROC];
    for (int n = 0; n < NPROC; n++) {
        int st;
        pid_t p = waitpid(-1, &st, 0);
        CHECK(p > 0, "waitpid");
        int i = 0;
        while (i < NPROC && pids[i] != p)
            i++;
        CHECK(i < NPROC, "waitpid returned a stranger");
        status[i] = st;
    }
    CHECK_ERR(waitpid(-1, NULL, 0), ECHILD);
    int bad = 0;
    for (int i = 0; i < NPROC; i++) {
        const char *role = i == 0 ? "source" : i == NPROC - 1 ? "sink" : "stage";
        if (WIFEXITED(status[i]))
            OUT("process %d (%s): exit %d", i, role, WEXITSTATUS(status[i]));
        else
            OUT("process %d (%s): signal %d", i, role, WTERMSIG(status[i]));
        bad |= !WIFEXITED(status[i]) || WEXITSTATUS(status[i]) != 0;
    }
    CHECK(!bad, "a pipeline process failed");
    CHECK(res[0] == TOTAL && res[1] == want, "want %llu bytes, fnv1a %016llx",
          (unsigned long long)TOTAL, (unsigned long long)want);
    OUT("checksum matches the parent's own computation");
    return 0;
}
