/* onespace's demo: a real multi-process program.
 *
 * The coordinator spawns WORKERS copies of itself with posix_spawn, each
 * with a pipe as stdin (its job) and a pipe as stdout (its answer). Every
 * worker reads its job line and DATA_MIB MiB of data into a buffer it
 * mallocs (and checksums it), counts the primes in its share of
 * [2, LIMIT) with two threads, and writes one line back. The coordinator
 * waits for the answers with epoll as they come, reads each worker's
 * memory use from /proc/<pid>/status (VmPeak, VmSize) while the worker is
 * still alive, then lets it go (EOF on its stdin), reaps it with waitpid,
 * and checks every answer against its own computation. Everything here
 * runs unchanged on Linux; inside onespace all processes share one
 * address space and one memory pool. */
#define _GNU_SOURCE
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
#define DATA_MIB 16                 /* through each worker's job pipe */
#define BLOCK (64 * 1024)

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


/* The data byte at offset i for worker w, and the checksum both sides
 * compute (FNV-1a). */
static unsigned char data_byte(unsigned long i, int w)
{
    return (unsigned char)(i * 131 + (i >> 12) + (unsigned long)w);
}

static unsigned long checksum(const unsigned char *p, size_t n, unsigned long h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211UL;
    return h;
}
#define CHECKSUM_INIT 14695981039346656037UL

static int read_full(int fd, void *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int worker(void)
{
    /* The job line, read byte by byte: the data follows it in the pipe. */
    char line[64];
    size_t len = 0;
    while (len < sizeof line - 1 && read(0, &line[len], 1) == 1 && line[len] != '\n')
        len++;
    line[len] = 0;
    unsigned long lo, hi;
    int w;
    if (sscanf(line, "%d %lu %lu", &w, &lo, &hi) != 3)
        return 2;
    size_t size = (size_t)DATA_MIB << 20;
    unsigned char *data = malloc(size);     /* a large malloc: an mmap */
    if (!data || read_full(0, data, size) != 0)
        return 3;
    unsigned long sum = checksum(data, size, CHECKSUM_INIT);
    printf("%d %d %lu %lu %lu %lx\n", getpid(), w, lo, hi, primes_in(lo, hi), sum);
    fflush(stdout);
    /* Stay alive until the coordinator has read our memory use (EOF). */
    char c;
    while (read(0, &c, 1) > 0)
        ;
    free(data);
    return 0;
}

/* Worker w's data: sent through its pipe, or only checksummed. */
static int make_data(int fd, int w, unsigned long *sum)
{
    static unsigned char block[BLOCK];
    unsigned long h = CHECKSUM_INIT;
    for (unsigned long off = 0; off < ((unsigned long)DATA_MIB << 20); off += BLOCK) {
        for (unsigned long i = 0; i < BLOCK; i++)
            block[i] = data_byte(off + i, w);
        h = checksum(block, BLOCK, h);
        for (size_t done = 0; fd >= 0 && done < BLOCK;) {
            ssize_t r = write(fd, block + done, BLOCK - done);
            if (r <= 0)
                return -1;
            done += (size_t)r;
        }
    }
    *sum = h;
    return 0;
}

/* VmPeak and VmSize of a live process, in KiB, from /proc/<pid>/status. */
static void vm_of(pid_t pid, unsigned long *peak, unsigned long *size)
{
    char path[64], l[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    *peak = *size = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(l, sizeof l, f)) {
        sscanf(l, "VmPeak: %lu kB", peak);
        sscanf(l, "VmSize: %lu kB", size);
    }
    fclose(f);
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
    int job_fd[WORKERS], out[WORKERS];
    pid_t pids[WORKERS];
    unsigned long moved = 0;
    for (int i = 0; i < WORKERS; i++) {
        int job[2], ans[2];
        if (pipe2(job, O_CLOEXEC) || pipe2(ans, O_CLOEXEC))
            return 1;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, job[0], 0);
        posix_spawn_file_actions_adddup2(&fa, ans[1], 1);
        char *av[] = { argv[0], "worker", NULL };
        int r = posix_spawn(&pids[i], argv[0], &fa, NULL, av, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r) {
            fprintf(stderr, "posix_spawn: %s\n", strerror(r));
            return 1;
        }
        close(job[0]);
        close(ans[1]);
        job_fd[i] = job[1];
        out[i] = ans[0];
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (unsigned)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, ans[0], &ev);
        printf("  worker %d: pid %d, primes in [%lu, %lu), %d MiB of data\n", i, pids[i],
               LIMIT * i / WORKERS, LIMIT * (i + 1) / WORKERS, DATA_MIB);
    }
    /* Jobs and data; each worker reads its data while the next one's is
     * being written. */
    unsigned long want_sum[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "%d %lu %lu\n", i, LIMIT * i / WORKERS,
                         LIMIT * (i + 1) / WORKERS);
        if (write(job_fd[i], line, (size_t)n) != n || make_data(job_fd[i], i, &want_sum[i]))
            return 1;
        moved += (unsigned long)n + ((unsigned long)DATA_MIB << 20);
    }
    unsigned long total = 0;
    int bad = 0;
    for (int left = WORKERS; left > 0;) {
        struct epoll_event ev[WORKERS];
        int n = epoll_wait(ep, ev, WORKERS, -1);
        for (int k = 0; k < n; k++) {
            int i = (int)ev[k].data.u32;
            char line[128];
            ssize_t got = read(out[i], line, sizeof(line) - 1);
            if (got <= 0)
                continue;
            moved += (unsigned long)got;
            line[got] = 0;
            int wpid, w;
            unsigned long lo, hi, c, sum;
            if (sscanf(line, "%d %d %lu %lu %lu %lx", &wpid, &w, &lo, &hi, &c, &sum) == 6) {
                unsigned long peak, size;
                vm_of(pids[i], &peak, &size);
                int ok = w == i && sum == want_sum[i];
                bad |= !ok;
                printf("  answer from pid %d: %lu primes in [%lu, %lu), data %s; "
                       "memory: VmPeak %.1f MiB, VmSize %.1f MiB\n", wpid, c, lo, hi,
                       ok ? "checksum ok" : "CHECKSUM WRONG", peak / 1024.0, size / 1024.0);
                total += c;
                left--;
            }
            epoll_ctl(ep, EPOLL_CTL_DEL, out[i], NULL);
            close(job_fd[i]);       /* the worker may go now */
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
    printf("coordinator: %.1f MiB moved through pipes between %d processes\n",
           moved / 1048576.0, WORKERS + 1);
    printf("coordinator: %lu primes below %lu from %d processes (own check: %lu) in %.3f s\n",
           total, LIMIT, WORKERS, check, t1 - t0);
    if (total != check || bad) {
        fprintf(stderr, "MISMATCH\n");
        return 1;
    }
    printf("demo: ok\n");
    return 0;
}
