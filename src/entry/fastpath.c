/* The fast syscall path: patching sites, the per-site stubs, the slow tier
 * and the bookkeeping (docs/fastpath.md).
 *
 * A site is `mov $nr,%eax` (b8 imm32) right before `syscall` (0f 05). It is
 * patched only after it trapped once (so we know the exact address and
 * that it runs), into `jmp stub` (e9 rel32); the `syscall` bytes stay, so a
 * branch straight to them still traps. The stub, in a small executable
 * mapping of the same address space within +-2 GiB, does what the site
 * did and enters entry_fast_entry with the return address in RCX.
 *
 * Safety: the five bytes must really be one instruction. Code cannot be
 * decoded backwards for certain, so x86's self-synchronising decoding is
 * used: decoding (capstone) from each of several start points 16 to 32
 * bytes before the site must reach the site exactly, never run across
 * it; otherwise the site stays on the trap path ("ambiguous"). Other
 * threads may run the bytes while they change: int3 first, then the
 * displacement, then the jump opcode, with a membarrier(SYNC_CORE) after
 * each step; a thread that meets the int3 gets SIGTRAP and runs the site
 * again (fastpath_sigtrap_retry). */
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
#define STUB_SIZE 32
#define SITE_LEN 7                      /* b8 imm32 0f 05 */
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
static struct { uintptr_t site; const void *vm; } seen[SEEN_CAP];
static unsigned nr_seen;

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

bool fastpath_enabled(void) { return enabled; }

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

/* Calls that need the kernel's own signal frame or replace the caller's
 * context: they keep trapping. */
static bool nr_stays_on_trap_path(long nr)
{
    switch (nr) {
    case __NR_rt_sigreturn: case __NR_clone: case __NR_clone3: case __NR_fork:
    case __NR_vfork: case __NR_execve: case __NR_execveat:
        return true;
    default:
        return nr < 0 || nr > 0xffff;
    }
}

/* Was (site, vm) looked at already? Records it if not. */
static bool seen_before(uintptr_t site, const void *vm)
{
    unsigned h = (unsigned)((site * 0x9E3779B97F4A7C15ULL) >> 50) & (SEEN_CAP - 1);
    for (unsigned i = 0; i < SEEN_CAP; i++, h = (h + 1) & (SEEN_CAP - 1)) {
        if (seen[h].site == site && seen[h].vm == vm)
            return true;
        if (!seen[h].site) {
            if (nr_seen >= SEEN_CAP * 3 / 4)
                return true;    /* full: stop looking at new sites */
            seen[h].site = site;
            seen[h].vm = vm;
            nr_seen++;
            return false;
        }
    }
    return true;
}

/* Decode from `from` towards the site: 1 if an instruction ends exactly
 * at the site, 0 if one runs across it, -1 if the bytes do not decode. */
static int chain_reaches(uintptr_t from, uintptr_t site)
{
    const uint8_t *code = (const uint8_t *)from;
    size_t size = site + SITE_LEN - from;
    uint64_t addr = from;
    while (addr < site) {
        if (!cs_disasm_iter(decoder, &code, &size, &addr, decoded))
            return -1;
    }
    return addr == site ? 1 : 0;
}

static bool unambiguous(struct process_vm *vm, uintptr_t site)
{
    int land = 0;
    for (uintptr_t from = site - 32; from <= site - 16; from++) {
        if (process_vm_check_access(vm, from, site - from, PROT_READ))
            continue;
        int r = chain_reaches(from, site);
        if (r == 0)
            return false;
        land += r == 1;
    }
    return land > 0;
}

/* ---- writing ---- */

struct text_write {
    uintptr_t addr;
    const uint8_t *bytes;
    size_t len;
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

/* int3, displacement, opcode: a racing thread sees the old instruction,
 * an int3 (and retries), or the new jump. */
static void write_jump(void *arg)
{
    struct text_write *w = arg;
    volatile uint8_t *b = (volatile uint8_t *)w->addr;
    atomic_store(&patching_site, w->addr);
    b[0] = 0xcc;
    sync_cores();
    for (size_t i = 1; i < w->len; i++)
        b[i] = w->bytes[i];
    sync_cores();
    b[0] = w->bytes[0];
    sync_cores();
    atomic_store(&recent[recent_next++ % RECENT_SITES], w->addr);
    atomic_store(&patching_site, 0);
}

/* A stub slot within reach of site, or 0 (the reason counted). */
static uintptr_t stub_slot(struct process_vm *vm, uintptr_t site)
{
    uintptr_t *st = process_vm_fast_stubs(vm);
    if (!st[0]) {
        long a = process_vm_mmap(vm, 0, STUB_AREA_SIZE, PROT_READ | PROT_EXEC,
                                 MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
        if (a < 0) {
            atomic_fetch_add(&totals.refused_memory, 1);
            return 0;
        }
        st[0] = (uintptr_t)a;
        st[1] = 0;
    }
    int64_t rel = (int64_t)(st[0] + st[1]) - (int64_t)(site + 5);
    if (st[1] + STUB_SIZE > STUB_AREA_SIZE || rel != (int32_t)rel) {
        atomic_fetch_add(&totals.refused_stub, 1);
        return 0;
    }
    return st[0] + st[1];
}

void fastpath_on_trap(struct guest_ctx *ctx, uintptr_t after, long nr)
{
    if (!enabled)
        return;
    struct process_vm *vm = ctx->thread->proc->vm;
    uintptr_t site = after - SITE_LEN;
    pthread_mutex_lock(&patch_lock);
    if (seen_before(site, vm))
        goto out;
    const uint8_t *b = (const uint8_t *)site;
    uint32_t imm;
    if (process_vm_check_access(vm, site, SITE_LEN, PROT_READ) || b[0] != 0xb8 ||
        b[5] != 0x0f || b[6] != 0x05 || (memcpy(&imm, b + 1, 4), (long)imm != nr)) {
        atomic_fetch_add(&totals.refused_pattern, 1);
        goto out;
    }
    if (nr_stays_on_trap_path(nr)) {
        atomic_fetch_add(&totals.refused_nr, 1);
        goto out;
    }
    if (!unambiguous(vm, site)) {
        atomic_fetch_add(&totals.refused_ambiguous, 1);
        goto out;
    }
    uintptr_t stub = stub_slot(vm, site);
    if (!stub)
        goto out;

    /* mov $nr,%eax; movabs $after,%rcx; jmp *0(%rip); .quad entry */
    uint8_t code[STUB_SIZE];
    memset(code, 0xcc, sizeof(code));
    code[0] = 0xb8;
    memcpy(code + 1, &imm, 4);
    code[5] = 0x48;
    code[6] = 0xb9;
    uint64_t ret = after;
    memcpy(code + 7, &ret, 8);
    code[15] = 0xff;
    code[16] = 0x25;
    memset(code + 17, 0, 4);
    uint64_t target = (uint64_t)(uintptr_t)entry_fast_entry;
    memcpy(code + 21, &target, 8);
    struct text_write sw = { stub, code, sizeof(code) };
    if (process_vm_patch_text(vm, stub, sizeof(code), write_stub, &sw)) {
        atomic_fetch_add(&totals.refused_memory, 1);
        goto out;
    }
    process_vm_fast_stubs(vm)[1] += STUB_SIZE;

    uint8_t jump[5] = { 0xe9 };
    int32_t rel = (int32_t)((int64_t)stub - (int64_t)(site + 5));
    memcpy(jump + 1, &rel, 4);
    struct text_write jw = { site, jump, sizeof(jump) };
    if (process_vm_patch_text(vm, site, sizeof(jump), write_jump, &jw))
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

bool fastpath_sigtrap_retry(ucontext_t *uc)
{
    greg_t *g = uc->uc_mcontext.gregs;
    uintptr_t at = (uintptr_t)g[REG_RIP] - 1;
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
            "onespace: fast path %s: %llu sites patched; refused: %llu not `mov $nr,%%eax; "
            "syscall`, %llu trap-only calls, %llu ambiguous, %llu no memory, %llu no stub in "
            "reach; syscalls: %llu fast (%llu without FS switch), %llu trapped: %.1f%% fast\n",
            enabled ? "on" : "off", (unsigned long long)s.sites_patched,
            (unsigned long long)s.refused_pattern, (unsigned long long)s.refused_nr,
            (unsigned long long)s.refused_ambiguous, (unsigned long long)s.refused_memory,
            (unsigned long long)s.refused_stub, (unsigned long long)s.syscalls_fast,
            (unsigned long long)s.syscalls_tier1, (unsigned long long)s.syscalls_trapped,
            all ? 100.0 * (double)s.syscalls_fast / (double)all : 0.0);
}
