/* Minimal reproducers of memory-manager bugs found by the randomized model
 * test (test_vm_model.c, shrunk with ONESPACE_VM_MINIMIZE=1), kept as
 * regression tests. Each case runs in a forked child, so a crash (abort)
 * in the code under test fails that case only. Where it matters, the same
 * calls run natively first: Linux is the oracle. docs/vm-testing.md lists
 * them with their status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vm/process_vm.h"
#include "vm/shm_manager.h"
#include "vm/user_space_vm.h"

#define P 4096UL
#define MiB (1024UL * 1024)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)

/* ---- running a case in a child ---------------------------------------- */

typedef int (*repro_fn)(char *why, size_t len);

#define EXPECT(cond, ...)                                                       \
    do {                                                                        \
        if (!(cond)) {                                                          \
            snprintf(why, len, __VA_ARGS__);                                    \
            return -1;                                                          \
        }                                                                       \
    } while (0)

static void run_case(repro_fn fn)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        char why[512] = "";
        int rc = fn(why, sizeof(why));
        ssize_t w = write(fds[1], why, strlen(why) + 1);
        _exit(rc == 0 && w > 0 ? 0 : 1);
    }
    close(fds[1]);
    char why[512] = "";
    ssize_t got = read(fds[0], why, sizeof(why) - 1);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (got > 0)
        why[got] = 0;
    if (WIFSIGNALED(status))
        fail_msg("crashed with signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    if (WEXITSTATUS(status))
        fail_msg("%s", why);
}

static struct user_space_vm *pool(size_t size, size_t chunk)
{
    struct user_space_vm *usv;
    struct user_space_vm_config cfg = { .user_space_size = size, .chunk_size = chunk };
    if (user_space_vm_create(&cfg, &usv))
        return NULL;
    return usv;
}

static struct process_vm *proc(struct user_space_vm *usv, pid_t pid)
{
    struct process_vm *vm;
    return process_vm_create(usv, pid, &vm) ? NULL : vm;
}

/* A native scratch region of n pages (reserved PROT_NONE, so MAP_FIXED and
 * mremap(FIXED) inside it touch nothing else). */
static uintptr_t native_region(size_t n)
{
    void *p = mmap(NULL, n * P, PROT_NONE, PA | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? 0 : (uintptr_t)p;
}

/* ---- mremap(MAYMOVE|FIXED) inside the caller's own mappings ------------- */

/* Found by process_vm_vs_native (seed 2, 3 calls; minimal form below):
 * moving part of a mapping onto another part of the caller's mappings
 * needs more spare VMAs than process_vm_mremap reserves (4), and
 * op_take_blank() aborts the whole host process ("op ran out of reserved
 * VMAs"). Linux: returns the new address. */
static int repro_mremap_fixed_onto_own_mapping(char *why, size_t len)
{
    uintptr_t n = native_region(16);
    EXPECT(n, "native region");
    EXPECT(mmap((void *)n, 10 * P, PROT_READ, PA | MAP_FIXED, -1, 0) == (void *)n, "native mmap");
    void *r = mremap((void *)(n + 2 * P), 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
                     (void *)(n + 6 * P));
    EXPECT(r == (void *)(n + 6 * P), "native Linux mremap returned %p", r);
    munmap((void *)n, 16 * P);

    struct user_space_vm *usv = pool(64 * MiB, 8 * MiB);
    struct process_vm *vm = usv ? proc(usv, 1) : NULL;
    EXPECT(vm, "pool");
    uintptr_t b = user_space_vm_range(usv).start + 100 * P;
    EXPECT(process_vm_mmap(vm, b, 10 * P, PROT_READ, PA | MAP_FIXED, NULL, 0) == (long)b, "mmap");
    long got = process_vm_mremap(vm, b + 2 * P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
                                 b + 6 * P);
    EXPECT(got == (long)(b + 6 * P), "process_vm_mremap returned %ld, Linux gives the new address",
           got);
    EXPECT(process_vm_check_access(vm, b + 2 * P, P, PROT_READ) == -EFAULT, "old place still mapped");
    EXPECT(process_vm_check_access(vm, b + 6 * P, 2 * P, PROT_READ) == 0, "new place not mapped");
    EXPECT(user_space_vm_check(usv) == 0, "user_space_vm_check failed");
    process_vm_destroy(vm);
    user_space_vm_destroy(usv);
    return 0;
}

static void test_mremap_fixed_onto_own_mapping(void **state)
{
    run_case(repro_mremap_fixed_onto_own_mapping);
}

/* ---- a mapping made of several VMAs (chunk borders) -------------------- */

/* Found by process_vm_vs_native (seed 3): a MAP_FIXED range over pool free
 * space and an earlier mapping's chunk became several VMAs, and mremap of
 * a range that Linux sees as one mapping said EFAULT. Fixed in vm-core
 * 8310f5a ("mremap over logical VMAs"); kept as a regression test. */
static int repro_mremap_over_split_mapping(char *why, size_t len)
{
    struct user_space_vm *usv = pool(64 * MiB, 8 * MiB);
    struct process_vm *vm = usv ? proc(usv, 1) : NULL;
    EXPECT(vm, "pool");
    uintptr_t b = user_space_vm_range(usv).start;
    /* A one-page mapping, then a FIXED mapping around it: one mapping for
     * Linux, three pieces for the chunk manager. */
    EXPECT(process_vm_mmap(vm, b + 9991 * P, P, PROT_READ, PA | MAP_FIXED_NOREPLACE, NULL, 0) ==
               (long)(b + 9991 * P), "mmap 1");
    EXPECT(process_vm_mmap(vm, b + 9990 * P, 4 * P, PROT_READ, PA | MAP_FIXED, NULL, 0) ==
               (long)(b + 9990 * P), "mmap 2");
    EXPECT(process_vm_munmap(vm, b + 9992 * P, 7 * P) == 0, "munmap");
    long got = process_vm_mremap(vm, b + 9990 * P, 2 * P, 9 * P, MREMAP_MAYMOVE, 0);
    EXPECT(got > 0, "mremap of pages 9990-9991 (one mapping for Linux) returned %ld", got);
    EXPECT(process_vm_check_access(vm, (uintptr_t)got, 9 * P, PROT_READ) == 0, "result not mapped");
    EXPECT(user_space_vm_check(usv) == 0, "user_space_vm_check failed");
    process_vm_destroy(vm);
    user_space_vm_destroy(usv);
    return 0;
}

static void test_mremap_over_split_mapping(void **state)
{
    run_case(repro_mremap_over_split_mapping);
}

/* ---- growing in place across a chunk border ---------------------------- */

/* Found by process_vm_vs_native (seed 330, 4 calls; open): mremap growth
 * whose new pages are free but lie past the end of the mapping's chunk
 * (here: its last 2 pages are free in the first multi chunk, the next one
 * is free pool space) is not done in place: with MREMAP_MAYMOVE the
 * mapping moves, without it the call is -ENOMEM. Linux grows it in place.
 * VMAs of one mapping may already span chunks ("logical VMAs" for
 * mremap's old range), so the extension could be a new piece. */
static int repro_mremap_grow_across_chunk_border(char *why, size_t len)
{
    uintptr_t n = native_region(2300);
    EXPECT(n, "native region");
    EXPECT(mmap((void *)(n + 1574 * P), 629 * P, PROT_READ | PROT_WRITE, PA | MAP_FIXED, -1, 0) ==
               (void *)(n + 1574 * P), "native mmap");
    EXPECT(munmap((void *)(n + 2046 * P), 5 * P) == 0, "native munmap");
    void *r = mremap((void *)(n + 2019 * P), 27 * P, 30 * P, 0);
    EXPECT(r == (void *)(n + 2019 * P), "native Linux mremap returned %p", r);
    munmap((void *)n, 2300 * P);

    struct user_space_vm *usv = pool(64 * MiB, 8 * MiB);
    struct process_vm *vm = usv ? proc(usv, 1) : NULL;
    EXPECT(vm, "pool");
    uintptr_t b = user_space_vm_range(usv).start;
    /* The first multi chunk: pages 0-2047 of the pool. */
    EXPECT(process_vm_mmap(vm, 0, 31 * P, PROT_READ, PA, NULL, 0) == (long)b, "first mmap");
    /* A mapping across its end (2048), then a hole at 2046-2050. */
    EXPECT(process_vm_mmap(vm, b + 1574 * P, 629 * P, PROT_READ | PROT_WRITE, PA | MAP_FIXED,
                           NULL, 0) == (long)(b + 1574 * P), "fixed mmap");
    EXPECT(process_vm_munmap(vm, b + 2046 * P, 5 * P) == 0, "munmap");
    long got = process_vm_mremap(vm, b + 2019 * P, 27 * P, 30 * P, 0, 0);
    long moved = process_vm_mremap(vm, b + 2019 * P, 27 * P, 30 * P, MREMAP_MAYMOVE, 0);
    EXPECT(user_space_vm_check(usv) == 0, "user_space_vm_check failed");
    process_vm_destroy(vm);
    user_space_vm_destroy(usv);
    EXPECT(got == (long)(b + 2019 * P),
           "mremap growing pages 2019-2045 by 3 free pages (2046-2048, across the chunk border "
           "at 2048) returned %ld, Linux grows in place; with MREMAP_MAYMOVE: page %ld", got,
           moved > 0 ? (long)(((uintptr_t)moved - b) / P) : moved);
    return 0;
}

static void test_mremap_grow_across_chunk_border(void **state)
{
    run_case(repro_mremap_grow_across_chunk_border);
}

/* ---- shm segments nobody has attached ---------------------------------- */

/* Found by multi_process (seed 3, 2 calls): user_space_vm_check() returns
 * -EUCLEAN ("VMA ... has no owner") whenever a segment exists that no
 * process has attached: after shmget and before shmat, or after shmdt
 * without IPC_RMID (also after the attaching process exits). Such a
 * segment is legal: it lives until IPC_RMID. */
static int repro_shm_unattached_segment(char *why, size_t len)
{
    struct user_space_vm *usv = pool(64 * MiB, 8 * MiB);
    struct process_vm *vm = usv ? proc(usv, 1) : NULL;
    EXPECT(vm, "pool");
    int id = shm_get(vm, 0x5e02, 2 * P, IPC_CREAT | 0600);
    EXPECT(id >= 0, "shm_get %d", id);
    int c1 = user_space_vm_check(usv);
    long a = shm_attach(vm, id, 0, 0);
    EXPECT(a > 0, "shm_attach %ld", a);
    EXPECT(shm_detach(vm, (uintptr_t)a) == 0, "shm_detach");
    int c2 = user_space_vm_check(usv);
    EXPECT(shm_ctl(vm, id, IPC_RMID, NULL) == 0, "IPC_RMID");
    process_vm_destroy(vm);
    user_space_vm_destroy(usv);
    EXPECT(c1 == 0 && c2 == 0, "user_space_vm_check: %d after shmget, %d after shmdt (want 0)",
           c1, c2);
    return 0;
}

static void test_shm_unattached_segment(void **state)
{
    run_case(repro_shm_unattached_segment);
}

/* ---- a segment marked IPC_RMID while still attached --------------------- */

/* Found by multi_process (seeds 1, 6, 15): once IPC_RMID marked an
 * attached segment, its id is EINVAL for everything. Linux keeps the id
 * valid until the last detach: IPC_STAT works (mode has SHM_DEST), IPC_RMID
 * again is 0, and shmat still attaches it (shmctl(2): "Linux permits a
 * process to attach a shared memory segment that has already been marked
 * for deletion"). The native half runs where SysV shm is available. */
static int repro_shm_rmid_while_attached(char *why, size_t len)
{
    int nid = shmget(IPC_PRIVATE, 2 * P, IPC_CREAT | 0600);
    if (nid >= 0) {
        void *a = shmat(nid, NULL, 0);
        EXPECT(a != (void *)-1, "native shmat");
        EXPECT(shmctl(nid, IPC_RMID, NULL) == 0, "native IPC_RMID");
        struct shmid_ds ds;
        EXPECT(shmctl(nid, IPC_STAT, &ds) == 0 && (ds.shm_perm.mode & SHM_DEST) &&
                   ds.shm_nattch == 1, "native IPC_STAT after IPC_RMID");
        void *b = shmat(nid, NULL, 0);
        EXPECT(b != (void *)-1, "native shmat after IPC_RMID: %s", strerror(errno));
        EXPECT(shmctl(nid, IPC_RMID, NULL) == 0, "native second IPC_RMID");
        shmdt(b);
        shmdt(a);
    }

    struct user_space_vm *usv = pool(64 * MiB, 8 * MiB);
    struct process_vm *vm1 = usv ? proc(usv, 1) : NULL, *vm2 = usv ? proc(usv, 2) : NULL;
    EXPECT(vm1 && vm2, "pool");
    int id = shm_get(vm1, IPC_PRIVATE, 2 * P, IPC_CREAT | 0600);
    long a = shm_attach(vm1, id, 0, 0);
    EXPECT(id >= 0 && a > 0, "shm_get %d / shm_attach %ld", id, a);
    EXPECT(shm_ctl(vm1, id, IPC_RMID, NULL) == 0, "IPC_RMID");
    struct shmid_ds ds;
    int st = shm_ctl(vm2, id, IPC_STAT, &ds);
    long b = shm_attach(vm2, id, 0, 0);
    int rm = shm_ctl(vm1, id, IPC_RMID, NULL);
    process_vm_destroy(vm1);
    process_vm_destroy(vm2);
    user_space_vm_destroy(usv);
    EXPECT(st == 0 && (ds.shm_perm.mode & SHM_DEST) && ds.shm_nattch == 1,
           "IPC_STAT of a marked, attached segment returned %d (Linux: 0, SHM_DEST, nattch 1)", st);
    EXPECT(b == a, "shm_attach of a marked segment returned %ld (Linux attaches it)", b);
    EXPECT(rm == 0, "second IPC_RMID returned %d (Linux: 0)", rm);
    return 0;
}

static void test_shm_rmid_while_attached(void **state)
{
    run_case(repro_shm_rmid_while_attached);
}

/* ---- MAP_FIXED over one's own page in a shared chunk ------------------- */

/* Found by test_vm_concurrent (about 1 run in 8): MAP_FIXED over the
 * caller's own mapping in a multi-VMA chunk that another process also uses
 * unmaps the old range, lets go of the chunk lock, and takes the range
 * again; a fast-path mmap of the other process (process + chunk lock only)
 * can take the space in between. The call then fails with -ENOMEM, and the
 * caller's old mapping is gone. Linux: MAP_FIXED over one's own mapping
 * always succeeds. Here: a pool with room for one multi chunk, shared by
 * A and B; B maps and unmaps a page in a loop while A maps over its page. */
static struct process_vm *race_b;
static atomic_int race_stop;

static void *race_other(void *arg)
{
    while (!atomic_load(&race_stop)) {
        long x = process_vm_mmap(race_b, 0, P, PROT_READ | PROT_WRITE, PA, NULL, 0);
        if (x > 0)
            process_vm_munmap(race_b, (uintptr_t)x, P);
    }
    return NULL;
}

static int repro_map_fixed_own_page_race(char *why, size_t len)
{
    struct user_space_vm *usv = pool(16 * MiB, 8 * MiB);
    struct process_vm *a = usv ? proc(usv, 1) : NULL, *fill = usv ? proc(usv, 3) : NULL;
    race_b = usv ? proc(usv, 2) : NULL;
    EXPECT(a && race_b && fill, "pool");
    long m = process_vm_mmap(a, 0, P, PROT_READ | PROT_WRITE, PA, NULL, 0);
    /* The rest of the pool in one single-VMA chunk: B must share A's chunk. */
    EXPECT(process_vm_mmap(fill, 0, 8 * MiB, PROT_READ, PA, NULL, 0) > 0, "filler");
    long x = process_vm_mmap(race_b, 0, P, PROT_READ | PROT_WRITE, PA, NULL, 0);
    EXPECT(m > 0 && x > 0 && (uintptr_t)x / (8 * MiB) == (uintptr_t)m / (8 * MiB),
           "A and B should share one chunk (%#lx, %#lx)", (unsigned long)m, (unsigned long)x);
    pthread_t t;
    EXPECT(pthread_create(&t, NULL, race_other, NULL) == 0, "thread");
    long i, r = m;
    for (i = 0; i < 200000 && r == m; i++)
        r = process_vm_mmap(a, (uintptr_t)m, P, PROT_READ | PROT_WRITE, PA | MAP_FIXED, NULL, 0);
    atomic_store(&race_stop, 1);
    pthread_join(t, NULL);
    int mapped = process_vm_check_access(a, (uintptr_t)m, P, PROT_READ) == 0;
    EXPECT(r == m, "MAP_FIXED over its own page failed at iteration %ld with %ld; the page is %s",
           i, r, mapped ? "still mapped" : "gone");
    process_vm_destroy(a);
    process_vm_destroy(race_b);
    process_vm_destroy(fill);
    user_space_vm_destroy(usv);
    return 0;
}

static void test_map_fixed_own_page_race(void **state)
{
    run_case(repro_map_fixed_own_page_race);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mremap_fixed_onto_own_mapping),
        cmocka_unit_test(test_mremap_over_split_mapping),
        cmocka_unit_test(test_mremap_grow_across_chunk_border),
        cmocka_unit_test(test_shm_unattached_segment),
        cmocka_unit_test(test_shm_rmid_while_attached),
        cmocka_unit_test(test_map_fixed_own_page_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
