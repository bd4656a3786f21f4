/* The engine's process-level calls: process create/destroy (churn), the
 * brk heap, and SysV shm (get, attach, detach, IPC_STAT, IPC_RMID).
 *
 * Model choices (onespace runs every process in one address space):
 * - the heap of process_vm_init_heap(max) is reserved whole for its
 *   process: [start, start+max) is nobody else's even above the break;
 * - an shm segment lives at one address; attaching it again from the same
 *   process, or at another address, is EINVAL (Occlum does the same);
 * - a segment marked IPC_RMID may still be attached (Linux allows it) or
 *   refused with EIDRM. */
#include "vmt_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

static void release_slot(struct vmt_engine *e, int s)
{
    struct vmt_model *m = &e->m;
    for (size_t p = 0; p < m->npages; p++) {
        uint8_t k = m->pg[p].kind;
        if ((k == VMT_ANON || k == VMT_HEAP || k == VMT_HEAP_RESV) && m->pg[p].owner == s)
            vmt_free_range(m, p, 1);
    }
    for (int g = 0; g < VMT_MAX_SEGS; g++) {
        struct vmt_seg *seg = &m->seg[g];
        if (!seg->live || !((seg->attached >> s) & 1))
            continue;
        seg->attached &= ~(1u << s);
        if (seg->rmid && !seg->attached) {
            vmt_free_range(m, seg->first, seg->npages);
            seg->live = false;
        }
    }
    m->proc[s] = (struct vmt_proc){ 0 };
}

static int start_heap(struct vmt_engine *e, int s)
{
    struct vmt_target *t = e->t[0];
    struct vmt_proc *pr = &e->m.proc[s];
    size_t max = 1 + vmt_below(&e->rng, e->cfg.heap_max_pages);
    int r = t->ops->init_heap(t->ctx, s, max * VMT_PAGE);
    if (r == -ENOMEM && vmt_largest_free_run(&e->m) < max + 2 * e->cfg.chunk_pages) {
        e->c.enomem_excused++;
        return 0;
    }
    if (r)
        return vmt_fail(e, "init_heap(%zu pages) returned %d", max, r);
    uintptr_t start = t->ops->brk(t->ctx, s, 0);
    int64_t first = (int64_t)(start - t->base) / (int64_t)VMT_PAGE;
    if ((start - t->base) % VMT_PAGE || !vmt_range_free(&e->m, first, (int64_t)max))
        return vmt_fail(e, "heap of %zu pages at %#lx (page %ld): not a free range of the pool",
                        max, (unsigned long)start, (long)first);
    pr->heap = true;
    pr->heap_first = (size_t)first;
    pr->heap_max_pages = max;
    pr->brk_bytes = 0;
    vmt_map(&e->m, (size_t)first, max, s, PROT_NONE, VMT_HEAP_RESV, e->m.next_id++);
    vmt_affect(e, first, (int64_t)max);
    return 0;
}

int vmt_proc_start(struct vmt_engine *e, int s)
{
    struct vmt_proc *pr = &e->m.proc[s];
    *pr = (struct vmt_proc){ .live = true, .pid = e->next_pid++ };
    for (int ti = 0; ti < e->nt; ti++) {
        struct vmt_target *t = e->t[ti];
        if (t->ops->proc_create && t->ops->proc_create(t->ctx, s, pr->pid))
            return vmt_fail(e, "%s: creating process %d failed", t->name, pr->pid);
    }
    if (e->cfg.use_brk && e->nt == 1 && e->t[0]->ops->init_heap && vmt_below(&e->rng, 4))
        return start_heap(e, s);
    return 0;
}

int vmt_proc_stop(struct vmt_engine *e, int s)
{
    for (int ti = 0; ti < e->nt; ti++) {
        struct vmt_target *t = e->t[ti];
        if (t->ops->proc_destroy)
            t->ops->proc_destroy(t->ctx, s);
    }
    release_slot(e, s);
    return 0;
}

int vmt_exec_churn(struct vmt_engine *e, const struct vmt_call *c)
{
    int victim = c->slot;
    vmt_note(e, "churn: destroy pid %d of slot %d, start a new one", e->m.proc[victim].pid, victim);
    if (vmt_proc_stop(e, victim) || vmt_proc_start(e, victim))
        return -1;
    e->c.ok[VMT_OP_CHURN]++;
    return vmt_check_step(e, true) ? -1 : 0;
}

/* ---- brk -------------------------------------------------------------- */

bool vmt_gen_brk(struct vmt_engine *e, struct vmt_call *c)
{
    struct vmt_proc *pr = &e->m.proc[c->slot];
    if (!pr->heap)
        return false;
    int64_t max = (int64_t)(pr->heap_max_pages * VMT_PAGE), cur = (int64_t)pr->brk_bytes;
    uint64_t r = vmt_below(&e->rng, 100);
    c->sub = r < 8;     /* brk(0): a query */
    if (r < 16)
        c->off = -1 - (int64_t)vmt_below(&e->rng, 4 * VMT_PAGE);        /* below the heap */
    else if (r < 24)
        c->off = max + 1 + (int64_t)vmt_below(&e->rng, 4 * VMT_PAGE);   /* beyond its maximum */
    else if (r < 60)
        c->off = cur + (int64_t)vmt_below(&e->rng, 16 * VMT_PAGE) - 8 * (int64_t)VMT_PAGE;
    else
        c->off = (int64_t)vmt_below(&e->rng, (uint64_t)max + 1);
    return true;
}

int vmt_exec_brk(struct vmt_engine *e, const struct vmt_call *c)
{
    int s = c->slot;
    struct vmt_proc *pr = &e->m.proc[s];
    struct vmt_target *t = e->t[0];
    if (!pr->heap || e->nt != 1)
        return 1;
    int64_t max = (int64_t)(pr->heap_max_pages * VMT_PAGE), cur = (int64_t)pr->brk_bytes;
    int64_t off = c->off;
    bool query = c->sub;
    uintptr_t heap = vmt_addr(t, (int64_t)pr->heap_first);
    bool honoured = !query && off >= 0 && off <= max;
    int64_t first_pg = (int64_t)pr->heap_first;
    for (int64_t i = (cur + (int64_t)VMT_PAGE - 1) / (int64_t)VMT_PAGE;
         honoured && i < (off + (int64_t)VMT_PAGE - 1) / (int64_t)VMT_PAGE; i++)
        honoured = e->m.pg[first_pg + i].kind == VMT_HEAP_RESV;  /* an mmap is in the way */
    uintptr_t want = heap + (uintptr_t)(honoured ? off : cur);
    vmt_note(e, "brk %s%+ld (break at +%ld, max %ld)", query ? "query " : "", (long)off,
             (long)cur, (long)max);
    uintptr_t got = t->ops->brk(t->ctx, s, query ? 0 : heap + (uintptr_t)off);
    if (got != want)
        return vmt_fail(e, "brk returned %#lx, expected %#lx", (unsigned long)got,
                        (unsigned long)want);
    if (!honoured)
        return 0;
    e->c.ok[VMT_OP_BRK]++;
    int64_t first = (int64_t)pr->heap_first;
    int64_t old_end = (cur + (int64_t)VMT_PAGE - 1) / (int64_t)VMT_PAGE;
    int64_t new_end = (off + (int64_t)VMT_PAGE - 1) / (int64_t)VMT_PAGE;
    uint32_t id = e->m.pg[first].id;
    for (int64_t i = new_end; i < old_end; i++)      /* shrink: pages go */
        vmt_map(&e->m, (size_t)(first + i), 1, s, PROT_NONE, VMT_HEAP_RESV, id);
    for (int64_t i = old_end; i < new_end; i++)      /* grow: zero pages */
        vmt_map(&e->m, (size_t)(first + i), 1, s, PROT_READ | PROT_WRITE, VMT_HEAP, id);
    pr->brk_bytes = (uintptr_t)off;
    int64_t lo = old_end < new_end ? old_end : new_end, hi = old_end < new_end ? new_end : old_end;
    vmt_affect(e, first + lo - 1, hi - lo + 2);
    if (new_end > old_end)
        vmt_scribble(e, s, first + old_end, new_end - old_end, 4);
    return 0;
}

/* ---- SysV shm --------------------------------------------------------- */

enum { SHM_CREATE, SHM_ATTACH, SHM_DETACH, SHM_RMID };

static int pick_seg(struct vmt_engine *e, bool (*pred)(const struct vmt_seg *, int), int s)
{
    int start = (int)vmt_below(&e->rng, VMT_MAX_SEGS);
    for (int i = 0; i < VMT_MAX_SEGS; i++) {
        int g = (start + i) % VMT_MAX_SEGS;
        if (e->m.seg[g].live && pred(&e->m.seg[g], s))
            return g;
    }
    return -1;
}

static bool seg_any(const struct vmt_seg *g, int s) { return true; }
static bool seg_placed(const struct vmt_seg *g, int s) { return g->placed; }
static bool seg_attached(const struct vmt_seg *g, int s) { return (g->attached >> s) & 1; }

static void destroy_if_done(struct vmt_engine *e, int g)
{
    struct vmt_seg *seg = &e->m.seg[g];
    if (seg->rmid && !seg->attached) {
        vmt_free_range(&e->m, seg->first, seg->npages);
        vmt_affect(e, (int64_t)seg->first, (int64_t)seg->npages);
        seg->live = false;
    }
}

/* Attach segment g for slot s: at its address (`at` 0), one page off it
 * (`at` 1), or anywhere (`at` -1). */
static int shm_attach_seg(struct vmt_engine *e, int s, int g, int at, int flg)
{
    struct vmt_target *t = e->t[0];
    struct vmt_seg *seg = &e->m.seg[g];
    struct vmt_expect x = { .npg = (int64_t)seg->npages };
    if (!seg->placed) {
        x.anyfree = x.enomem_if_full = true;    /* first attach places it */
    } else if ((seg->attached >> s) & 1) {
        vmt_expect_err(&x, EINVAL);             /* one address per segment */
    } else if (at <= 0) {
        x.exact = true;
        x.exact_pg = (int64_t)seg->first;
        if (seg->rmid)
            vmt_expect_err(&x, EIDRM);
    } else {
        vmt_expect_err(&x, EINVAL);             /* it cannot be elsewhere */
        vmt_expect_err(&x, ENOMEM);
    }
    uintptr_t addr = at >= 0 && seg->placed ? vmt_addr(t, (int64_t)seg->first + at) : 0;
    vmt_note(e, "shm_attach seg %d (id %d) %s%d flags %#x", g, seg->shmid,
             at < 0 ? "anywhere" : "at its page +", at, flg);
    vmt_affect(e, (int64_t)seg->first, (int64_t)seg->npages);
    x.res[0] = t->ops->shm_attach(t->ctx, s, seg->shmid, addr, flg);
    if (seg->rmid && (e->cfg.tolerate & VMT_KB_SHM_RMID) && x.res[0] == -EINVAL) {
        e->c.tolerated++;
        return 0;
    }
    struct vmt_outcome o;
    if (vmt_judge(e, &x, true, "shm_attach", &o))
        return -1;
    if (o.err)
        return 0;
    if (!seg->placed) {
        seg->placed = true;
        seg->first = (size_t)o.pg;
        vmt_map(&e->m, seg->first, seg->npages, g, PROT_NONE, VMT_SHM, e->m.next_id++);
    }
    seg->attached |= 1u << s;
    seg->prot[s] = (flg & SHM_RDONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
    vmt_affect(e, (int64_t)seg->first, (int64_t)seg->npages);
    vmt_scribble(e, s, (int64_t)seg->first, (int64_t)seg->npages, 4);
    return 0;
}

static int shm_create_op(struct vmt_engine *e, const struct vmt_call *c)
{
    struct vmt_target *t = e->t[0];
    struct vmt_model *m = &e->m;
    int s = c->slot, key = c->key, flg = c->flags;
    size_t size = c->size, npg = (size + VMT_PAGE - 1) / VMT_PAGE;
    int g = -1, free_g = -1;
    for (int i = 0; i < VMT_MAX_SEGS; i++) {
        const struct vmt_seg *seg = &m->seg[i];
        if (seg->live && !seg->rmid && key != IPC_PRIVATE && seg->key == key)
            g = i;
        if (!seg->live && free_g < 0)
            free_g = i;
    }
    if (g < 0 && free_g < 0)
        return 1;
    vmt_note(e, "shm_get key %#x size %#zx flags %#o", key, size, flg);
    int r = t->ops->shm_get(t->ctx, s, key, size, flg);
    if (g >= 0) {
        struct vmt_seg *seg = &m->seg[g];
        int want = (flg & IPC_CREAT) && (flg & IPC_EXCL) ? -EEXIST
                   : size > seg->size                    ? -EINVAL
                                                         : seg->shmid;
        if (r != want)
            return vmt_fail(e, "shm_get of existing key %#x (id %d, size %#zx): got %d, want %d",
                            key, seg->shmid, seg->size, r, want);
        if (r < 0 || seg_attached(seg, s))
            return 0;
        return shm_attach_seg(e, s, g, c->sub & 1 ? -1 : 0, 0);
    }
    if (!(flg & IPC_CREAT) && key != IPC_PRIVATE) {   /* IPC_PRIVATE always creates */
        if (r != -ENOENT)
            return vmt_fail(e, "shm_get of missing key %#x without IPC_CREAT: got %d, want -ENOENT",
                            key, r);
        return 0;
    }
    if (r == -ENOMEM && vmt_largest_free_run(m) < npg + 2 * e->cfg.chunk_pages) {
        e->c.enomem_excused++;
        return 0;
    }
    if (r < 0)
        return vmt_fail(e, "shm_get new key %#x size %#zx: got %d", key, size, r);
    for (int i = 0; i < VMT_MAX_SEGS; i++)
        if (m->seg[i].live && m->seg[i].shmid == r)
            return vmt_fail(e, "shm_get returned id %d, already segment %d's", r, i);
    m->seg[free_g] = (struct vmt_seg){ .live = true, .key = key, .shmid = r, .size = size,
                                       .npages = npg };
    e->c.ok[VMT_OP_SHM]++;
    /* Attach at once: the segment's place is then known to the model. */
    if (shm_attach_seg(e, s, free_g, -1, 0))
        return -1;
    if (!m->seg[free_g].placed) {   /* no room: drop it again */
        if (t->ops->shm_ctl(t->ctx, s, r, IPC_RMID, NULL))
            return vmt_fail(e, "IPC_RMID of unattached segment %d failed", r);
        m->seg[free_g].live = false;
    }
    return 0;
}

static int shm_detach_op(struct vmt_engine *e, const struct vmt_call *c)
{
    struct vmt_target *t = e->t[0];
    int s = c->slot, g = c->seg;
    bool good = g >= 0 && !c->sub;
    int64_t at = c->p;
    if (g >= 0) {
        if (!e->m.seg[g].live || !seg_attached(&e->m.seg[g], s))
            return 1;
        at = (int64_t)e->m.seg[g].first + (good ? 0 : 1);
    }
    if (!good) {    /* the page may still start another attachment of s */
        for (int h = 0; h < VMT_MAX_SEGS; h++)
            if (e->m.seg[h].live && seg_attached(&e->m.seg[h], s) &&
                (int64_t)e->m.seg[h].first == at) {
                g = h;
                good = true;
            }
    }
    vmt_note(e, "shm_detach page %ld (segment %d)", (long)at, g);
    vmt_affect(e, at, g >= 0 ? (int64_t)e->m.seg[g].npages : 1);
    int r = t->ops->shm_detach(t->ctx, s, vmt_addr(t, at));
    if (r != (good ? 0 : -EINVAL))
        return vmt_fail(e, "shm_detach at page %ld returned %d, want %d", (long)at, r,
                        good ? 0 : -EINVAL);
    if (!good)
        return 0;
    e->m.seg[g].attached &= ~(1u << s);
    destroy_if_done(e, g);
    return 0;
}

static int shm_rmid_op(struct vmt_engine *e, int s, int g)
{
    struct vmt_target *t = e->t[0];
    struct vmt_seg *seg = &e->m.seg[g];
    struct shmid_ds ds;
    if (!seg->live)
        return 1;
    if (seg->rmid && (e->cfg.tolerate & VMT_KB_SHM_RMID)) {
        e->c.tolerated++;
        return 1;
    }
    vmt_note(e, "shm IPC_STAT + IPC_RMID segment %d (id %d)", g, seg->shmid);
    vmt_affect(e, (int64_t)seg->first, (int64_t)seg->npages);
    int r = t->ops->shm_ctl(t->ctx, s, seg->shmid, IPC_STAT, &ds);
    if (r)
        return vmt_fail(e, "IPC_STAT of id %d returned %d", seg->shmid, r);
    if (ds.shm_segsz != seg->size || ds.shm_nattch != (shmatt_t)__builtin_popcount(seg->attached))
        return vmt_fail(e, "IPC_STAT of id %d: size %zu nattch %lu, want %zu and %d", seg->shmid,
                        (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch, seg->size,
                        __builtin_popcount(seg->attached));
    r = t->ops->shm_ctl(t->ctx, s, seg->shmid, IPC_RMID, NULL);
    if (r)
        return vmt_fail(e, "IPC_RMID of id %d returned %d", seg->shmid, r);
    seg->rmid = true;
    destroy_if_done(e, g);
    return 0;
}

bool vmt_gen_shm(struct vmt_engine *e, struct vmt_call *c)
{
    int s = c->slot;
    if (e->nt != 1 || !e->t[0]->ops->shm_get)
        return false;
    uint64_t r = vmt_below(&e->rng, 100);
    if (r < 40) {
        c->sub = SHM_CREATE | (int)(vmt_below(&e->rng, 2) << 4);
        c->key = vmt_below(&e->rng, 3) == 0 ? IPC_PRIVATE : 0x5e00 + (int)vmt_below(&e->rng, 6);
        size_t npg = 1 + vmt_below(&e->rng, vmt_below(&e->rng, 8) ? 64 : 1024);
        c->size = npg * VMT_PAGE - (vmt_below(&e->rng, 2) ? vmt_below(&e->rng, VMT_PAGE) : 0);
        c->flags = 0600 | (vmt_below(&e->rng, 10) ? IPC_CREAT : 0) |
                   (vmt_below(&e->rng, 4) ? 0 : IPC_EXCL);
    } else if (r < 60) {
        c->sub = SHM_ATTACH;
        c->seg = pick_seg(e, seg_placed, s);
        uint64_t a = vmt_below(&e->rng, 10);
        c->q = a < 7 ? -1 : a == 9;
        c->flags = vmt_below(&e->rng, 3) ? 0 : SHM_RDONLY;
    } else if (r < 85) {
        c->sub = SHM_DETACH | (vmt_below(&e->rng, 5) ? 0 : 1 << 4);
        c->seg = pick_seg(e, seg_attached, s);
        if (c->seg < 0 && (c->p = vmt_find_page(e, s, vmt_is_own_anon)) < 0)
            c->p = vmt_pick_page(e, s);
    } else {
        c->sub = SHM_RMID;
        c->seg = pick_seg(e, seg_any, s);
    }
    return (c->sub & 15) == SHM_CREATE || (c->sub & 15) == SHM_DETACH || c->seg >= 0;
}

int vmt_exec_shm(struct vmt_engine *e, const struct vmt_call *c)
{
    if (e->nt != 1 || !e->t[0]->ops->shm_get)
        return 1;
    struct vmt_call d = *c;
    d.sub = c->sub >> 4;
    switch (c->sub & 15) {
    case SHM_CREATE:
        return shm_create_op(e, &d);
    case SHM_ATTACH:
        if (c->seg < 0 || !e->m.seg[c->seg].live || !e->m.seg[c->seg].placed)
            return 1;
        return shm_attach_seg(e, c->slot, c->seg, (int)c->q, c->flags);
    case SHM_DETACH:
        return shm_detach_op(e, &d);
    case SHM_RMID:
        return c->seg < 0 ? 1 : shm_rmid_op(e, c->slot, c->seg);
    }
    return 1;
}

/* Before the last processes go: mark every segment for removal. */
int vmt_shm_cleanup(struct vmt_engine *e)
{
    for (int g = 0; g < VMT_MAX_SEGS; g++) {
        if (!e->m.seg[g].live || e->m.seg[g].rmid)
            continue;
        e->slot = 0;
        if (shm_rmid_op(e, 0, g) < 0)
            return -1;
    }
    return 0;
}
