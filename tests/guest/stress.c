/* The guest side of the stress/soak run (tools/onespace-stress.c,
 * docs/stress.md). One static-PIE program, built with glibc and musl, in
 * three roles chosen by argv[1]:
 *
 *   stress init SEED SECONDS NPROCS NTHREADS OTHER_PROGRAM
 *       pid 1: keeps NPROCS workers alive until SECONDS have passed
 *       (alternating this program and OTHER_PROGRAM, i.e. both libcs),
 *       respawning each one that exits, sends them SIGUSR1 and now and
 *       then SIGKILL, and reaps them. Exits 0 only if every worker exited
 *       0 (or died of the SIGKILL it was sent).
 *   stress worker SEED MILLISECONDS NTHREADS
 *       NTHREADS threads doing seeded random operations for a random part
 *       of MILLISECONDS (what is left of the run): mmap/munmap/mprotect/
 *       mremap/madvise with every page's contents checked, pipes (also between two threads), epoll with an
 *       eventfd and a pipe, spawn + wait of a leaf, signals to itself, a
 *       sibling thread and its parent, short-lived threads.
 *   stress leaf CODE
 *       touches a little memory and exits with CODE.
 *   stress block
 *       blocks in read() forever (the watchdog's test).
 *
 * STRESS_ONLY=<letters> limits the operations (see op_enabled).
 *
 * No call blocks for long (every wait has a timeout), so a thread that
 * stays in one syscall for seconds is a onespace bug: the watchdog
 * (ONESPACE_WATCHDOG) reports it. Any wrong result exits 1 with a message
 * naming the seed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PAGE 4096UL
#define MAX_REGIONS 12
#define MAX_THREADS 16
#define MAX_PROCS 128

static unsigned long g_seed;
static const char *g_self;

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf(stderr, "stress[%d] seed %lu: ", (int)getpid(), g_seed);       \
        fprintf(stderr, __VA_ARGS__);                                          \
        fprintf(stderr, " (errno %d)\n", errno);                               \
        exit(1);                                                               \
    } while (0)
#define ENSURE(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond))                                                           \
            FAIL(__VA_ARGS__);                                                 \
    } while (0)

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}
static unsigned rnd(uint64_t *s, unsigned n) { return (unsigned)(rng_next(s) % n); }

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static atomic_ulong sig_usr1, sig_usr2;
static void on_usr1(int s) { (void)s; atomic_fetch_add(&sig_usr1, 1); }
static void on_usr2(int s) { (void)s; atomic_fetch_add(&sig_usr2, 1); }

static void handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_usr1;
    ENSURE(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
    sa.sa_handler = on_usr2;
    ENSURE(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction");
}

static pid_t spawn(const char *prog, char *const argv[])
{
    pid_t pid;
    int err = posix_spawn(&pid, prog, NULL, NULL, argv, environ);
    if (err) {
        errno = err;
        return -1;
    }
    return pid;
}

/* waitpid that survives our own signal handlers. */
static pid_t wait_for(pid_t pid, int *status, int flags)
{
    pid_t r;
    do
        r = waitpid(pid, status, flags);
    while (r == -1 && errno == EINTR);
    return r;
}

/* ---- memory ------------------------------------------------------------ */

struct region {
    unsigned char *addr;
    size_t len;
    int prot;
    uint64_t tag;
};

/* Every page's first and last words carry (tag, page index). */
static void region_mark(struct region *r, size_t from_page)
{
    for (size_t p = from_page; p < r->len / PAGE; p++) {
        uint64_t *w = (uint64_t *)(r->addr + p * PAGE);
        w[0] = r->tag ^ p;
        w[PAGE / 8 - 1] = ~(r->tag ^ p);
    }
}

static void region_check(const struct region *r, const char *when)
{
    if (!(r->prot & PROT_READ))
        return;
    for (size_t p = 0; p < r->len / PAGE; p++) {
        const uint64_t *w = (const uint64_t *)(r->addr + p * PAGE);
        if (w[0] != (r->tag ^ p) || w[PAGE / 8 - 1] != ~(r->tag ^ p))
            FAIL("region %p+%zu page %zu corrupted after %s: %#llx %#llx", (void *)r->addr,
                 r->len, p, when, (unsigned long long)w[0],
                 (unsigned long long)w[PAGE / 8 - 1]);
    }
}

static size_t random_len(uint64_t *s)
{
    switch (rnd(s, 8)) {
    case 0: return (1 + rnd(s, 256)) * PAGE;        /* up to 1 MiB */
    case 1: return (64 + rnd(s, 1024)) * PAGE;      /* up to ~4 MiB */
    default: return (1 + rnd(s, 16)) * PAGE;
    }
}

static void op_mem(uint64_t *s, struct region *rg, int *n)
{
    int i = *n ? (int)rnd(s, (unsigned)*n) : 0;
    struct region *r = &rg[i];
    switch (*n ? rnd(s, 7) : 0) {
    case 0:                         /* mmap */
        if (*n == MAX_REGIONS)
            return;
        r = &rg[(*n)++];
        r->len = random_len(s);
        r->addr = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ENSURE(r->addr != MAP_FAILED, "mmap %zu", r->len);
        r->prot = PROT_READ | PROT_WRITE;
        r->tag = rng_next(s);
        for (size_t off = 0; off < r->len; off += PAGE)
            ENSURE(*(uint64_t *)(r->addr + off) == 0, "fresh mmap page not zero");
        region_mark(r, 0);
        return;
    case 1:                         /* munmap all, or the tail */
        region_check(r, "munmap");
        if (r->len > PAGE && rnd(s, 2)) {
            size_t keep = (1 + rnd(s, (unsigned)(r->len / PAGE - 1))) * PAGE;
            ENSURE(munmap(r->addr + keep, r->len - keep) == 0, "munmap tail");
            r->len = keep;
        } else {
            ENSURE(munmap(r->addr, r->len) == 0, "munmap");
            *r = rg[--(*n)];
        }
        return;
    case 2: {                       /* mprotect all (RW, R, NONE) */
        static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };
        int prot = prots[rnd(s, 3)];
        ENSURE(mprotect(r->addr, r->len, prot) == 0, "mprotect");
        r->prot = prot;
        region_check(r, "mprotect");
        return;
    }
    case 3: {                       /* mremap grow (may move) or shrink */
        if (r->prot != (PROT_READ | PROT_WRITE))
            return;
        size_t old = r->len;
        size_t len = rnd(s, 2) ? old + (1 + rnd(s, 64)) * PAGE : (old > PAGE ? old - PAGE : old);
        void *a = mremap(r->addr, old, len, MREMAP_MAYMOVE);
        ENSURE(a != MAP_FAILED, "mremap %zu -> %zu", old, len);
        r->addr = a;
        r->len = len;
        if (len > old) {
            for (size_t off = old; off < len; off += PAGE)
                ENSURE(*(uint64_t *)(r->addr + off) == 0, "mremap growth not zero");
            region_mark(r, old / PAGE);
        }
        region_check(r, "mremap");
        return;
    }
    case 4:                         /* madvise DONTNEED zeroes; mark again */
        if (r->prot != (PROT_READ | PROT_WRITE))
            return;
        ENSURE(madvise(r->addr, r->len, MADV_DONTNEED) == 0, "madvise");
        ENSURE(*(uint64_t *)r->addr == 0, "DONTNEED page not zero");
        region_mark(r, 0);
        return;
    default:
        region_check(r, "check");
        if (r->prot == (PROT_READ | PROT_WRITE)) {
            r->tag = rng_next(s);
            region_mark(r, 0);
        }
        return;
    }
}

/* ---- pipes, epoll ------------------------------------------------------ */

struct pump { int fd; size_t len; uint64_t seed; };

static void *pump_writer(void *arg)
{
    struct pump *p = arg;
    unsigned char buf[8192];
    uint64_t s = p->seed;           /* the stream's state at `done` */
    for (size_t done = 0; done < p->len;) {
        size_t n = p->len - done < sizeof buf ? p->len - done : sizeof buf;
        uint64_t t = s;
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(rng_next(&t) >> 24);
        ssize_t w = write(p->fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        ENSURE(w > 0, "pipe write");
        for (ssize_t i = 0; i < w; i++)     /* a short write goes on from there */
            rng_next(&s);
        done += (size_t)w;
    }
    close(p->fd);
    return NULL;
}

/* Where in the stream did the bytes we got come from (a lost, repeated
 * or foreign piece)? Says so and exits. */
static void pipe_mismatch(const struct pump *p, const unsigned char *got, size_t avail,
                          size_t at, size_t read_len)
{
    size_t span = 512 * 1024, n = avail < 32 ? avail : 32;
    unsigned char *stream = malloc(p->len);
    uint64_t s = p->seed;
    for (size_t i = 0; stream && i < p->len; i++)
        stream[i] = (unsigned char)(rng_next(&s) >> 24);
    long found = -1;
    for (size_t off = at > span ? at - span : 0; stream && off + n <= p->len && off < at + span;
         off++)
        if (memcmp(stream + off, got, n) == 0) {
            found = (long)off;
            break;
        }
    FAIL("pipe byte %zu of %zu wrong (read of %zu bytes); the next %zu bytes are the stream's "
         "at %ld", at, p->len, read_len, n, found);
}

static void op_pipe(uint64_t *s)
{
    int fd[2];
    ENSURE(pipe2(fd, O_CLOEXEC) == 0, "pipe2");
    if (rnd(s, 2)) {                /* small: write then read back */
        char out[4096], in[4096];
        size_t n = 1 + rnd(s, sizeof out);
        for (size_t i = 0; i < n; i++)
            out[i] = (char)rng_next(s);
        ENSURE(write(fd[1], out, n) == (ssize_t)n, "pipe write %zu", n);
        ssize_t r;
        do
            r = read(fd[0], in, sizeof in);
        while (r < 0 && errno == EINTR);
        ENSURE(r == (ssize_t)n && memcmp(in, out, n) == 0, "pipe read back");
        close(fd[1]);
        close(fd[0]);
        return;
    }
    /* large: a writer thread, we read and check the stream to EOF */
    struct pump p = { fd[1], 4096 + rnd(s, 512 * 1024), rng_next(s) | 1 };
    pthread_t t;
    ENSURE(pthread_create(&t, NULL, pump_writer, &p) == 0, "pthread_create");
    uint64_t check = p.seed;
    size_t got = 0;
    unsigned char buf[16384];
    for (;;) {
        ssize_t r = read(fd[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        ENSURE(r >= 0, "pipe read");
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != (unsigned char)(rng_next(&check) >> 24))
                pipe_mismatch(&p, buf + i, (size_t)(r - i), got + (size_t)i, (size_t)r);
        got += (size_t)r;
    }
    ENSURE(got == p.len, "pipe got %zu of %zu", got, p.len);
    pthread_join(t, NULL);
    close(fd[0]);
}

static void op_epoll(uint64_t *s)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    ENSURE(ep >= 0, "epoll_create1");
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ENSURE(efd >= 0, "eventfd");
    int pf[2];
    ENSURE(pipe2(pf, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2");
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
    ENSURE(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0, "epoll_ctl efd");
    ev.data.u32 = 2;
    ENSURE(epoll_ctl(ep, EPOLL_CTL_ADD, pf[0], &ev) == 0, "epoll_ctl pipe");
    struct epoll_event out[4];
    int n = epoll_wait(ep, out, 4, 0);
    ENSURE(n == 0 || (n == -1 && errno == EINTR), "epoll_wait idle: %d", n);
    unsigned which = 1 + rnd(s, 3);
    uint64_t one = 1;
    if (which & 1)
        ENSURE(write(efd, &one, 8) == 8, "eventfd write");
    if (which & 2)
        ENSURE(write(pf[1], "x", 1) == 1, "pipe write");
    unsigned seen = 0;
    for (int tries = 0; tries < 100 && seen != which; tries++) {
        n = epoll_wait(ep, out, 4, 100);
        if (n < 0 && errno == EINTR)
            continue;
        ENSURE(n >= 0, "epoll_wait");
        for (int i = 0; i < n; i++)
            seen |= out[i].data.u32;
    }
    ENSURE(seen == which, "epoll saw %u, want %u", seen, which);
    if (rnd(s, 2))                  /* close with the fds still registered */
        ENSURE(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL) == 0, "epoll_ctl del");
    close(pf[0]);
    close(pf[1]);
    close(efd);
    close(ep);
}

/* ---- processes, signals, threads ---------------------------------------- */

static void op_spawn(uint64_t *s)
{
    char code[16];
    int want = (int)rnd(s, 50);
    snprintf(code, sizeof code, "%d", want);
    char *argv[] = { (char *)g_self, "leaf", code, NULL };
    pid_t pid = spawn(g_self, argv);
    ENSURE(pid > 0, "posix_spawn leaf");
    int st;
    ENSURE(wait_for(pid, &st, 0) == pid, "waitpid leaf");
    ENSURE(WIFEXITED(st) && WEXITSTATUS(st) == want, "leaf status %#x, want exit %d", st, want);
}

static pid_t tids[MAX_THREADS];
static int nr_tids;

static void op_signal(uint64_t *s)
{
    switch (rnd(s, 3)) {
    case 0:
        ENSURE(kill(getpid(), SIGUSR1) == 0, "kill self");
        return;
    case 1: {
        pid_t tid = tids[rnd(s, (unsigned)nr_tids)];
        /* The sibling may have finished already: ESRCH is fine. */
        long r = syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
        ENSURE(r == 0 || errno == ESRCH, "tgkill");
        return;
    }
    default:
        ENSURE(kill(getppid(), SIGUSR2) == 0 || errno == ESRCH, "kill parent");
        return;
    }
}

static void *short_thread(void *arg)
{
    uint64_t s = (uintptr_t)arg | 1;
    struct region rg[MAX_REGIONS];
    int n = 0;
    for (int i = 0; i < 8; i++)
        op_mem(&s, rg, &n);
    for (int i = 0; i < n; i++)
        if (rg[i].prot & PROT_READ)
            region_check(&rg[i], "short thread");
    /* Leave half of them mapped: the process's exit must free them. */
    return (void *)(uintptr_t)n;
}

static void op_thread(uint64_t *s)
{
    pthread_t t;
    ENSURE(pthread_create(&t, NULL, short_thread, (void *)(uintptr_t)rng_next(s)) == 0,
           "pthread_create");
    void *ret;
    ENSURE(pthread_join(t, &ret) == 0, "pthread_join");
}

/* STRESS_ONLY=<letters> (for narrowing a failure down): only these kinds
 * of operation: m memory, p pipes, e epoll, s spawn, g signals,
 * t threads, z sleeps. */
static const char *only_ops;
static bool op_enabled(unsigned op)
{
    if (!only_ops)
        return true;
    char k = op < 60 ? 'm' : op < 70 ? 'p' : op < 78 ? 'e' : op < 82 ? 's' : op < 92 ? 'g'
           : op < 96 ? 't' : 'z';
    return strchr(only_ops, k) != NULL;
}

struct worker_thread {
    pthread_t t;
    uint64_t seed;
    uint64_t deadline;
    unsigned long ops;
    int index;
};

static void *worker_thread(void *arg)
{
    struct worker_thread *w = arg;
    tids[w->index] = (pid_t)syscall(SYS_gettid);
    uint64_t s = w->seed | 1;
    struct region rg[MAX_REGIONS];
    int n = 0;
    while (now_ns() < w->deadline) {
        unsigned op = rnd(&s, 100);
        if (!op_enabled(op))
            continue;
        if (op < 60)
            op_mem(&s, rg, &n);
        else if (op < 70)
            op_pipe(&s);
        else if (op < 78)
            op_epoll(&s);
        else if (op < 82)
            op_spawn(&s);
        else if (op < 92)
            op_signal(&s);
        else if (op < 96)
            op_thread(&s);
        else
            sleep_ms(rnd(&s, 3));
        w->ops++;
    }
    for (int i = 0; i < n; i++)
        region_check(&rg[i], "end");
    /* Unmap some, leave the rest to the exit. */
    for (int i = 0; i < n; i += 2)
        ENSURE(munmap(rg[i].addr, rg[i].len) == 0, "final munmap");
    return NULL;
}

static int worker_main(unsigned long seed, unsigned ms, unsigned nthreads)
{
    handlers();
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL | 1;
    if (nthreads > MAX_THREADS)
        nthreads = MAX_THREADS;
    /* A lifetime of 20%..100% of what is left of the run, so processes
     * come and go and the last ones end with it. */
    uint64_t life = (uint64_t)ms * 1000000ULL / 5 * (1 + rnd(&s, 5));
    uint64_t deadline = now_ns() + life;
    static struct worker_thread w[MAX_THREADS];
    nr_tids = (int)nthreads;
    for (unsigned i = 0; i < nthreads; i++) {
        tids[i] = (pid_t)syscall(SYS_gettid);
        w[i].seed = rng_next(&s);
        w[i].deadline = deadline;
        w[i].index = (int)i;
    }
    for (unsigned i = 1; i < nthreads; i++)
        ENSURE(pthread_create(&w[i].t, NULL, worker_thread, &w[i]) == 0, "pthread_create");
    worker_thread(&w[0]);
    for (unsigned i = 1; i < nthreads; i++)
        ENSURE(pthread_join(w[i].t, NULL) == 0, "pthread_join");
    return 0;
}

/* ---- init -------------------------------------------------------------- */

struct child { pid_t pid; bool killed; };

static int init_main(unsigned long seed, unsigned seconds, unsigned nprocs, unsigned nthreads,
                     const char *other)
{
    handlers();
    /* Workers inherit SIGUSR1 blocked until their handler is in place
     * (we signal them from the moment they exist). */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    if (nprocs > MAX_PROCS)
        nprocs = MAX_PROCS;
    uint64_t s = seed | 1;
    uint64_t deadline = now_ns() + (uint64_t)seconds * 1000000000ULL;
    static struct child kids[MAX_PROCS];
    unsigned long spawned = 0, reaped = 0, killed = 0, failed = 0, orphans_reaped = 0;
    char left[16], thr[16], sd[32];
    snprintf(thr, sizeof thr, "%u", nthreads);
    for (;;) {
        bool running = now_ns() < deadline;
        /* Keep every slot busy while the time lasts. */
        for (unsigned i = 0; running && i < nprocs; i++) {
            if (kids[i].pid)
                continue;
            const char *prog = (spawned & 1) ? other : g_self;
            snprintf(left, sizeof left, "%llu",
                     (unsigned long long)((deadline - now_ns()) / 1000000 + 1));
            snprintf(sd, sizeof sd, "%llu", (unsigned long long)rng_next(&s));
            char *argv[] = { (char *)prog, "worker", sd, left, thr, NULL };
            pid_t pid = spawn(prog, argv);
            ENSURE(pid > 0, "posix_spawn worker %s", prog);
            kids[i] = (struct child){ pid, false };
            spawned++;
        }
        /* Signals: SIGUSR1 often, SIGKILL about twice a second. */
        if (running) {
            struct child *c = &kids[rnd(&s, nprocs)];
            if (!c->pid || c->killed) {
            } else if (rnd(&s, 100) == 0) {
                ENSURE(kill(c->pid, SIGKILL) == 0, "kill SIGKILL");
                c->killed = true;
            } else {
                ENSURE(kill(c->pid, SIGUSR1) == 0, "kill SIGUSR1");
            }
        }
        int st;
        pid_t pid = wait_for(-1, &st, running ? WNOHANG : 0);
        if (pid < 0 && errno == ECHILD && !running)
            break;
        ENSURE(pid >= 0, "waitpid");
        if (pid == 0) {
            sleep_ms(5);
            continue;
        }
        unsigned i = 0;
        while (i < nprocs && kids[i].pid != pid)
            i++;
        if (i == nprocs) {
            /* As pid 1 we adopt the children of killed workers (their
             * leaves): reaping them is our job, as init's on Linux. */
            orphans_reaped++;
            continue;
        }
        reaped++;
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && kids[i].killed) {
            killed++;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "stress: worker %d ended with status %#x\n", (int)pid, st);
            failed++;
        }
        kids[i].pid = 0;
    }
    printf("stress: seed %lu: %lu workers spawned, %lu reaped, %lu killed, %lu failed, "
           "%lu orphans reaped, %lu SIGUSR2 received\n", seed, spawned, reaped, killed, failed,
           orphans_reaped, (unsigned long)atomic_load(&sig_usr2));
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    g_self = argv[0];
    only_ops = getenv("STRESS_ONLY");
    if (argc == 2 && strcmp(argv[1], "block") == 0) {
        /* For the watchdog's own test: a read nobody will ever answer. */
        int fd[2];
        char c;
        ENSURE(pipe(fd) == 0, "pipe");
        return (int)read(fd[0], &c, 1);
    }
    if (argc == 3 && strcmp(argv[1], "leaf") == 0) {
        size_t len = 16 * PAGE;
        unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ENSURE(p != MAP_FAILED, "leaf mmap");
        memset(p, 0x5a, len);
        return atoi(argv[2]);
    }
    if (argc == 5 && strcmp(argv[1], "worker") == 0) {
        g_seed = strtoul(argv[2], NULL, 10);
        return worker_main(g_seed, (unsigned)strtoul(argv[3], NULL, 10), (unsigned)atoi(argv[4]));
    }
    if (argc == 7 && strcmp(argv[1], "init") == 0) {
        g_seed = strtoul(argv[2], NULL, 10);
        return init_main(g_seed, (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]),
                         (unsigned)atoi(argv[5]), argv[6]);
    }
    fprintf(stderr, "usage: stress init SEED SECONDS NPROCS NTHREADS OTHER | "
                    "worker SEED SECONDS NTHREADS | leaf CODE\n");
    return 2;
}
