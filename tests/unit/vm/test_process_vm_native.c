/* Differential test: the same layout of mappings is made natively (in a
 * scratch part of this process's address space) and in a process_vm, then
 * the same call is made on both. The return value (errno, or the address
 * relative to the base) and the resulting page-by-page layout (from
 * /proc/self/maps and from process_vm_render_maps) must be identical.
 *
 * Every case runs in three placements of the onespace base: inside a
 * multi-VMA chunk, in free pool space (single-VMA chunks), and across the
 * end of a multi-VMA chunk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/mman.h>

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "vmcore_test_util.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 3
#endif

#define NPAGES 64
#define CHUNK (4 * MiB)

enum { OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP, OP_MSYNC, OP_MADVISE, OP_MINCORE };

struct vcase {
    const char *name;
    int op;
    long off;           /* bytes from the base (the address of the call) */
    size_t len;
    int prot;           /* mmap/mprotect prot */
    int flags;          /* mmap flags / mremap flags / msync flags / madvise advice */
    size_t new_len;     /* mremap */
    long new_off;       /* mremap new address, from the base */
    int abs;            /* off is an absolute address */
    int layout_differs; /* a documented difference in the resulting layout */
};

#define P(n) ((long)(n) * (long)PG)
#define RW (PROT_READ | PROT_WRITE)
#define PA (MAP_PRIVATE | MAP_ANONYMOUS)

/* The layout both sides start from (in pages). */
static const struct { int start, n, prot; } layout[] = {
    { 0, 4, RW },           /* [0,4)   rw */
                            /* [4,6)   hole */
    { 6, 2, PROT_READ },    /* [6,8)   r  */
    { 8, 4, RW },           /* [8,12)  rw (adjacent to r: no merge) */
    { 12, 4, PROT_NONE },   /* [12,16) --- */
    { 20, 8, RW },          /* [20,28) rw */
};

static const struct vcase cases[] = {
    /* munmap */
    { "munmap whole vma", OP_MUNMAP, P(0), P(4) },
    { "munmap middle (split)", OP_MUNMAP, P(1), P(2) },
    { "munmap across vmas and holes", OP_MUNMAP, P(2), P(20) },
    { "munmap unmapped range", OP_MUNMAP, P(4), P(2) },
    { "munmap unaligned addr", OP_MUNMAP, P(1) + 1, P(1) },
    { "munmap len 0", OP_MUNMAP, P(0), 0 },
    { "munmap unaligned len", OP_MUNMAP, P(0), 5000 },
    { "munmap huge len", OP_MUNMAP, P(0), SIZE_MAX - 100 },
    { "munmap above user space", OP_MUNMAP, 0x800000000000L, PG, .abs = 1 },
    /* mprotect */
    { "mprotect middle", OP_MPROTECT, P(1), P(2), PROT_READ },
    { "mprotect same prot", OP_MPROTECT, P(0), P(4), RW },
    { "mprotect across adjacent vmas", OP_MPROTECT, P(6), P(6), PROT_READ },
    { "mprotect merges back", OP_MPROTECT, P(6), P(2), RW },
    /* Linux changes [2,4) and then fails; here nothing changes (validated
     * first, as docs/vm.md says). Same errno. */
    { "mprotect over hole", OP_MPROTECT, P(2), P(6), PROT_READ, .layout_differs = 1 },
    { "mprotect hole only", OP_MPROTECT, P(4), P(2), PROT_READ },
    { "mprotect starting in hole", OP_MPROTECT, P(4), P(4), PROT_READ },
    { "mprotect len 0", OP_MPROTECT, P(4), 0, PROT_READ },
    { "mprotect unaligned", OP_MPROTECT, P(0) + 8, P(1), PROT_READ },
    { "mprotect bad bits", OP_MPROTECT, P(0), P(1), 0x40 },
    { "mprotect PROT_SEM", OP_MPROTECT, P(0), P(1), PROT_READ | 0x8 },
    { "mprotect grows both", OP_MPROTECT, P(0), P(1), PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP },
    { "mprotect growsdown on normal vma", OP_MPROTECT, P(1), P(1), PROT_READ | PROT_GROWSDOWN },
    { "mprotect growsup", OP_MPROTECT, P(1), P(1), PROT_READ | PROT_GROWSUP },
    { "mprotect wrap", OP_MPROTECT, P(0), SIZE_MAX - 10, PROT_READ },
    { "mprotect exec", OP_MPROTECT, P(20), P(2), PROT_READ | PROT_EXEC },
    { "mprotect none then", OP_MPROTECT, P(21), P(3), PROT_NONE },
    { "mprotect unaligned len", OP_MPROTECT, P(0), 100, PROT_READ },
    /* mmap */
    { "mmap fixed into hole", OP_MMAP, P(4), P(2), RW, PA | MAP_FIXED },
    { "mmap fixed over vmas", OP_MMAP, P(2), P(8), PROT_READ, PA | MAP_FIXED },
    { "mmap fixed merge", OP_MMAP, P(4), P(2), RW, PA | MAP_FIXED },
    { "mmap fixed unaligned", OP_MMAP, P(4) + 12, P(2), RW, PA | MAP_FIXED },
    { "mmap noreplace free", OP_MMAP, P(16), P(4), RW, PA | MAP_FIXED_NOREPLACE },
    { "mmap noreplace busy", OP_MMAP, P(2), P(4), RW, PA | MAP_FIXED_NOREPLACE },
    { "mmap noreplace partly busy", OP_MMAP, P(16), P(6), RW, PA | MAP_FIXED_NOREPLACE },
    { "mmap len 0", OP_MMAP, P(4), 0, RW, PA | MAP_FIXED },
    { "mmap huge len", OP_MMAP, 0, SIZE_MAX - 100, RW, PA, .abs = 1 },
    { "mmap no type", OP_MMAP, P(4), P(1), RW, MAP_ANONYMOUS | MAP_FIXED },
    { "mmap shared|private anon", OP_MMAP, P(4), P(1), RW, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED },
    { "mmap validate unknown flag anon", OP_MMAP, P(4), P(1), RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_FIXED | 0x200000 },
    { "mmap shared anon fixed", OP_MMAP, P(4), P(2), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED },
    { "mmap shared growsdown", OP_MMAP, P(4), P(2), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED },
    { "mmap private unknown flag", OP_MMAP, P(4), P(2), RW, PA | MAP_FIXED | 0x8000000 },
    { "mmap prot none fixed", OP_MMAP, P(16), P(2), PROT_NONE, PA | MAP_FIXED },
    { "mmap populate fixed", OP_MMAP, P(16), P(2), RW, PA | MAP_FIXED | MAP_POPULATE },
    { "mmap stack growsdown fixed", OP_MMAP, P(16), P(2), RW, PA | MAP_FIXED | MAP_STACK | MAP_GROWSDOWN | MAP_NORESERVE },
    { "mmap fixed wraps", OP_MMAP, -P(1), P(4), RW, PA | MAP_FIXED, .abs = 1 },
    { "mmap unknown prot bits", OP_MMAP, P(16), P(1), RW | 0x10, PA | MAP_FIXED },
    /* mremap */
    { "mremap shrink", OP_MREMAP, P(20), P(8), .new_len = P(3) },
    { "mremap same size", OP_MREMAP, P(20), P(8), .new_len = P(8) },
    { "mremap grow in place", OP_MREMAP, P(8), P(4), .new_len = P(4) + 1 },
    { "mremap grow blocked no move", OP_MREMAP, P(0), P(4), .new_len = P(8) },
    { "mremap grow into none vma", OP_MREMAP, P(8), P(4), .new_len = P(5) },
    { "mremap old spans vmas", OP_MREMAP, P(6), P(4), .new_len = P(8), .flags = MREMAP_MAYMOVE },
    { "mremap unmapped old", OP_MREMAP, P(4), P(1), .new_len = P(2), .flags = MREMAP_MAYMOVE },
    { "mremap unaligned old", OP_MREMAP, P(0) + 1, P(1), .new_len = P(2) },
    { "mremap new len 0", OP_MREMAP, P(0), P(1), .new_len = 0 },
    { "mremap bad flags", OP_MREMAP, P(0), P(1), .new_len = P(2), .flags = 0x40 },
    { "mremap fixed without maymove", OP_MREMAP, P(0), P(1), .new_len = P(1), .flags = MREMAP_FIXED, .new_off = P(16) },
    { "mremap fixed move", OP_MREMAP, P(0), P(2), .new_len = P(2), .flags = MREMAP_MAYMOVE | MREMAP_FIXED, .new_off = P(16) },
    { "mremap fixed move grow over vma", OP_MREMAP, P(0), P(2), .new_len = P(6), .flags = MREMAP_MAYMOVE | MREMAP_FIXED, .new_off = P(18) },
    { "mremap fixed move shrink", OP_MREMAP, P(20), P(8), .new_len = P(2), .flags = MREMAP_MAYMOVE | MREMAP_FIXED, .new_off = P(16) },
    { "mremap fixed overlap", OP_MREMAP, P(0), P(4), .new_len = P(4), .flags = MREMAP_MAYMOVE | MREMAP_FIXED, .new_off = P(2) },
    { "mremap fixed unaligned new", OP_MREMAP, P(0), P(1), .new_len = P(1), .flags = MREMAP_MAYMOVE | MREMAP_FIXED, .new_off = P(16) + 4 },
    { "mremap dontunmap fixed", OP_MREMAP, P(0), P(2), .new_len = P(2), .flags = MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, .new_off = P(16) },
    { "mremap dontunmap resize", OP_MREMAP, P(0), P(2), .new_len = P(3), .flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP },
    { "mremap dontunmap no maymove", OP_MREMAP, P(0), P(2), .new_len = P(2), .flags = MREMAP_DONTUNMAP },
    { "mremap old len 0 private", OP_MREMAP, P(0), 0, .new_len = P(2), .flags = MREMAP_MAYMOVE },
    /* msync */
    { "msync ok", OP_MSYNC, P(0), P(4), .flags = MS_SYNC },
    { "msync async", OP_MSYNC, P(0), P(4), .flags = MS_ASYNC },
    { "msync invalidate", OP_MSYNC, P(0), P(4), .flags = MS_INVALIDATE },
    { "msync sync+async", OP_MSYNC, P(0), P(4), .flags = MS_SYNC | MS_ASYNC },
    { "msync unaligned", OP_MSYNC, P(0) + 2, P(1), .flags = MS_SYNC },
    { "msync bad flag", OP_MSYNC, P(0), P(1), .flags = 0x100 },
    { "msync hole", OP_MSYNC, P(2), P(4), .flags = MS_SYNC },
    { "msync len 0", OP_MSYNC, P(4), 0, .flags = MS_SYNC },
    /* madvise */
    { "madvise dontneed", OP_MADVISE, P(0), P(4), .flags = MADV_DONTNEED },
    { "madvise willneed hole", OP_MADVISE, P(2), P(4), .flags = MADV_WILLNEED },
    { "madvise bad advice", OP_MADVISE, P(0), P(1), .flags = 77 },
    { "madvise unaligned", OP_MADVISE, P(0) + 1, P(1), .flags = MADV_NORMAL },
    { "madvise free", OP_MADVISE, P(0), P(4), .flags = MADV_FREE },
    { "madvise len 0", OP_MADVISE, P(4), 0, .flags = MADV_DONTNEED },
    { "madvise dontfork", OP_MADVISE, P(0), P(4), .flags = MADV_DONTFORK },
    { "madvise random/seq", OP_MADVISE, P(20), P(8), .flags = MADV_SEQUENTIAL },
    { "madvise dontneed none", OP_MADVISE, P(12), P(4), .flags = MADV_DONTNEED },
    /* mincore */
    { "mincore ok", OP_MINCORE, P(0), P(4) },
    { "mincore hole", OP_MINCORE, P(2), P(4) },
    { "mincore unaligned", OP_MINCORE, P(0) + 1, P(1) },
    { "mincore len 0", OP_MINCORE, P(4), 0 },
};

/* ---- the native side ---- */

static uintptr_t native_base;

static void native_setup(void)
{
    if (!native_base) {
        void *p = mmap(NULL, (NPAGES + 16) * PG, PROT_NONE, PA, -1, 0);
        assert_true(p != MAP_FAILED);
        native_base = (uintptr_t)p + 8 * PG;
    }
    munmap((void *)native_base, NPAGES * PG);
    for (size_t i = 0; i < ARRAY_SIZE(layout); i++) {
        void *p = mmap((void *)(native_base + P(layout[i].start)), P(layout[i].n),
                       layout[i].prot, PA | MAP_FIXED_NOREPLACE, -1, 0);
        assert_true(p != MAP_FAILED);
        if (layout[i].prot & PROT_WRITE)
            memset(p, 0x11 * (int)(i + 1), P(layout[i].n));
    }
}

static long native_call(const struct vcase *c, uintptr_t base)
{
    uintptr_t a = c->abs ? (uintptr_t)c->off : base + (uintptr_t)c->off;
    long r;
    unsigned char vec[NPAGES * 2];
    switch (c->op) {
    case OP_MMAP: {
        void *p = mmap((void *)a, c->len, c->prot, c->flags, -1, 0);
        return p == MAP_FAILED ? -errno : (long)p;
    }
    case OP_MUNMAP: r = munmap((void *)a, c->len); break;
    case OP_MPROTECT: r = mprotect((void *)a, c->len, c->prot); break;
    case OP_MREMAP: {
        void *p = mremap((void *)a, c->len, c->new_len, c->flags, (void *)(base + c->new_off));
        return p == MAP_FAILED ? -errno : (long)p;
    }
    case OP_MSYNC: r = msync((void *)a, c->len, c->flags); break;
    case OP_MADVISE: r = madvise((void *)a, c->len, c->flags); break;
    case OP_MINCORE: r = mincore((void *)a, c->len, vec); break;
    default: abort();
    }
    return r ? -errno : 0;
}

static long onespace_call(struct process_vm *vm, const struct vcase *c, uintptr_t base)
{
    uintptr_t a = c->abs ? (uintptr_t)c->off : base + (uintptr_t)c->off;
    unsigned char vec[NPAGES * 2];
    switch (c->op) {
    case OP_MMAP: return process_vm_mmap(vm, a, c->len, c->prot, c->flags, NULL, 0);
    case OP_MUNMAP: return process_vm_munmap(vm, a, c->len);
    case OP_MPROTECT: return process_vm_mprotect(vm, a, c->len, c->prot);
    case OP_MREMAP: return process_vm_mremap(vm, a, c->len, c->new_len, c->flags, base + c->new_off);
    case OP_MSYNC: return process_vm_msync(vm, a, c->len, c->flags);
    case OP_MADVISE: return process_vm_madvise(vm, a, c->len, c->flags);
    case OP_MINCORE: return process_vm_mincore(vm, a, c->len, vec);
    default: abort();
    }
}

/* Page-by-page "rwxp" of [base, base + NPAGES) from maps text. */
static void layout_from_maps(const char *text, uintptr_t base, char out[NPAGES][5])
{
    for (int i = 0; i < NPAGES; i++)
        strcpy(out[i], "....");
    const char *line = text;
    while (line && *line) {
        unsigned long s, e;
        char perms[8];
        if (sscanf(line, "%lx-%lx %4s", &s, &e, perms) == 3) {
            for (int i = 0; i < NPAGES; i++) {
                uintptr_t a = base + P(i);
                if (a >= s && a < e)
                    memcpy(out[i], perms, 4);
            }
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
}

static char *read_self_maps(void)
{
    static char buf[1 << 20];
    FILE *f = fopen("/proc/self/maps", "r");
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

/* ---- the onespace side ---- */

enum placement { IN_MULTI, IN_POOL, ACROSS_CHUNK_END };
static const char *placement_name[] = { "in a multi chunk", "in free pool space",
                                        "across a chunk end" };

struct side {
    struct user_space_vm *usv;
    struct process_vm *vm;
    uintptr_t base;
};

static void onespace_setup(struct side *s, enum placement pl)
{
    s->usv = vt_pool(64 * MiB, CHUNK);
    assert_int_equal(process_vm_create(s->usv, 1, &s->vm), 0);
    struct vm_range pool = user_space_vm_range(s->usv);
    if (pl == IN_POOL) {
        s->base = pool.start + 32 * MiB;
    } else {
        long a = process_vm_mmap(s->vm, 0, PG, RW, PA, NULL, 0);
        assert_true(a > 0);
        assert_int_equal(process_vm_munmap(s->vm, (uintptr_t)a, PG), 0);
        /* The first chunk starts at the lowest fit: a. */
        s->base = pl == IN_MULTI ? (uintptr_t)a + P(8) : (uintptr_t)a + CHUNK - P(10);
    }
    for (size_t i = 0; i < ARRAY_SIZE(layout); i++) {
        long p = process_vm_mmap(s->vm, s->base + P(layout[i].start), P(layout[i].n),
                                 layout[i].prot, PA | MAP_FIXED_NOREPLACE, NULL, 0);
        assert_int_equal(p, (long)(s->base + P(layout[i].start)));
        if (layout[i].prot & PROT_WRITE)
            memset((void *)p, 0x11 * (int)(i + 1), P(layout[i].n));
    }
    assert_int_equal(user_space_vm_check(s->usv), 0);
}

static void onespace_teardown(struct side *s)
{
    process_vm_destroy(s->vm);
    assert_true(vt_pool_is_clean(s->usv));
    user_space_vm_destroy(s->usv);
}

static bool fixed_result(const struct vcase *c)
{
    return (c->op == OP_MMAP && (c->flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))) ||
           (c->op == OP_MREMAP && !(c->flags & MREMAP_MAYMOVE)) ||
           (c->op == OP_MREMAP && (c->flags & MREMAP_FIXED));
}

/* Compare a few bytes of every readable page on both sides. */
static int compare_contents(uintptr_t nb, uintptr_t ob, char lay[NPAGES][5])
{
    for (int i = 0; i < NPAGES; i++) {
        if (lay[i][0] != 'r')
            continue;
        if (memcmp((void *)(nb + P(i)), (void *)(ob + P(i)), 64) ||
            memcmp((void *)(nb + P(i) + PG - 64), (void *)(ob + P(i) + PG - 64), 64))
            return i;
    }
    return -1;
}

static void test_against_native(void **state)
{
    int failures = 0;
    char *obuf = malloc(1 << 20);
    for (int pl = 0; pl < 3; pl++) {
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
            const struct vcase *c = &cases[i];
            struct side s;
            native_setup();
            onespace_setup(&s, (enum placement)pl);

            long nr = native_call(c, native_base);
            long orr = onespace_call(s.vm, c, s.base);
            bool nok = nr >= 0, ook = orr >= 0;
            bool same = nok == ook && (nok || nr == orr);
            if (same && nok && fixed_result(c) && c->op != OP_MUNMAP && c->op != OP_MPROTECT &&
                c->op != OP_MSYNC && c->op != OP_MADVISE && c->op != OP_MINCORE)
                same = (uintptr_t)nr - native_base == (uintptr_t)orr - s.base;
            if (!same) {
                print_error("[%s] %s: native %ld, onespace %ld\n", placement_name[pl], c->name,
                            nok ? 0 : nr, ook ? 0 : orr);
                failures++;
            }
            /* A non-fixed result lands elsewhere on each side: drop it. */
            if (nok && !fixed_result(c) && (c->op == OP_MMAP || c->op == OP_MREMAP) &&
                (uintptr_t)nr != native_base + (uintptr_t)c->off) {
                size_t l = c->op == OP_MMAP ? c->len : c->new_len;
                munmap((void *)nr, l);
                if (ook)
                    process_vm_munmap(s.vm, (uintptr_t)orr, l);
            }
            char nl[NPAGES][5], ol[NPAGES][5];
            layout_from_maps(read_self_maps(), native_base, nl);
            process_vm_render_maps(s.vm, obuf, 1 << 20);
            layout_from_maps(obuf, s.base, ol);
            for (int p = 0; p < NPAGES && !c->layout_differs; p++) {
                /* Shared anonymous maps: 's' on both, compare rwx only. */
                if (memcmp(nl[p], ol[p], 4) != 0) {
                    print_error("[%s] %s: page %d native %s onespace %s\n", placement_name[pl],
                                c->name, p, nl[p], ol[p]);
                    failures++;
                    break;
                }
            }
            int bad = c->layout_differs ? -1 : compare_contents(native_base, s.base, nl);
            if (bad >= 0) {
                print_error("[%s] %s: contents of page %d differ\n", placement_name[pl],
                            c->name, bad);
                failures++;
            }
            if (user_space_vm_check(s.usv) || process_vm_check(s.vm)) {
                print_error("[%s] %s: invariants broken\n", placement_name[pl], c->name);
                failures++;
            }
            onespace_teardown(&s);
        }
    }
    free(obuf);
    munmap((void *)native_base, NPAGES * PG);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_native),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
