/* The fast syscall path: patching sites, the per-site stubs, the slow tier
 * and the bookkeeping (docs/fastpath.md).
 *
 * A site is a `syscall` instruction in guest code that trapped 4 times. The
 * whole instructions right before it that make at least 5 bytes (often
 * just glibc's `mov $nr,%eax`) move into a per-site stub, in a small
 * executable mapping of the same address space within +-2 GiB, and their
 * place becomes `jmp stub` (e9 rel32, int3 after it); the `syscall` bytes
 * stay, so a branch straight to them still traps. The stub runs the moved
 * instructions and enters entry_fast_entry with the return address in RCX.
 *
 * Safety. Code cannot be decoded backwards for certain, so x86's self-
 * synchronising decoding (capstone) is used: every chain decoded from 32
 * to 48 bytes before must reach the `syscall` exactly and agree on the
 * instruction starts; moved instructions must not branch or address
 * relative to RIP. The first moved instruction is at least 5 bytes, so
 * the jump covers no other instruction start; the later moved ones become
 * int3, and a thread that reaches one (stopped there by preemption or a
 * signal, or by a branch) traps and goes on at the same point in the stub.
 * Other threads may run the bytes while they change: int3 on every moved
 * instruction first, then the rest, then the jump opcode, with a
 * membarrier(SYNC_CORE) after each step; a thread that meets the first
 * int3 runs it again until the jump is there
 * (fastpath_sigtrap_retry). */
#include "entry/fastpath.h"

#include <capstone/capstone.h>
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "entry/entry.h"
#include "host/host_thread.h"
#include "util/log.h"
#include "vm/process_vm.h"

#define FAST_STACK_SIZE (256 * 1024)
#define STUB_AREA_SIZE (64 * 1024)
#define STUB_SIZE 48                    /* moved code (<= 16), movabs, jmp, address */
#define PATCH_ON_TRAP 4                 /* patch a site on its fourth trap */
#define RECENT_SITES 64
#define SEEN_CAP 16384                  /* sites looked at (power of 2) */
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U

static bool enabled;
static size_t xsave_size;               /* standard-format XSAVE area for XCR0 */
static uint64_t xsave_features;
static bool have_sync_core;

static pthread_mutex_t patch_lock = PTHREAD_MUTEX_INITIALIZER;
static csh decoder;
static cs_insn *decoded;
static struct seen_site {
    uintptr_t site;                     /* its `syscall` instruction */
    uintptr_t program;                  /* the stub area id of its program */
    unsigned traps;
} seen[SEEN_CAP];
static unsigned nr_seen;

/* Sites where more than one instruction moved: a signal handler's frame
 * may hold a resume address between them (fastpath_sigtrap_retry). An
 * entry counts only while its address space has the same stub area id. */
#define MOVED_CAP 1024
static struct moved_range {
    const struct process_vm *vm;
    uintptr_t stubs_id, p, sc, stub;
    int n;
    uint8_t orig[16], in_stub[16];      /* each moved instruction's offset */
} moved_ranges[MOVED_CAP];
static _Atomic unsigned nr_moved_ranges;
static uintptr_t next_stubs_id = 1;

static _Atomic uintptr_t patching_site;
static _Atomic uintptr_t recent[RECENT_SITES];
static unsigned recent_next;

static struct {
    atomic_uint_fast64_t sites_patched, refused_pattern, refused_nr, refused_ambiguous,
        refused_memory, refused_stub, syscalls_trapped, syscalls_fast, syscalls_tier1;
} totals;

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

int fastpath_init(bool want)
{
    if (!want)
        return 0;
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) {
        log_warn("fastpath", "no XSAVE: every syscall takes the trap path");
        return 0;
    }
    __cpuid_count(0xd, 0, a, b, c, d);
    xsave_size = b;
    xsave_features = xgetbv0();
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &decoder) != CS_ERR_OK ||
        cs_option(decoder, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK ||
        !(decoded = cs_malloc(decoder))) {
        log_warn("fastpath", "no x86 decoder: every syscall takes the trap path");
        return 0;
    }
    have_sync_core = host_membarrier_sync_core_register() == 0;
    if (!have_sync_core)
        log_info("fastpath", "membarrier(SYNC_CORE) unavailable: patching without it");
    enabled = true;
    return 0;
}

int fastpath_thread_init(struct guest_ctx *ctx)
{
    ctx->notify = 1;    /* the first fast syscall looks at everything */
    if (!enabled)
        return 0;
    size_t area = (xsave_size + 4 + 63) & ~(size_t)63;
    unsigned char *mem = aligned_alloc(64, area + FAST_STACK_SIZE);
    if (!mem)
        return -ENOMEM;
    memset(mem, 0, area);
    /* The software bytes a kernel signal frame carries (XSAVE never writes
     * them), so signal delivery treats this buffer like a kernel frame. */
    uint32_t magic1 = FP_XSTATE_MAGIC1, ext = (uint32_t)xsave_size + 4,
             size = (uint32_t)xsave_size, magic2 = FP_XSTATE_MAGIC2;
    memcpy(mem + 464, &magic1, 4);
    memcpy(mem + 468, &ext, 4);
    memcpy(mem + 472, &xsave_features, 8);
    memcpy(mem + 480, &size, 4);
    memcpy(mem + xsave_size, &magic2, 4);
    ctx->fast_mem = mem;
    ctx->xsave_area = (uint64_t)(uintptr_t)mem;
    ctx->fast_stack = ((uint64_t)(uintptr_t)mem + area + FAST_STACK_SIZE) & ~15ULL;
    return 0;
}

void fastpath_thread_fini(struct guest_ctx *ctx)
{
    atomic_fetch_add(&totals.syscalls_tier1, ctx->nr_tier1);
    atomic_fetch_add(&totals.syscalls_fast, ctx->nr_fast);
    atomic_fetch_add(&totals.syscalls_trapped, ctx->nr_trapped);
    free(ctx->fast_mem);
    ctx->fast_mem = NULL;
}

/* ---- deciding whether a site can be patched ---- */

/* The site's entry in the table of sites seen, new or old. A program is
 * known by its stub area's id (a new one at every exec: an address space
 * that reuses a freed one's address is not mistaken for it). When the
 * table fills up it starts again empty: patched sites no longer trap, and
 * the others only count their traps anew. NULL: no stub area. */
static struct seen_site *seen_site(uintptr_t site, uintptr_t program)
{
    if (!program)
        return NULL;
    if (nr_seen >= SEEN_CAP * 3 / 4) {
        memset(seen, 0, sizeof(seen));
        nr_seen = 0;
    }
    unsigned h = (unsigned)(((site ^ program) * 0x9E3779B97F4A7C15ULL) >> 50) & (SEEN_CAP - 1);
    for (;; h = (h + 1) & (SEEN_CAP - 1)) {
        if (seen[h].site == site && seen[h].program == program)
            return &seen[h];
        if (!seen[h].site) {
            seen[h] = (struct seen_site){ .site = site, .program = program };
            nr_seen++;
            return &seen[h];
        }
    }
}

/* The start of the readable guest bytes before `at`, page by page, at
 * most `span` before it. */
static uintptr_t readable_from(struct process_vm *vm, uintptr_t at, size_t span)
{
    uintptr_t lo = at & ~4095UL;
    while (at - lo < span && lo >= 4096 &&
           !process_vm_check_access(vm, lo - 4096, 4096, PROT_READ))
        lo -= 4096;
    return at - lo > span ? at - span : lo;
}

/* Decode one instruction at *addr (advancing it); false if invalid. */
static bool decode_one(uintptr_t *addr, uintptr_t limit)
{
    const uint8_t *code = (const uint8_t *)*addr;
    size_t size = limit - *addr;
    uint64_t a = *addr;
    if (!cs_disasm_iter(decoder, &code, &size, &a, decoded))
        return false;
    *addr = a;
    return true;
}

/* Instruction starts in the RELOC_MAX bytes before the `syscall` at sc, as
 * x86's self-synchronising decoding gives them: every chain decoded from
 * a start 32 to 48 bytes before must reach sc exactly (never run across
 * it) and agree on those starts. n starts (ascending) in out; 0 when it is
 * not certain. */
#define RELOC_MAX 16
static int boundaries(uintptr_t lo, uintptr_t sc, uintptr_t *out)
{
    int n = -1, land = 0;
    uintptr_t first[RELOC_MAX];
    for (uintptr_t from = sc - 48; from <= sc - 32; from++) {
        if (from < lo)
            continue;
        uintptr_t a = from;
        int k = 0;
        uintptr_t mine[RELOC_MAX];
        while (a < sc) {
            uintptr_t at = a;
            if (!decode_one(&a, sc + 2))
                break;
            if (sc - at <= RELOC_MAX)
                mine[k++] = at;
        }
        if (a != sc) {
            if (a > sc) {
                log_debug("fastpath", "syscall %#lx: decoding from %#lx runs across it",
                          (unsigned long)sc, (unsigned long)from);
                return 0;
            }
            continue;           /* did not decode */
        }
        if (n < 0) {
            n = k;
            memcpy(first, mine, sizeof(uintptr_t) * (size_t)k);
        } else if (n != k || memcmp(first, mine, sizeof(uintptr_t) * (size_t)k)) {
            log_debug("fastpath", "syscall %#lx: chains disagree (from %#lx)", (unsigned long)sc,
                      (unsigned long)from);
            return 0;
        }
        land++;
    }
    if (land == 0 || n <= 0)
        return 0;
    memcpy(out, first, sizeof(uintptr_t) * (size_t)n);
    return n;
}

/* How the instruction just decoded moves into a stub. */
enum move_kind { MOVE_NO, MOVE_COPY, MOVE_JCC, MOVE_JMP, MOVE_RIPREL };

static enum move_kind classify(uint64_t *target)
{
    const cs_detail *d = decoded->detail;
    const uint8_t *b = decoded->bytes;
    bool jump = false;
    for (int i = 0; i < d->groups_count; i++) {
        switch (d->groups[i]) {
        case CS_GRP_JUMP:
            jump = true;
            break;
        case CS_GRP_CALL: case CS_GRP_RET: case CS_GRP_INT: case CS_GRP_IRET:
        case CS_GRP_PRIVILEGE:
            return MOVE_NO;
        default:
            break;
        }
    }
    if (jump) {
        /* Direct jumps only (glibc's read tests for threads and falls
         * through to the syscall): re-encoded with a 32-bit offset. */
        if (d->x86.op_count != 1 || d->x86.operands[0].type != X86_OP_IMM)
            return MOVE_NO;
        *target = (uint64_t)d->x86.operands[0].imm;
        if ((decoded->size == 2 && b[0] >= 0x70 && b[0] <= 0x7f) ||
            (decoded->size == 6 && b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f))
            return MOVE_JCC;
        if ((decoded->size == 2 && b[0] == 0xeb) || (decoded->size == 5 && b[0] == 0xe9))
            return MOVE_JMP;
        return MOVE_NO;
    }
    for (int i = 0; i < d->x86.op_count; i++) {
        const cs_x86_op *op = &d->x86.operands[i];
        if (op->type == X86_OP_MEM && op->mem.base == X86_REG_RIP) {
            /* glibc's `cmpb $0,__libc_single_threaded(%rip)`: copied
             * with its 32-bit displacement adjusted. */
            if (d->x86.encoding.disp_size != 4 || !d->x86.encoding.disp_offset)
                return MOVE_NO;
            *target = decoded->address + decoded->size + (uint64_t)op->mem.disp;
            return MOVE_RIPREL;
        }
    }
    return MOVE_COPY;
}

/* ---- writing ---- */

struct text_write {
    uintptr_t addr;
    const uint8_t *bytes;
    size_t len;
    const uintptr_t *starts;            /* instruction starts in it (write_jump) */
    int nstarts;
};

static void write_stub(void *arg)
{
    struct text_write *w = arg;
    memcpy((void *)w->addr, w->bytes, w->len);
}

static void sync_cores(void)
{
    if (have_sync_core)
        host_membarrier_sync_core();
    else
        atomic_thread_fence(memory_order_seq_cst);
}

/* int3 on every instruction start, the rest, the jump opcode: a racing
 * thread sees old instructions, an int3 (and retries or goes on in the
 * stub), or the new jump. */
static void write_jump(void *arg)
{
    struct text_write *w = arg;
    volatile uint8_t *b = (volatile uint8_t *)w->addr;
    atomic_store(&patching_site, w->addr);
    for (int i = 0; i < w->nstarts; i++)
        b[w->starts[i] - w->addr] = 0xcc;
    sync_cores();
    for (size_t i = 1; i < w->len; i++)
        b[i] = w->bytes[i];
    sync_cores();
    b[0] = w->bytes[0];
    sync_cores();
    atomic_store(&recent[recent_next++ % RECENT_SITES], w->addr);
    atomic_store(&patching_site, 0);
}

/* A new program's stub area, mapped before its code runs: placed like
 * any small mapping, but never in a hole the guest itself unmapped (a
 * program may rely on such an address staying unmapped). */
void fastpath_prepare_vm(struct process_vm *vm)
{
    if (!enabled)
        return;
    uintptr_t *st = process_vm_fast_stubs(vm);
    long a = process_vm_mmap(vm, 0, STUB_AREA_SIZE, PROT_READ | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    if (a < 0)
        return;     /* then no site of this program is patched */
    pthread_mutex_lock(&patch_lock);
    st[0] = (uintptr_t)a;
    st[1] = 0;
    st[2] = next_stubs_id++;
    pthread_mutex_unlock(&patch_lock);
}

/* A stub slot within reach of site, or 0 (the reason counted). */
static uintptr_t stub_slot(struct process_vm *vm, uintptr_t site)
{
    uintptr_t *st = process_vm_fast_stubs(vm);
    int64_t rel = (int64_t)(st[0] + st[1]) - (int64_t)(site + 5);
    if (!st[0]) {
        atomic_fetch_add(&totals.refused_memory, 1);
        return 0;
    }
    if (st[1] + STUB_SIZE > STUB_AREA_SIZE || rel != (int32_t)rel) {
        atomic_fetch_add(&totals.refused_stub, 1);
        return 0;
    }
    return st[0] + st[1];
}

/* What moves into the stub: the whole instructions from the nearest one
 * of at least 5 bytes (the jump fits in it, so no other instruction start
 * is overwritten by the jump) up to the syscall at sc. */
struct moved_code {
    uintptr_t p;                        /* the first moved instruction */
    int n;
    struct {
        uintptr_t start;
        uint8_t len, kind;              /* enum move_kind */
        uint64_t target;                /* MOVE_JCC, MOVE_JMP; MOVE_RIPREL: the datum */
        uint8_t cc;                     /* MOVE_JCC: the condition */
        uint8_t disp_at;                /* MOVE_RIPREL: offset of the displacement */
    } insn[RELOC_MAX];
};

static int choose_moved(struct process_vm *vm, uintptr_t sc, struct moved_code *mv)
{
    uintptr_t starts[RELOC_MAX];
    uintptr_t lo = readable_from(vm, sc, 64);
    int n = boundaries(lo, sc, starts);
    if (n <= 0) {
        atomic_fetch_add(&totals.refused_ambiguous, 1);
        return -1;
    }
    int i = n - 1;
    while (i >= 0 && (i + 1 < n ? starts[i + 1] : sc) - starts[i] < 5)
        i--;
    if (i < 0) {
        atomic_fetch_add(&totals.refused_pattern, 1);
        return -1;
    }
    mv->p = starts[i];
    mv->n = 0;
    for (int k = i; k < n; k++) {
        uintptr_t a = starts[k];
        uint64_t target = 0;
        enum move_kind kind = decode_one(&a, sc) ? classify(&target) : MOVE_NO;
        /* A jump may leave the moved code or go to the syscall, not into it. */
        if (kind == MOVE_NO ||
            ((kind == MOVE_JCC || kind == MOVE_JMP) && target >= mv->p && target < sc)) {
            atomic_fetch_add(&totals.refused_pattern, 1);
            return -1;
        }
        const uint8_t *b = (const uint8_t *)starts[k];
        mv->insn[mv->n].start = starts[k];
        mv->insn[mv->n].len = (uint8_t)(a - starts[k]);
        mv->insn[mv->n].kind = (uint8_t)kind;
        mv->insn[mv->n].target = target;
        mv->insn[mv->n].cc = (uint8_t)((b[0] == 0x0f ? b[1] : b[0]) & 0x0f);
        mv->insn[mv->n].disp_at = decoded->detail->x86.encoding.disp_offset;
        mv->n++;
    }
    return 0;
}

/* The stub's code for mv: the moved instructions (direct jumps with 32-bit
 * offsets; one to the syscall goes to what follows them), then
 * `movabs $after,%rcx; jmp *0(%rip); .quad entry_fast_entry`. Each moved
 * instruction's offset in the stub goes to at[]. Its size, or 0 if it
 * does not fit. */
#define STUB_CODE_MAX 24
static size_t build_stub(const struct moved_code *mv, uintptr_t stub, uintptr_t sc,
                         uint8_t code[STUB_SIZE], uint8_t at[RELOC_MAX])
{
    size_t tail = 0;
    for (int i = 0; i < mv->n; i++)
        tail += mv->insn[i].kind == MOVE_JCC ? 6
                : mv->insn[i].kind == MOVE_JMP ? 5 : mv->insn[i].len;
    if (tail > STUB_CODE_MAX)
        return 0;
    size_t k = 0;
    memset(code, 0xcc, STUB_SIZE);
    for (int i = 0; i < mv->n; i++) {
        at[i] = (uint8_t)k;
        if (mv->insn[i].kind == MOVE_COPY || mv->insn[i].kind == MOVE_RIPREL) {
            memcpy(code + k, (const void *)mv->insn[i].start, mv->insn[i].len);
            k += mv->insn[i].len;
            if (mv->insn[i].kind == MOVE_RIPREL) {
                int64_t disp = (int64_t)mv->insn[i].target - (int64_t)(stub + k);
                if (disp != (int32_t)disp)
                    return 0;
                int32_t d32 = (int32_t)disp;
                memcpy(code + k - mv->insn[i].len + mv->insn[i].disp_at, &d32, 4);
            }
            continue;
        }
        if (mv->insn[i].kind == MOVE_JCC) {
            code[k++] = 0x0f;
            code[k++] = (uint8_t)(0x80 | mv->insn[i].cc);
        } else {
            code[k++] = 0xe9;
        }
        uint64_t to = mv->insn[i].target == sc ? stub + tail : mv->insn[i].target;
        int64_t rel = (int64_t)to - (int64_t)(stub + k + 4);
        if (rel != (int32_t)rel)
            return 0;
        int32_t r32 = (int32_t)rel;
        memcpy(code + k, &r32, 4);
        k += 4;
    }
    code[k++] = 0x48;
    code[k++] = 0xb9;
    uint64_t ret = sc + 2;
    memcpy(code + k, &ret, 8);
    k += 8;
    code[k++] = 0xff;
    code[k++] = 0x25;
    memset(code + k, 0, 4);
    k += 4;
    uint64_t entry = (uint64_t)(uintptr_t)entry_fast_entry;
    memcpy(code + k, &entry, 8);
    return k + 8;
}

void fastpath_on_trap(struct guest_ctx *ctx, uintptr_t after, long nr)
{
    if (!enabled)
        return;
    struct process_vm *vm = ctx->thread->proc->vm;
    uintptr_t sc = after - 2;
    pthread_mutex_lock(&patch_lock);
    struct seen_site *ss = seen_site(sc, process_vm_fast_stubs(vm)[2]);
    /* A site is patched on its fourth trap: a program's few-time calls
     * (start-up, exit) are not worth the patching. */
    if (!ss || ++ss->traps != PATCH_ON_TRAP)
        goto out;
    if (fastpath_nr_traps(nr)) {
        atomic_fetch_add(&totals.refused_nr, 1);
        goto out;
    }
    if (process_vm_check_access(vm, sc, 2, PROT_READ))
        goto out;
    struct moved_code mv;
    if (choose_moved(vm, sc, &mv))
        goto out;
    uintptr_t p = mv.p;
    unsigned nmoved = atomic_load(&nr_moved_ranges);
    if (mv.n > 1 && nmoved >= MOVED_CAP) {
        atomic_fetch_add(&totals.refused_memory, 1);
        goto out;
    }
    uintptr_t stub = stub_slot(vm, p);
    if (!stub)
        goto out;

    uint8_t code[STUB_SIZE], at[RELOC_MAX];
    size_t moved = sc - p;
    if (!build_stub(&mv, stub, sc, code, at)) {
        atomic_fetch_add(&totals.refused_stub, 1);
        goto out;
    }
    struct text_write sw = { stub, code, sizeof(code), NULL, 0 };
    if (process_vm_patch_text(vm, stub, sizeof(code), write_stub, &sw)) {
        atomic_fetch_add(&totals.refused_memory, 1);
        goto out;
    }
    process_vm_fast_stubs(vm)[1] += STUB_SIZE;

    /* jmp stub, then int3 up to the syscall: a thread that comes to one of
     * the later moved instructions (stopped there, a signal frame, a
     * branch) traps and goes on in the stub (fastpath_sigtrap_retry).
     * Known before the bytes change. */
    if (mv.n > 1) {
        struct moved_range *m = &moved_ranges[nmoved];
        *m = (struct moved_range){ vm, process_vm_fast_stubs(vm)[2], p, sc, stub, mv.n, {0}, {0} };
        for (int i = 0; i < mv.n; i++) {
            m->orig[i] = (uint8_t)(mv.insn[i].start - p);
            m->in_stub[i] = at[i];
        }
        atomic_store_explicit(&nr_moved_ranges, nmoved + 1, memory_order_release);
    }
    uint8_t jump[RELOC_MAX];
    memset(jump, 0xcc, sizeof(jump));
    jump[0] = 0xe9;
    int32_t rel = (int32_t)((int64_t)stub - (int64_t)(p + 5));
    memcpy(jump + 1, &rel, 4);
    uintptr_t starts[RELOC_MAX];
    for (int i = 0; i < mv.n; i++)
        starts[i] = mv.insn[i].start;
    struct text_write jw = { p, jump, moved, starts, mv.n };
    if (process_vm_patch_text(vm, p, moved, write_jump, &jw))
        atomic_fetch_add(&totals.refused_memory, 1);
    else
        atomic_fetch_add(&totals.sites_patched, 1);
out:
    pthread_mutex_unlock(&patch_lock);
}

/* ---- host signals that land in the fast path ---- */

bool fastpath_in_text(uintptr_t rip)
{
    return rip >= (uintptr_t)entry_fast_begin && rip < (uintptr_t)entry_fast_end;
}

void fastpath_kick_in_text(ucontext_t *uc)
{
    greg_t *g = uc->uc_mcontext.gregs;
    uintptr_t rip = (uintptr_t)g[REG_RIP];
    if (rip >= (uintptr_t)entry_fast_exit_window && rip < (uintptr_t)entry_fast_exit_window_end)
        g[REG_RIP] = (greg_t)(uintptr_t)entry_fast_exit_window;
}

bool fastpath_sigtrap_retry(struct process_vm *vm, ucontext_t *uc)
{
    greg_t *g = uc->uc_mcontext.gregs;
    uintptr_t at = (uintptr_t)g[REG_RIP] - 1;
    /* A later moved instruction: the same point in the stub. */
    unsigned n = atomic_load_explicit(&nr_moved_ranges, memory_order_acquire);
    for (unsigned i = 0; i < n; i++) {
        const struct moved_range *m = &moved_ranges[i];
        if (at <= m->p || at >= m->sc || m->vm != vm ||
            m->stubs_id != process_vm_fast_stubs(vm)[2] || *(const volatile uint8_t *)at != 0xcc)
            continue;
        for (int k = 1; k < m->n; k++) {
            if (m->p + m->orig[k] == at) {
                g[REG_RIP] = (greg_t)(m->stub + m->in_stub[k]);
                return true;
            }
        }
    }
    /* The first one, being patched: run it again. */
    bool ours = at == atomic_load(&patching_site);
    for (unsigned i = 0; !ours && i < RECENT_SITES; i++)
        ours = atomic_load(&recent[i]) == at && *(const volatile uint8_t *)at == 0xe9;
    if (ours)
        g[REG_RIP] = (greg_t)at;
    return ours;
}

/* ---- the slow tier ---- */

/* ctx->regs order (enum guest_reg) -> ucontext gregs. */
static const int reg_of[GR_COUNT] = {
    [GR_RAX] = REG_RAX, [GR_RBX] = REG_RBX, [GR_RCX] = REG_RCX, [GR_RDX] = REG_RDX,
    [GR_RSI] = REG_RSI, [GR_RDI] = REG_RDI, [GR_RBP] = REG_RBP, [GR_RSP] = REG_RSP,
    [GR_R8] = REG_R8,   [GR_R9] = REG_R9,   [GR_R10] = REG_R10, [GR_R11] = REG_R11,
    [GR_R12] = REG_R12, [GR_R13] = REG_R13, [GR_R14] = REG_R14, [GR_R15] = REG_R15,
    [GR_RIP] = REG_RIP, [GR_RFLAGS] = REG_EFL,
};

void fastpath_slow(struct guest_ctx *ctx, int deliver_only)
{
    ucontext_t uc;
    memset(&uc.uc_mcontext, 0, sizeof(uc.uc_mcontext));
    uc.uc_flags = 0x7;      /* FP_XSTATE | SIGCONTEXT_SS | STRICT_RESTORE_SS, as Linux */
    uc.uc_link = NULL;
    memset(&uc.uc_stack, 0, sizeof(uc.uc_stack));
    sigemptyset(&uc.uc_sigmask);
    greg_t *g = uc.uc_mcontext.gregs;
    for (int i = 0; i < GR_COUNT; i++)
        g[reg_of[i]] = (greg_t)ctx->regs[i];
    g[REG_CSGSFS] = 0x33 | (0x2bLL << 48);
    uc.uc_mcontext.fpregs = (fpregset_t)(uintptr_t)ctx->xsave_area;

    /* Cleared before looking, so a signal sent from now on sets it again
     * and the exit window comes back here. */
    __atomic_store_n(&ctx->notify, 0, __ATOMIC_SEQ_CST);
    if (deliver_only) {
        if (entry_should_leave(ctx->thread))
            entry_leave(ctx);
        entry_deliver_signals(ctx, &uc, -1);
    } else {
        entry_syscall(ctx, &uc, (long)ctx->regs[GR_RAX]);
    }
    for (int i = 0; i < GR_COUNT; i++)
        ctx->regs[i] = (uint64_t)g[reg_of[i]];
}

/* ---- statistics ---- */

void fastpath_get_stats(struct fastpath_stats *o)
{
    o->sites_patched = atomic_load(&totals.sites_patched);
    o->refused_pattern = atomic_load(&totals.refused_pattern);
    o->refused_nr = atomic_load(&totals.refused_nr);
    o->refused_ambiguous = atomic_load(&totals.refused_ambiguous);
    o->refused_memory = atomic_load(&totals.refused_memory);
    o->refused_stub = atomic_load(&totals.refused_stub);
    o->syscalls_trapped = atomic_load(&totals.syscalls_trapped);
    o->syscalls_fast = atomic_load(&totals.syscalls_fast);
    o->syscalls_tier1 = atomic_load(&totals.syscalls_tier1);
}

void fastpath_print_stats(FILE *f)
{
    struct fastpath_stats s;
    fastpath_get_stats(&s);
    uint64_t all = s.syscalls_fast + s.syscalls_trapped;
    fprintf(f,
            "onespace: fast path %s: %llu sites patched; refused: %llu nothing movable, "
            "%llu trap-only calls, %llu ambiguous, %llu no memory, %llu no stub in reach; "
            "syscalls: %llu fast (%llu without FS switch), %llu trapped: %.1f%% fast\n",
            enabled ? "on" : "off", (unsigned long long)s.sites_patched,
            (unsigned long long)s.refused_pattern, (unsigned long long)s.refused_nr,
            (unsigned long long)s.refused_ambiguous, (unsigned long long)s.refused_memory,
            (unsigned long long)s.refused_stub, (unsigned long long)s.syscalls_fast,
            (unsigned long long)s.syscalls_tier1, (unsigned long long)s.syscalls_trapped,
            all ? 100.0 * (double)s.syscalls_fast / (double)all : 0.0);
}
