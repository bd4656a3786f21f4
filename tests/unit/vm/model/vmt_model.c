/* Reference model for the randomized memory-manager tests (see vmt_model.h). */
#include "vmt_model.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int vmt_model_init(struct vmt_model *m, size_t npages)
{
    memset(m, 0, sizeof(*m));
    m->npages = npages;
    m->pg = calloc(npages, sizeof(*m->pg));
    m->next_tag = 1;
    m->next_id = 1;
    m->next_gen = 1u << 31;
    return m->pg ? 0 : -1;
}

void vmt_model_fini(struct vmt_model *m)
{
    free(m->pg);
    m->pg = NULL;
}

bool vmt_own(const struct vmt_model *m, int64_t p, int s)
{
    if (!vmt_in_pool(m, p))
        return false;
    const struct vmt_page *pg = &m->pg[p];
    switch (pg->kind) {
    case VMT_ANON:
    case VMT_HEAP:
    case VMT_HEAP_RESV:
        return pg->owner == s;
    case VMT_SHM:
        return (m->seg[pg->owner].attached >> s) & 1;
    default:
        return false;
    }
}

int vmt_prot_of(const struct vmt_model *m, int64_t p, int s)
{
    if (!vmt_own(m, p, s))
        return -1;
    const struct vmt_page *pg = &m->pg[p];
    switch (pg->kind) {
    case VMT_ANON:
    case VMT_HEAP:
        return pg->prot;
    case VMT_SHM:
        return m->seg[pg->owner].prot[s];
    default:
        return -1;
    }
}

bool vmt_foreign(const struct vmt_model *m, int64_t p, int s)
{
    if (!vmt_in_pool(m, p))
        return true;
    return m->pg[p].kind != VMT_FREE && !vmt_own(m, p, s);
}

bool vmt_is_free(const struct vmt_model *m, int64_t p)
{
    return vmt_in_pool(m, p) && m->pg[p].kind == VMT_FREE;
}

bool vmt_range_free(const struct vmt_model *m, int64_t p, int64_t n)
{
    if (p < 0 || n < 0 || (size_t)(p + n) > m->npages)
        return false;
    for (int64_t i = p; i < p + n; i++)
        if (m->pg[i].kind != VMT_FREE)
            return false;
    return true;
}

size_t vmt_free_pages(const struct vmt_model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->npages; i++)
        n += m->pg[i].kind == VMT_FREE;
    return n;
}

size_t vmt_largest_free_run(const struct vmt_model *m)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < m->npages; i++) {
        cur = m->pg[i].kind == VMT_FREE ? cur + 1 : 0;
        if (cur > best)
            best = cur;
    }
    return best;
}

void vmt_map(struct vmt_model *m, size_t p, size_t n, int s, int prot,
             enum vmt_kind kind, uint32_t id)
{
    for (size_t i = p; i < p + n; i++)
        m->pg[i] = (struct vmt_page){ .tag = 0, .id = id, .lin = (uint32_t)i, .gen = id,
                                      .owner = (int16_t)s,
                                      .kind = (uint8_t)kind, .prot = (uint8_t)prot };
}

void vmt_free_range(struct vmt_model *m, size_t p, size_t n)
{
    memset(&m->pg[p], 0, n * sizeof(m->pg[0]));
}

void vmt_release(struct vmt_model *m, size_t p, size_t n)
{
    for (size_t i = p; i < p + n; i++) {
        vmt_free_range(m, i, 1);
        for (int s = 0; s < VMT_MAX_SLOTS; s++) {
            const struct vmt_proc *pr = &m->proc[s];
            if (pr->live && pr->heap && i >= pr->heap_first &&
                i < pr->heap_first + pr->heap_max_pages)
                m->pg[i] = (struct vmt_page){ .owner = (int16_t)s, .kind = VMT_HEAP_RESV,
                                              .id = m->pg[pr->heap_first].id };
        }
    }
}

bool vmt_range_avail(const struct vmt_model *m, int64_t p, int64_t n, int s)
{
    if (p < 0 || n < 0 || (size_t)(p + n) > m->npages)
        return false;
    for (int64_t i = p; i < p + n; i++)
        if (m->pg[i].kind != VMT_FREE && !(m->pg[i].kind == VMT_HEAP_RESV && m->pg[i].owner == s))
            return false;
    return true;
}

uint64_t vmt_new_tag(struct vmt_model *m)
{
    /* Never 0, and different in both halves so torn or shifted copies show. */
    uint64_t t = m->next_tag++;
    return (t * 0x9e3779b97f4a7c15ull) | 1;
}

size_t vmt_runs(const struct vmt_model *m, int s, struct vmt_run *out, size_t max)
{
    size_t n = 0;
    struct vmt_run cur = { 0, 0, -1, false };
    for (size_t p = 0; p <= m->npages; p++) {
        int prot = p < m->npages ? vmt_prot_of(m, (int64_t)p, s) : -1;
        bool shared = prot >= 0 && m->pg[p].kind == VMT_SHM;
        if (cur.npages && (prot != cur.prot || shared != cur.shared)) {
            if (n < max)
                out[n] = cur;
            n++;
            cur.npages = 0;
        }
        if (prot >= 0) {
            if (!cur.npages)
                cur = (struct vmt_run){ p, 0, prot, shared };
            cur.npages++;
        }
    }
    return n;
}

#define VMT_TAG_END_XOR 0x5a5a5a5a5a5a5a5aull

void vmt_write_tag(uintptr_t page_addr, uint64_t tag)
{
    volatile uint64_t *w = (volatile uint64_t *)page_addr;
    w[0] = tag;
    w[VMT_PAGE / 8 - 1] = tag ? tag ^ VMT_TAG_END_XOR : 0;
}

int vmt_check_tag(uintptr_t page_addr, uint64_t tag, bool full, uint64_t *found)
{
    const volatile uint64_t *w = (const volatile uint64_t *)page_addr;
    uint64_t first = w[0], last = w[VMT_PAGE / 8 - 1];
    *found = first;
    if (tag) {
        if (first != tag)
            return -1;
        if (last != (tag ^ VMT_TAG_END_XOR)) {
            *found = last;
            return -1;
        }
        return 0;
    }
    if (first || last) {
        *found = first ? first : last;
        return -1;
    }
    if (full)
        for (size_t i = 1; i < VMT_PAGE / 8 - 1; i++)
            if (w[i]) {
                *found = w[i];
                return -1;
            }
    return 0;
}

/* Faults while the engine touches guest pages become failures with a
 * message (single-threaded: the engine's thread only). */
static sigjmp_buf guard_jmp;
static volatile sig_atomic_t guard_on;
static struct sigaction old_segv, old_bus;

static void guard_handler(int sig)
{
    if (guard_on) {
        guard_on = 0;
        siglongjmp(guard_jmp, 1);
    }
    /* Not ours: put the old handler back and let the fault happen again. */
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
}

void vmt_guard_install(void)
{
    struct sigaction sa = { .sa_handler = guard_handler };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
}

void vmt_guard_remove(void)
{
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
}

/* The arguments go through volatile copies: sigsetjmp may clobber them. */
int vmt_guarded_write(uintptr_t page_addr, uint64_t tag)
{
    volatile uintptr_t a = page_addr;
    volatile uint64_t t = tag;
    if (sigsetjmp(guard_jmp, 1))
        return -2;
    guard_on = 1;
    vmt_write_tag(a, t);
    guard_on = 0;
    return 0;
}

int vmt_guarded_check(uintptr_t page_addr, uint64_t tag, bool full, uint64_t *found)
{
    volatile uintptr_t a = page_addr;
    volatile uint64_t t = tag;
    volatile bool f = full;
    uint64_t *volatile out = found;
    if (sigsetjmp(guard_jmp, 1))
        return -2;
    guard_on = 1;
    int r = vmt_check_tag(a, t, f, out);
    guard_on = 0;
    return r;
}

int vmt_parse_maps(const char *text, uintptr_t lo, uintptr_t hi,
                   void (*fn)(uintptr_t start, uintptr_t end, const char *perms,
                              void *arg),
                   void *arg)
{
    int lines = 0;
    const char *s = text;
    while (*s) {
        unsigned long start, end;
        char perms[8] = "";
        int used = 0;
        if (sscanf(s, "%lx-%lx %7s%n", &start, &end, perms, &used) != 3 || strlen(perms) != 4)
            return -1;
        if (start < hi && end > lo)
            fn(start < lo ? lo : start, end > hi ? hi : end, perms, arg);
        lines++;
        const char *nl = strchr(s, '\n');
        if (!nl)
            break;
        s = nl + 1;
    }
    return lines;
}

char *vmt_read_self_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = 0;
    return buf;
}
