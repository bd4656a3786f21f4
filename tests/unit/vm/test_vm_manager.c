/* vm_manager and chunk: chunk placement, lookup, free, single-chunk
 * shrink/grow/split, and the invariant check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "host/host_mem.h"
#include "util/compiler.h"
#include "vm/vm_manager.h"

#define PG PAGE_SIZE
#define MiB (1024UL * 1024UL)
#define OWNER ((struct process_vm *)0x1000)

static struct vm_manager m;
static void *pool;
#define POOL_SIZE (64 * MiB)

static int setup(void **state)
{
    assert_int_equal(host_mem_reserve(POOL_SIZE, 2 * MiB, &pool), 0);
    assert_int_equal(vmm_init(&m, vm_range_make((uintptr_t)pool, POOL_SIZE), 4 * MiB), 0);
    return 0;
}

static int teardown(void **state)
{
    vmm_destroy(&m);
    host_mem_unreserve(pool, POOL_SIZE);
    return 0;
}

static void add_vma(struct chunk *c, struct vm_range r)
{
    struct vm_area *v = vma_new(r, 3, 0, OWNER, NULL, 0);
    v->chunk = c;
    chunk_lock(c);
    if (c->kind == CHUNK_MULTI)
        assert_int_equal(fsm_alloc_at(&c->cm.fsm, r), 0);
    cm_insert(&c->cm, v);
    chunk_unlock(c);
}

static void test_chunks_place_and_find(void **state)
{
    uintptr_t b = (uintptr_t)pool;
    struct chunk *c1, *c2, *s1, *s2;
    assert_int_equal(vmm_new_multi(&m, &c1), 0);
    assert_int_equal(chunk_range(c1).start, b);                 /* lowest first */
    assert_int_equal(vm_range_size(chunk_range(c1)), 4 * MiB);
    assert_int_equal(vmm_new_single(&m, 3 * PG, 0, OWNER, &s1), 0);
    assert_int_equal(chunk_range(s1).start, b + 4 * MiB);
    assert_int_equal(vmm_new_multi(&m, &c2), 0);
    assert_true(IS_ALIGNED(chunk_range(c2).start, 2 * MiB));   /* 2 MiB aligned */
    assert_int_equal(vmm_new_single(&m, PG, b + 40 * MiB, OWNER, &s2), 0);
    assert_int_equal(vmm_new_single(&m, PG, b + 40 * MiB, OWNER, &s2), -ENOMEM);
    assert_int_equal(vmm_new_single(&m, 2 * PG, b + 40 * MiB - PG, OWNER, &s2), -ENOMEM);
    s2 = vmm_find(&m, b + 40 * MiB);
    assert_non_null(s2);
    assert_ptr_equal(vmm_find(&m, b + 5), c1);
    assert_ptr_equal(vmm_find(&m, b + 4 * MiB + 2 * PG), s1);
    assert_null(vmm_find(&m, b + 4 * MiB + 3 * PG));
    assert_ptr_equal(vmm_first_after(&m, b + 4 * MiB + 3 * PG), c2);
    assert_ptr_equal(vmm_next(c2), s2);
    assert_int_equal(m.nr_multi, 2);
    assert_int_equal(m.nr_single, 2);
    assert_false(vmm_pool_is_free(&m, vm_range_make(b, PG)));
    assert_int_equal(vmm_check(&m), 0);
    vmm_free_chunk(&m, c1);
    vmm_free_chunk(&m, s1);
    vmm_free_chunk(&m, c2);
    vmm_free_chunk(&m, s2);
    assert_int_equal(m.fsm.free_bytes, POOL_SIZE);
    assert_int_equal(vmm_check(&m), 0);
}

static void test_pool_full(void **state)
{
    struct chunk *c[16];
    int n = 0;
    while (n < 16 && vmm_new_multi(&m, &c[n]) == 0)
        n++;
    assert_int_equal(n, 16);
    struct chunk *x;
    assert_int_equal(vmm_new_multi(&m, &x), -ENOMEM);
    assert_int_equal(vmm_new_single(&m, PG, 0, OWNER, &x), -ENOMEM);
    for (int i = 0; i < n; i++)
        vmm_free_chunk(&m, c[i]);
    assert_int_equal(vmm_check(&m), 0);
}

static void test_single_shrink_grow_split(void **state)
{
    uintptr_t b = (uintptr_t)pool + 8 * MiB;
    struct chunk *s, *right;
    assert_int_equal(vmm_new_single(&m, 10 * PG, b, OWNER, &s), 0);
    add_vma(s, (struct vm_range){ b + 2 * PG, b + 4 * PG });
    add_vma(s, (struct vm_range){ b + 6 * PG, b + 8 * PG });
    assert_int_equal(vmm_check(&m), 0);
    chunk_lock(s);
    vmm_shrink_single(&m, s, (struct vm_range){ b + 2 * PG, b + 8 * PG });
    chunk_unlock(s);
    assert_int_equal(chunk_range(s).start, b + 2 * PG);
    assert_true(vmm_pool_is_free(&m, vm_range_make(b, 2 * PG)));
    assert_true(vmm_pool_is_free(&m, vm_range_make(b + 8 * PG, 2 * PG)));
    assert_int_equal(vmm_check(&m), 0);
    chunk_lock(s);
    assert_int_equal(vmm_split_single(&m, s, (struct vm_range){ b + 4 * PG, b + 6 * PG }, &right), 0);
    chunk_unlock(s);
    assert_int_equal(chunk_range(s).end, b + 4 * PG);
    assert_int_equal(chunk_range(right).start, b + 6 * PG);
    assert_int_equal(right->cm.nr_vmas, 1);
    assert_int_equal(s->cm.nr_vmas, 1);
    assert_true(vmm_pool_is_free(&m, vm_range_make(b + 4 * PG, 2 * PG)));
    assert_int_equal(vmm_check(&m), 0);
    chunk_lock(right);
    assert_int_equal(vmm_grow_single(&m, right, b + 12 * PG), 0);
    chunk_unlock(right);
    assert_int_equal(chunk_range(right).end, b + 12 * PG);
    struct chunk *blocker;
    assert_int_equal(vmm_new_single(&m, PG, b + 12 * PG, OWNER, &blocker), 0);
    chunk_lock(right);
    assert_int_equal(vmm_grow_single(&m, right, b + 13 * PG), -ENOMEM);
    chunk_unlock(right);
    /* right has a free tail now: the check accepts single-chunk free space. */
    assert_int_equal(vmm_check(&m), 0);
    vmm_free_chunk(&m, s);
    vmm_free_chunk(&m, right);
    vmm_free_chunk(&m, blocker);
    assert_int_equal(m.fsm.free_bytes, POOL_SIZE);
    assert_int_equal(vmm_check(&m), 0);
}

static void test_check_catches_overlap(void **state)
{
    struct chunk *c;
    assert_int_equal(vmm_new_multi(&m, &c), 0);
    add_vma(c, vm_range_make(chunk_range(c).start, PG));
    assert_int_equal(vmm_check(&m), 0);
    c->cm.range.end += PG;      /* the chunk now reaches into free space */
    assert_int_equal(vmm_check(&m), -EUCLEAN);
    c->cm.range.end -= PG;
    m.nr_multi++;
    assert_int_equal(vmm_check(&m), -EUCLEAN);
    m.nr_multi--;
    vmm_free_chunk(&m, c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunks_place_and_find),
        cmocka_unit_test(test_pool_full),
        cmocka_unit_test(test_single_shrink_grow_split),
        cmocka_unit_test(test_check_catches_overlap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
