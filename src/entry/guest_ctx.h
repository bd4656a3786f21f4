/* The per-guest-thread context of the entry layer. The GS base of a host
 * thread that runs guest code points to it (guests never use GS on x86-64;
 * ARCH_SET_GS is refused), so the assembly stubs find it before any C code
 * runs. The fields the stubs use come first; their offsets are checked
 * against entry_asm.S by static assertions. */
#ifndef ONESPACE_ENTRY_GUEST_CTX_H
#define ONESPACE_ENTRY_GUEST_CTX_H

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum guest_reg {
    GR_RAX, GR_RBX, GR_RCX, GR_RDX, GR_RSI, GR_RDI, GR_RBP, GR_RSP,
    GR_R8, GR_R9, GR_R10, GR_R11, GR_R12, GR_R13, GR_R14, GR_R15,
    GR_RIP, GR_RFLAGS, GR_COUNT
};

struct guest_ctx {
    uint64_t host_fs;               /* 0: the host thread's TLS */
    uint64_t guest_fs;              /* 8: the guest's TLS (arch_prctl) */
    uint64_t regs[GR_COUNT];        /* 16: registers for entry_jump_to_guest */
    /* The fast path (fastpath.c, entry_fast.S). */
    uint64_t fast_stack;            /* 160: top of its stack (16-aligned) */
    uint64_t xsave_area;            /* 168: 64-aligned XSAVE buffer */
    uint32_t notify;                /* 176: nonzero: leave through the slow path */
    uint32_t fast_pad;
    uint64_t nr_tier1;              /* 184: syscalls handled without FS switch */
    uint64_t nr_fast;               /* syscalls that came through a patched site */
    uint64_t nr_trapped;            /* syscalls that trapped (SIGSYS) */

    struct thread *thread;
    pthread_t host;                 /* valid once host_set (process lock) */
    bool host_set;
    sigjmp_buf exit_jmp;            /* leaving guest code for good */
    void *altstack;
    size_t altstack_size;
    void *fast_mem;                 /* fast-path stack and XSAVE buffer */
};

#include "entry/entry_asm_common.h"

_Static_assert(offsetof(struct guest_ctx, host_fs) == GCTX_HOST_FS, "asm offset");
_Static_assert(offsetof(struct guest_ctx, guest_fs) == GCTX_GUEST_FS, "asm offset");
_Static_assert(offsetof(struct guest_ctx, regs) == GCTX_REGS, "asm offset");
_Static_assert(offsetof(struct guest_ctx, fast_stack) == GCTX_FAST_STACK, "asm offset");
_Static_assert(offsetof(struct guest_ctx, xsave_area) == GCTX_XSAVE, "asm offset");
_Static_assert(offsetof(struct guest_ctx, notify) == GCTX_NOTIFY, "asm offset");
_Static_assert(offsetof(struct guest_ctx, nr_tier1) == GCTX_NR_TIER1, "asm offset");
_Static_assert(offsetof(struct guest_ctx, nr_fast) == GCTX_NR_FAST, "asm offset");

/* Assembly (entry_asm.S). */
void entry_sigsys_stub(int, void *, void *);
void entry_async_stub(int, void *, void *);
void entry_restorer(void);
void entry_sigsys_restorer(void);
extern const char entry_sigsys_tail[], entry_sigsys_tail_end[];
__attribute__((noreturn)) void entry_jump_to_guest(struct guest_ctx *ctx);

#endif
