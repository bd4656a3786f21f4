/* Memory manager benchmark: onespace's process_vm against native Linux (the
 * same calls as real syscalls in this process) and against a "flat"
 * manager (flat_vm.c: one linear free list, first fit, linear VMA list -
 * Occlum's pre-chunk style) to show how the two-level design scales.
 *
 * Figures (ns per iteration, lower is better; best of 3 rounds):
 *   mmap_munmap_4k_{1k,10k,100k}_maps   mmap(NULL, 4 KiB) + munmap with
 *   mmap_munmap_64k_{1k,10k,100k}_maps  1k/10k/100k other live mappings
 *   mmap_touch_munmap_4k_10k_maps       ... writing the page once
 *   *_flat                              the same, onespace vs flat
 *   mmap_munmap_4k_10k_maps_16proc      16 processes at once (see there)
 *   mprotect_split_merge                one page of a 64-page mapping to
 *                                       PROT_READ and back (2 calls)
 *   mremap_grow_1m                      mmap 1 MiB, mremap to 2 MiB
 *                                       (MAYMOVE), munmap 2 MiB
 * The other live mappings are real separate mappings for every manager:
 * one page each, MAP_PRIVATE and MAP_SHARED alternating (Linux cannot merge
 * them, nor can onespace), with a one-page hole after every 16 (so the
 * free lists have holes to search). They are all read-write: in onespace a
 * guest mapping whose host protection differs from its neighbour's costs a
 * host VMA, and all guests together get at most vm.max_map_count of those
 * (65530 by default) - 100k mappings with alternating protections, or with
 * a hole after each, do not fit. Native Linux can hold at most
 * vm.max_map_count mappings too: the native 100k figure uses as many as
 * that allows (printed). BENCH_SCALE scales iterations. */#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "flat_vm.h"
#include "util/compiler.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"

#define PA (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define ROUNDS 3
#define MiB (1024UL * 1024)
#define GiB (1024UL * MiB)

static int host_map_count(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    int n = 0, ch;
    if (!f)
        return -1;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

static void die(const char *what, long err)
{
    fprintf(stderr, "bench_vm: %s failed: %ld (host mappings: %d)\n", what, err, host_map_count());
    exit(1);
}

/* ---- the three managers behind one interface ------------------------- */

struct mgr {
    const char *name;
    void *ctx;
    long (*map)(void *ctx, size_t len, int prot, bool shared);
    int (*unmap)(void *ctx, uintptr_t addr, size_t len);
    int (*protect)(void *ctx, uintptr_t addr, size_t len, int prot);
    long (*remap)(void *ctx, uintptr_t addr, size_t old_len, size_t new_len);
};

static long nat_map(void *ctx, size_t len, int prot, bool shared)
{
    void *p = mmap(NULL, len, prot, shared ? MAP_SHARED | MAP_ANONYMOUS : PA, -1, 0);
    return p == MAP_FAILED ? -errno : (long)p;
}
static int nat_unmap(void *ctx, uintptr_t a, size_t len) { return munmap((void *)a, len) ? -errno : 0; }
static int nat_protect(void *ctx, uintptr_t a, size_t len, int prot)
{
    return mprotect((void *)a, len, prot) ? -errno : 0;
}
static long nat_remap(void *ctx, uintptr_t a, size_t old_len, size_t new_len)
{
    void *p = mremap((void *)a, old_len, new_len, MREMAP_MAYMOVE);
    return p == MAP_FAILED ? -errno : (long)p;
}

static long os_map(void *ctx, size_t len, int prot, bool shared)
{
    return process_vm_mmap(ctx, 0, len, prot, shared ? MAP_SHARED | MAP_ANONYMOUS : PA, NULL, 0);
}
static int os_unmap(void *ctx, uintptr_t a, size_t len) { return process_vm_munmap(ctx, a, len); }
static int os_protect(void *ctx, uintptr_t a, size_t len, int prot)
{
    return process_vm_mprotect(ctx, a, len, prot);
}
static long os_remap(void *ctx, uintptr_t a, size_t old_len, size_t new_len)
{
    return process_vm_mremap(ctx, a, old_len, new_len, MREMAP_MAYMOVE, 0);
}

static long flat_map(void *ctx, size_t len, int prot, bool shared)
{
    return flat_vm_mmap(ctx, len, prot);
}
static int flat_unmap(void *ctx, uintptr_t a, size_t len) { return flat_vm_munmap(ctx, a, len); }

static const struct mgr native_mgr = { "native", NULL, nat_map, nat_unmap, nat_protect, nat_remap };

static struct mgr onespace_mgr(struct process_vm *vm)
{
    return (struct mgr){ "onespace", vm, os_map, os_unmap, os_protect, os_remap };
}

static struct mgr flat_mgr(struct flat_vm *f)
{
    return (struct mgr){ "flat", f, flat_map, flat_unmap, NULL, NULL };
}

/* ---- background mappings --------------------------------------------- */

#define GROUP 16

/* n one-page mappings (private and shared alternating) with a one-page hole
 * after every GROUP of them; returns their addresses. The holes are pages
 * mapped as well, and unmapped at the end (the next mmap would take them). */
static uintptr_t *background(const struct mgr *m, size_t n)
{
    size_t total = n + n / GROUP;
    uintptr_t *a = malloc((total + 1) * sizeof(*a));
    for (size_t i = 0; i < total; i++) {
        long p = m->map(m->ctx, PAGE_SIZE, RW, i % 2);
        if (p < 0)
            die("background mmap", p);
        a[i] = (uintptr_t)p;
    }
    size_t k = 0;
    for (size_t i = 0; i < total; i++) {
        if (i % (GROUP + 1) == GROUP) {
            int r = m->unmap(m->ctx, a[i], PAGE_SIZE);
            if (r)
                die("background munmap", r);
        } else {
            a[k++] = a[i];
        }
    }
    return a;
}

/* ---- timed loops ------------------------------------------------------- */

static unsigned long iters(unsigned long n)
{
    double v = (double)n * bench_scale();
    return v < 20 ? 20 : (unsigned long)v;
}

/* ns per mmap + (touch) + munmap, best of ROUNDS. */
static double time_map_unmap(const struct mgr *m, size_t len, bool touch, unsigned long n)
{
    double best = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t t0 = bench_now_ns();
        for (unsigned long i = 0; i < n; i++) {
            long a = m->map(m->ctx, len, RW, false);
            if (a < 0)
                die("mmap", a);
            if (touch)
                *(volatile char *)a = 1;
            int r = m->unmap(m->ctx, (uintptr_t)a, len);
            if (r)
                die("munmap", r);
        }
        double ns = (double)(bench_now_ns() - t0) / (double)n;
        best = ns < best ? ns : best;
    }
    return best;
}

static double time_mprotect_split_merge(const struct mgr *m, unsigned long n)
{
    long a = m->map(m->ctx, 64 * PAGE_SIZE, RW, false);
    if (a < 0)
        die("mmap 64 pages", a);
    uintptr_t mid = (uintptr_t)a + 32 * PAGE_SIZE;
    double best = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t t0 = bench_now_ns();
        for (unsigned long i = 0; i < n; i++) {
            if (m->protect(m->ctx, mid, PAGE_SIZE, PROT_READ) ||
                m->protect(m->ctx, mid, PAGE_SIZE, RW))
                die("mprotect", -1);
        }
        double ns = (double)(bench_now_ns() - t0) / (double)n;
        best = ns < best ? ns : best;
    }
    m->unmap(m->ctx, (uintptr_t)a, 64 * PAGE_SIZE);
    return best;
}

static double time_mremap_grow(const struct mgr *m, unsigned long n)
{
    double best = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t t0 = bench_now_ns();
        for (unsigned long i = 0; i < n; i++) {
            long a = m->map(m->ctx, MiB, RW, false);
            if (a < 0)
                die("mmap 1 MiB", a);
            long b = m->remap(m->ctx, (uintptr_t)a, MiB, 2 * MiB);
            if (b < 0)
                die("mremap", b);
            if (m->unmap(m->ctx, (uintptr_t)b, 2 * MiB))
                die("munmap 2 MiB", -1);
        }
        double ns = (double)(bench_now_ns() - t0) / (double)n;
        best = ns < best ? ns : best;
    }
    return best;
}

/* ---- 1 process, 1k/10k/100k live mappings ------------------------------- */

static size_t native_map_limit(void)
{
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long v = 65530;
    if (f) {
        if (fscanf(f, "%ld", &v) != 1)
            v = 65530;
        fclose(f);
    }
    v -= 3000;      /* room for the process's own */
    return v > 2000 ? (size_t)v * GROUP / (GROUP + 1) : 1000;
}

enum { NATIVE, ONESPACE, FLAT };

/* Run fn(kind, live, out) in a forked child, so each manager has a process
 * of its own (host mappings of one would slow the others' host calls, and
 * all count against one vm.max_map_count). */
static void in_child(void (*fn)(int, size_t, double *), int kind, size_t live, double *out,
                     size_t nout)
{
    int fds[2];
    if (pipe(fds))
        die("pipe", -errno);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        double res[8] = { 0 };
        fn(kind, live, res);
        _exit(write(fds[1], res, nout * sizeof(double)) == (ssize_t)(nout * sizeof(double)) ? 0 : 1);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], out, nout * sizeof(double));
    int st;
    waitpid(pid, &st, 0);
    close(fds[0]);
    if (got != (ssize_t)(nout * sizeof(double)) || !WIFEXITED(st) || WEXITSTATUS(st))
        die("benchmark child", st);
}

/* out: 4 KiB, 64 KiB, 4 KiB touched (ns per mmap + munmap). */
static void measure_live(int kind, size_t live, double *out)
{
    struct user_space_vm *usv = NULL;
    struct process_vm *vm = NULL;
    struct flat_vm flat;
    struct mgr m = native_mgr;
    int err;
    unsigned long n;
    if (kind == ONESPACE) {
        struct user_space_vm_config cfg = { .user_space_size = 4 * GiB };
        if ((err = user_space_vm_create(&cfg, &usv)) || (err = process_vm_create(usv, 10, &vm)))
            die("onespace set-up", err);
        m = onespace_mgr(vm);
        n = iters(100000);
    } else if (kind == FLAT) {
        if ((err = flat_vm_create(&flat, 2 * (live + 64) * PAGE_SIZE + 64 * MiB)))
            die("flat_vm_create", err);
        m = flat_mgr(&flat);
        if (!flat_vm_fill(&flat, live, GROUP, RW))
            die("flat_vm_fill", 0);
        /* Its cost grows with the number of mappings. */
        n = iters(live >= 100000 ? 400 : live >= 10000 ? 4000 : 20000);
    } else {
        n = iters(20000);
    }
    if (kind != FLAT)
        free(background(&m, live));
    out[0] = time_map_unmap(&m, 4096, false, n);
    out[1] = time_map_unmap(&m, 65536, false, n);
    out[2] = kind == FLAT ? 0 : time_map_unmap(&m, 4096, true, n);
    if (usv && user_space_vm_check(usv))
        die("user_space_vm_check", -1);
}

static void bench_live_maps(size_t live, const char *tag)
{
    double os[3], nat[3], fl[3];
    size_t nat_live = live < native_map_limit() ? live : native_map_limit();
    if (nat_live < live)
        printf("# native: %zu live mappings instead of %zu (vm.max_map_count)\n", nat_live, live);
    in_child(measure_live, ONESPACE, live, os, 3);
    in_child(measure_live, NATIVE, nat_live, nat, 3);
    in_child(measure_live, FLAT, live, fl, 3);
    for (size_t k = 0; k < 2; k++) {
        char name[96];
        unsigned kib = k ? 64 : 4;
        snprintf(name, sizeof(name), "mmap_munmap_%uk_%s_maps", kib, tag);
        bench_report_lower(name, os[k], nat[k], "ns/op");
        snprintf(name, sizeof(name), "mmap_munmap_%uk_%s_maps_flat", kib, tag);
        bench_report_baseline(name, os[k], "flat", fl[k], "ns/op");
    }
    if (live == 10000)
        bench_report_lower("mmap_touch_munmap_4k_10k_maps", os[2], nat[2], "ns/op");
}

/* ---- 16 processes ------------------------------------------------------ */

/* onespace: 16 process_vms in one pool, each driven by its own host
 * thread. Native: 16 forked processes (own address spaces, like 16 guest
 * processes; 16 threads of one process would all queue on its mmap lock),
 * each single-threaded. Both have 10k live mappings per process and do the
 * same loop; the figure is wall time / all iterations (ns per op of the
 * whole machine), from the common start to the last finisher. */
#define NPROC 16

struct os_worker {
    struct mgr m;
    unsigned long n;
    pthread_barrier_t *bar;
    uint64_t end;
};

static void *os_worker_main(void *arg)
{
    struct os_worker *w = arg;
    pthread_barrier_wait(w->bar);
    for (unsigned long i = 0; i < w->n; i++) {
        long a = w->m.map(w->m.ctx, 4096, RW, false);
        if (a < 0)
            die("mmap (16 processes)", a);
        w->m.unmap(w->m.ctx, (uintptr_t)a, 4096);
    }
    w->end = bench_now_ns();
    return NULL;
}

static double onespace_16proc(struct user_space_vm *usv, size_t live, unsigned long n)
{
    struct process_vm *vms[NPROC];
    struct os_worker w[NPROC];
    pthread_t th[NPROC];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, NPROC + 1);
    for (int i = 0; i < NPROC; i++) {
        int err = process_vm_create(usv, 100 + i, &vms[i]);
        if (err)
            die("process_vm_create", err);
        w[i] = (struct os_worker){ onespace_mgr(vms[i]), n, &bar, 0 };
        free(background(&w[i].m, live));
        pthread_create(&th[i], NULL, os_worker_main, &w[i]);
    }
    pthread_barrier_wait(&bar);
    uint64_t t0 = bench_now_ns(), last = t0;
    for (int i = 0; i < NPROC; i++) {
        pthread_join(th[i], NULL);
        last = w[i].end > last ? w[i].end : last;
        process_vm_destroy(vms[i]);
    }
    pthread_barrier_destroy(&bar);
    return (double)(last - t0) / (double)(n * NPROC);
}

static double native_16proc(size_t live, unsigned long n)
{
    /* Shared page: children's finish times; pipes: ready and go. */
    uint64_t *ends = mmap(NULL, PAGE_SIZE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int ready[2], go[2];
    if (ends == MAP_FAILED || pipe(ready) || pipe(go))
        die("16proc setup", -errno);
    pid_t pids[NPROC];
    for (int i = 0; i < NPROC; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            close(ready[0]);
            close(go[1]);
            free(background(&native_mgr, live));
            char c = 1;
            if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 0)
                _exit(2);
            for (unsigned long k = 0; k < n; k++) {
                void *a = mmap(NULL, 4096, RW, PA, -1, 0);
                if (a == MAP_FAILED)
                    _exit(3);
                munmap(a, 4096);
            }
            ends[i] = bench_now_ns();
            _exit(0);
        }
    }
    close(ready[1]);
    close(go[0]);
    for (int i = 0; i < NPROC; i++) {
        char c;
        if (read(ready[0], &c, 1) != 1)
            die("16proc child setup", i);
    }
    uint64_t t0 = bench_now_ns(), last = t0;
    close(go[1]);   /* everyone starts */
    for (int i = 0; i < NPROC; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
            die("16proc child", st);
        last = ends[i] > last ? ends[i] : last;
    }
    close(ready[0]);
    munmap(ends, PAGE_SIZE);
    return (double)(last - t0) / (double)(n * NPROC);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    bench_live_maps(1000, "1k");
    bench_live_maps(10000, "10k");
    bench_live_maps(100000, "100k");

    struct user_space_vm *usv;
    struct user_space_vm_config cfg = { .user_space_size = 4 * GiB };
    int err = user_space_vm_create(&cfg, &usv);
    if (err)
        die("user_space_vm_create", err);
    unsigned long n16 = iters(10000);
    double t_nat = native_16proc(10000, n16), t_os = onespace_16proc(usv, 10000, n16);
    bench_report_lower("mmap_munmap_4k_10k_maps_16proc", t_os, t_nat, "ns/op");

    struct process_vm *vm;
    if ((err = process_vm_create(usv, 20, &vm)))
        die("process_vm_create", err);
    struct mgr os = onespace_mgr(vm);
    bench_report_lower("mprotect_split_merge", time_mprotect_split_merge(&os, iters(100000)),
                       time_mprotect_split_merge(&native_mgr, iters(50000)), "ns/op");
    bench_report_lower("mremap_grow_1m", time_mremap_grow(&os, iters(20000)),
                       time_mremap_grow(&native_mgr, iters(10000)), "ns/op");
    process_vm_destroy(vm);
    if (user_space_vm_check(usv))
        die("user_space_vm_check at the end", -1);
    user_space_vm_destroy(usv);
    return 0;
}
