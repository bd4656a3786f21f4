/* Concurrency test of the memory manager (also built with ThreadSanitizer):
 * several processes x several threads doing random mmap/munmap/mprotect/
 * mremap/MAP_FIXED on their own mappings, brk on their process's heap and
 * SysV shm, each writing and re-checking the contents of what it owns,
 * while another thread keeps creating and destroying whole processes. At
 * the end every invariant holds and the pool is whole again.
 *
 * Threads of one process share its address space, so a thread only ever
 * touches ranges it got itself: its checks then hold whatever the others
 * do. ONESPACE_VM_CONC_SECONDS changes the time budget (default 3 s). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "vm/process_vm.h"
#include "vm/shm_manager.h"
#include "vm/user_space_vm.h"
#include "model/vmt_model.h"

#define P VMT_PAGE
#define MiB (1024UL * 1024)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)
#define NPROC 4
#define NTHR 4
#define MAX_MAPS 48
#define POOL (128 * MiB)    /* small: processes end up sharing chunks */
#define CHUNK (8 * MiB)
#define HEAP_MAX (2 * MiB)

static struct user_space_vm *usv;
static struct process_vm *procs[NPROC];
static atomic_bool failed;
static char fail_msg_buf[512];
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static double deadline;
static atomic_ulong total_ops, churned, enomem;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void failf(const char *fmt, ...)
{
    pthread_mutex_lock(&fail_lock);
    if (!atomic_load(&failed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(fail_msg_buf, sizeof(fail_msg_buf), fmt, ap);
        va_end(ap);
        atomic_store(&failed, true);
    }
    pthread_mutex_unlock(&fail_lock);
}

static bool running(void)
{
    return !atomic_load(&failed) && now_s() < deadline;
}

/* ---- one thread's mappings ---------------------------------------------- */

struct mapping {
    uintptr_t addr;
    size_t npages;
    int prot;
    uint64_t tag;       /* written into the first word of every tagged page */
    size_t ntagged;     /* pages [0, ntagged) carry the tag, the rest is zero */
};

struct worker {
    int proc, thr;
    struct process_vm *vm;
    uint64_t rng;
    struct mapping maps[MAX_MAPS];
    int nmaps;
    unsigned long ops;
    /* thread 0 of a process owns its heap */
    uintptr_t heap, brk;
    uint64_t heap_tag;
};

static void tag_pages(struct mapping *m, uint64_t tag)
{
    m->tag = tag;
    m->ntagged = m->npages < 8 ? m->npages : 8;
    for (size_t i = 0; i < m->ntagged; i++)
        *(volatile uint64_t *)(m->addr + i * P) = tag + i;
}

static bool verify(struct worker *w, const struct mapping *m, const char *when)
{
    if (!(m->prot & PROT_READ))
        return true;
    for (size_t i = 0; i < m->npages && i < 16; i++) {
        uint64_t want = i < m->ntagged ? m->tag + i : 0;
        uint64_t got = *(volatile uint64_t *)(m->addr + i * P);
        if (got != want) {
            failf("proc %d thread %d: page %zu of %#lx (%zu pages) holds %#llx, want %#llx "
                  "(%s)", w->proc, w->thr, i, (unsigned long)m->addr, m->npages,
                  (unsigned long long)got, (unsigned long long)want, when);
            return false;
        }
    }
    int want_access = (m->prot & PROT_WRITE) ? PROT_READ | PROT_WRITE : PROT_READ;
    int r = process_vm_check_access(w->vm, m->addr, m->npages * P, want_access);
    if (r) {
        failf("proc %d thread %d: check_access of its mapping %#lx = %d (%s)", w->proc, w->thr,
              (unsigned long)m->addr, r, when);
        return false;
    }
    return true;
}

static size_t pick_pages(struct worker *w)
{
    uint64_t r = vmt_below(&w->rng, 100);
    if (r < 70)
        return 1 + vmt_below(&w->rng, 8);
    if (r < 95)
        return 1 + vmt_below(&w->rng, 128);
    if (r < 99)
        return 1 + vmt_below(&w->rng, 1024);
    return CHUNK / P + vmt_below(&w->rng, 256);     /* a single-VMA chunk */
}

static void op_mmap(struct worker *w)
{
    if (w->nmaps == MAX_MAPS)
        return;
    size_t n = pick_pages(w);
    long a = process_vm_mmap(w->vm, 0, n * P, PROT_READ | PROT_WRITE, PA, NULL, 0);
    if (a == -ENOMEM) {
        atomic_fetch_add(&enomem, 1);
        return;     /* the pool is shared by everyone: it may be full */
    }
    if (a < 0) {
        failf("proc %d thread %d: mmap of %zu pages: %ld", w->proc, w->thr, n, a);
        return;
    }
    struct mapping *m = &w->maps[w->nmaps++];
    *m = (struct mapping){ (uintptr_t)a, n, PROT_READ | PROT_WRITE, 0, 0 };
    if (verify(w, m, "fresh mmap"))
        tag_pages(m, vmt_rand(&w->rng) & ~0xfffull);
}

static void drop(struct worker *w, int i)
{
    w->maps[i] = w->maps[--w->nmaps];
}

static void op_munmap(struct worker *w, int i)
{
    struct mapping *m = &w->maps[i];
    if (!verify(w, m, "before munmap"))
        return;
    if (m->npages > 1 && vmt_below(&w->rng, 3) == 0) {  /* unmap the tail half */
        size_t keep = m->npages / 2;
        int r = process_vm_munmap(w->vm, m->addr + keep * P, (m->npages - keep) * P);
        if (r)
            failf("munmap of a tail: %d", r);
        m->npages = keep;
        if (m->ntagged > keep)
            m->ntagged = keep;
        verify(w, m, "after partial munmap");
        return;
    }
    int r = process_vm_munmap(w->vm, m->addr, m->npages * P);
    if (r)
        failf("proc %d thread %d: munmap: %d", w->proc, w->thr, r);
    drop(w, i);
}

static void op_mprotect(struct worker *w, int i)
{
    struct mapping *m = &w->maps[i];
    int prot = vmt_below(&w->rng, 2) ? PROT_READ : PROT_NONE;
    int r = process_vm_mprotect(w->vm, m->addr, m->npages * P, prot);
    if (r) {
        failf("proc %d thread %d: mprotect: %d", w->proc, w->thr, r);
        return;
    }
    m->prot = prot;
    verify(w, m, "read-only");
    if (prot == PROT_NONE && process_vm_check_access(w->vm, m->addr, P, PROT_READ) != -EFAULT)
        failf("proc %d thread %d: PROT_NONE page is accessible", w->proc, w->thr);
    r = process_vm_mprotect(w->vm, m->addr, m->npages * P, PROT_READ | PROT_WRITE);
    if (r)
        failf("mprotect back: %d", r);
    m->prot = PROT_READ | PROT_WRITE;
    verify(w, m, "writable again");
}

static void op_mremap(struct worker *w, int i)
{
    struct mapping *m = &w->maps[i];
    size_t n = vmt_below(&w->rng, 3) == 0 && m->npages > 1 ? m->npages / 2
                                                          : m->npages + 1 + vmt_below(&w->rng, 16);
    long a = process_vm_mremap(w->vm, m->addr, m->npages * P, n * P, MREMAP_MAYMOVE, 0);
    if (a == -ENOMEM) {
        atomic_fetch_add(&enomem, 1);
        return;
    }
    if (a < 0) {
        failf("proc %d thread %d: mremap %zu -> %zu pages: %ld", w->proc, w->thr, m->npages, n, a);
        return;
    }
    m->addr = (uintptr_t)a;
    m->npages = n;
    if (m->ntagged > n)
        m->ntagged = n;
    verify(w, m, "after mremap");
}

/* Replace the mapping by a fresh one at the same place (zeros). */
static void op_fixed(struct worker *w, int i)
{
    struct mapping *m = &w->maps[i];
    long a = process_vm_mmap(w->vm, m->addr, m->npages * P, PROT_READ | PROT_WRITE,
                             PA | MAP_FIXED, NULL, 0);
    if (a != (long)m->addr) {
        failf("proc %d thread %d: MAP_FIXED over its own mapping: %ld", w->proc, w->thr, a);
        return;
    }
    m->ntagged = 0;
    if (verify(w, m, "after MAP_FIXED"))
        tag_pages(m, vmt_rand(&w->rng) & ~0xfffull);
}

/* brk grow/shrink within the heap; pages that stay keep their data, new
 * ones are zero. Only thread 0 of a process moves its break. */
static void op_brk(struct worker *w)
{
    if (!w->heap)
        return;
    uintptr_t want = w->heap + vmt_below(&w->rng, HEAP_MAX + 1);
    uintptr_t got = process_vm_brk(w->vm, want);
    if (got != want) {
        failf("proc %d: brk(%#lx) returned %#lx", w->proc, (unsigned long)want,
              (unsigned long)got);
        return;
    }
    size_t pages = (want - w->heap + P - 1) / P, check = pages < 16 ? pages : 16;
    size_t tagged = w->brk > w->heap ? (w->brk - w->heap + P - 1) / P : 0;
    if (tagged > 16)
        tagged = 16;
    w->brk = want;
    for (size_t i = 0; i < check; i++) {
        uint64_t v = *(volatile uint64_t *)(w->heap + i * P);
        uint64_t expect = i < tagged ? w->heap_tag + i : 0;
        if (v != expect) {
            failf("proc %d: heap page %zu holds %#llx, want %#llx", w->proc, i,
                  (unsigned long long)v, (unsigned long long)expect);
            return;
        }
    }
    w->heap_tag = vmt_rand(&w->rng) & ~0xfffull;
    for (size_t i = 0; i < check; i++)
        *(volatile uint64_t *)(w->heap + i * P) = w->heap_tag + i;
}

/* A private segment: create, attach, write, check, detach, remove. */
static void op_shm(struct worker *w)
{
    size_t size = (1 + vmt_below(&w->rng, 16)) * P;
    int id = shm_get(w->vm, IPC_PRIVATE, size, IPC_CREAT | 0600);
    if (id == -ENOMEM)
        return;
    if (id < 0) {
        failf("proc %d thread %d: shm_get: %d", w->proc, w->thr, id);
        return;
    }
    long a = shm_attach(w->vm, id, 0, 0);
    if (a > 0) {
        for (size_t off = 0; off < size; off += P) {
            if (*(volatile uint64_t *)(a + off))
                failf("proc %d thread %d: new shm segment not zero", w->proc, w->thr);
            *(volatile uint64_t *)(a + off) = (uint64_t)id + off;
        }
        for (size_t off = 0; off < size; off += P)
            if (*(volatile uint64_t *)(a + off) != (uint64_t)id + off)
                failf("proc %d thread %d: shm content changed", w->proc, w->thr);
        if (shm_detach(w->vm, (uintptr_t)a))
            failf("shm_detach failed");
    } else if (a != -ENOMEM) {
        failf("proc %d thread %d: shm_attach: %ld", w->proc, w->thr, a);
    }
    if (shm_ctl(w->vm, id, IPC_RMID, NULL))
        failf("proc %d thread %d: IPC_RMID failed", w->proc, w->thr);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    while (running()) {
        uint64_t r = vmt_below(&w->rng, 100);
        int i = w->nmaps ? (int)vmt_below(&w->rng, (uint64_t)w->nmaps) : -1;
        if (r < 30 || i < 0)
            op_mmap(w);
        else if (r < 55)
            op_munmap(w, i);
        else if (r < 68)
            op_mprotect(w, i);
        else if (r < 80)
            op_mremap(w, i);
        else if (r < 86)
            op_fixed(w, i);
        else if (r < 92 && w->thr == 0)
            op_brk(w);
        else if (r < 94 && w->thr == 1)
            op_shm(w);
        else
            verify(w, &w->maps[i], "idle check");
        w->ops++;
    }
    for (int i = 0; i < w->nmaps && !atomic_load(&failed); i++)
        verify(w, &w->maps[i], "at the end");
    atomic_fetch_add(&total_ops, w->ops);
    return NULL;
}

/* Whole processes come and go while the others work. */
static void *churn_main(void *arg)
{
    uint64_t rng = 0xc0ffee;
    pid_t pid = 1000;
    while (running()) {
        struct process_vm *vm;
        int r = process_vm_create(usv, pid++, &vm);
        if (r) {
            failf("churn: process_vm_create: %d", r);
            break;
        }
        if (vmt_below(&rng, 2))
            process_vm_init_heap(vm, 0, HEAP_MAX);
        long maps[8];
        for (int i = 0; i < 8; i++) {
            size_t n = 1 + vmt_below(&rng, 64);
            maps[i] = process_vm_mmap(vm, 0, n * P, PROT_READ | PROT_WRITE, PA, NULL, 0);
            if (maps[i] > 0) {
                *(volatile uint64_t *)maps[i] = (uint64_t)pid;
                if (i % 3 == 0)
                    process_vm_mprotect(vm, (uintptr_t)maps[i], P, PROT_READ);
                if (i % 4 == 1)
                    process_vm_munmap(vm, (uintptr_t)maps[i], n * P);
                else if (*(volatile uint64_t *)maps[i] != (uint64_t)pid)
                    failf("churn: content lost");
            } else if (maps[i] != -ENOMEM) {
                failf("churn: mmap: %ld", maps[i]);
            }
        }
        process_vm_destroy(vm);     /* with whatever is still mapped */
        atomic_fetch_add(&churned, 1);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    const char *s = getenv("ONESPACE_VM_CONC_SECONDS");
    double seconds = s ? atof(s) : 3.0;
    struct user_space_vm_config cfg = { .user_space_size = POOL, .chunk_size = CHUNK };
    assert_int_equal(user_space_vm_create(&cfg, &usv), 0);
    static struct worker workers[NPROC][NTHR];
    for (int p = 0; p < NPROC; p++) {
        assert_int_equal(process_vm_create(usv, p + 1, &procs[p]), 0);
        assert_int_equal(process_vm_init_heap(procs[p], 0, HEAP_MAX), 0);
        for (int t = 0; t < NTHR; t++) {
            struct worker *w = &workers[p][t];
            *w = (struct worker){ .proc = p, .thr = t, .vm = procs[p],
                                  .rng = 0x5eed0000ull + (uint64_t)(p * NTHR + t) };
            if (t == 0)
                w->heap = w->brk = process_vm_brk(procs[p], 0);
        }
    }
    deadline = now_s() + seconds;
    pthread_t th[NPROC][NTHR], churn;
    for (int p = 0; p < NPROC; p++)
        for (int t = 0; t < NTHR; t++)
            assert_int_equal(pthread_create(&th[p][t], NULL, worker_main, &workers[p][t]), 0);
    assert_int_equal(pthread_create(&churn, NULL, churn_main, NULL), 0);
    for (int p = 0; p < NPROC; p++)
        for (int t = 0; t < NTHR; t++)
            pthread_join(th[p][t], NULL);
    pthread_join(churn, NULL);
    printf("[vm concurrent] %lu calls by %d threads of %d processes, %lu processes churned, "
           "%lu ENOMEM\n", atomic_load(&total_ops), NPROC * NTHR, NPROC, atomic_load(&churned),
           atomic_load(&enomem));
    if (atomic_load(&failed))
        fail_msg("%s", fail_msg_buf);

    assert_int_equal(user_space_vm_check(usv), 0);
    for (int p = 0; p < NPROC; p++)
        process_vm_destroy(procs[p]);
    assert_int_equal(user_space_vm_check(usv), 0);
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    /* Whole again: a process's cached empty chunk goes with it. */
    assert_int_equal(st.nr_vmas, 0);
    assert_int_equal(st.nr_chunks, 0);
    assert_int_equal(st.nr_shm_segments, 0);
    assert_int_equal(st.free_bytes, st.total_bytes);
    user_space_vm_destroy(usv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
