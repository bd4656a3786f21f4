/* Randomized model-based test engine: generates calls, decides with the
 * model what Linux allows, runs every target, applies the outcome. Checks
 * live in vmt_check.c, process/brk/shm calls in vmt_proc_ops.c.
 *
 * Semantics follow Linux 6.x (checked against this host's kernel by the
 * native differential run) with onespace's rules where one address space
 * forces a choice: another process's pages are like a foreign mapping
 * (MAP_FIXED over them is ENOMEM, munmap skips them, mprotect and mremap see
 * a hole), and a failed call changes nothing (Linux's mprotect applies the
 * part before a hole; the model does that only for native targets).
 * Where Linux itself is not deterministic (whether two adjacent VMAs of
 * different origin were merged) the model accepts both outcomes. */
#include "vmt_engine_int.h"
#include "vmt_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

const char *vmt_opname(int kind)
{
    static const char *const names[VMT_OP_COUNT] = {
        "mmap", "mmap_hint", "mmap_fixed", "mmap_noreplace", "munmap", "mprotect",
        "mremap", "mremap_fixed", "brk", "shm", "write", "churn", "badarg",
    };
    return kind >= 0 && kind < VMT_OP_COUNT ? names[kind] : "?";
}

int vmt_fail(struct vmt_engine *e, const char *fmt, ...)
{
    if (!e->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->fail, sizeof(e->fail), fmt, ap);
        va_end(ap);
        e->failed = true;
    }
    return -1;
}

void vmt_note(struct vmt_engine *e, const char *fmt, ...)
{
    char *line = e->log[e->step % VMT_LOG_DEPTH];
    int n = snprintf(line, sizeof(e->log[0]), "step %lu slot %d: ", e->step, e->slot);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(e->log[0]) - (size_t)n, fmt, ap);
    va_end(ap);
    if (e->cfg.verbose)
        fprintf(stderr, "%s\n", line);
}

/* ---- expectations ---------------------------------------------------- */

void vmt_expect_err(struct vmt_expect *x, int err)
{
    for (int i = 0; i < x->nerr; i++)
        if (x->err[i] == err)
            return;
    if (x->nerr < (int)(sizeof(x->err) / sizeof(x->err[0])))
        x->err[x->nerr++] = err;
}

static void describe_expect(const struct vmt_expect *x, char *buf, size_t len)
{
    int n = snprintf(buf, len, "{");
    for (int i = 0; i < x->nerr; i++)
        n += snprintf(buf + n, len - (size_t)n, "-%s ", strerrorname_np(x->err[i]));
    if (x->exact)
        n += snprintf(buf + n, len - (size_t)n, "page %ld ", (long)x->exact_pg);
    if (x->anyfree)
        n += snprintf(buf + n, len - (size_t)n, "any free %ld pages ", (long)x->npg);
    if (x->zero)
        n += snprintf(buf + n, len - (size_t)n, "0 ");
    if (x->enomem_if_full)
        n += snprintf(buf + n, len - (size_t)n, "-ENOMEM if no room ");
    snprintf(buf + n, len - (size_t)n, "}");
}

int vmt_judge(struct vmt_engine *e, const struct vmt_expect *x, bool addr_result,
              const char *what, struct vmt_outcome *out)
{
    for (int ti = 0; ti < e->nt; ti++) {
        struct vmt_target *t = e->t[ti];
        long r = x->res[ti];
        struct vmt_outcome o = { 0, 0 };
        bool ok = false;
        char want[160];
        describe_expect(x, want, sizeof(want));
        if (r < 0 && r >= -4095) {
            o.err = (int)-r;
            for (int i = 0; i < x->nerr; i++)
                ok |= x->err[i] == o.err;
            if (!ok && o.err == ENOMEM && x->enomem_if_full) {
                size_t run = vmt_largest_free_run(&e->m);
                if (run < (size_t)x->npg + 2 * e->cfg.chunk_pages) {
                    ok = true;
                    e->c.enomem_excused++;
                }
            }
            if (!ok && o.err == ENOMEM && x->enomem_if_full)
                return vmt_fail(e, "%s: %s returned -ENOMEM, expected %s; the pool has %zu "
                                "free pages in a row", what, t->name, want,
                                vmt_largest_free_run(&e->m));
            if (!ok)
                return vmt_fail(e, "%s: %s returned -%s, expected %s", what, t->name,
                                strerrorname_np(o.err), want);
        } else if (!addr_result) {
            if (r != 0 || !x->zero)
                return vmt_fail(e, "%s: %s returned %ld, expected %s", what, t->name, r, want);
        } else {
            uintptr_t a = (uintptr_t)r;
            if ((a - t->base) % VMT_PAGE)
                return vmt_fail(e, "%s: %s returned unaligned %#lx", what, t->name, (unsigned long)a);
            o.pg = (int64_t)(a - t->base) / (int64_t)VMT_PAGE;
            if (x->exact && o.pg == x->exact_pg)
                ok = true;
            else if (x->anyfree && vmt_range_free(&e->m, o.pg, x->npg))
                ok = true;
            if (!ok)
                return vmt_fail(e, "%s: %s returned page %ld (%#lx), expected %s", what, t->name,
                                (long)o.pg, (unsigned long)a, want);
        }
        if (ti == 0)
            *out = o;
        else if (o.err != out->err || o.pg != out->pg)
            return vmt_fail(e, "%s: targets disagree: %s err %d page %ld, %s err %d page %ld",
                            what, e->t[0]->name, out->err, (long)out->pg, t->name, o.err,
                            (long)o.pg);
    }
    return 0;
}

/* ---- choosing pages and sizes ----------------------------------------- */

/* First page at or after a random start (wrapping) satisfying `pred`. */
int64_t vmt_find_page(struct vmt_engine *e, int s,
                      bool (*pred)(const struct vmt_model *, int64_t, int))
{
    size_t n = e->m.npages, start = vmt_below(&e->rng, n);
    for (size_t i = 0; i < n; i++) {
        int64_t p = (int64_t)((start + i) % n);
        if (pred(&e->m, p, s))
            return p;
    }
    return -1;
}

bool vmt_is_own_anon(const struct vmt_model *m, int64_t p, int s)
{
    return vmt_in_pool(m, p) && m->pg[p].kind == VMT_ANON && m->pg[p].owner == s;
}

static bool is_other_mapped(const struct vmt_model *m, int64_t p, int s)
{
    return vmt_foreign(m, p, s);
}

static bool is_free_pred(const struct vmt_model *m, int64_t p, int s)
{
    return vmt_is_free(m, p);
}

/* The run of own anonymous pages with one protection around p. */
void vmt_own_run(struct vmt_engine *e, int s, int64_t p, int64_t *first, int64_t *n)
{
    const struct vmt_model *m = &e->m;
    int prot = m->pg[p].prot;
    int64_t a = p, b = p + 1;
    while (vmt_is_own_anon(m, a - 1, s) && m->pg[a - 1].prot == prot)
        a--;
    while (vmt_is_own_anon(m, b, s) && m->pg[b].prot == prot)
        b++;
    *first = a;
    *n = b - a;
}

int64_t vmt_pick_npages(struct vmt_engine *e)
{
    uint64_t r = vmt_below(&e->rng, 1000);
    int64_t chunk = (int64_t)e->cfg.chunk_pages, n;
    if (r < 550)
        n = 1 + (int64_t)vmt_below(&e->rng, 8);
    else if (r < 820)
        n = 1 + (int64_t)vmt_below(&e->rng, 64);
    else if (r < 940)
        n = 1 + (int64_t)vmt_below(&e->rng, 1024);
    else if (r < 965)
        n = 1 + (int64_t)vmt_below(&e->rng, 4096);
    else if (r < 990)
        n = chunk - 2 + (int64_t)vmt_below(&e->rng, 5);          /* chunk size +- 2 pages */
    else
        n = chunk + (int64_t)vmt_below(&e->rng, (uint64_t)chunk / 2); /* beyond one chunk */
    int64_t cap = (int64_t)e->m.npages / 3;
    return n > cap ? 1 + (int64_t)vmt_below(&e->rng, (uint64_t)cap) : n;
}

int vmt_pick_prot(struct vmt_engine *e)
{
    static const int prots[] = {
        PROT_NONE, PROT_READ, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
        PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
        PROT_READ | PROT_WRITE | PROT_EXEC,
    };
    return prots[vmt_below(&e->rng, sizeof(prots) / sizeof(prots[0]))];
}

/* An interesting page for slot s: an edge of one of its runs, inside one,
 * another process's page, a chunk border, a free page, or anywhere. */
int64_t vmt_pick_page(struct vmt_engine *e, int s)
{
    uint64_t r = vmt_below(&e->rng, 100);
    int64_t d = (int64_t)vmt_below(&e->rng, 5) - 2, p = -1;
    if (r < 40) {
        p = vmt_find_page(e, s, vmt_is_own_anon);
        if (p >= 0 && r < 30) {
            int64_t first, n;
            vmt_own_run(e, s, p, &first, &n);
            p = (r < 15 ? first : first + n) + d;
        }
    } else if (r < 50) {
        p = vmt_find_page(e, s, is_other_mapped);
        if (p >= 0)
            p += d;
    } else if (r < 60) {
        int64_t chunk = (int64_t)e->cfg.chunk_pages;
        p = chunk * (int64_t)vmt_below(&e->rng, e->m.npages / (size_t)chunk + 1) + d * 2;
    } else if (r < 80) {
        p = vmt_find_page(e, s, is_free_pred);
    }
    if (p < 0 || (size_t)p >= e->m.npages)
        p = (int64_t)vmt_below(&e->rng, e->m.npages);
    return p;
}

/* Does [p, p+n) touch the slot's own heap (below the break) or shm pages?
 * The random calls keep off them (their rules are the heap's and shm's,
 * tested apart). The heap area above the break is fair game: Linux lets
 * mmap use it, and so does onespace for the heap's own process. */
bool vmt_touches_special(struct vmt_engine *e, int s, int64_t p, int64_t n)
{
    for (int64_t i = p; i < p + n; i++)
        if (vmt_own(&e->m, i, s) && (e->m.pg[i].kind == VMT_SHM || e->m.pg[i].kind == VMT_HEAP))
            return true;
    return false;
}

/* A range for munmap/mprotect/mremap/MAP_FIXED: anywhere interesting, a
 * whole own run, or part of one. Native mode stays inside the scratch
 * region; otherwise a few pages beyond the pool's ends are possible. */
bool vmt_pick_range(struct vmt_engine *e, int s, int64_t *pp, int64_t *pn)
{
    for (int tries = 0; tries < 8; tries++) {
        int64_t p, n;
        uint64_t r = vmt_below(&e->rng, 100);
        int64_t own = r < 45 ? vmt_find_page(e, s, vmt_is_own_anon) : -1;
        if (own >= 0) {
            int64_t first, len;
            vmt_own_run(e, s, own, &first, &len);
            if (r < 15) {               /* exactly a run */
                p = first;
                n = len;
            } else if (r < 30) {        /* part of a run */
                p = first + (int64_t)vmt_below(&e->rng, (uint64_t)len);
                n = 1 + (int64_t)vmt_below(&e->rng, (uint64_t)(first + len - p));
            } else {                    /* a run and a bit of its neighbours */
                p = first - (int64_t)vmt_below(&e->rng, 3);
                n = len + (first - p) + (int64_t)vmt_below(&e->rng, 3);
            }
        } else {
            p = vmt_pick_page(e, s);
            n = vmt_pick_npages(e);
        }
        if (r >= 97 && !e->cfg.native_mode) /* off the ends of the pool */
            p = vmt_below(&e->rng, 2) ? -(int64_t)vmt_below(&e->rng, 3) - 1
                                      : (int64_t)e->m.npages - (int64_t)vmt_below(&e->rng, 3);
        if (n < 1)
            n = 1;
        if (e->cfg.native_mode && (p < 0 || p + n > (int64_t)e->m.npages))
            continue;
        if (vmt_touches_special(e, s, p, n))
            continue;
        *pp = p;
        *pn = n;
        return true;
    }
    e->c.skipped++;
    return false;
}

/* A byte length for n pages: sometimes not a page multiple (rounded up). */
size_t vmt_len_of(struct vmt_engine *e, int64_t n)
{
    size_t len = (size_t)n * VMT_PAGE;
    if (vmt_below(&e->rng, 4) == 0)
        len -= vmt_below(&e->rng, VMT_PAGE);
    return len;
}

/* Fresh tags in up to `max_pages` writable pages of [p, p+n) for slot s
 * (its first and last page included), written through every target. */
void vmt_scribble(struct vmt_engine *e, int s, int64_t p, int64_t n, int max_pages)
{
    for (int k = 0; k < max_pages && n > 0; k++) {
        int64_t q = k == 0 ? p : k == 1 ? p + n - 1 : p + (int64_t)vmt_below(&e->rng, (uint64_t)n);
        int prot = vmt_prot_of(&e->m, q, s);
        if (prot < 0 || !(prot & PROT_WRITE))
            continue;
        uint64_t tag = vmt_new_tag(&e->m);
        for (int ti = 0; ti < e->nt; ti++)
            if (vmt_guarded_write(vmt_addr(e->t[ti], q), tag)) {
                vmt_fail(e, "%s: writing page %ld faults; the model has it mapped with prot %d",
                         e->t[ti]->name, (long)q, prot);
                return;
            }
        e->m.pg[q].tag = tag;
    }
}

/* ---- the model's side of each call ------------------------------------ */

void vmt_unmap_own(struct vmt_engine *e, int s, int64_t p, int64_t n)
{
    for (int64_t i = p; i < p + n; i++)
        if (vmt_is_own_anon(&e->m, i, s))
            vmt_release(&e->m, (size_t)i, 1);
}

/* Is [p, p+n) one VMA? 0: surely not (a hole, or two protections);
 * 1: yes (one origin, consecutive offsets, and - for native Linux, whose
 * split pieces may not merge again - never split since); 2: maybe (Linux
 * merges such neighbours or not, depending on history). */
bool vmt_same_vma(struct vmt_engine *e, int64_t a, int64_t b)
{
    const struct vmt_page *x = &e->m.pg[a], *y = &e->m.pg[b];
    return x->prot == y->prot && x->id == y->id && y->lin == x->lin + 1 &&
           (!e->cfg.native_mode || x->gen == y->gen);
}

int vmt_one_vma(struct vmt_engine *e, int s, int64_t p, int64_t n)
{
    const struct vmt_model *m = &e->m;
    int verdict = 1;
    for (int64_t i = p; i < p + n; i++) {
        if (!vmt_is_own_anon(m, i, s) || m->pg[i].prot != m->pg[p].prot)
            return 0;
        if (i > p && !vmt_same_vma(e, i - 1, i))
            verdict = 2;
    }
    return verdict;
}

/* Pages [p, p+n) were changed apart from the rest of their mapping: they
 * get new generations, one per run of equal old ones (pieces that could
 * differ in Linux before still can). */
void vmt_new_gen(struct vmt_engine *e, int64_t p, int64_t n)
{
    uint32_t prev_old = 0, gen = 0;
    for (int64_t i = p; i < p + n; i++) {
        uint32_t old = e->m.pg[i].gen;
        if (i == p || old != prev_old)
            gen = e->m.next_gen++;
        prev_old = old;
        e->m.pg[i].gen = gen;
    }
}

/* Move n pages p -> q (q's pages are free by now), then give the moved VMA
 * `grow` more zero pages at its end. */
void vmt_move_pages(struct vmt_engine *e, int64_t p, int64_t q, int64_t n, int64_t grow)
{
    struct vmt_page *pg = e->m.pg;
    struct vmt_page *tmp = malloc((size_t)n * sizeof(*tmp));
    memcpy(tmp, &pg[p], (size_t)n * sizeof(*tmp));
    vmt_release(&e->m, (size_t)p, (size_t)n);
    memcpy(&pg[q], tmp, (size_t)n * sizeof(*tmp));
    struct vmt_page last = tmp[n - 1];
    free(tmp);
    for (int64_t i = 0; i < grow; i++) {
        pg[q + n + i] = last;
        pg[q + n + i].tag = 0;
        pg[q + n + i].lin = last.lin + 1 + (uint32_t)i;
    }
}

/* ---- the loop --------------------------------------------------------- */

static int pick_op(struct vmt_engine *e)
{
    /* weights per op kind; native mode keeps to what a fixed region allows */
    static const int multi[VMT_OP_COUNT] = { 14, 6, 11, 4, 15, 12, 9, 5, 5, 6, 6, 1, 6 };
    static const int native[VMT_OP_COUNT] = { 10, 6, 16, 6, 17, 15, 12, 10, 0, 0, 6, 0, 8 };
    const int *w = e->cfg.native_mode ? native : multi;
    int total = 0;
    for (int k = 0; k < VMT_OP_COUNT; k++)
        total += w[k];
    int r = (int)vmt_below(&e->rng, (uint64_t)total);
    for (int k = 0; k < VMT_OP_COUNT; k++) {
        if (r < w[k]) {
            if (k == VMT_OP_MMAP && e->cfg.native_mode && e->nt == 1)
                return VMT_OP_MMAP_FIXED;   /* native alone cannot choose places */
            if (k == VMT_OP_BRK && !e->cfg.use_brk)
                return VMT_OP_MMAP;
            if (k == VMT_OP_SHM && !e->cfg.use_shm)
                return VMT_OP_MUNMAP;
            if (k == VMT_OP_CHURN && !e->cfg.use_churn)
                return VMT_OP_WRITE;
            return k;
        }
        r -= w[k];
    }
    return VMT_OP_WRITE;
}

/* Random arguments for a call of `kind` by slot s (false: nothing to do). */
static bool gen_call(struct vmt_engine *e, struct vmt_call *c)
{
    switch (c->kind) {
    case VMT_OP_MMAP:
    case VMT_OP_MMAP_HINT:
    case VMT_OP_MMAP_FIXED:
    case VMT_OP_MMAP_NOREPLACE:
        return vmt_gen_mmap(e, c);
    case VMT_OP_MUNMAP:
        return vmt_gen_munmap(e, c);
    case VMT_OP_MPROTECT:
        return vmt_gen_mprotect(e, c);
    case VMT_OP_MREMAP:
        return vmt_gen_mremap(e, c);
    case VMT_OP_MREMAP_FIXED:
        return vmt_gen_mremap_fixed(e, c);
    case VMT_OP_BRK:
        return vmt_gen_brk(e, c);
    case VMT_OP_SHM:
        return vmt_gen_shm(e, c);
    case VMT_OP_BADARG:
        return vmt_gen_badarg(e, c);
    case VMT_OP_CHURN:
        c->slot = (int)vmt_below(&e->rng, (uint64_t)e->cfg.nslots);
        return true;
    default:
        return true;
    }
}

static int exec_call(struct vmt_engine *e, const struct vmt_call *c)
{
    switch (c->kind) {
    case VMT_OP_MMAP:
    case VMT_OP_MMAP_HINT:
    case VMT_OP_MMAP_FIXED:
    case VMT_OP_MMAP_NOREPLACE:
        return vmt_exec_mmap(e, c);
    case VMT_OP_MUNMAP:
        return vmt_exec_munmap(e, c);
    case VMT_OP_MPROTECT:
        return vmt_exec_mprotect(e, c);
    case VMT_OP_MREMAP:
        return vmt_exec_mremap(e, c);
    case VMT_OP_MREMAP_FIXED:
        return vmt_exec_mremap_fixed(e, c);
    case VMT_OP_BRK:
        return vmt_exec_brk(e, c);
    case VMT_OP_SHM:
        return vmt_exec_shm(e, c);
    case VMT_OP_WRITE:
        return vmt_exec_write(e, c);
    case VMT_OP_CHURN:
        return vmt_exec_churn(e, c);
    case VMT_OP_BADARG:
        return vmt_exec_badarg(e, c);
    }
    return 1;
}

static void record_call(struct vmt_engine *e, const struct vmt_call *c)
{
    if (e->ncalls == e->cap_calls) {
        e->cap_calls = e->cap_calls ? e->cap_calls * 2 : 1024;
        e->calls = realloc(e->calls, e->cap_calls * sizeof(*e->calls));
    }
    e->calls[e->ncalls++] = *c;
    if (e->cfg.record_fd > 0 && write(e->cfg.record_fd, c, sizeof(*c)) != sizeof(*c))
        e->cfg.record_fd = 0;
}

void vmt_describe_call(const struct vmt_call *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s slot %d: page %ld+%ld len %#zx prot %d flags %#x skew %#lx | "
             "new page %ld+%ld len %#zx | sub %d key %#x size %#zx seg %d off %ld",
             vmt_opname(c->kind), c->slot, (long)c->p, (long)c->n, c->len, c->prot, c->flags,
             (unsigned long)c->skew, (long)c->q, (long)c->new_n, c->new_len, c->sub, c->key,
             c->size, c->seg, (long)c->off);
}

unsigned vmt_parse_tolerate(const char *s)
{
    static const struct { const char *name; unsigned bit; } bugs[] = {
        { "mremap_reserve", VMT_KB_MREMAP_RESERVE },
        { "shm_rmid", VMT_KB_SHM_RMID },
        { "shm_unattached", VMT_KB_SHM_UNATTACHED },
        { "mremap_inplace", VMT_KB_MREMAP_INPLACE },
    };
    unsigned mask = 0;
    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++)
        if (strstr(s, bugs[i].name) || !strcmp(s, "all"))
            mask |= bugs[i].bit;
    return mask;
}

void vmt_failure_signature(const char *msg, char *out, size_t len)
{
    size_t n = 0;
    for (const char *s = msg; *s && n + 1 < len; s++) {
        bool digit = (*s >= '0' && *s <= '9') || ((*s == 'x') && s > msg && s[-1] == '0');
        bool hex = (*s >= 'a' && *s <= 'f') && s > msg && n && out[n - 1] == '#';
        if (digit || hex) {
            if (!n || out[n - 1] != '#')
                out[n++] = '#';
        } else {
            out[n++] = *s;
        }
    }
    out[n] = 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The model's pages around [p, p+n), run-length compressed. */
static void dump_model(struct vmt_engine *e, int64_t p, int64_t n)
{
    int64_t lo = p - 4 < 0 ? 0 : p - 4, hi = p + n + 4;
    if (hi > (int64_t)e->m.npages)
        hi = (int64_t)e->m.npages;
    fprintf(stderr, "  model pages %ld..%ld:\n", (long)lo, (long)hi);
    for (int64_t i = lo; i < hi;) {
        const struct vmt_page *a = &e->m.pg[i];
        int64_t j = i + 1;
        while (j < hi && e->m.pg[j].kind == a->kind && e->m.pg[j].owner == a->owner &&
               e->m.pg[j].prot == a->prot && e->m.pg[j].id == a->id &&
               e->m.pg[j].gen == a->gen && e->m.pg[j].lin == a->lin + (uint32_t)(j - i))
            j++;
        fprintf(stderr, "    %ld+%ld kind %d owner %d prot %d id %u lin %u gen %#x\n", (long)i,
                (long)(j - i), a->kind, a->owner, a->prot, a->id, a->lin, a->gen);
        i = j;
    }
}

static void report_failure(struct vmt_engine *e)
{
    fprintf(stderr, "vm model test FAILED at step %lu (replay: ONESPACE_VM_SEED=%#llx "
                    "ONESPACE_VM_STEPS=%lu): %s\nlast steps:\n",
            e->step, (unsigned long long)e->cfg.seed, e->step, e->fail);
    for (unsigned long i = e->step >= VMT_LOG_DEPTH ? e->step - VMT_LOG_DEPTH + 1 : 0; i <= e->step; i++)
        fprintf(stderr, "  %s\n", e->log[i % VMT_LOG_DEPTH]);
    for (int i = 0; i < e->naff; i++)
        dump_model(e, e->aff[i].p, e->aff[i].n);
}

int vmt_run(const struct vmt_config *cfg, struct vmt_target *const *targets, int ntargets,
            struct vmt_counters *out, struct vmt_failure *fail)
{
    struct vmt_engine *e = calloc(1, sizeof(*e));
    if (!e || ntargets < 1 || ntargets > 2 || cfg->nslots < 1 || cfg->nslots > VMT_MAX_SLOTS)
        return -1;
    e->cfg = *cfg;
    if (!e->cfg.check_every)
        e->cfg.check_every = 64;
    e->nt = ntargets;
    for (int i = 0; i < ntargets; i++)
        e->t[i] = targets[i];
    e->rng = cfg->seed;
    e->next_pid = 1;
    e->next_key = 0x5e00;
    e->host_prot = malloc(cfg->npages);
    int rc = vmt_model_init(&e->m, cfg->npages) || !e->host_prot ? -1 : 0;

    vmt_guard_install();
    for (int s = 0; s < cfg->nslots && rc == 0; s++)
        rc = vmt_proc_start(e, s);
    double deadline = cfg->seconds > 0 ? now_s() + cfg->seconds : 0;
    for (e->step = 1; rc == 0; e->step++) {
        struct vmt_call call = { 0 };
        if (cfg->replay) {
            if (e->step > cfg->nreplay)
                break;
            call = cfg->replay[e->step - 1];
        } else {
            if (deadline ? now_s() >= deadline : e->step > cfg->steps)
                break;
            call.slot = (int)vmt_below(&e->rng, (uint64_t)cfg->nslots);
            call.kind = pick_op(e);
            call.seg = -1;
            e->c.ops[call.kind]++;
            if (!gen_call(e, &call)) {
                e->c.skipped++;
                continue;
            }
        }
        e->naff = 0;
        e->slot = call.slot;
        vmt_note(e, "%s", vmt_opname(call.kind));
        record_call(e, &call);
        int r = exec_call(e, &call);
        if (r < 0) {
            rc = -1;
            break;
        }
        e->c.skipped += r == 1;
        rc = vmt_check_step(e, e->step % e->cfg.check_every == 0);
    }
    e->c.steps = e->step - 1;
    e->slot = 0;
    if (rc == 0) {
        vmt_note(e, "final checks, then every process exits");
        e->naff = 0;
        rc = vmt_check_step(e, true);
    }
    if (rc == 0)
        rc = vmt_shm_cleanup(e);
    if (rc == 0) {
        for (int s = 0; s < cfg->nslots && rc == 0; s++)
            rc = vmt_proc_stop(e, s);
        if (rc == 0)
            rc = vmt_check_empty(e);
    }
    if (rc) {
        report_failure(e);
        /* Let the targets free what they can (quiet leak checkers). */
        for (int s = 0; s < cfg->nslots; s++)
            for (int ti = 0; ti < e->nt; ti++)
                if (e->m.proc[s].live && e->t[ti]->ops->proc_destroy)
                    e->t[ti]->ops->proc_destroy(e->t[ti]->ctx, s);
    }
    vmt_guard_remove();
    if (out)
        *out = e->c;
    if (rc && fail) {
        fail->calls = e->calls;
        fail->ncalls = e->ncalls;
        e->calls = NULL;
        snprintf(fail->msg, sizeof(fail->msg), "%s", e->fail);
    }
    free(e->calls);
    vmt_model_fini(&e->m);
    free(e->maps_buf);
    free(e->host_prot);
    free(e);
    return rc;
}
