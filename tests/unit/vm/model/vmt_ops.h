/* The engine's calls (vmt_ops.c: memory calls; vmt_proc_ops.c: processes,
 * brk, shm). Each returns 0 (done), 1 (skipped) or -1 (failure recorded). */
#ifndef VMT_OPS_H
#define VMT_OPS_H

#include "vmt_engine_int.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* What the model allows as a call's result. */
struct vmt_expect {
    int err[6];             /* acceptable errnos (positive) */
    int nerr;
    bool exact;             /* success at exactly this page */
    int64_t exact_pg;
    bool anyfree;           /* success anywhere free (npg pages) */
    bool enomem_if_full;    /* ENOMEM too, if the pool has no room */
    int64_t npg;
    bool zero;              /* success returning 0 */
    long res[2];            /* what each target returned */
};

struct vmt_outcome {
    int err;                /* 0 or the errno (positive) */
    int64_t pg;             /* page returned, for address results */
};

void vmt_expect_err(struct vmt_expect *x, int err);
/* Check each target's result in x->res; agree across targets. */
int vmt_judge(struct vmt_engine *e, const struct vmt_expect *x, bool addr_result,
              const char *what, struct vmt_outcome *out);

int64_t vmt_find_page(struct vmt_engine *e, int s,
                      bool (*pred)(const struct vmt_model *, int64_t, int));
bool vmt_is_own_anon(const struct vmt_model *m, int64_t p, int s);
void vmt_own_run(struct vmt_engine *e, int s, int64_t p, int64_t *first, int64_t *n);
int64_t vmt_pick_npages(struct vmt_engine *e);
int vmt_pick_prot(struct vmt_engine *e);
int64_t vmt_pick_page(struct vmt_engine *e, int s);
bool vmt_touches_special(struct vmt_engine *e, int s, int64_t p, int64_t n);
bool vmt_pick_range(struct vmt_engine *e, int s, int64_t *p, int64_t *n);
size_t vmt_len_of(struct vmt_engine *e, int64_t n);
void vmt_unmap_own(struct vmt_engine *e, int s, int64_t p, int64_t n);
int vmt_one_vma(struct vmt_engine *e, int s, int64_t p, int64_t n);
/* Are neighbouring mapped pages a, a+1 surely in one Linux VMA? */
bool vmt_same_vma(struct vmt_engine *e, int64_t a, int64_t b);
void vmt_new_gen(struct vmt_engine *e, int64_t p, int64_t n);
void vmt_move_pages(struct vmt_engine *e, int64_t p, int64_t q, int64_t n, int64_t grow);

/* Each call kind in two halves: gen_* picks random arguments (returns
 * false if it found nothing worth calling), exec_* decides from the model
 * what may come out, runs the targets and applies the outcome. A replay
 * runs exec_* on recorded arguments, which exec_* re-validates (1 =
 * skipped: they make no sense in the current state). */
bool vmt_gen_mmap(struct vmt_engine *e, struct vmt_call *c);
bool vmt_gen_munmap(struct vmt_engine *e, struct vmt_call *c);
bool vmt_gen_mprotect(struct vmt_engine *e, struct vmt_call *c);
bool vmt_gen_mremap(struct vmt_engine *e, struct vmt_call *c);
bool vmt_gen_mremap_fixed(struct vmt_engine *e, struct vmt_call *c);
bool vmt_gen_badarg(struct vmt_engine *e, struct vmt_call *c);
bool vmt_gen_brk(struct vmt_engine *e, struct vmt_call *c);
bool vmt_gen_shm(struct vmt_engine *e, struct vmt_call *c);
int vmt_exec_mmap(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_munmap(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_mprotect(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_mremap(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_mremap_fixed(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_write(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_badarg(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_brk(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_shm(struct vmt_engine *e, const struct vmt_call *c);
int vmt_exec_churn(struct vmt_engine *e, const struct vmt_call *c);
/* Create the process of slot s (and maybe its heap) / destroy it. */
int vmt_proc_start(struct vmt_engine *e, int s);
int vmt_proc_stop(struct vmt_engine *e, int s);
/* Mark every live shm segment for removal (before the processes go). */
int vmt_shm_cleanup(struct vmt_engine *e);

#endif
