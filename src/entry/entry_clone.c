/* clone / clone3 for threads, and arch_prctl: the syscalls that need the
 * caller's registers or its FS base. New processes (vfork, CLONE_VFORK)
 * come with the process issue; fork cannot exist in one address space. */
#include "entry/entry.h"

#include <asm/prctl.h>
#include <errno.h>
#include <linux/sched.h>
#include <string.h>
#include <sys/syscall.h>

#include "process/runtime_state.h"
#include "syscall/uaccess.h"
#include "util/log.h"

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define KNOWN_FLAGS                                                                        \
    (THREAD_FLAGS | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |                   \
     CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_PIDFD)

struct clone_req {
    uint64_t flags, stack, stack_size, tls;
    uintptr_t parent_tid, child_tid;
};

static long clone_thread(struct guest_ctx *ctx, ucontext_t *uc, const struct clone_req *r)
{
    struct thread *self = ctx->thread;
    struct process *p = self->proc;
    if ((r->flags & THREAD_FLAGS) != THREAD_FLAGS || (r->flags & ~(uint64_t)KNOWN_FLAGS) ||
        (r->flags & CLONE_PIDFD))
        return -EINVAL;
    if (!r->stack)
        return -EINVAL;     /* a thread on its parent's stack cannot work */
    struct thread *t;
    int err = thread_create(p, &t);
    if (err)
        return err;
    uint32_t tid = (uint32_t)t->tid;
    if ((r->flags & CLONE_PARENT_SETTID) &&
        uaccess_write(p, r->parent_tid, &tid, sizeof(tid)))
        err = -EFAULT;
    if (!err && (r->flags & CLONE_CHILD_SETTID) &&
        uaccess_write(p, r->child_tid, &tid, sizeof(tid)))
        err = -EFAULT;
    if (err) {
        thread_release(t);
        return err;
    }
    if (r->flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = r->child_tid;

    /* The child continues after the syscall with the parent's registers,
     * RAX = 0 and its own stack (glibc's and musl's clone rely on that). */
    const greg_t *g = uc->uc_mcontext.gregs;
    uint64_t regs[GR_COUNT] = {
        [GR_RAX] = 0, [GR_RBX] = g[REG_RBX], [GR_RCX] = g[REG_RCX], [GR_RDX] = g[REG_RDX],
        [GR_RSI] = g[REG_RSI], [GR_RDI] = g[REG_RDI], [GR_RBP] = g[REG_RBP],
        [GR_RSP] = r->stack + r->stack_size, [GR_R8] = g[REG_R8], [GR_R9] = g[REG_R9],
        [GR_R10] = g[REG_R10], [GR_R11] = g[REG_R11], [GR_R12] = g[REG_R12],
        [GR_R13] = g[REG_R13], [GR_R14] = g[REG_R14], [GR_R15] = g[REG_R15],
        [GR_RIP] = g[REG_RIP], [GR_RFLAGS] = (uint64_t)g[REG_EFL] & 0xcd5,
    };
    regs[GR_RFLAGS] |= 0x202;
    uintptr_t fs = (r->flags & CLONE_SETTLS) ? r->tls : ctx->guest_fs;
    err = entry_start_thread(t, regs, fs);
    if (err) {
        thread_release(t);
        return err == -ENOMEM ? -ENOMEM : -EAGAIN;
    }
    return tid;
}

/* struct clone_args of clone3 (the fields up to tls; later ones must be 0). */
struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

long entry_clone(struct guest_ctx *ctx, ucontext_t *uc, long nr, const uint64_t a[6])
{
    struct process *p = ctx->thread->proc;
    struct clone_req r = { 0 };
    switch (nr) {
    case __NR_clone:
        /* x86-64 order: flags, stack, parent_tid, child_tid, tls */
        r = (struct clone_req){ .flags = a[0], .stack = a[1], .parent_tid = a[2],
                                .child_tid = a[3], .tls = a[4] };
        break;
    case __NR_clone3: {
        struct clone_args_v0 ca;
        size_t size = a[1];
        if (size < sizeof(ca) || size > 4096)
            return -EINVAL;
        if (uaccess_read(p, &ca, a[0], sizeof(ca)))
            return -EFAULT;
        if (size > sizeof(ca)) {
            /* Newer fields (set_tid, cgroup) must be zero. */
            uint8_t rest[4096];
            if (uaccess_read(p, rest, a[0] + sizeof(ca), size - sizeof(ca)))
                return -EFAULT;
            for (size_t i = 0; i < size - sizeof(ca); i++)
                if (rest[i])
                    return -EINVAL;
        }
        if (ca.exit_signal > 64)
            return -EINVAL;
        if ((ca.flags & CLONE_THREAD) && ca.exit_signal)
            return -EINVAL;     /* a thread has none */
        ca.flags |= ca.exit_signal;
        r = (struct clone_req){ .flags = ca.flags, .stack = ca.stack,
                                .stack_size = ca.stack_size, .tls = ca.tls,
                                .parent_tid = ca.parent_tid, .child_tid = ca.child_tid };
        if (ca.stack && !ca.stack_size)
            return -EINVAL;
        break;
    }
    case __NR_vfork:
        return entry_vfork(ctx, uc, 0);
    default:
        return -ENOSYS;     /* fork cannot exist in one address space */
    }
    if (!(r.flags & CLONE_THREAD) && (r.flags & CLONE_VM) && (r.flags & CLONE_VFORK)) {
        /* posix_spawn, system, popen: a vfork on its own stack. */
        uint64_t allowed = CLONE_VM | CLONE_VFORK | CLONE_FS | CLONE_FILES | 0xff /* signal */;
        if (r.flags & ~allowed)
            return -EINVAL;
        return entry_vfork(ctx, uc, r.stack ? r.stack + r.stack_size : 0);
    }
    if (!(r.flags & CLONE_THREAD)) {
        log_info("entry", "clone without CLONE_THREAD (flags %#lx): not supported yet",
                 (unsigned long)r.flags);
        return -ENOSYS;
    }
    return clone_thread(ctx, uc, &r);
}

long entry_arch_prctl(struct guest_ctx *ctx, const uint64_t a[6])
{
    struct process *p = ctx->thread->proc;
    switch (a[0]) {
    case ARCH_SET_FS:
        if (a[1] >= (1ULL << 47))
            return -EPERM;
        ctx->guest_fs = a[1];
        ctx->thread->guest_fs = a[1];
        return 0;
    case ARCH_GET_FS:
        return uaccess_write(p, a[1], &ctx->guest_fs, sizeof(ctx->guest_fs));
    case ARCH_GET_GS: {
        uint64_t zero = 0;
        return uaccess_write(p, a[1], &zero, sizeof(zero));
    }
    case ARCH_SET_GS:
        return -EPERM;      /* GS belongs to onespace (guest_ctx.h) */
    case ARCH_GET_CPUID:
        return 1;
    case ARCH_SET_CPUID:
        return a[1] ? 0 : -ENODEV;
    default:
        return -EINVAL;
    }
}
