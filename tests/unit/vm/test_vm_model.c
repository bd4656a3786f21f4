/* Randomized model-based test of the memory manager (see docs/vm-testing.md).
 *
 * Three runs of the engine in vmt_engine.c, each checked after every step
 * against the page-granular reference model:
 * - model_vs_native: native Linux syscalls in a scratch region against the
 *   model (validates the model's Linux semantics on this kernel);
 * - process_vm_vs_native: the same single-process sequence run by native
 *   Linux and by process_vm in lockstep, results and contents compared;
 * - multi_process: several process_vms sharing one pool, with brk, shm and
 *   process churn.
 *
 * ONESPACE_VM_SEED=<n> replays a seed; ONESPACE_VM_SOAK=<seconds> keeps
 * running fresh seeds (printed) in every mode for that long;
 * ONESPACE_VM_VERBOSE=1 prints every step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vm/process_vm.h"
#include "vm/shm_manager.h"
#include "vm/user_space_vm.h"
#include "model/vmt_engine.h"
#include "model/vmt_minimize.h"

/* The engine lives in model/ and is compiled into this test only: .c files
 * directly in tests/unit/vm/ are linked into every test of the folder. */
#include "model/vmt_check.c"
#include "model/vmt_engine.c"
#include "model/vmt_minimize.c"
#include "model/vmt_model.c"
#include "model/vmt_ops.c"
#include "model/vmt_proc_ops.c"

#define MiB (1024UL * 1024)

/* ---- native Linux target --------------------------------------------- */

struct native_region {
    uintptr_t base;
    size_t size;
};

static long nat_mmap(void *ctx, int slot, uintptr_t addr, size_t len, int prot, int flags)
{
    void *p = mmap((void *)addr, len, prot, flags, -1, 0);
    return p == MAP_FAILED ? -errno : (long)p;
}
static int nat_munmap(void *ctx, int slot, uintptr_t addr, size_t len)
{
    return munmap((void *)addr, len) ? -errno : 0;
}
static int nat_mprotect(void *ctx, int slot, uintptr_t addr, size_t len, int prot)
{
    return mprotect((void *)addr, len, prot) ? -errno : 0;
}
static long nat_mremap(void *ctx, int slot, uintptr_t old, size_t old_len, size_t new_len,
                       int flags, uintptr_t new_addr)
{
    void *p = mremap((void *)old, old_len, new_len, flags, (void *)new_addr);
    return p == MAP_FAILED ? -errno : (long)p;
}

/* The process goes away: everything in the region goes. */
static void nat_proc_destroy(void *ctx, int slot)
{
    struct native_region *r = ctx;
    munmap((void *)r->base, r->size);
}

static const struct vmt_target_ops native_ops = {
    .mmap = nat_mmap, .munmap = nat_munmap, .mprotect = nat_mprotect, .mremap = nat_mremap,
    .proc_destroy = nat_proc_destroy,
};

/* A scratch region at a fixed, otherwise unused address far below where
 * the kernel puts mappings (top-down from the stack), so nothing else lands
 * in its holes. Guard pages at both ends stay mapped (PROT_NONE). */
static int native_region_open(struct native_region *r, size_t size)
{
    for (uintptr_t a = 0x200000000000UL; a < 0x600000000000UL; a += 0x10000000000UL) {
        void *p = mmap((void *)a, size + 2 * VMT_PAGE, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED)
            continue;
        if ((uintptr_t)p != a) {
            munmap(p, size + 2 * VMT_PAGE);
            continue;
        }
        munmap((void *)(a + VMT_PAGE), size);
        r->base = a + VMT_PAGE;
        r->size = size;
        return 0;
    }
    return -1;
}

static void native_region_close(struct native_region *r)
{
    munmap((void *)(r->base - VMT_PAGE), r->size + 2 * VMT_PAGE);
}

/* ---- onespace target -------------------------------------------------- */

struct os_ctx {
    struct user_space_vm *usv;
    struct process_vm *vm[VMT_MAX_SLOTS];
};

static long os_mmap(void *ctx, int slot, uintptr_t addr, size_t len, int prot, int flags)
{
    struct os_ctx *c = ctx;
    return process_vm_mmap(c->vm[slot], addr, len, prot, flags, NULL, 0);
}
static int os_munmap(void *ctx, int slot, uintptr_t addr, size_t len)
{
    return process_vm_munmap(((struct os_ctx *)ctx)->vm[slot], addr, len);
}
static int os_mprotect(void *ctx, int slot, uintptr_t addr, size_t len, int prot)
{
    return process_vm_mprotect(((struct os_ctx *)ctx)->vm[slot], addr, len, prot);
}
static long os_mremap(void *ctx, int slot, uintptr_t old, size_t old_len, size_t new_len,
                      int flags, uintptr_t new_addr)
{
    return process_vm_mremap(((struct os_ctx *)ctx)->vm[slot], old, old_len, new_len, flags,
                             new_addr);
}
static int os_proc_create(void *ctx, int slot, pid_t pid)
{
    struct os_ctx *c = ctx;
    return process_vm_create(c->usv, pid, &c->vm[slot]);
}
static void os_proc_destroy(void *ctx, int slot)
{
    struct os_ctx *c = ctx;
    process_vm_destroy(c->vm[slot]);
    c->vm[slot] = NULL;
}
static int os_init_heap(void *ctx, int slot, size_t max)
{
    return process_vm_init_heap(((struct os_ctx *)ctx)->vm[slot], 0, max);
}
static uintptr_t os_brk(void *ctx, int slot, uintptr_t addr)
{
    return process_vm_brk(((struct os_ctx *)ctx)->vm[slot], addr);
}
static int os_shm_get(void *ctx, int slot, key_t key, size_t size, int flg)
{
    return shm_get(((struct os_ctx *)ctx)->vm[slot], key, size, flg);
}
static long os_shm_attach(void *ctx, int slot, int shmid, uintptr_t addr, int flg)
{
    return shm_attach(((struct os_ctx *)ctx)->vm[slot], shmid, addr, flg);
}
static int os_shm_detach(void *ctx, int slot, uintptr_t addr)
{
    return shm_detach(((struct os_ctx *)ctx)->vm[slot], addr);
}
static int os_shm_ctl(void *ctx, int slot, int shmid, int cmd, struct shmid_ds *ds)
{
    return shm_ctl(((struct os_ctx *)ctx)->vm[slot], shmid, cmd, ds);
}
static int os_check_access(void *ctx, int slot, uintptr_t addr, size_t len, int prot)
{
    return process_vm_check_access(((struct os_ctx *)ctx)->vm[slot], addr, len, prot);
}
static ssize_t os_render_maps(void *ctx, int slot, char *buf, size_t len)
{
    return process_vm_render_maps(((struct os_ctx *)ctx)->vm[slot], buf, len);
}
/* The pool's invariants, and every process's view of its chunks. */
static int os_check(void *ctx)
{
    struct os_ctx *c = ctx;
    int r = user_space_vm_check(c->usv);
    for (int s = 0; s < VMT_MAX_SLOTS && !r; s++)
        if (c->vm[s])
            r = process_vm_check(c->vm[s]);
    return r;
}
static void os_stats(void *ctx, struct vmt_stats *out)
{
    struct user_space_vm_stats st;
    user_space_vm_get_stats(((struct os_ctx *)ctx)->usv, &st);
    *out = (struct vmt_stats){ st.total_bytes, st.free_bytes, st.nr_chunks, st.nr_single_chunks,
                               st.nr_multi_chunks, st.nr_vmas, st.nr_shm_segments };
}

static const struct vmt_target_ops onespace_ops = {
    .mmap = os_mmap, .munmap = os_munmap, .mprotect = os_mprotect, .mremap = os_mremap,
    .proc_create = os_proc_create, .proc_destroy = os_proc_destroy,
    .init_heap = os_init_heap, .brk = os_brk,
    .shm_get = os_shm_get, .shm_attach = os_shm_attach, .shm_detach = os_shm_detach,
    .shm_ctl = os_shm_ctl,
    .check_access = os_check_access, .render_maps = os_render_maps,
    .check = os_check, .stats = os_stats,
};

/* ---- runs ---------------------------------------------------------------- */

/* The unmap protection policy of the pool under test: every process_vm run
 * happens once per policy (STRICT: freed pages fault at once, as on Linux;
 * LAZY, the default: they may keep their protection until reused). */
static enum vm_unmap_protect model_unmap = VM_UNMAP_PROTECT_STRICT;

enum mode { MODEL_VS_NATIVE, PROCESS_VM_VS_NATIVE, MULTI_PROCESS };

static const char *const mode_names[] = { "model_vs_native", "process_vm_vs_native",
                                          "multi_process" };

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static void print_counters(enum mode mode, uint64_t seed, const struct vmt_counters *c)
{
    printf("[vm model] %s seed %#llx: %lu steps;", mode_names[mode], (unsigned long long)seed,
           c->steps);
    for (int k = 0; k < VMT_OP_COUNT; k++)
        if (c->ops[k])
            printf(" %s %lu/%lu", vmt_opname(k), c->ok[k], c->ops[k]);
    printf("; hints free %lu honoured %lu; in-place possible %lu refused %lu; ambiguous %lu; "
           "ENOMEM excused %lu; host checks %lu, fork probes %lu, sweeps %lu, skipped %lu, "
           "known bugs stepped around %lu\n",
           c->hint_free, c->hint_honoured, c->inplace_possible, c->inplace_refused,
           c->ambiguous, c->enomem_excused, c->host_checks, c->fork_probes, c->full_sweeps,
           c->skipped, c->tolerated);
    fflush(stdout);
}

/* One run of `mode` (or a replay of `calls`); returns 0 or -1 (the engine
 * printed why, and `fail` has the details). */
static int run_mode_ex(enum mode mode, uint64_t seed, unsigned long steps, double seconds,
                       const struct vmt_call *calls, size_t ncalls, int record_fd,
                       struct vmt_failure *fail)
{
    struct vmt_config cfg = {
        .seed = seed, .steps = steps, .seconds = seconds,
        .verbose = env_u64("ONESPACE_VM_VERBOSE", 0) != 0,
        .replay = calls, .nreplay = ncalls, .record_fd = record_fd,
        .tolerate = vmt_parse_tolerate(getenv("ONESPACE_VM_TOLERATE")),
    };
    struct native_region region = { 0 };
    struct os_ctx os = { 0 };
    struct vmt_target native = { .name = "native", .ops = &native_ops, .native = true };
    struct vmt_target onespace = { .name = "process_vm", .ops = &onespace_ops, .ctx = &os };
    struct vmt_target *targets[2];
    int nt = 0;

    if (mode == MULTI_PROCESS) {
        cfg.npages = 512 * MiB / VMT_PAGE;
        cfg.chunk_pages = 32 * MiB / VMT_PAGE;
        cfg.nslots = 5;
        cfg.use_shm = cfg.use_brk = cfg.use_churn = true;
        cfg.heap_max_pages = 4 * MiB / VMT_PAGE;
        cfg.check_every = 64;
    } else {
        cfg.npages = 64 * MiB / VMT_PAGE;
        cfg.chunk_pages = 8 * MiB / VMT_PAGE;
        cfg.nslots = 1;
        cfg.native_mode = true;
        cfg.check_every = 32;
        if (native_region_open(&region, cfg.npages * VMT_PAGE))
            return -1;
        native.base = region.base;
        native.ctx = &region;
        targets[nt++] = &native;
    }
    if (mode != MODEL_VS_NATIVE) {
        struct user_space_vm_config ucfg = { .user_space_size = cfg.npages * VMT_PAGE,
                                             .chunk_size = cfg.chunk_pages * VMT_PAGE,
                                             .unmap_protect = model_unmap };
        onespace.lazy_unmap = model_unmap == VM_UNMAP_PROTECT_LAZY;
        int r = user_space_vm_create(&ucfg, &os.usv);
        if (r) {
            fprintf(stderr, "user_space_vm_create: %d\n", r);
            if (region.base)
                native_region_close(&region);
            return -1;
        }
        onespace.base = user_space_vm_range(os.usv).start;
        targets[nt++] = &onespace;
    }
    printf("[vm model] %s seed %#llx%s%s\n", mode_names[mode], (unsigned long long)seed,
           mode == MODEL_VS_NATIVE ? ""
           : model_unmap == VM_UNMAP_PROTECT_LAZY ? " unmap lazy" : " unmap strict",
           calls ? " (replay)" : "");
    fflush(stdout);
    struct vmt_counters c;
    int rc = vmt_run(&cfg, targets, nt, &c, fail);
    print_counters(mode, seed, &c);
    if (os.usv)
        user_space_vm_destroy(os.usv);
    if (region.base)
        native_region_close(&region);
    return rc;
}

static int run_mode(enum mode mode, uint64_t seed, unsigned long steps, double seconds)
{
    return run_mode_ex(mode, seed, steps, seconds, NULL, 0, 0, NULL);
}

/* ---- shrinking a failure (ONESPACE_VM_MINIMIZE=1) ------------------------ */

struct replay_arg {
    enum mode mode;
    uint64_t seed;
    unsigned long steps;
    int record_fd;
};

static int replay_fn(void *arg, const struct vmt_call *calls, size_t n, char *sig, size_t len)
{
    struct replay_arg *a = arg;
    struct vmt_failure f = { 0 };
    int rc = run_mode_ex(a->mode, a->seed, a->steps, 0, calls, n, a->record_fd, &f);
    if (rc)
        vmt_failure_signature(f.msg, sig, len);
    free(f.calls);
    return rc;
}

/* Run the failing sequence in a child (it may crash), then shrink it and
 * print the calls left: the reproducer for a bug report. */
static void minimize(enum mode mode, uint64_t seed, unsigned long steps)
{
    char path[] = "/tmp/onespace-vm-calls-XXXXXX", sig[512];
    int fd = mkstemp(path);
    assert_true(fd > 0);
    unlink(path);
    struct replay_arg a = { mode, seed, steps, fd };
    vmt_replay_in_child(replay_fn, &a, NULL, 0, sig, sizeof(sig));
    printf("[vm minimize] %s seed %#llx: %s\n", mode_names[mode], (unsigned long long)seed, sig);
    if (!strcmp(sig, "pass")) {
        close(fd);
        return;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    size_t n = (size_t)size / sizeof(struct vmt_call);
    struct vmt_call *calls = malloc((size_t)size + 1);
    assert_int_equal(pread(fd, calls, (size_t)size, 0), size);
    close(fd);
    a.record_fd = 0;
    vmt_minimize(replay_fn, &a, calls, &n, sig);
    for (size_t i = 0; i < n; i++) {
        char line[256];
        vmt_describe_call(&calls[i], line, sizeof(line));
        printf("[vm minimize]   %s\n", line);
    }
    free(calls);
    fail_msg("%s seed %#llx fails: %s", mode_names[mode], (unsigned long long)seed, sig);
}

/* ONESPACE_VM_SEED / ONESPACE_VM_STEPS replay a failure (the engine prints
 * both); ONESPACE_VM_MINIMIZE=1 also shrinks it. */
static void run_fixed(enum mode mode, unsigned long steps)
{
    uint64_t seed = env_u64("ONESPACE_VM_SEED", 0x05ace5eedULL + (uint64_t)mode);
    steps = env_u64("ONESPACE_VM_STEPS", steps);
    if (env_u64("ONESPACE_VM_MINIMIZE", 0)) {
        minimize(mode, seed, steps);
        return;
    }
    assert_int_equal(run_mode(mode, seed, steps, 0), 0);
}

static void test_model_vs_native(void **state) { run_fixed(MODEL_VS_NATIVE, 3000); }
static void run_fixed_both(enum mode mode, unsigned long steps)
{
    model_unmap = VM_UNMAP_PROTECT_STRICT;
    run_fixed(mode, steps);
    model_unmap = VM_UNMAP_PROTECT_LAZY;
    run_fixed(mode, steps);
}

static void test_process_vm_vs_native(void **state) { run_fixed_both(PROCESS_VM_VS_NATIVE, 3000); }
static void test_multi_process(void **state) { run_fixed_both(MULTI_PROCESS, 4000); }

/* ONESPACE_VM_SOAK=<seconds>: fresh seeds in every mode until time is up. */
static void test_soak(void **state)
{
    double budget = (double)env_u64("ONESPACE_VM_SOAK", 0);
    if (budget <= 0) {
        skip();
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
    double slice = budget / 3 < 30 ? budget / 3 : 30;
    for (double left = budget; left > 0; left -= slice * 3) {
        for (int mode = 0; mode < 3; mode++) {
            uint64_t seed = vmt_rand(&rng);
            printf("[vm soak] %s seed %#llx (ONESPACE_VM_SEED=%#llx)\n", mode_names[mode],
                   (unsigned long long)seed, (unsigned long long)seed);
            fflush(stdout);
            assert_int_equal(run_mode((enum mode)mode, seed, 0, slice), 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_vs_native),
        cmocka_unit_test(test_process_vm_vs_native),
        cmocka_unit_test(test_multi_process),
        cmocka_unit_test(test_soak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
