/* onespace's demo: a real multi-process program.
 *
 * The coordinator spawns WORKERS copies of itself with posix_spawn, each
 * with a pipe as stdin (its job) and a pipe as stdout (its answer). Every
 * worker counts the primes in its share of [2, LIMIT) with two threads,
 * in a buffer it mmaps, and writes one line back. The coordinator waits
 * for the answers with epoll as they come, reaps the workers with waitpid,
 * and checks the total against a count of its own. Everything here runs
 * unchanged on Linux; inside onespace all processes share one address
 * space and one memory pool. */
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 4
#define LIMIT 2000000UL

extern char **environ;

struct range {
    unsigned long lo, hi, count;
    unsigned char *sieve;   /* shared sieve of small primes */
    unsigned long small;
};

static void *count_primes(void *arg)
{
    struct range *r = arg;
    unsigned long n = 0;
    for (unsigned long x = r->lo; x < r->hi; x++) {
        int prime = x >= 2;
        for (unsigned long p = 2; prime && p * p <= x; p++)
            if (!r->sieve[p] && x % p == 0)
                prime = 0;
        n += prime;
    }
    r->count = n;
    return NULL;
}

static unsigned long primes_in(unsigned long lo, unsigned long hi)
{
    unsigned long small = 1;
    while (small * small < hi)
        small++;
    /* The sieve lives in an anonymous mapping: the memory manager's job. */
    unsigned char *sieve = mmap(NULL, small + 1, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sieve == MAP_FAILED)
        return 0;
    for (unsigned long p = 2; p * p <= small; p++)
        if (!sieve[p])
            for (unsigned long m = p * p; m <= small; m += p)
                sieve[m] = 1;
    unsigned long mid = lo + (hi - lo) / 2;
    struct range a = { lo, mid, 0, sieve, small }, b = { mid, hi, 0, sieve, small };
    pthread_t t;
    pthread_create(&t, NULL, count_primes, &b);
    count_primes(&a);
    pthread_join(t, NULL);
    munmap(sieve, small + 1);
    return a.count + b.count;
}

static int worker(void)
{
    unsigned long lo, hi;
    if (scanf("%lu %lu", &lo, &hi) != 2)
        return 2;
    printf("%d %lu %lu %lu\n", getpid(), lo, hi, primes_in(lo, hi));
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "worker"))
        return worker();
    double t0 = now();
    printf("coordinator: pid %d, spawning %d workers\n", getpid(), WORKERS);
    int ep = epoll_create1(0);
    int out[WORKERS];
    pid_t pids[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        int job[2], ans[2];
        if (pipe(job) || pipe(ans))
            return 1;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, job[0], 0);
        posix_spawn_file_actions_adddup2(&fa, ans[1], 1);
        posix_spawn_file_actions_addclose(&fa, job[1]);
        posix_spawn_file_actions_addclose(&fa, ans[0]);
        char *av[] = { argv[0], "worker", NULL };
        int r = posix_spawn(&pids[i], argv[0], &fa, NULL, av, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r) {
            fprintf(stderr, "posix_spawn: %s\n", strerror(r));
            return 1;
        }
        close(job[0]);
        close(ans[1]);
        dprintf(job[1], "%lu %lu\n", LIMIT * i / WORKERS, LIMIT * (i + 1) / WORKERS);
        close(job[1]);
        out[i] = ans[0];
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = ans[0] };
        epoll_ctl(ep, EPOLL_CTL_ADD, ans[0], &ev);
        printf("  worker %d: pid %d, primes in [%lu, %lu)\n", i, pids[i],
               LIMIT * i / WORKERS, LIMIT * (i + 1) / WORKERS);
    }
    unsigned long total = 0;
    for (int left = WORKERS; left > 0;) {
        struct epoll_event ev[WORKERS];
        int n = epoll_wait(ep, ev, WORKERS, -1);
        for (int k = 0; k < n; k++) {
            char line[128];
            ssize_t got = read(ev[k].data.fd, line, sizeof(line) - 1);
            if (got <= 0)
                continue;
            line[got] = 0;
            int wpid;
            unsigned long lo, hi, c;
            if (sscanf(line, "%d %lu %lu %lu", &wpid, &lo, &hi, &c) == 4) {
                printf("  answer from pid %d: %lu primes in [%lu, %lu)\n", wpid, c, lo, hi);
                total += c;
                left--;
            }
            epoll_ctl(ep, EPOLL_CTL_DEL, ev[k].data.fd, NULL);
        }
    }
    for (int i = 0; i < WORKERS; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        close(out[i]);
        if (!WIFEXITED(st) || WEXITSTATUS(st)) {
            fprintf(stderr, "worker %d failed (status %#x)\n", i, st);
            return 1;
        }
    }
    double t1 = now();
    unsigned long check = primes_in(0, LIMIT);
    printf("coordinator: %lu primes below %lu from %d processes (own check: %lu) in %.3f s\n",
           total, LIMIT, WORKERS, check, t1 - t0);
    if (total != check) {
        fprintf(stderr, "MISMATCH\n");
        return 1;
    }
    printf("demo: ok\n");
    return 0;
}
