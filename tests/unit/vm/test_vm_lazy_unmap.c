/* The unmap protection policy (docs/vm.md "Host protections, zeroing and
 * dirty pages"): LAZY munmap keeps the host protection of small pieces in
 * multi-VMA chunks until the pages are mapped again or flushed; STRICT
 * makes them PROT_NONE at once. Every group runs in both modes: guests get
 * zeroed pages after every kind of reuse, mapped protections are exactly
 * enforced (forked children fault), the dirty bound gives pages back to
 * the host as PROT_NONE, and the host's protections always match what the
 * manager recorded (user_space_vm_check_host). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/mman.h>

#include "vmcore_test_util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)

VT_POOL_FIXTURE()

static long map(struct process_vm *vm, size_t len, int prot)
{
    long a = process_vm_mmap(vm, 0, len, prot, PA, NULL, 0);
    assert_true(a > 0);
    return a;
}

/* Map again exactly where something was (a hint: free there, so taken). */
static void map_at(struct process_vm *vm, long a, size_t len, int prot)
{
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)a, len, prot, PA, NULL, 0), a);
}

static void consistent(struct process_vm *vm)
{
    assert_int_equal(user_space_vm_check(usv), 0);
    assert_int_equal(user_space_vm_check_host(usv), 0);
    if (vm)
        assert_int_equal(process_vm_check(vm), 0);
}

/* x86: a writable page is readable too. */
static int readable(int prot) { return prot & (PROT_READ | PROT_WRITE); }

/* Right after munmap of a small piece that had protection `prot`: strict
 * faults at once; lazy keeps the protection (the lazy path was taken). */
static void assert_just_unmapped(long a, int prot)
{
    if (vt_strict() || !readable(prot))
        assert_true(vt_read_faults((uintptr_t)a));
    else
        assert_false(vt_read_faults((uintptr_t)a));
}

/* The guest sees exactly `prot` on [a, a+len) and only zeros. */
static void assert_fresh(struct process_vm *vm, long a, size_t len, int prot)
{
    for (size_t off = 0; off < len; off += PG) {
        uintptr_t p = (uintptr_t)a + off;
        assert_int_equal(vt_read_faults(p), !readable(prot));
        assert_int_equal(vt_write_faults(p), !(prot & PROT_WRITE));
    }
    if (!readable(prot)) {
        /* Hidden is not enough: the data must be gone. */
        assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a, len, PROT_READ), 0);
        assert_true(vt_all_zero((uintptr_t)a, len));
        assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a, len, prot), 0);
    } else {
        assert_true(vt_all_zero((uintptr_t)a, len));
    }
}

/* Same protection again, many rounds, pages touched all / some / none (the
 * zeroing switches between memset and discard). */
static void test_reuse_same_prot(void **state)
{
    struct process_vm *vm = new_vm(1);
    long keep = map(vm, PG, PROT_READ);     /* the chunk stays in use */
    for (int round = 0; round < 60; round++) {
        size_t len = (size_t)(1 + round % 8) * PG;
        long a = map(vm, len, RW);
        assert_true(vt_all_zero((uintptr_t)a, len));
        int pattern = (round / 10) % 3;
        for (size_t off = 0; off < len; off += PG)
            if (pattern == 0 || (pattern == 1 && (off / PG) % 2 == 0))
                memset((void *)(a + (long)off), 0xa5, PG);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, len), 0);
        assert_just_unmapped(a, RW);
        map_at(vm, a, len, RW);
        assert_true(vt_all_zero((uintptr_t)a, len));
        if (round % 10 == 0) {
            assert_false(vt_write_faults((uintptr_t)a + len - PG));
            consistent(vm);
        }
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, len), 0);
    }
    consistent(vm);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)keep, PG), 0);
    process_vm_destroy(vm);
}

/* Every (old protection, new protection) pair, with the old pages touched
 * and not, several rounds each (memset and discard zeroing). */
static void test_reuse_changes_prot(void **state)
{
    static const int prots[] = { RW, PROT_READ, PROT_NONE, PROT_WRITE, RW | PROT_EXEC };
    struct process_vm *vm = new_vm(1);
    long keep = map(vm, PG, PROT_READ);
    for (unsigned from = 0; from < ARRAY_SIZE(prots); from++)
        for (unsigned to = 0; to < ARRAY_SIZE(prots); to++)
            for (int round = 0; round < 6; round++) {
                size_t len = (size_t)(1 + round % 3) * PG;
                long a = map(vm, len, RW);
                if (round < 4)
                    memset((void *)a, 0x3c, len);
                assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a, len, prots[from]), 0);
                assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, len), 0);
                if (round == 0)
                    assert_just_unmapped(a, prots[from]);
                map_at(vm, a, len, prots[to]);
                if (round == 0 || round == 4) {
                    consistent(vm);
                    assert_fresh(vm, a, len, prots[to]);
                } else if (readable(prots[to])) {
                    assert_true(vt_all_zero((uintptr_t)a, len));
                }
                assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, len), 0);
            }
    consistent(vm);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)keep, PG), 0);
    process_vm_destroy(vm);
}

/* One new mapping over lazily freed pages of different protections and
 * clean pages: one range, mixed host state. */
static void test_reuse_mixed(void **state)
{
    struct process_vm *vm = new_vm(1);
    for (int k = 0; k < 3; k++) {
        int prot = k == 0 ? RW : k == 1 ? PROT_READ : PROT_NONE;
        long a = map(vm, 6 * PG, RW);
        long guard = process_vm_mmap(vm, (uintptr_t)a + 10 * PG, PG, PROT_READ, PA | MAP_FIXED, NULL, 0);
        assert_int_equal(guard, a + 10 * (long)PG);
        memset((void *)a, 0x99, 6 * PG);
        assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + 2 * PG, 2 * PG, PROT_READ), 0);
        assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + 4 * PG, PG, PROT_NONE), 0);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 6 * PG), 0);
        consistent(vm);
        /* pages 0-1 RW, 2-3 R, 4 NONE, 5 RW (lazy), 6-9 clean */
        map_at(vm, a, 10 * PG, prot);
        consistent(vm);
        assert_fresh(vm, a, 10 * PG, prot);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 11 * PG), 0);
    }
    consistent(vm);
    process_vm_destroy(vm);
}

/* MAP_FIXED over lazily freed pages, and over the process's own mapped
 * pages (unmapped by the same call, then reused). */
static void test_map_fixed_over_lazy(void **state)
{
    struct process_vm *vm = new_vm(1);
    long keep = map(vm, PG, PROT_READ);
    static const int prots[] = { RW, PROT_READ, PROT_NONE };
    for (unsigned i = 0; i < ARRAY_SIZE(prots); i++) {
        long a = map(vm, 4 * PG, RW);
        memset((void *)a, 0x42, 4 * PG);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 4 * PG), 0);
        assert_int_equal(process_vm_mmap(vm, (uintptr_t)a, 4 * PG, prots[i], PA | MAP_FIXED, NULL, 0), a);
        consistent(vm);
        assert_fresh(vm, a, 4 * PG, prots[i]);
        /* Over its own mapping: RW with data -> prots[i]. */
        assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a, 4 * PG, RW), 0);
        memset((void *)a, 0x43, 4 * PG);
        assert_int_equal(process_vm_mmap(vm, (uintptr_t)a + PG, 2 * PG, prots[i], PA | MAP_FIXED, NULL, 0),
                         a + (long)PG);
        consistent(vm);
        assert_fresh(vm, a + (long)PG, 2 * PG, prots[i]);
        assert_int_equal(*(unsigned char *)a, 0x43);
        assert_int_equal(*(unsigned char *)(a + 3 * (long)PG), 0x43);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 4 * PG), 0);
    }
    consistent(vm);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)keep, PG), 0);
    process_vm_destroy(vm);
}

/* File maps over lazily freed pages: host-mapped (private, shared) and
 * copied in (no host fd). The file's bytes, zeros past EOF, its protection. */
static void test_file_over_lazy(void **state)
{
    struct process_vm *vm = new_vm(1);
    long keep = map(vm, PG, PROT_READ);
    size_t fsize = 2 * PG + 100;
    for (int no_host_fd = 0; no_host_fd < 2; no_host_fd++) {
        struct vt_file *f = vt_file_open(fsize, O_RDWR, no_host_fd);
        for (int k = 0; k < 3; k++) {
            int prot = k == 1 ? PROT_READ : RW;
            int flags = k == 2 && !no_host_fd ? MAP_SHARED : MAP_PRIVATE;
            long a = map(vm, 3 * PG, RW);
            memset((void *)a, 0xee, 3 * PG);
            assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 3 * PG), 0);
            assert_int_equal(process_vm_mmap(vm, (uintptr_t)a, 3 * PG, prot, flags, &f->base, 0), a);
            consistent(vm);
            for (size_t i = 0; i < fsize; i += 97)
                assert_int_equal(((unsigned char *)a)[i], vt_file_byte(i));
            assert_true(vt_all_zero((uintptr_t)a + fsize, 3 * PG - fsize));
            assert_int_equal(vt_write_faults((uintptr_t)a), !(prot & PROT_WRITE));
            assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 3 * PG), 0);
            consistent(vm);
        }
        vt_file_close(f);
    }
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)keep, PG), 0);
    process_vm_destroy(vm);
}

/* mremap into lazily freed pages: growing in place over them, and moving
 * onto them (MREMAP_FIXED). */
static void test_mremap_into_lazy(void **state)
{
    struct process_vm *vm = new_vm(1);
    long keep = map(vm, PG, PROT_READ);
    for (int k = 0; k < 2; k++) {
        int ext_prot = k ? PROT_READ : RW;
        long a = map(vm, 4 * PG, RW);
        memset((void *)a, 0x5a, 4 * PG);
        assert_int_equal(process_vm_mprotect(vm, (uintptr_t)a + 2 * PG, 2 * PG, ext_prot), 0);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a + 2 * PG, 2 * PG), 0);
        assert_int_equal(process_vm_mremap(vm, (uintptr_t)a, 2 * PG, 4 * PG, 0, 0), a);
        consistent(vm);
        assert_int_equal(*(unsigned char *)(a + 2 * (long)PG - 1), 0x5a);
        assert_fresh(vm, a + 2 * (long)PG, 2 * PG, RW);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 4 * PG), 0);
    }
    /* Move onto lazy pages, same size and growing; the source becomes
     * lazily free itself. */
    for (int grow = 0; grow < 2; grow++) {
        long src = map(vm, 2 * PG, RW);
        memset((void *)src, 0x11, 2 * PG);
        long dst = map(vm, 4 * PG, RW);
        memset((void *)dst, 0x22, 4 * PG);
        assert_int_equal(process_vm_mprotect(vm, (uintptr_t)dst, PG, PROT_READ), 0);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)dst, 4 * PG), 0);
        size_t nlen = grow ? 4 * PG : 2 * PG;
        assert_int_equal(process_vm_mremap(vm, (uintptr_t)src, 2 * PG, nlen,
                                           MREMAP_MAYMOVE | MREMAP_FIXED, (uintptr_t)dst),
                         dst);
        consistent(vm);
        assert_int_equal(*(unsigned char *)dst, 0x11);
        assert_int_equal(*(unsigned char *)(dst + 2 * (long)PG - 1), 0x11);
        assert_true(vt_all_zero((uintptr_t)dst + 2 * PG, nlen - 2 * PG));
        assert_false(vt_write_faults((uintptr_t)dst + nlen - PG));
        assert_just_unmapped(src, RW);
        /* The old place is reused cleanly. */
        map_at(vm, src, 2 * PG, PROT_READ);
        assert_fresh(vm, src, 2 * PG, PROT_READ);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)src, 2 * PG), 0);
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)dst, nlen), 0);
    }
    consistent(vm);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)keep, PG), 0);
    process_vm_destroy(vm);
}

static int residency(uintptr_t a)
{
    unsigned char v = 0;
    assert_int_equal(mincore((void *)a, PG, &v), 0);
    return v & 1;
}

/* The dirty bound: past dirty_max the freed pages go back to the host
 * (not resident) and are PROT_NONE, whatever the policy. */
static void test_dirty_bound(void **state)
{
    struct user_space_vm_tuning t = { .dirty_max = 16 * PG,
                                      .zero_memset_max = 64 * 1024 };
    user_space_vm_tune(usv, &t);
    struct process_vm *vm = new_vm(1);
    long a = map(vm, 40 * PG, RW);
    memset((void *)a, 0x77, 40 * PG);
    for (int i = 0; i < 16; i++)
        assert_int_equal(process_vm_munmap(vm, (uintptr_t)a + (size_t)(2 * i) * PG, PG), 0);
    consistent(vm);
    for (int i = 0; i < 16; i++) {
        uintptr_t p = (uintptr_t)a + (size_t)(2 * i) * PG;
        assert_true(residency(p));      /* not flushed yet */
        if (i % 5 == 0)
            assert_just_unmapped((long)p, RW);
    }
    /* The 17th page crosses the bound: all of them are flushed. */
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a + 32 * PG, PG), 0);
    consistent(vm);
    for (int i = 0; i <= 16; i++) {
        uintptr_t p = (uintptr_t)a + (size_t)(2 * i) * PG;
        assert_false(residency(p));
        if (i % 4 == 0)
            assert_true(vt_read_faults(p));
        assert_int_equal(*(unsigned char *)(p + PG), 0x77);   /* neighbours kept */
    }
    /* Reused after the flush: clean pages. */
    map_at(vm, a, PG, RW);
    assert_true(vt_all_zero((uintptr_t)a, PG));
    consistent(vm);
    process_vm_destroy(vm);
    struct user_space_vm_tuning back = { .dirty_max = 1 * MiB, .zero_memset_max = 64 * 1024 };
    user_space_vm_tune(usv, &back);
}

/* Two processes in one multi chunk: p2 lands on pages p1 freed lazily and
 * gets zeros with its own protection; p1's exit makes its remaining pages
 * inaccessible at once (both policies) and leaves p2's alone. */
static void test_processes_share_chunk(void **state)
{
    struct process_vm *p1 = new_vm(1), *p2 = new_vm(2);
    long x = map(p1, 8 * PG, RW);
    memset((void *)x, 0x11, 8 * PG);
    long rest = process_vm_mmap(p1, (uintptr_t)x + 16 * PG, 4 * PG, RW, PA | MAP_FIXED_NOREPLACE, NULL, 0);
    assert_int_equal(rest, x + 16 * (long)PG);
    memset((void *)rest, 0x12, 4 * PG);
    /* p2 takes room in p1's chunk. */
    long y = process_vm_mmap(p2, (uintptr_t)x + 8 * PG, 4 * PG, RW, PA | MAP_FIXED_NOREPLACE, NULL, 0);
    assert_int_equal(y, x + 8 * (long)PG);
    memset((void *)y, 0x22, 4 * PG);
    assert_int_equal(process_vm_munmap(p1, (uintptr_t)x, 8 * PG), 0);
    assert_just_unmapped(x, RW);
    consistent(p1);
    /* p2 over p1's freed pages: read-only and zero, then read-write. */
    assert_int_equal(process_vm_mmap(p2, (uintptr_t)x, 4 * PG, PROT_READ, PA, NULL, 0), x);
    assert_fresh(p2, x, 4 * PG, PROT_READ);
    assert_int_equal(process_vm_mmap(p2, (uintptr_t)x + 4 * PG, 4 * PG, RW, PA, NULL, 0),
                     x + 4 * (long)PG);
    assert_fresh(p2, x + 4 * (long)PG, 4 * PG, RW);
    consistent(p2);
    /* p1 frees some lazily, then exits with the rest. */
    assert_int_equal(process_vm_munmap(p1, (uintptr_t)rest, PG), 0);
    process_vm_destroy(p1);
    consistent(p2);
    assert_true(vt_read_faults((uintptr_t)rest + PG));
    assert_true(vt_read_faults((uintptr_t)rest + 3 * PG));
    assert_int_equal(*(unsigned char *)y, 0x22);
    assert_int_equal(*(unsigned char *)(y + 4 * (long)PG - 1), 0x22);
    /* p2 takes p1's old pages too. */
    assert_int_equal(process_vm_mmap(p2, (uintptr_t)rest, 4 * PG, RW, PA, NULL, 0), rest);
    assert_fresh(p2, rest, 4 * PG, RW);
    consistent(p2);
    process_vm_destroy(p2);
}

/* Lazily freed pages in spare chunks: a large map reclaims the chunks
 * (flushing them) and gets their address space; nothing of the old
 * protections or data is left. */
static void test_spare_chunk_reclaim(void **state)
{
    struct user_space_vm *saved = usv;
    usv = vt_pool(64 * MiB, 4 * MiB);
    struct process_vm *vms[10];
    long pages[10];
    for (int i = 0; i < 10; i++) {
        vms[i] = new_vm(50 + i);
        pages[i] = map(vms[i], PG, RW);
        memset((void *)pages[i], 0xdd, PG);
        assert_int_equal(process_vm_munmap(vms[i], (uintptr_t)pages[i], PG), 0);
    }
    consistent(NULL);
    long big = process_vm_mmap(vms[0], 0, 56 * MiB, PROT_NONE, PA, NULL, 0);
    assert_true(big > 0);
    consistent(vms[0]);
    assert_int_equal(process_vm_mprotect(vms[0], (uintptr_t)big, 56 * MiB, PROT_READ), 0);
    for (int i = 0; i < 10; i++)
        if (pages[i] >= big && pages[i] < big + (long)(56 * MiB))
            assert_true(vt_all_zero((uintptr_t)pages[i], PG));
    for (int i = 0; i < 10; i++)
        process_vm_destroy(vms[i]);
    assert_true(vt_pool_is_clean(usv));
    user_space_vm_destroy(usv);
    usv = saved;
}

/* A setup that fails over lazily freed pages (a file read error) leaves
 * the pages PROT_NONE and recorded so, not with the failed mapping's
 * protection. */
static ssize_t failing_read(struct vm_file *f, void *buf, size_t len, uint64_t off)
{
    return -EIO;
}

static void test_failed_setup(void **state)
{
    struct vt_file *f = vt_file_open(PG, O_RDWR, 1);
    struct vm_file_ops ops = vt_file_ops;
    ops.read_at = failing_read;
    f->base.ops = &ops;
    struct process_vm *vm = new_vm(1);
    long keep = map(vm, PG, PROT_READ);
    long a = map(vm, 2 * PG, RW);
    memset((void *)a, 0x66, 2 * PG);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 2 * PG), 0);
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)a, 2 * PG, PROT_READ, MAP_PRIVATE, &f->base, 0),
                     -EIO);
    consistent(vm);
    assert_true(vt_read_faults((uintptr_t)a));
    map_at(vm, a, 2 * PG, RW);
    assert_fresh(vm, a, 2 * PG, RW);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 2 * PG), 0);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)keep, PG), 0);
    process_vm_destroy(vm);
    f->base.ops = &vt_file_ops;
    vt_file_close(f);
}

/* user_space_vm_check_host notices a host protection that differs from
 * what the manager believes, for mapped and for lazily freed pages. */
static void test_check_host_catches(void **state)
{
    struct process_vm *vm = new_vm(1);
    long keep = map(vm, PG, PROT_READ);
    long a = map(vm, 2 * PG, RW);
    consistent(vm);
    assert_int_equal(mprotect((void *)a, PG, PROT_READ), 0);       /* behind its back */
    assert_int_equal(user_space_vm_check_host(usv), -EUCLEAN);
    assert_int_equal(mprotect((void *)a, PG, RW), 0);
    assert_int_equal(user_space_vm_check_host(usv), 0);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, 2 * PG), 0);
    int freed_prot = vt_strict() ? PROT_NONE : RW;
    int wrong = vt_strict() ? PROT_READ : PROT_NONE;
    assert_int_equal(mprotect((void *)a, PG, wrong), 0);
    assert_int_equal(user_space_vm_check_host(usv), -EUCLEAN);
    assert_int_equal(mprotect((void *)a, PG, freed_prot), 0);
    assert_int_equal(user_space_vm_check_host(usv), 0);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)keep, PG), 0);
    process_vm_destroy(vm);
}

/* The policy: config, ONESPACE_VM_UNMAP, tuning. */
static enum vm_unmap_protect policy_with_env(const char *env, enum vm_unmap_protect asked)
{
    if (env)
        setenv("ONESPACE_VM_UNMAP", env, 1);
    else
        unsetenv("ONESPACE_VM_UNMAP");
    struct user_space_vm_config cfg = { .user_space_size = 16 * MiB, .chunk_size = 4 * MiB,
                                        .unmap_protect = asked };
    struct user_space_vm *u;
    assert_int_equal(user_space_vm_create(&cfg, &u), 0);
    enum vm_unmap_protect got = user_space_vm_unmap_protect(u);
    /* The policy in force is the one applied. */
    struct process_vm *vm;
    assert_int_equal(process_vm_create(u, 1, &vm), 0);
    long keep = process_vm_mmap(vm, 0, PG, PROT_READ, PA, NULL, 0);
    long a = process_vm_mmap(vm, 0, PG, RW, PA, NULL, 0);
    assert_true(keep > 0 && a > 0);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, PG), 0);
    assert_int_equal(vt_read_faults((uintptr_t)a), got == VM_UNMAP_PROTECT_STRICT);
    process_vm_destroy(vm);
    assert_true(vt_pool_is_clean(u));
    user_space_vm_destroy(u);
    return got;
}

static void test_policy_selection(void **state)
{
    const char *saved = getenv("ONESPACE_VM_UNMAP");
    char *copy = saved ? strdup(saved) : NULL;
    assert_int_equal(policy_with_env(NULL, 0), VM_UNMAP_PROTECT_LAZY);   /* the default */
    assert_int_equal(policy_with_env("strict", 0), VM_UNMAP_PROTECT_STRICT);
    assert_int_equal(policy_with_env("STRICT", 0), VM_UNMAP_PROTECT_STRICT);
    assert_int_equal(policy_with_env("lazy", 0), VM_UNMAP_PROTECT_LAZY);
    assert_int_equal(policy_with_env("bogus", 0), VM_UNMAP_PROTECT_LAZY);
    assert_int_equal(policy_with_env("lazy", VM_UNMAP_PROTECT_STRICT), VM_UNMAP_PROTECT_STRICT);
    assert_int_equal(policy_with_env("strict", VM_UNMAP_PROTECT_LAZY), VM_UNMAP_PROTECT_LAZY);
    if (copy)
        setenv("ONESPACE_VM_UNMAP", copy, 1);
    else
        unsetenv("ONESPACE_VM_UNMAP");
    free(copy);

    struct user_space_vm *u;
    struct user_space_vm_config bad = { .user_space_size = 16 * MiB, .chunk_size = 4 * MiB,
                                        .unmap_protect = (enum vm_unmap_protect)7 };
    assert_int_equal(user_space_vm_create(&bad, &u), -EINVAL);
    /* Tuning: 0 keeps it; either policy may follow the other, and pages
     * freed under the old one stay consistent. */
    u = vt_pool(16 * MiB, 4 * MiB);
    struct process_vm *vm;
    assert_int_equal(process_vm_create(u, 1, &vm), 0);
    long keep = process_vm_mmap(vm, 0, PG, PROT_READ, PA, NULL, 0);
    long a = process_vm_mmap(vm, 0, 2 * PG, RW, PA, NULL, 0);
    assert_true(keep > 0 && a > 0);
    struct user_space_vm_tuning t = { .unmap_protect = VM_UNMAP_PROTECT_LAZY,
                                      .zero_memset_max = 64 * 1024 };
    user_space_vm_tune(u, &t);
    assert_int_equal(user_space_vm_unmap_protect(u), VM_UNMAP_PROTECT_LAZY);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a, PG), 0);
    t.unmap_protect = VM_UNMAP_PROTECT_STRICT;
    user_space_vm_tune(u, &t);
    t.unmap_protect = VM_UNMAP_PROTECT_DEFAULT;
    user_space_vm_tune(u, &t);
    assert_int_equal(user_space_vm_unmap_protect(u), VM_UNMAP_PROTECT_STRICT);
    assert_int_equal(process_vm_munmap(vm, (uintptr_t)a + PG, PG), 0);
    assert_false(vt_read_faults((uintptr_t)a));     /* freed lazily */
    assert_true(vt_read_faults((uintptr_t)a + PG)); /* freed strictly */
    assert_int_equal(user_space_vm_check_host(u), 0);
    assert_int_equal(process_vm_mmap(vm, (uintptr_t)a, 2 * PG, PROT_READ, PA, NULL, 0), a);
    assert_true(vt_write_faults((uintptr_t)a));
    assert_true(vt_all_zero((uintptr_t)a, 2 * PG));
    assert_int_equal(user_space_vm_check_host(u), 0);
    process_vm_destroy(vm);
    assert_true(vt_pool_is_clean(u));
    user_space_vm_destroy(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse_same_prot),
        cmocka_unit_test(test_reuse_changes_prot),
        cmocka_unit_test(test_reuse_mixed),
        cmocka_unit_test(test_map_fixed_over_lazy),
        cmocka_unit_test(test_file_over_lazy),
        cmocka_unit_test(test_mremap_into_lazy),
        cmocka_unit_test(test_dirty_bound),
        cmocka_unit_test(test_processes_share_chunk),
        cmocka_unit_test(test_spare_chunk_reclaim),
        cmocka_unit_test(test_failed_setup),
        cmocka_unit_test(test_check_host_catches),
        cmocka_unit_test(test_policy_selection),
    };
    return vt_run_both(tests, setup, teardown);
}
