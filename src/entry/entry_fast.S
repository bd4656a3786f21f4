/* The fast syscall path: a patched syscall site jumps here (through its
 * stub, fastpath.c) instead of trapping.
 *
 * On entry: RAX = the syscall number, RCX = the address after the site's
 * `syscall` instruction (what the instruction would have put there), RSP =
 * the guest's (its red zone untouched: nothing is pushed on it), FS = the
 * guest's, GS base = this thread's struct guest_ctx.
 *
 * Every guest register goes to ctx->regs (RCX = return address and R11 =
 * RFLAGS, as after a real syscall). Tier 1 (fastpath_tier1.c) runs the few
 * calls that need neither the host's FS nor vector registers, right here.
 * Everything else saves the vector state, switches FS to the host's and
 * runs the same C code as the trap path with a Linux-like ucontext
 * (fastpath.c), which may redirect the thread to a signal handler.
 *
 * The exit window restores everything from ctx->regs and jumps back. A
 * kick that lands in it is rewound to its start (entry_async_c), so a
 * signal sent meanwhile is seen by the window's own check of ctx->notify. */
#include "entry/entry_asm_common.h"

    .text
    .globl entry_fast_begin
entry_fast_begin:

    .globl entry_fast_entry
    .type entry_fast_entry, @function
entry_fast_entry:
    movq %rsp, %gs:R(7)
    movq %gs:GCTX_FAST_STACK, %rsp
    pushfq
    popq %gs:R(17)
    cld                             /* C expects DF clear */
    movq %rax, %gs:R(0)             /* the number, until the result replaces it */
    movq %rbx, %gs:R(1)
    movq %rcx, %gs:R(2)
    movq %rcx, %gs:R(16)
    movq %rdx, %gs:R(3)
    movq %rsi, %gs:R(4)
    movq %rdi, %gs:R(5)
    movq %rbp, %gs:R(6)
    movq %r8, %gs:R(8)
    movq %r9, %gs:R(9)
    movq %r10, %gs:R(10)
    movq %gs:R(17), %r11
    movq %r11, %gs:R(11)
    movq %r12, %gs:R(12)
    movq %r13, %gs:R(13)
    movq %r14, %gs:R(14)
    movq %r15, %gs:R(15)
    incq %gs:GCTX_NR_FAST
    rdgsbase %rdi
    movq %rax, %rsi
    call fastpath_tier1             /* 1: done, result in regs[RAX] */
    testl %eax, %eax
    jz .Lslow

    .globl entry_fast_exit_window
entry_fast_exit_window:
    movq %gs:GCTX_FAST_STACK, %rsp
    cmpl $0, %gs:GCTX_NOTIFY
    jne .Ldeliver
    pushq %gs:R(17)
    popfq
    movq %gs:R(0), %rax
    movq %gs:R(1), %rbx
    movq %gs:R(2), %rcx
    movq %gs:R(3), %rdx
    movq %gs:R(4), %rsi
    movq %gs:R(5), %rdi
    movq %gs:R(6), %rbp
    movq %gs:R(8), %r8
    movq %gs:R(9), %r9
    movq %gs:R(10), %r10
    movq %gs:R(11), %r11
    movq %gs:R(12), %r12
    movq %gs:R(13), %r13
    movq %gs:R(14), %r14
    movq %gs:R(15), %r15
    movq %gs:R(7), %rsp
    jmpq *%gs:R(16)
    .globl entry_fast_exit_window_end
entry_fast_exit_window_end:

/* The syscall still has to run (mode 0) or only signals are to be
 * delivered (mode 1): vector state out, host FS in, C, and back. */
.Lslow:
    xorl %esi, %esi
    jmp 1f
.Ldeliver:
    movl $1, %esi
1:  movl %esi, %r12d                /* callee-saved across SETFS */
    movq %gs:GCTX_XSAVE, %rdi
    movl $-1, %eax
    movl $-1, %edx
    xsave64 (%rdi)
    rdgsbase %rax
    movq GCTX_HOST_FS(%rax), %r8
    SETFS %r8
    rdgsbase %rdi
    movl %r12d, %esi
    call fastpath_slow
    rdgsbase %rax
    movq GCTX_GUEST_FS(%rax), %r8
    SETFS %r8
    movq %gs:GCTX_XSAVE, %rdi
    movl $-1, %eax
    movl $-1, %edx
    xrstor64 (%rdi)
    jmp entry_fast_exit_window
    .size entry_fast_entry, .-entry_fast_entry

    .globl entry_fast_end
entry_fast_end:

    .section .note.GNU-stack,"",@progbits
