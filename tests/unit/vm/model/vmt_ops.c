/* The engine's memory calls: mmap (any place, hint, MAP_FIXED,
 * MAP_FIXED_NOREPLACE), munmap, mprotect, mremap (in place, MAYMOVE, FIXED),
 * guest writes, and argument errors. Each decides the allowed results from
 * the model before the call, runs every target, and applies the outcome. */
#include "vmt_ops.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define RUN(e, call)                                                            \
    for (int ti_ = 0; ti_ < (e)->nt; ti_++) {                                   \
        struct vmt_target *t = (e)->t[ti_];                                     \
        x.res[ti_] = (long)(call);                                              \
    }

static void classify(struct vmt_engine *e, int s, int64_t p, int64_t n, bool *own,
                     bool *foreign, bool *outside)
{
    *own = *foreign = *outside = false;
    for (int64_t i = p; i < p + n; i++) {
        *outside |= !vmt_in_pool(&e->m, i);
        *own |= vmt_prot_of(&e->m, i, s) >= 0;     /* mapped, not just reserved */
        *foreign |= vmt_foreign(&e->m, i, s);
    }
}

/* A range the random calls may use in the current state. */
static bool range_usable(struct vmt_engine *e, int s, int64_t p, int64_t n)
{
    if (e->cfg.native_mode && (p < 0 || p + n > (int64_t)e->m.npages))
        return false;
    return !vmt_touches_special(e, s, p, n);
}

/* In the lockstep run (native + process_vm), a call that lets the manager
 * choose the place (mmap anywhere, a hint that is not free, mremap that
 * moves) runs on process_vm first; native Linux then gets the same call
 * at the place process_vm chose (MAP_FIXED_NOREPLACE, MREMAP_FIXED), so
 * both address spaces stay alike. Only possible with both targets. */
static bool leader_mode(const struct vmt_engine *e)
{
    return e->cfg.native_mode && e->nt == 2 && e->t[0]->native && !e->t[1]->native;
}

/* ---- mmap --------------------------------------------------------------- */

bool vmt_gen_mmap(struct vmt_engine *e, struct vmt_call *c)
{
    c->n = vmt_pick_npages(e);
    c->prot = vmt_pick_prot(e);
    c->flags = MAP_PRIVATE | MAP_ANONYMOUS;
    if (c->kind == VMT_OP_MMAP_HINT) {
        c->p = vmt_pick_page(e, c->slot);
        if (!e->cfg.native_mode && vmt_below(&e->rng, 8) == 0)
            c->skew = 1 + vmt_below(&e->rng, VMT_PAGE - 1);
    } else if (c->kind == VMT_OP_MMAP_FIXED) {
        if (!vmt_pick_range(e, c->slot, &c->p, &c->n))
            return false;
        c->flags |= MAP_FIXED;
    } else if (c->kind == VMT_OP_MMAP_NOREPLACE) {
        if (!vmt_pick_range(e, c->slot, &c->p, &c->n))
            return false;
        /* FIXED_NOREPLACE wins over FIXED when both are given. */
        c->flags |= MAP_FIXED_NOREPLACE | (vmt_below(&e->rng, 4) ? 0 : MAP_FIXED);
    }
    c->len = vmt_len_of(e, c->n);
    return true;
}

int vmt_exec_mmap(struct vmt_engine *e, const struct vmt_call *c)
{
    struct vmt_model *m = &e->m;
    int s = c->slot, kind = c->kind;
    int64_t p = c->p, npg = c->n;
    struct vmt_expect x = { .npg = npg };

    if (kind == VMT_OP_MMAP) {
        if (e->cfg.native_mode && !leader_mode(e))
            return 1;
        x.anyfree = x.enomem_if_full = true;
    } else if (kind == VMT_OP_MMAP_HINT) {
        if (vmt_range_avail(m, p, npg, s)) {
            /* Linux returns a free hint as is (rounded down to its page).
             * onespace may place elsewhere (its chunks); counted, and
             * strict in the native run. */
            e->c.hint_free++;
            x.exact = true;
            x.exact_pg = p;
            x.anyfree = x.enomem_if_full = !e->cfg.native_mode;
        } else if (e->cfg.native_mode && !leader_mode(e)) {
            return 1;           /* Linux would map outside the region */
        } else {
            x.anyfree = x.enomem_if_full = true;
        }
    } else {
        if (!range_usable(e, s, p, npg))
            return 1;
        bool own, foreign, outside;
        classify(e, s, p, npg, &own, &foreign, &outside);
        if (kind == VMT_OP_MMAP_FIXED) {
            if (outside) {
                vmt_expect_err(&x, ENOMEM);
                vmt_expect_err(&x, EINVAL);
            } else if (foreign) {
                vmt_expect_err(&x, ENOMEM);     /* not the caller's to replace */
            }
        } else {
            if (outside) {
                vmt_expect_err(&x, ENOMEM);
                vmt_expect_err(&x, EINVAL);
                vmt_expect_err(&x, EEXIST);
            }
            if (own)
                vmt_expect_err(&x, EEXIST);
            if (foreign) {
                vmt_expect_err(&x, ENOMEM);
                vmt_expect_err(&x, EEXIST);
            }
        }
        if (!x.nerr) {
            x.exact = true;
            x.exact_pg = p;
        }
    }
    vmt_note(e, "%s page %ld (+%#lx) len %#zx prot %d flags %#x", vmt_opname(kind), (long)p,
             (unsigned long)c->skew, c->len, c->prot, c->flags);
    if (kind != VMT_OP_MMAP)
        vmt_affect(e, p, npg);
    if (leader_mode(e) && x.anyfree) {
        struct vmt_target *os = e->t[1], *nat = e->t[0];
        x.res[1] = os->ops->mmap(os->ctx, s, kind == VMT_OP_MMAP ? 0 : vmt_addr(os, p) + c->skew,
                                 c->len, c->prot, c->flags);
        x.res[0] = x.res[1] < 0 && x.res[1] >= -4095
                       ? x.res[1]
                       : nat->ops->mmap(nat->ctx, s, vmt_addr(nat, (x.res[1] - (long)os->base) /
                                                                      (long)VMT_PAGE),
                                        c->len, c->prot, c->flags | MAP_FIXED_NOREPLACE);
    } else {
        RUN(e, t->ops->mmap(t->ctx, s, kind == VMT_OP_MMAP ? 0 : vmt_addr(t, p) + c->skew,
                            c->len, c->prot, c->flags));
    }
    struct vmt_outcome o;
    if (vmt_judge(e, &x, true, vmt_opname(kind), &o))
        return -1;
    if (o.err)
        return 0;
    if (kind == VMT_OP_MMAP_HINT && x.exact)
        e->c.hint_honoured += o.pg == p;
    e->c.ok[kind]++;
    vmt_unmap_own(e, s, o.pg, npg);
    vmt_map(m, (size_t)o.pg, (size_t)npg, s, c->prot, VMT_ANON, m->next_id++);
    vmt_affect(e, o.pg, npg);
    vmt_scribble(e, s, o.pg, npg, 6);
    return 0;
}

/* ---- munmap, mprotect --------------------------------------------------- */

bool vmt_gen_munmap(struct vmt_engine *e, struct vmt_call *c)
{
    if (!vmt_pick_range(e, c->slot, &c->p, &c->n))
        return false;
    c->len = vmt_len_of(e, c->n);
    return true;
}

int vmt_exec_munmap(struct vmt_engine *e, const struct vmt_call *c)
{
    int s = c->slot;
    if (!range_usable(e, s, c->p, c->n))
        return 1;
    struct vmt_expect x = { .zero = true };
    vmt_note(e, "munmap page %ld len %#zx", (long)c->p, c->len);
    vmt_affect(e, c->p, c->n);
    RUN(e, t->ops->munmap(t->ctx, s, vmt_addr(t, c->p), c->len));
    struct vmt_outcome o;
    if (vmt_judge(e, &x, false, "munmap", &o))
        return -1;
    e->c.ok[VMT_OP_MUNMAP]++;
    vmt_unmap_own(e, s, c->p, c->n);
    return 0;
}

bool vmt_gen_mprotect(struct vmt_engine *e, struct vmt_call *c)
{
    if (!vmt_pick_range(e, c->slot, &c->p, &c->n))
        return false;
    c->prot = vmt_pick_prot(e);
    c->len = vmt_len_of(e, c->n);
    return true;
}

int vmt_exec_mprotect(struct vmt_engine *e, const struct vmt_call *c)
{
    int s = c->slot, prot = c->prot;
    int64_t p = c->p, n = c->n;
    if (!range_usable(e, s, p, n))
        return 1;
    struct vmt_expect x = { 0 };
    int64_t hole = p;
    while (hole < p + n && vmt_is_own_anon(&e->m, hole, s))
        hole++;
    if (hole == p + n)
        x.zero = true;
    else
        vmt_expect_err(&x, ENOMEM);
    vmt_note(e, "mprotect page %ld len %#zx prot %d", (long)p, c->len, prot);
    vmt_affect(e, p, n);
    RUN(e, t->ops->mprotect(t->ctx, s, vmt_addr(t, p), c->len, prot));
    struct vmt_outcome o;
    if (vmt_judge(e, &x, false, "mprotect", &o))
        return -1;
    if (o.err && e->cfg.native_mode && hole > p) {
        /* Linux changed the part before the hole. A non-native target
         * changes nothing: bring it level with the same call on that part. */
        for (int ti = 0; ti < e->nt; ti++) {
            struct vmt_target *t = e->t[ti];
            if (t->native)
                continue;
            int r = t->ops->mprotect(t->ctx, s, vmt_addr(t, p), (size_t)(hole - p) * VMT_PAGE, prot);
            if (r)
                return vmt_fail(e, "mprotect of the mapped prefix: %s returned %d", t->name, r);
        }
        n = hole - p;
    } else if (o.err) {
        return 0;
    }
    e->c.ok[VMT_OP_MPROTECT] += !o.err;
    for (int64_t i = p; i < p + n; i++)
        e->m.pg[i].prot = (uint8_t)prot;
    vmt_new_gen(e, p, n);
    vmt_scribble(e, s, p, n, 4);
    return 0;
}

/* ---- mremap ------------------------------------------------------------- */

/* New length (pages) for an mremap of n pages: shrink, same, or grow. */
static int64_t pick_new_len(struct vmt_engine *e, int64_t n)
{
    uint64_t r = vmt_below(&e->rng, 100);
    if (r < 25)
        return 1 + (int64_t)vmt_below(&e->rng, (uint64_t)n);
    if (r < 35)
        return n;
    if (r < 85)
        return n + 1 + (int64_t)vmt_below(&e->rng, 8);
    return n + vmt_pick_npages(e);
}

static void apply_mremap(struct vmt_engine *e, int s, int64_t p, int64_t n, int64_t q,
                         int64_t new_n)
{
    if (new_n < n)
        vmt_unmap_own(e, s, p + new_n, n - new_n);
    int64_t keep = new_n < n ? new_n : n;
    if (q != p)
        vmt_unmap_own(e, s, q, new_n);
    vmt_move_pages(e, p, q, keep, new_n - keep);
    if (q != p)
        vmt_new_gen(e, q, new_n);
    vmt_affect(e, q, new_n);
    vmt_scribble(e, s, q, new_n, 4);
}

/* Half the time: the tail of one of the slot's VMAs (as sure as the model
 * can be of Linux's VMAs), which mremap may grow in place. */
static bool pick_vma_tail(struct vmt_engine *e, int s, int64_t *pp, int64_t *pn)
{
    int64_t p = vmt_find_page(e, s, vmt_is_own_anon);
    if (p < 0 || vmt_below(&e->rng, 2))
        return false;
    int64_t end = p + 1;
    while (vmt_is_own_anon(&e->m, end, s) && vmt_same_vma(e, end - 1, end))
        end++;
    *pp = p;
    *pn = end - p;
    return true;
}

bool vmt_gen_mremap(struct vmt_engine *e, struct vmt_call *c)
{
    if (!pick_vma_tail(e, c->slot, &c->p, &c->n) && !vmt_pick_range(e, c->slot, &c->p, &c->n))
        return false;
    c->new_n = pick_new_len(e, c->n);
    c->flags = vmt_below(&e->rng, 10) < 7 ? MREMAP_MAYMOVE : 0;
    c->len = vmt_len_of(e, c->n);
    c->new_len = vmt_len_of(e, c->new_n);
    return true;
}

int vmt_exec_mremap(struct vmt_engine *e, const struct vmt_call *c)
{
    int s = c->slot, flags = c->flags;
    int64_t p = c->p, n = c->n, new_n = c->new_n;
    if (!range_usable(e, s, p, n))
        return 1;
    bool start_own = vmt_is_own_anon(&e->m, p, s), inplace = false;
    struct vmt_expect x = { .npg = new_n };

    if (!start_own) {
        /* Linux 6.x: no VMA at the old address is EFAULT. Older kernels
         * let a shrink through, so the native run does not ask. */
        if (e->cfg.native_mode && new_n <= n)
            return 1;
        vmt_expect_err(&x, EFAULT);
    } else if (new_n <= n) {
        x.exact = true;         /* unmaps the tail, whatever it spans */
        x.exact_pg = p;
    } else {
        int v = vmt_one_vma(e, s, p, n);
        if (v == 0) {
            vmt_expect_err(&x, EFAULT);
        } else {
            if (v == 2) {
                if (e->cfg.native_mode)
                    return 1;
                e->c.ambiguous++;
                vmt_expect_err(&x, EFAULT);
            }
            inplace = vmt_range_avail(&e->m, p + n, new_n - n, s);
            if (inplace) {
                e->c.inplace_possible++;
                x.exact = true;
                x.exact_pg = p;
                if (e->cfg.tolerate & VMT_KB_MREMAP_INPLACE) {
                    /* Linux grows in place; a chunk border may stop onespace. */
                    if (flags & MREMAP_MAYMOVE)
                        x.anyfree = x.enomem_if_full = true;
                    else
                        vmt_expect_err(&x, ENOMEM);
                }
            } else if (flags & MREMAP_MAYMOVE) {
                if (e->cfg.native_mode && !leader_mode(e))
                    return 1;   /* Linux would move it out of the region */
                x.anyfree = x.enomem_if_full = true;
            } else {
                vmt_expect_err(&x, ENOMEM);
            }
        }
    }
    vmt_note(e, "mremap page %ld len %#zx -> %#zx flags %d", (long)p, c->len, c->new_len, flags);
    vmt_affect(e, p, new_n > n ? new_n : n);
    if (leader_mode(e) && x.anyfree) {
        /* (With mremap_inplace tolerated, also when Linux would grow it in
         * place: native then follows wherever process_vm put it.) */
        struct vmt_target *os = e->t[1], *nat = e->t[0];
        x.res[1] = os->ops->mremap(os->ctx, s, vmt_addr(os, p), c->len, c->new_len, flags, 0);
        long q = (x.res[1] - (long)os->base) / (long)VMT_PAGE;
        if (x.res[1] < 0 && x.res[1] >= -4095)
            x.res[0] = x.res[1];
        else if (q == p)
            x.res[0] = nat->ops->mremap(nat->ctx, s, vmt_addr(nat, p), c->len, c->new_len, flags, 0);
        else
            x.res[0] = nat->ops->mremap(nat->ctx, s, vmt_addr(nat, p), c->len, c->new_len,
                                        flags | MREMAP_FIXED, vmt_addr(nat, q));
    } else {
        RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p), c->len, c->new_len, flags, 0));
    }
    struct vmt_outcome o;
    if (vmt_judge(e, &x, true, "mremap", &o))
        return -1;
    if (inplace && (o.err || o.pg != p))
        e->c.inplace_refused++;
    if (o.err)
        return 0;
    e->c.ok[VMT_OP_MREMAP]++;
    apply_mremap(e, s, p, n, o.pg, new_n);
    return 0;
}

bool vmt_gen_mremap_fixed(struct vmt_engine *e, struct vmt_call *c)
{
    int s = c->slot;
    if (!vmt_pick_range(e, s, &c->p, &c->n))
        return false;
    c->new_n = pick_new_len(e, c->n);
    bool found = false;
    for (int tries = 0; tries < 8 && !found; tries++) {
        uint64_t r = vmt_below(&e->rng, 4);
        c->q = r < 2 ? vmt_find_page(e, s, vmt_is_own_anon) : -1;
        if (r < 1 || c->q < 0)
            c->q = vmt_pick_page(e, s);
        found = range_usable(e, s, c->q, c->new_n);
    }
    c->len = vmt_len_of(e, c->n);
    c->new_len = vmt_len_of(e, c->new_n);
    return found;
}

int vmt_exec_mremap_fixed(struct vmt_engine *e, const struct vmt_call *c)
{
    int s = c->slot;
    int64_t p = c->p, n = c->n, q = c->q, new_n = c->new_n;
    if (!range_usable(e, s, p, n) || !range_usable(e, s, q, new_n))
        return 1;
    if ((e->cfg.tolerate & VMT_KB_MREMAP_RESERVE) && !e->t[e->nt - 1]->native) {
        for (int64_t i = q; i < q + new_n; i++)
            if (vmt_own(&e->m, i, s)) {
                e->c.tolerated++;
                return 1;
            }
    }
    struct vmt_expect x = { .npg = new_n };
    int64_t keep = new_n < n ? new_n : n;
    bool ambiguous_ok = false;
    if (q < p + n && p < q + new_n) {
        vmt_expect_err(&x, EINVAL);         /* old and new overlap */
    } else {
        if (!vmt_is_own_anon(&e->m, p, s)) {
            if (e->cfg.native_mode)
                return 1;   /* older kernels unmapped the target first */
            vmt_expect_err(&x, EFAULT);
        } else {
            int v = vmt_one_vma(e, s, p, new_n > n ? n : keep);
            int64_t own = 0;
            for (int64_t i = p; i < p + n; i++)
                own += vmt_is_own_anon(&e->m, i, s);
            if (v == 0 && new_n == n) {
                /* Several VMAs: Linux >= 6.17 moves them all (holes stay
                 * holes), older kernels say EFAULT. onespace may do either
                 * when there is no hole. */
                if (e->cfg.native_mode)
                    return 1;
                if (own == n)
                    v = 2;
            }
            if (v == 2) {
                if (e->cfg.native_mode)
                    return 1;
                e->c.ambiguous++;
                ambiguous_ok = true;
            }
            if (v != 1)
                vmt_expect_err(&x, EFAULT);
        }
        bool own, foreign, outside;
        classify(e, s, q, new_n, &own, &foreign, &outside);
        if (outside) {
            vmt_expect_err(&x, ENOMEM);
            vmt_expect_err(&x, EINVAL);
        } else if (foreign) {
            vmt_expect_err(&x, ENOMEM);
        } else if (!x.nerr || ambiguous_ok) {
            x.exact = true;
            x.exact_pg = q;
        }
    }
    vmt_note(e, "mremap_fixed page %ld len %#zx -> page %ld len %#zx", (long)p, c->len,
             (long)q, c->new_len);
    vmt_affect(e, p, n);
    vmt_affect(e, q, new_n);
    RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p), c->len, c->new_len,
                          MREMAP_MAYMOVE | MREMAP_FIXED, vmt_addr(t, q)));
    struct vmt_outcome o;
    if (vmt_judge(e, &x, true, "mremap_fixed", &o))
        return -1;
    if (o.err)
        return 0;
    e->c.ok[VMT_OP_MREMAP_FIXED]++;
    apply_mremap(e, s, p, n, q, new_n);
    return 0;
}

/* ---- guest writes -------------------------------------------------------- */

static bool own_writable(const struct vmt_model *m, int64_t p, int s)
{
    int prot = vmt_prot_of(m, p, s);
    return prot >= 0 && (prot & PROT_WRITE);
}

int vmt_exec_write(struct vmt_engine *e, const struct vmt_call *c)
{
    vmt_note(e, "write");
    for (int k = 0; k < 8; k++) {
        int64_t p = vmt_find_page(e, c->slot, own_writable);
        if (p < 0)
            return 1;
        vmt_scribble(e, c->slot, p, 1, 1);
        vmt_affect(e, p, 1);
    }
    e->c.ok[VMT_OP_WRITE]++;
    return 0;
}

/* ---- argument errors ---------------------------------------------------- */

bool vmt_gen_badarg(struct vmt_engine *e, struct vmt_call *c)
{
    c->p = vmt_find_page(e, c->slot, vmt_is_own_anon);
    if (c->p < 0)
        c->p = vmt_pick_page(e, c->slot);
    c->sub = (int)vmt_below(&e->rng, 19);
    return true;
}

/* Calls whose arguments alone decide the error (checked against native
 * Linux in the native run), at a page of the caller when one is needed. */
int vmt_exec_badarg(struct vmt_engine *e, const struct vmt_call *c)
{
    int s = c->slot, sub = c->sub;
    int64_t p = c->p;
    const size_t P = VMT_PAGE;
    const int anon = MAP_PRIVATE | MAP_ANONYMOUS, mm = MREMAP_MAYMOVE;
    struct vmt_expect x = { 0 };
    bool addr_result = sub <= 4 || (sub >= 9 && sub <= 15);
    vmt_expect_err(&x, EINVAL);
    vmt_note(e, "badarg case %d page %ld", sub, (long)p);
    vmt_affect(e, p, 1);
    switch (sub) {
    case 0: RUN(e, t->ops->mmap(t->ctx, s, vmt_addr(t, p), 0, PROT_READ, anon | MAP_FIXED)); break;
    case 1: RUN(e, t->ops->mmap(t->ctx, s, vmt_addr(t, p) + 8, P, PROT_READ, anon | MAP_FIXED)); break;
    case 2: RUN(e, t->ops->mmap(t->ctx, s, vmt_addr(t, p), P, PROT_READ, MAP_ANONYMOUS | MAP_FIXED)); break;
    case 3: RUN(e, t->ops->mmap(t->ctx, s, vmt_addr(t, p) + 8, P, PROT_READ, anon | MAP_FIXED_NOREPLACE)); break;
    case 4:
        x.nerr = 0;
        vmt_expect_err(&x, ENOMEM);     /* length rounds up past the address space */
        RUN(e, t->ops->mmap(t->ctx, s, 0, SIZE_MAX - P, PROT_READ, anon));
        break;
    case 5: RUN(e, t->ops->munmap(t->ctx, s, vmt_addr(t, p) + 8, P)); break;
    case 6: RUN(e, t->ops->munmap(t->ctx, s, vmt_addr(t, p), 0)); break;
    case 7: RUN(e, t->ops->mprotect(t->ctx, s, vmt_addr(t, p) + 8, P, PROT_READ)); break;
    case 8: RUN(e, t->ops->mprotect(t->ctx, s, vmt_addr(t, p), P, PROT_READ | 0x100)); break;
    case 9: RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p) + 8, P, 2 * P, mm, 0)); break;
    case 10: RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p), P, 0, mm, 0)); break;
    case 11: RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p), P, P, MREMAP_FIXED, vmt_addr(t, p + 4))); break;
    case 12: RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p), P, P, mm | 8, 0)); break;
    case 13: RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p), P, P, mm | MREMAP_FIXED, vmt_addr(t, p + 4) + 8)); break;
    case 14: RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p), P, P, MREMAP_DONTUNMAP, 0)); break;
    case 15:
        /* old_len 0 duplicates shared mappings only: private is EINVAL */
        if (!vmt_is_own_anon(&e->m, p, s))
            return 1;
        RUN(e, t->ops->mremap(t->ctx, s, vmt_addr(t, p), 0, P, mm, 0));
        break;
    case 16:
        x.nerr = 0;
        x.zero = true;          /* empty mprotect is fine anywhere */
        RUN(e, t->ops->mprotect(t->ctx, s, vmt_addr(t, p), 0, PROT_READ));
        break;
    case 17:
        x.nerr = 0;
        vmt_expect_err(&x, ENOMEM);     /* rounds to 0 bytes: wraps */
        RUN(e, t->ops->mprotect(t->ctx, s, vmt_addr(t, p), SIZE_MAX, PROT_READ));
        break;
    case 18: RUN(e, t->ops->munmap(t->ctx, s, vmt_addr(t, p), SIZE_MAX)); break;
    default: return 1;
    }
    struct vmt_outcome o;
    if (vmt_judge(e, &x, addr_result, "badarg", &o))
        return -1;
    e->c.ok[VMT_OP_BADARG]++;
    return 0;
}
