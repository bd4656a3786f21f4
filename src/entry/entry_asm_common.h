/* Shared by the assembly files of the entry layer: the guest_ctx offsets
 * (checked against guest_ctx.h by static assertions there) and SETFS. */
#ifndef ONESPACE_ENTRY_ENTRY_ASM_COMMON_H
#define ONESPACE_ENTRY_ENTRY_ASM_COMMON_H
#define GCTX_HOST_FS 0
#define GCTX_GUEST_FS 8
#define GCTX_REGS 16
#define GCTX_FAST_STACK 160
#define GCTX_XSAVE 168
#define GCTX_NOTIFY 176
#define GCTX_NR_TIER1 184
#define GCTX_NR_FAST 192
#define R(n) (GCTX_REGS + 8 * (n))

#ifdef __ASSEMBLER__

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
#endif /* __ASSEMBLER__ */

#endif
