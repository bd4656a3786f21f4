/* vm_chunk_manager: VMA tree (find, first_after, insert, remove, split,
 * merge), range walks against a model, the dirty bitmap, the recorded
 * protections of lazily freed pages, cm_check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "host/host_mem.h"
#include "host/host_mem_query.h"
#include "util/compiler.h"
#include "vm/vm_chunk_manager.h"

#define OWNER ((struct process_vm *)0x1000)
#define PG PAGE_SIZE

static uintptr_t base;

static int setup(void **state)
{
    void *p;
    assert_int_equal(host_mem_reserve(64 * PG, PG, &p), 0);
    base = (uintptr_t)p;
    return 0;
}

static int teardown(void **state)
{
    host_mem_unreserve((void *)base, 64 * PG);
    return 0;
}

static struct vm_area *add(struct vm_chunk_manager *cm, int s, int e, uint32_t perms)
{
    struct vm_range r = { base + (uintptr_t)s * PG, base + (uintptr_t)e * PG };
    if (cm->multi)
        assert_int_equal(fsm_alloc_at(&cm->fsm, r), 0);
    struct vm_area *v = vma_new(r, perms, 0, OWNER, NULL, 0);
    cm_insert(cm, v);
    return v;
}

static void test_find_and_walk(void **state)
{
    struct vm_chunk_manager cm;
    assert_int_equal(cm_init(&cm, (struct vm_range){ base, base + 64 * PG }, true), 0);
    /* VMAs at every 3rd page: [3k, 3k+2). */
    for (int k = 0; k < 21; k++)
        add(&cm, 3 * k, 3 * k + 2, (uint32_t)(k % 2 ? 1 : 3));
    assert_int_equal(cm_check(&cm), 0);
    assert_int_equal(cm.nr_vmas, 21);
    for (int p = 0; p < 64; p++) {
        struct vm_area *v = cm_find(&cm, base + (uintptr_t)p * PG + 5);
        bool in = p % 3 != 2 && p < 63;
        assert_int_equal(v != NULL, in);
        struct vm_area *f = cm_first_after(&cm, base + (uintptr_t)p * PG);
        int want = p % 3 == 2 ? p + 1 : p - p % 3;
        if (want >= 63)
            assert_null(f);
        else
            assert_int_equal(f->range.start, base + (uintptr_t)want * PG);
    }
    /* Merge: fill the gap after VMA 0 (perms 3) and VMA 1 has perms 1. */
    struct vm_area *g = add(&cm, 2, 3, 3);
    unsigned freed;
    struct vm_area *m = cm_merge_around(&cm, g, &freed);
    assert_int_equal(freed, 1);
    assert_int_equal(m->range.start, base);
    assert_int_equal(m->range.end, base + 3 * PG);
    /* Fill [5,6) with perms 1 between [3,5) (perms 1) and [6,8) (perms 3),
     * then make it all perms 3: three VMAs merge into one. */
    struct vm_area *v1 = cm_find(&cm, base + 3 * PG);   /* k = 1, perms 1 */
    struct vm_area *gap = add(&cm, 5, 6, 1);
    m = cm_merge_around(&cm, gap, &freed);
    assert_int_equal(freed, 1);
    assert_ptr_equal(m, v1);
    assert_int_equal(v1->range.end, base + 6 * PG);
    v1->perms = 3;
    m = cm_merge_around(&cm, v1, &freed);
    assert_int_equal(freed, 2);
    assert_int_equal(m->range.end, base + 8 * PG);
    assert_int_equal(cm_check(&cm), 0);
    /* Split [0,8) back at 5 and drop the right part for the next checks. */
    struct vm_area *r8 = vma_alloc_blank();
    cm_split(&cm, m, base + 5 * PG, r8);
    cm_remove(&cm, r8);
    assert_int_equal(fsm_free(&cm.fsm, r8->range), 0);
    vma_free(r8);
    assert_int_equal(m->range.start, base);
    assert_int_equal(m->range.end, base + 5 * PG);
    assert_int_equal(cm_check(&cm), 0);
    /* Split and remove. */
    struct vm_area *right = vma_alloc_blank();
    cm_split(&cm, m, base + 2 * PG, right);
    assert_int_equal(cm_find(&cm, base + 3 * PG), right);
    cm_remove(&cm, right);
    assert_int_equal(fsm_free(&cm.fsm, right->range), 0);
    vma_free(right);
    assert_int_equal(cm_check(&cm), 0);
    assert_true(cm_range_is_free(&cm, (struct vm_range){ base + 2 * PG, base + 5 * PG }));
    assert_false(cm_range_is_free(&cm, (struct vm_range){ base + PG, base + 3 * PG }));
    cm_destroy(&cm);
}

static void test_check_catches_breakage(void **state)
{
    struct vm_chunk_manager cm;
    assert_int_equal(cm_init(&cm, (struct vm_range){ base, base + 16 * PG }, true), 0);
    struct vm_area *v = add(&cm, 2, 4, 3);
    assert_int_equal(cm_check(&cm), 0);
    cm.vma_bytes += PG;
    assert_int_equal(cm_check(&cm), -EUCLEAN);
    cm.vma_bytes -= PG;
    cm_dirty_mark(&cm, v->range);                       /* dirty inside a VMA */
    assert_int_equal(cm_check(&cm), -EUCLEAN);
    assert_true(cm_dirty_take(&cm, v->range));
    assert_int_equal(cm_check(&cm), 0);
    v->owner = NULL;                                    /* nobody's VMA */
    assert_int_equal(cm_check(&cm), -EUCLEAN);
    v->flags = VMA_SHM;                                 /* unless shm */
    assert_int_equal(cm_check(&cm), 0);
    v->flags = 0;
    v->owner = OWNER;
    cm_destroy(&cm);
}

static void collect(struct vm_range run, void *arg)
{
    struct vm_range *out = arg;
    while (out->end)
        out++;
    *out = run;
}

static void test_dirty_bitmap(void **state)
{
    struct vm_chunk_manager cm;
    /* 200 pages: crosses bitmap word borders. */
    void *p;
    assert_int_equal(host_mem_reserve(200 * PG, PG, &p), 0);
    uintptr_t b = (uintptr_t)p;
    assert_int_equal(cm_init(&cm, (struct vm_range){ b, b + 200 * PG }, true), 0);
    cm_dirty_mark(&cm, (struct vm_range){ b + 60 * PG, b + 70 * PG });
    cm_dirty_mark(&cm, (struct vm_range){ b + 65 * PG, b + 130 * PG });
    assert_int_equal(cm.dirty_bytes, 70 * PG);
    cm_dirty_mark(&cm, (struct vm_range){ b + 150 * PG, b + 151 * PG });
    struct vm_range runs[8] = { { 0 } };
    cm_dirty_for_each_run(&cm, cm.range, collect, runs);
    assert_int_equal(runs[0].start, b + 60 * PG);
    assert_int_equal(runs[0].end, b + 130 * PG);
    assert_int_equal(runs[1].start, b + 150 * PG);
    assert_int_equal(runs[1].end, b + 151 * PG);
    assert_int_equal(runs[2].end, 0);
    assert_false(cm_dirty_take(&cm, (struct vm_range){ b, b + 60 * PG }));
    assert_true(cm_dirty_take(&cm, (struct vm_range){ b + 100 * PG, b + 140 * PG }));
    assert_int_equal(cm.dirty_bytes, 41 * PG);
    /* Flush returns the pages to the host: dirty data reads as zero. */
    assert_int_equal(host_mem_protect((void *)(b + 60 * PG), 40 * PG, HOST_PROT_READ | HOST_PROT_WRITE), 0);
    memset((void *)(b + 60 * PG), 0xcc, 40 * PG);
    assert_int_equal(cm_dirty_flush(&cm), 0);
    assert_int_equal(cm.dirty_bytes, 0);
    for (size_t i = 0; i < 40 * PG; i += 512)
        assert_int_equal(((unsigned char *)(b + 60 * PG))[i], 0);
    assert_int_equal(cm_check(&cm), 0);
    cm_destroy(&cm);
    host_mem_unreserve(p, 200 * PG);
}

/* Insertion next to known neighbours keeps the tree ordered and
 * balanced, in any insertion order; neighbours match a linear scan. */
static void test_insert_between(void **state)
{
    struct vm_chunk_manager cm;
    assert_int_equal(cm_init(&cm, (struct vm_range){ base, base + 64 * PG }, false), 0);
    unsigned seed = 12345;
    bool used[64] = { false };
    for (int n = 0; n < 40; n++) {
        int pg;
        do {
            seed = seed * 1103515245 + 12345;
            pg = (int)((seed >> 16) % 64);
        } while (used[pg]);
        uintptr_t a = base + (uintptr_t)pg * PG;
        struct vm_area *prev, *next, *want_prev = NULL, *want_next = NULL;
        cm_neighbours(&cm, a, &prev, &next);
        for (struct vm_area *v = cm_first(&cm); v; v = cm_next(v)) {
            if (v->range.start < a)
                want_prev = v;
            else if (!want_next)
                want_next = v;
        }
        assert_ptr_equal(prev, want_prev);
        assert_ptr_equal(next, want_next);
        /* Every other page gets a different perms: no two VMAs merge. */
        struct vm_area *v = vma_new((struct vm_range){ a, a + PG }, 1 + (uint32_t)(pg % 2), 0,
                                    OWNER, NULL, 0);
        cm_insert_between(&cm, v, prev, next);
        used[pg] = true;
        assert_int_equal(cm_check(&cm), 0);
        assert_int_equal(cm.nr_vmas, (size_t)n + 1);
    }
    cm_destroy(&cm);
}

/* Lazily freed pages: recorded protections, what a new mapping is told
 * (uniform or mixed), the flush making them PROT_NONE and zero. */
static void test_lazy_prot(void **state)
{
    struct vm_chunk_manager cm;
    void *p;
    assert_int_equal(host_mem_reserve(100 * PG, PG, &p), 0);
    uintptr_t b = (uintptr_t)p;
#define R(s, e) ((struct vm_range){ b + (uintptr_t)(s) * PG, b + (uintptr_t)(e) * PG })
    assert_int_equal(cm_init(&cm, R(0, 100), true), 0);
    assert_null(cm.lazy_prot);                          /* only when needed */
    struct vm_old_pages old = cm_take(&cm, R(0, 10));
    assert_false(old.dirty);
    assert_int_equal(old.host_prot, HOST_PROT_NONE);
    /* The host side as the manager would leave it. */
    int rw = HOST_PROT_READ | HOST_PROT_WRITE;
    assert_int_equal(host_mem_protect((void *)(b + 10 * PG), 10 * PG, rw), 0);
    memset((void *)(b + 10 * PG), 0xab, 10 * PG);
    assert_int_equal(host_mem_protect((void *)(b + 15 * PG), 5 * PG, HOST_PROT_READ), 0);
    assert_int_equal(cm_dirty_mark_lazy(&cm, R(10, 15), rw), 0);
    assert_int_equal(cm_dirty_mark_lazy(&cm, R(15, 20), HOST_PROT_READ), 0);
    cm_dirty_mark(&cm, R(20, 22));                      /* strict: PROT_NONE */
    assert_int_equal(cm_dirty_mark_lazy(&cm, R(22, 23), HOST_PROT_NONE), 0);
    assert_int_equal(cm.dirty_bytes, 13 * PG);
    assert_int_equal(cm.lazy_bytes, 10 * PG);
    assert_int_equal(cm_free_page_prot(&cm, b + 12 * PG), rw);
    assert_int_equal(cm_free_page_prot(&cm, b + 21 * PG), HOST_PROT_NONE);
    assert_int_equal(cm_check(&cm), 0);
    /* Uniform ranges say their protection; mixed ones -1. */
    old = cm_take(&cm, R(11, 13));
    assert_true(old.dirty);
    assert_int_equal(old.host_prot, rw);
    assert_int_equal(cm.lazy_bytes, 8 * PG);
    old = cm_take(&cm, R(16, 17));
    assert_int_equal(old.host_prot, HOST_PROT_READ);
    old = cm_take(&cm, R(20, 21));
    assert_true(old.dirty);
    assert_int_equal(old.host_prot, HOST_PROT_NONE);
    old = cm_take(&cm, R(14, 16));                      /* RW | R */
    assert_int_equal(old.host_prot, -1);
    old = cm_take(&cm, R(23, 30));                      /* clean: NONE, not dirty */
    assert_false(old.dirty);
    assert_int_equal(old.host_prot, HOST_PROT_NONE);
    old = cm_take(&cm, R(21, 24));                      /* dirty NONE + clean NONE */
    assert_true(old.dirty);
    assert_int_equal(old.host_prot, HOST_PROT_NONE);
    assert_int_equal(cm.lazy_bytes, 5 * PG);            /* 10, 13, 17, 18, 19 */
    assert_int_equal(cm.dirty_bytes, 5 * PG);
    assert_int_equal(cm_check(&cm), 0);
    /* A recorded protection on a clean page is caught. */
    cm.lazy_prot[40] = (uint8_t)rw;
    cm.lazy_bytes += PG;
    assert_int_equal(cm_check(&cm), -EUCLEAN);
    cm.lazy_prot[40] = 0;
    cm.lazy_bytes -= PG;
    cm.lazy_bytes += PG;                                /* and a wrong count */
    assert_int_equal(cm_check(&cm), -EUCLEAN);
    cm.lazy_bytes -= PG;
    /* The flush: every dirty page back to the host, PROT_NONE, zero. */
    uint8_t hp[100];
    assert_int_equal(host_mem_query_prot(b, b + 100 * PG, hp), 0);
    assert_int_equal(hp[10], rw);
    assert_int_equal(hp[17], HOST_PROT_READ);
    assert_int_equal(cm_dirty_flush(&cm), 0);
    assert_int_equal(cm.dirty_bytes, 0);
    assert_int_equal(cm.lazy_bytes, 0);
    assert_int_equal(cm_free_page_prot(&cm, b + 10 * PG), HOST_PROT_NONE);
    assert_int_equal(host_mem_query_prot(b, b + 100 * PG, hp), 0);
    for (int i = 0; i < 100; i++)
        if (i < 11 || i == 13 || i > 16)
            assert_int_equal(hp[i], HOST_PROT_NONE);
    assert_int_equal(host_mem_protect((void *)(b + 17 * PG), PG, HOST_PROT_READ), 0);
    for (size_t i = 0; i < PG; i += 64)
        assert_int_equal(((unsigned char *)(b + 17 * PG))[i], 0);
    assert_int_equal(cm_check(&cm), 0);
#undef R
    cm_destroy(&cm);
    host_mem_unreserve(p, 100 * PG);
}

static void test_single_chunk_manager(void **state)
{
    struct vm_chunk_manager cm;
    assert_int_equal(cm_init(&cm, (struct vm_range){ base, base + 8 * PG }, false), 0);
    struct vm_area *v = add(&cm, 0, 8, 3);
    assert_false(cm_range_is_free(&cm, (struct vm_range){ base, base + PG }));
    cm_dirty_mark(&cm, v->range);                   /* no-op for single */
    assert_int_equal(cm.dirty_bytes, 0);
    assert_int_equal(cm_check(&cm), 0);
    cm_remove(&cm, v);
    vma_free(v);
    assert_true(cm_range_is_free(&cm, (struct vm_range){ base, base + 8 * PG }));
    assert_false(cm_range_is_free(&cm, (struct vm_range){ base, base + 9 * PG }));
    cm_destroy(&cm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_and_walk),
        cmocka_unit_test(test_check_catches_breakage),
        cmocka_unit_test(test_dirty_bitmap),
        cmocka_unit_test(test_insert_between),
        cmocka_unit_test(test_lazy_prot),
        cmocka_unit_test(test_single_chunk_manager),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
