/* The fast syscall path (docs/fastpath.md): a guest `mov $nr,%eax;
 * syscall` site that trapped once is rewritten to jump to a per-site stub,
 * which enters onespace without a signal (entry_fast.S). */
#ifndef ONESPACE_ENTRY_FASTPATH_H
#define ONESPACE_ENTRY_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <ucontext.h>

struct guest_ctx;

/* Once per run: turn site patching on or off (off: every syscall traps). */
int fastpath_init(bool enabled);

/* Per guest thread: its fast-path stack and XSAVE buffer; at its end, its
 * counters go to the totals. */
int fastpath_thread_init(struct guest_ctx *ctx);
void fastpath_thread_fini(struct guest_ctx *ctx);

/* A new program image in vm (exec): its stub area, before its code runs. */
struct process_vm;
void fastpath_prepare_vm(struct process_vm *vm);

/* A syscall trapped at `after` (the address after its `syscall`): patch
 * the site if it can be done safely. Trap path, host FS. */
void fastpath_on_trap(struct guest_ctx *ctx, uintptr_t after, long nr);

/* Host signal handlers: is rip in the fast path's own code (run with the
 * guest's FS)? A kick there only rewinds the exit window. */
bool fastpath_in_text(uintptr_t rip);
void fastpath_kick_in_text(ucontext_t *uc);
/* SIGTRAP in guest code: the int3 of a site being patched (uc set to run
 * it again), or of an instruction that moved into a stub (uc set to the
 * same point in the stub)? */
bool fastpath_sigtrap_retry(struct process_vm *vm, ucontext_t *uc);

/* Totals, printed at exit in trace mode (and by benchmarks). */
struct fastpath_stats {
    uint64_t sites_patched, refused_pattern, refused_nr, refused_ambiguous,
        refused_memory, refused_stub;
    uint64_t syscalls_trapped, syscalls_fast, syscalls_tier1;
};
void fastpath_get_stats(struct fastpath_stats *out);
void fastpath_print_stats(FILE *f);

/* Calls that need the kernel's own signal frame or replace the caller's
 * context: a site first seen with one of them keeps trapping; a patched
 * site that makes one later is sent back to its `syscall` instruction. */
static inline bool fastpath_nr_traps(long nr)
{
    switch (nr) {
    case 15: case 56: case 57: case 58: case 59: case 322: case 435:
        /* rt_sigreturn clone fork vfork execve execveat clone3 */
        return true;
    default:
        return false;
    }
}

/* Called from entry_fast.S. Tier 1 (fastpath_tier1.c): 1 if nr was
 * answered (result in ctx->regs[GR_RAX]); runs with the guest's FS. */
int fastpath_tier1(struct guest_ctx *ctx, long nr);
extern int fastpath_tier1_enabled;
/* The slow tier: run the syscall in ctx->regs (deliver_only: only what
 * is pending) like the trap path, with the host's FS. */
void fastpath_slow(struct guest_ctx *ctx, int deliver_only);

/* Assembly labels (entry_fast.S). */
extern const char entry_fast_begin[], entry_fast_end[], entry_fast_entry[],
    entry_fast_exit_window[], entry_fast_exit_window_end[];

#endif
