/* Getting into guest code and back (see guest_ctx.h for the context that
 * the GS base points to).
 *
 * Signal handlers are entered with the interrupted code's FS base; C code
 * needs the host's (stack canary, errno, TLS), so every stub switches FS
 * before calling C and switches back before returning to the kernel's
 * sigreturn. A stub decides whether it interrupted guest code by the FS
 * base it finds: the guest's or the host's of this very context; anything
 * else (a host thread that inherited a GS base) is treated as host code. */
#define GCTX_HOST_FS 0
#define GCTX_GUEST_FS 8
#define GCTX_REGS 16
#define R(n) (GCTX_REGS + 8 * (n))

/* Set the FS base to \reg. With kernel support for FSGSBASE, wrfsbase;
 * otherwise the kernel does not save a base written that way across
 * context switches (seen on these VMs: the instruction works, but the
 * kernel does not advertise it), so ask it with arch_prctl(ARCH_SET_FS).
 * Keeps every register but rax, rcx, r11 (and \reg itself). */
.macro SETFS reg
    cmpb $0, entry_use_wrfsbase(%rip)
    je 101f
    wrfsbase \reg
    jmp 102f
101:
    pushq %rdi
    pushq %rsi
    pushq %rdx
    movq \reg, %rsi
    movl $0x1002, %edi
    movl $158, %eax
    syscall
    popq %rdx
    popq %rsi
    popq %rdi
102:
.endm

    .text

/* SIGSYS from Syscall User Dispatch: always from guest code. */
    .globl entry_sigsys_stub
    .type entry_sigsys_stub, @function
entry_sigsys_stub:
    rdgsbase %rax
    testq %rax, %rax
    jz 9f
    movq GCTX_HOST_FS(%rax), %r8
    SETFS %r8
    subq $8, %rsp
    call entry_sigsys_c
    /* From here on the signal checks are over (trap.c: in_trap_exit). */
    .globl entry_sigsys_stub_exit
entry_sigsys_stub_exit:
    addq $8, %rsp
    rdgsbase %rax
    movq GCTX_GUEST_FS(%rax), %r8
    SETFS %r8
    ret
    /* Not a guest thread (GS base 0): a host thread whose syscall lies in
     * the pool cannot exist; report it (FS is the host's here). */
9:  subq $8, %rsp
    call entry_sigsys_stray
    addq $8, %rsp
    ret
    .globl entry_sigsys_stub_end
entry_sigsys_stub_end:
    .size entry_sigsys_stub, .-entry_sigsys_stub

/* Faults and kicks: may interrupt guest code or onespace code. */
    .globl entry_async_stub
    .type entry_async_stub, @function
entry_async_stub:
    rdfsbase %r8
    pushq %r8                       /* the FS to restore; rsp % 16 == 0 */
    rdgsbase %rax
    testq %rax, %rax
    jz 1f
    cmpq GCTX_GUEST_FS(%rax), %r8
    jne 1f
    movq GCTX_HOST_FS(%rax), %r8
    SETFS %r8
    movq $1, %rcx                   /* 4th argument: interrupted guest code */
    jmp 2f
1:  xorl %ecx, %ecx
2:  call entry_async_c
    movq (%rsp), %r8
    rdfsbase %r9
    cmpq %r8, %r9
    je 3f
    SETFS %r8
3:  popq %r8
    ret
    .size entry_async_stub, .-entry_async_stub

/* Our sa_restorer: exactly these bytes, so unwinders see a signal frame. */
    .globl entry_restorer
    .type entry_restorer, @function
entry_restorer:
    movq $15, %rax
    syscall
    .globl entry_restorer_end
entry_restorer_end:
    .size entry_restorer, .-entry_restorer

/* Load every register from ctx->regs (GS base = ctx) and jump. */
    .globl entry_jump_to_guest
    .type entry_jump_to_guest, @function
entry_jump_to_guest:
    movq GCTX_GUEST_FS(%rdi), %r8
    SETFS %r8
    pushq R(17)(%rdi)
    popfq
    movq R(0)(%rdi), %rax
    movq R(1)(%rdi), %rbx
    movq R(2)(%rdi), %rcx
    movq R(3)(%rdi), %rdx
    movq R(4)(%rdi), %rsi
    movq R(6)(%rdi), %rbp
    movq R(8)(%rdi), %r8
    movq R(9)(%rdi), %r9
    movq R(10)(%rdi), %r10
    movq R(11)(%rdi), %r11
    movq R(12)(%rdi), %r12
    movq R(13)(%rdi), %r13
    movq R(14)(%rdi), %r14
    movq R(15)(%rdi), %r15
    movq %gs:R(7), %rsp
    movq %gs:R(5), %rdi
    jmp *%gs:R(16)
    .size entry_jump_to_guest, .-entry_jump_to_guest

    .section .note.GNU-stack,"",@progbits
