/* Many threads of several processes call in at once (built with TSan
 * too): each thread maps, writes, protects, remaps and unmaps its own
 * memory, some threads of one process share its address space, one
 * thread churns processes; nobody ever sees someone else's data, the
 * invariants hold, and the pool comes back whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "vmcore_test_util.h"
#include "vm/shm_manager.h"

#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)
#define NPROC 3
#define THREADS_PER_PROC 2
#define ITERS 1500

static struct user_space_vm *usv;
static struct process_vm *procs[NPROC];
static volatile int failures;

struct worker {
    struct process_vm *vm;
    unsigned seed;
    int tag;
};

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void *worker(void *arg)
{
    struct worker *w = arg;
    long live[16] = { 0 };
    size_t len[16] = { 0 };
    for (int i = 0; i < ITERS; i++) {
        int k = (int)(rnd(&w->seed) % 16);
        if (live[k]) {
            /* Our data is still there. */
            if (*(volatile unsigned char *)live[k] != (unsigned char)w->tag)
                __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
            switch (rnd(&w->seed) % 4) {
            case 0:
                if (process_vm_mprotect(w->vm, (uintptr_t)live[k], len[k], PROT_READ) ||
                    process_vm_mprotect(w->vm, (uintptr_t)live[k], len[k], RW))
                    __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
                break;
            case 1: {
                long m = process_vm_mremap(w->vm, (uintptr_t)live[k], len[k], len[k] + PG,
                                           MREMAP_MAYMOVE, 0);
                if (m < 0 || *(volatile unsigned char *)m != (unsigned char)w->tag)
                    __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
                else {
                    live[k] = m;
                    len[k] += PG;
                }
                break;
            }
            default:
                if (process_vm_munmap(w->vm, (uintptr_t)live[k], len[k]))
                    __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
                live[k] = 0;
            }
        } else {
            len[k] = (1 + rnd(&w->seed) % 8) * PG;
            if (rnd(&w->seed) % 50 == 0)
                len[k] = 9 * MiB;       /* a single-VMA chunk now and then */
            long a = process_vm_mmap(w->vm, 0, len[k], RW, PA, NULL, 0);
            if (a < 0) {
                __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
                continue;
            }
            if (!vt_all_zero((uintptr_t)a, len[k]))
                __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
            memset((void *)a, w->tag, len[k]);
            live[k] = a;
        }
        if (process_vm_check_access(w->vm, (uintptr_t)live[k], 1, PROT_READ) != (live[k] ? 0 : -EFAULT))
            __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    }
    for (int k = 0; k < 16; k++)
        if (live[k])
            process_vm_munmap(w->vm, (uintptr_t)live[k], len[k]);
    return NULL;
}

/* Creates and destroys short-lived processes with shm, brk and maps. */
static void *churner(void *arg)
{
    for (int i = 0; i < 60; i++) {
        struct process_vm *vm;
        if (process_vm_create(usv, 100 + i, &vm)) {
            __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
            continue;
        }
        process_vm_init_heap(vm, 0, 64 * PG);
        uintptr_t b = process_vm_brk(vm, 0);
        process_vm_brk(vm, b + 5 * PG);
        memset((void *)b, 1, 5 * PG);
        int id = shm_get(vm, IPC_PRIVATE, 2 * PG, 0600);
        long s = id >= 0 ? shm_attach(vm, id, 0, 0) : -1;
        if (s > 0)
            *(volatile char *)s = 1;
        if (id >= 0)
            shm_ctl(vm, id, IPC_RMID, NULL);
        for (int k = 0; k < 20; k++)
            process_vm_mmap(vm, 0, PG * (size_t)(1 + k % 3), RW, PA, NULL, 0);
        process_vm_destroy(vm);
    }
    return NULL;
}

static void *checker(void *arg)
{
    for (int i = 0; i < 200; i++) {
        if (user_space_vm_check(usv))
            __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
        struct user_space_vm_stats st;
        user_space_vm_get_stats(usv, &st);
        char buf[4096];
        process_vm_render_maps(procs[i % NPROC], buf, sizeof(buf));
        if (process_vm_check(procs[i % NPROC]))
            __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    usv = vt_pool(512 * MiB, 4 * MiB);
    pthread_t th[NPROC * THREADS_PER_PROC + 2];
    struct worker ws[NPROC * THREADS_PER_PROC];
    int n = 0;
    for (int p = 0; p < NPROC; p++)
        assert_int_equal(process_vm_create(usv, p + 1, &procs[p]), 0);
    for (int p = 0; p < NPROC; p++)
        for (int t = 0; t < THREADS_PER_PROC; t++, n++) {
            ws[n] = (struct worker){ procs[p], (unsigned)(n * 7919 + 1), 0x10 + n };
            pthread_create(&th[n], NULL, worker, &ws[n]);
        }
    pthread_create(&th[n++], NULL, churner, NULL);
    pthread_create(&th[n++], NULL, checker, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(failures, 0);
    assert_int_equal(user_space_vm_check(usv), 0);
    for (int p = 0; p < NPROC; p++) {
        assert_int_equal(process_vm_check(procs[p]), 0);
        process_vm_destroy(procs[p]);
    }
    assert_true(vt_pool_is_clean(usv));
    user_space_vm_destroy(usv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
