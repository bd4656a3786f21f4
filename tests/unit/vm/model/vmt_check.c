/* Checks of every target against the model after each step:
 * - the manager's own invariant check and stats;
 * - /proc/<pid>/maps of the acting process (all processes on full steps);
 * - check_access at the edges of what the step touched, and at random;
 * - page contents (tags, zeros) where the step touched, and at random;
 * - host protections from /proc/self/maps (native: every step; onespace:
 *   full steps), and now and then real faults in a forked child. */
#include "vmt_ops.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_ABSENT 0xff

static void perm_str(int prot, bool shared, char out[5])
{
    out[0] = prot & PROT_READ ? 'r' : '-';
    out[1] = prot & PROT_WRITE ? 'w' : '-';
    out[2] = prot & PROT_EXEC ? 'x' : '-';
    out[3] = shared ? 's' : 'p';
    out[4] = 0;
}

/* ---- /proc/<pid>/maps of a process ---------------------------------- */

struct maps_acc {
    struct vmt_run *runs;
    size_t n, cap;
    uintptr_t base;
    bool bad;
};

static void maps_line(uintptr_t start, uintptr_t end, const char *perms, void *arg)
{
    struct maps_acc *a = arg;
    int prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
               (perms[2] == 'x' ? PROT_EXEC : 0);
    bool shared = perms[3] == 's';
    if (start < a->base || (start - a->base) % VMT_PAGE || (end - start) % VMT_PAGE) {
        a->bad = true;
        return;
    }
    size_t first = (start - a->base) / VMT_PAGE, n = (end - start) / VMT_PAGE;
    if (a->n && a->runs[a->n - 1].first + a->runs[a->n - 1].npages == first &&
        a->runs[a->n - 1].prot == prot && a->runs[a->n - 1].shared == shared) {
        a->runs[a->n - 1].npages += n;  /* Linux would have merged them */
        return;
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->runs = realloc(a->runs, a->cap * sizeof(*a->runs));
    }
    a->runs[a->n++] = (struct vmt_run){ first, n, prot, shared };
}

static int check_maps(struct vmt_engine *e, struct vmt_target *t, int s)
{
    ssize_t len = t->ops->render_maps(t->ctx, s, e->maps_buf, e->maps_cap);
    if (len == -ENOSYS)
        return 0;
    if (len >= 0 && (size_t)len >= e->maps_cap) {
        e->maps_cap = (size_t)len + 4096;
        e->maps_buf = realloc(e->maps_buf, e->maps_cap);
        len = t->ops->render_maps(t->ctx, s, e->maps_buf, e->maps_cap);
    }
    if (len < 0 || !e->maps_buf)
        return vmt_fail(e, "%s: render_maps of slot %d returned %zd", t->name, s, len);
    struct maps_acc a = { .base = t->base };
    if (vmt_parse_maps(e->maps_buf, 0, UINTPTR_MAX, maps_line, &a) < 0 || a.bad) {
        free(a.runs);
        return vmt_fail(e, "%s: unparsable maps of slot %d:\n%s", t->name, s, e->maps_buf);
    }
    size_t n = vmt_runs(&e->m, s, NULL, 0);
    struct vmt_run *want = calloc(n + 1, sizeof(*want));
    vmt_runs(&e->m, s, want, n);
    int rc = 0;
    for (size_t i = 0; i < (n > a.n ? n : a.n) && !rc; i++) {
        char ws[5] = "none", gs[5] = "none";
        if (i < n)
            perm_str(want[i].prot, want[i].shared, ws);
        if (i < a.n)
            perm_str(a.runs[i].prot, a.runs[i].shared, gs);
        if (i >= n || i >= a.n || want[i].first != a.runs[i].first ||
            want[i].npages != a.runs[i].npages || strcmp(ws, gs))
            rc = vmt_fail(e, "%s: maps of slot %d, merged run %zu: got pages %ld+%ld %s, "
                          "model has %ld+%ld %s (%zu vs %zu runs)", t->name, s, i,
                          i < a.n ? (long)a.runs[i].first : -1L, i < a.n ? (long)a.runs[i].npages : 0L,
                          gs, i < n ? (long)want[i].first : -1L, i < n ? (long)want[i].npages : 0L,
                          ws, a.n, n);
    }
    free(want);
    free(a.runs);
    return rc;
}

/* ---- check_access ------------------------------------------------------ */

static int expected_access(const struct vmt_model *m, int s, int64_t p, int64_t n, int want)
{
    for (int64_t i = p; i < p + n; i++) {
        int prot = vmt_prot_of(m, i, s);
        if (prot < 0 || (want & ~prot & (PROT_READ | PROT_WRITE)))
            return -EFAULT;
    }
    return 0;
}

static int probe_access(struct vmt_engine *e, struct vmt_target *t, int s, int64_t p, int64_t n)
{
    if (n <= 0 || p < 0 || p + n > (int64_t)e->m.npages)
        return 0;
    static const int wants[] = { PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE };
    for (size_t k = 0; k < sizeof(wants) / sizeof(wants[0]); k++) {
        int want = expected_access(&e->m, s, p, n, wants[k]);
        int got = t->ops->check_access(t->ctx, s, vmt_addr(t, p), (size_t)n * VMT_PAGE, wants[k]);
        if (got != want)
            return vmt_fail(e, "%s: check_access(slot %d, page %ld, %ld pages, prot %d) = %d, "
                            "model says %d", t->name, s, (long)p, (long)n, wants[k], got, want);
    }
    return 0;
}

static int check_access_sample(struct vmt_engine *e, struct vmt_target *t, bool full)
{
    int s = e->slot;
    if (!e->m.proc[s].live)
        return 0;
    for (int i = 0; i < e->naff; i++) {
        int64_t p = e->aff[i].p, n = e->aff[i].n;
        if (probe_access(e, t, s, p - 1, 1) || probe_access(e, t, s, p, 1) ||
            probe_access(e, t, s, p + n - 1, 1) || probe_access(e, t, s, p + n, 1) ||
            probe_access(e, t, s, p, n) || probe_access(e, t, s, p - 1, n + 2))
            return -1;
    }
    for (int k = 0; k < 8; k++) {
        int s2 = (int)vmt_below(&e->rng, (uint64_t)e->cfg.nslots);
        int64_t p = vmt_find_page(e, s2, vmt_is_own_anon);
        if (p < 0 || !e->m.proc[s2].live)
            continue;
        int64_t first, n;
        vmt_own_run(e, s2, p, &first, &n);
        if (probe_access(e, t, s2, p, 1) || probe_access(e, t, s2, first, n) ||
            probe_access(e, t, s2, first - 1, n + 1))
            return -1;
    }
    if (!full)
        return 0;
    for (int s2 = 0; s2 < e->cfg.nslots; s2++) {
        if (!e->m.proc[s2].live)
            continue;
        size_t n = vmt_runs(&e->m, s2, NULL, 0);
        struct vmt_run *runs = calloc(n + 1, sizeof(*runs));
        vmt_runs(&e->m, s2, runs, n);
        int rc = 0;
        for (size_t i = 0; i < n && !rc; i++)
            rc = probe_access(e, t, s2, (int64_t)runs[i].first, (int64_t)runs[i].npages) ||
                 probe_access(e, t, s2, (int64_t)runs[i].first + (int64_t)runs[i].npages, 1);
        free(runs);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- contents -------------------------------------------------------- */

/* Can the host read page p of the pool (as the model has it)? */
static bool host_readable(const struct vmt_model *m, int64_t p)
{
    const struct vmt_page *pg = &m->pg[p];
    if (pg->kind == VMT_ANON || pg->kind == VMT_HEAP)
        return pg->prot & PROT_READ;
    return pg->kind == VMT_SHM && m->seg[pg->owner].attached;
}

static int check_page(struct vmt_engine *e, struct vmt_target *t, int64_t p, bool full)
{
    if (!vmt_in_pool(&e->m, p) || !host_readable(&e->m, p))
        return 0;
    uint64_t found;
    int r = vmt_guarded_check(vmt_addr(t, p), e->m.pg[p].tag, full, &found);
    if (r == -2)
        return vmt_fail(e, "%s: reading page %ld (kind %d owner %d prot %d) faults", t->name,
                        (long)p, e->m.pg[p].kind, e->m.pg[p].owner, e->m.pg[p].prot);
    if (r)
        return vmt_fail(e, "%s: page %ld (kind %d owner %d) holds %#llx, model wrote %#llx",
                        t->name, (long)p, e->m.pg[p].kind, e->m.pg[p].owner,
                        (unsigned long long)found, (unsigned long long)e->m.pg[p].tag);
    return 0;
}

static int check_contents(struct vmt_engine *e, struct vmt_target *t, bool sweep)
{
    for (int i = 0; i < e->naff; i++) {
        int64_t p = e->aff[i].p, n = e->aff[i].n;
        for (int64_t k = 0; k < n && k < 8; k++)
            if (check_page(e, t, p + k, true) || check_page(e, t, p + n - 1 - k, true))
                return -1;
        for (int k = 0; k < 8; k++)
            if (check_page(e, t, p + (int64_t)vmt_below(&e->rng, (uint64_t)n), false))
                return -1;
    }
    for (int k = 0; k < 16; k++)
        if (check_page(e, t, (int64_t)vmt_below(&e->rng, e->m.npages), false))
            return -1;
    if (sweep) {
        e->c.full_sweeps++;
        for (size_t p = 0; p < e->m.npages; p++)
            if (e->m.pg[p].tag && check_page(e, t, (int64_t)p, false))
                return -1;
    }
    return 0;
}

/* ---- host protections ------------------------------------------------ */

struct host_acc {
    uint8_t *prot;
    uintptr_t base;
};

static void host_line(uintptr_t start, uintptr_t end, const char *perms, void *arg)
{
    struct host_acc *a = arg;
    uint8_t v = (uint8_t)((perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                          (perms[2] == 'x' ? PROT_EXEC : 0) | (perms[3] == 's' ? 8 : 0));
    for (uintptr_t q = start; q < end; q += VMT_PAGE)
        a->prot[(q - a->base) / VMT_PAGE] = v;
}

/* The host protection page p must have: HOST_ABSENT (native: nothing
 * mapped), 0..7, or -1 (don't care: shm pages, whose one host protection
 * serves every attached process). */
static int want_host(const struct vmt_engine *e, const struct vmt_target *t, size_t p)
{
    const struct vmt_page *pg = &e->m.pg[p];
    switch (pg->kind) {
    case VMT_ANON:
    case VMT_HEAP:
        return pg->prot;
    case VMT_SHM:
        return -1;
    default:
        if (t->lazy_unmap)
            return -1;  /* may still carry its old protection, by design */
        return t->native ? HOST_ABSENT : 0;
    }
}

static int check_host_prot(struct vmt_engine *e, struct vmt_target *t)
{
    char *maps = vmt_read_self_maps();
    if (!maps)
        return vmt_fail(e, "cannot read /proc/self/maps");
    memset(e->host_prot, HOST_ABSENT, e->m.npages);
    struct host_acc a = { e->host_prot, t->base };
    vmt_parse_maps(maps, t->base, t->base + e->m.npages * VMT_PAGE, host_line, &a);
    free(maps);
    e->c.host_checks++;
    for (size_t p = 0; p < e->m.npages; p++) {
        int want = want_host(e, t, p), got = e->host_prot[p];
        if (want < 0)
            continue;
        if (!t->native && want == 0 && got == HOST_ABSENT)
            continue;   /* unmapped from the host entirely is inaccessible too */
        if (got != want)
            return vmt_fail(e, "%s: host protection of page %ld (kind %d owner %d) is %#x, "
                            "model wants %#x", t->name, (long)p, e->m.pg[p].kind,
                            e->m.pg[p].owner, got, want);
    }
    return 0;
}

/* Touch pages in a child: does reading/writing fault as the model says? */
static sigjmp_buf probe_jmp;
static void probe_segv(int sig) { siglongjmp(probe_jmp, 1); }

static int fork_probe(struct vmt_engine *e, struct vmt_target *t)
{
    enum { N = 48 };
    int64_t pages[N];
    for (int i = 0; i < N; i++) {
        pages[i] = i < e->naff ? e->aff[i].p : -1;
        if (!vmt_in_pool(&e->m, pages[i]))
            pages[i] = (int64_t)vmt_below(&e->rng, e->m.npages);
    }
    int fds[2];
    if (pipe(fds))
        return vmt_fail(e, "pipe failed");
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa = { .sa_handler = probe_segv };
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        uint8_t res[N];
        for (int i = 0; i < N; i++) {
            volatile char *q = (volatile char *)vmt_addr(t, pages[i]);
            char v = 0;
            res[i] = 0;
            if (!sigsetjmp(probe_jmp, 1)) {
                v = *q;
                res[i] |= PROT_READ;
            }
            if (!sigsetjmp(probe_jmp, 1)) {
                *q = v;
                res[i] |= PROT_WRITE;
            }
        }
        _exit(write(fds[1], res, N) == N ? 0 : 1);
    }
    close(fds[1]);
    uint8_t res[N];
    ssize_t got = read(fds[0], res, N);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (got != N)
        return vmt_fail(e, "fork probe child failed (status %#x)", status);
    e->c.fork_probes++;
    for (int i = 0; i < N; i++) {
        int want = want_host(e, t, (size_t)pages[i]);
        if (want < 0)
            continue;
        want = want == HOST_ABSENT ? 0 : (want & PROT_WRITE ? PROT_READ | PROT_WRITE : want & PROT_READ);
        if (res[i] != want)
            return vmt_fail(e, "%s: page %ld faults as %d (r=1 w=2 allowed), model wants %d",
                            t->name, (long)pages[i], res[i], want);
    }
    return 0;
}

/* ---- stats and the whole step ---------------------------------------- */

static int check_stats(struct vmt_engine *e, struct vmt_target *t, bool full)
{
    struct vmt_stats st;
    t->ops->stats(t->ctx, &st);
    size_t total = e->m.npages * VMT_PAGE;
    int live = 0;
    for (int g = 0; g < VMT_MAX_SEGS; g++)
        live += e->m.seg[g].live;
    if (st.total_bytes != total || st.free_bytes > total ||
        st.nr_chunks != st.nr_single_chunks + st.nr_multi_chunks ||
        st.nr_shm_segments != (size_t)live)
        return vmt_fail(e, "%s: stats total %zu free %zu chunks %zu = %zu + %zu shm %zu; "
                        "pool %zu, %d segments", t->name, st.total_bytes, st.free_bytes,
                        st.nr_chunks, st.nr_single_chunks, st.nr_multi_chunks,
                        st.nr_shm_segments, total, live);
    if (!full)
        return 0;
    size_t model_free = vmt_free_pages(&e->m) * VMT_PAGE, runs = 0;
    for (int s = 0; s < e->cfg.nslots; s++) {
        size_t n = vmt_runs(&e->m, s, NULL, 0);
        struct vmt_run *r = calloc(n + 1, sizeof(*r));
        vmt_runs(&e->m, s, r, n);
        for (size_t i = 0; i < n; i++)
            runs += !r[i].shared;
        free(r);
    }
    if (st.free_bytes > model_free || st.nr_vmas < runs)
        return vmt_fail(e, "%s: stats free %zu bytes (model: %zu free), %zu VMAs (model: at "
                        "least %zu)", t->name, st.free_bytes, model_free, st.nr_vmas, runs);
    return 0;
}

static bool unattached_segment(const struct vmt_engine *e)
{
    for (int g = 0; g < VMT_MAX_SEGS; g++)
        if (e->m.seg[g].live && !e->m.seg[g].attached)
            return true;
    return false;
}

int vmt_check_step(struct vmt_engine *e, bool full)
{
    unsigned long period = e->step / e->cfg.check_every;
    for (int ti = 0; ti < e->nt && !e->failed; ti++) {
        struct vmt_target *t = e->t[ti];
        const struct vmt_target_ops *ops = t->ops;
        int r;
        if (ops->check && (r = ops->check(t->ctx)) != 0) {
            if (!((e->cfg.tolerate & VMT_KB_SHM_UNATTACHED) && unattached_segment(e)))
                return vmt_fail(e, "%s: invariant check returned %d", t->name, r);
            e->c.tolerated++;
        }
        if (ops->stats && check_stats(e, t, full))
            return -1;
        if (ops->render_maps) {
            for (int s = 0; s < e->cfg.nslots; s++)
                if ((full || s == e->slot) && e->m.proc[s].live && check_maps(e, t, s))
                    return -1;
        }
        if (ops->check_access && check_access_sample(e, t, full))
            return -1;
        if (check_contents(e, t, full && period % 4 == 0))
            return -1;
        if ((t->native || full) && check_host_prot(e, t))
            return -1;
        if (full && period % 8 == 0 && fork_probe(e, t))
            return -1;
    }
    return e->failed ? -1 : 0;
}

int vmt_check_empty(struct vmt_engine *e)
{
    for (int ti = 0; ti < e->nt; ti++) {
        struct vmt_target *t = e->t[ti];
        int r;
        if (t->ops->check && (r = t->ops->check(t->ctx)) != 0)
            return vmt_fail(e, "%s: invariant check at the end returned %d", t->name, r);
        if (t->ops->stats) {
            struct vmt_stats st;
            t->ops->stats(t->ctx, &st);
            /* vm-core frees a process's spare (empty, cached) multi chunk
             * when the process goes: nothing at all is left. */
            if (st.nr_vmas || st.nr_chunks || st.nr_shm_segments ||
                st.free_bytes != st.total_bytes)
                return vmt_fail(e, "%s: pool not whole after every process left: free %zu of "
                                "%zu, %zu single + %zu multi chunks, %zu VMAs, %zu shm",
                                t->name, st.free_bytes, st.total_bytes, st.nr_single_chunks,
                                st.nr_multi_chunks, st.nr_vmas, st.nr_shm_segments);
        }
        if (check_host_prot(e, t))
            return -1;
    }
    return 0;
}
