/* vm_chunk_manager: VMA tree (find, first_after, insert, remove, split,
 * merge), range walks against a model, the dirty bitmap, cm_check. */
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
        cmocka_unit_test(test_single_chunk_manager),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
