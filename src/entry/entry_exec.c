/* New processes: vfork and clone(CLONE_VM|CLONE_VFORK) (what posix_spawn,
 * system and popen use in glibc and musl), and execve. Both need the
 * caller's registers, so they live in the entry layer; the process layer
 * does the bookkeeping (process.c, exec.c). */
#include "entry/entry.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "entry/fastpath.h"
#include "process/exec.h"
#include "host/host_thread.h"
#include "process/runtime_state.h"
#include "syscall/uaccess.h"
#include "util/log.h"

#define ARGS_MAX_BYTES (2UL << 20)      /* argv + envp strings, like ARG_MAX */
#define ARGS_MAX_COUNT 65536
#define ARG_STRLEN_MAX (128UL << 10)        /* Linux's MAX_ARG_STRLEN */

static void regs_from(const ucontext_t *uc, uint64_t *regs)
{
    const greg_t *g = uc->uc_mcontext.gregs;
    static const int map[GR_COUNT] = {
        [GR_RAX] = REG_RAX, [GR_RBX] = REG_RBX, [GR_RCX] = REG_RCX, [GR_RDX] = REG_RDX,
        [GR_RSI] = REG_RSI, [GR_RDI] = REG_RDI, [GR_RBP] = REG_RBP, [GR_RSP] = REG_RSP,
        [GR_R8] = REG_R8,   [GR_R9] = REG_R9,   [GR_R10] = REG_R10, [GR_R11] = REG_R11,
        [GR_R12] = REG_R12, [GR_R13] = REG_R13, [GR_R14] = REG_R14, [GR_R15] = REG_R15,
        [GR_RIP] = REG_RIP, [GR_RFLAGS] = REG_EFL,
    };
    for (int i = 0; i < GR_COUNT; i++)
        regs[i] = (uint64_t)g[map[i]];
    regs[GR_RFLAGS] = (regs[GR_RFLAGS] & 0xcd5) | 0x202;
}

long entry_vfork(struct guest_ctx *ctx, ucontext_t *uc, uint64_t stack)
{
    struct process *p = ctx->thread->proc;
    struct process *c;
    int err = process_create_vfork_child(p, &c);
    if (err)
        return err;
    struct thread *t;
    err = thread_create(c, &t);
    if (err) {
        log_warn("entry", "vfork: no thread for the child: %d", err);
        return err;     /* c stays as an empty child; see docs/runtime.md */
    }
    uint64_t regs[GR_COUNT];
    regs_from(uc, regs);
    regs[GR_RAX] = 0;
    if (stack)
        regs[GR_RSP] = stack;
    pid_t pid = c->pid;
    err = entry_start_thread(t, regs, ctx->guest_fs);
    if (err) {
        process_begin_exit(c, W_EXITCODE(127, 0));
        thread_release(t);
        return -EAGAIN;
    }
    /* The child runs on our memory (and, for vfork, our stack) until it
     * execs or exits. */
    process_vfork_wait(p, c);
    return pid;
}

/* A NULL-terminated guest array of strings, copied in. */
static int copy_strings(struct process *p, uintptr_t uarr, char ***out, size_t *budget)
{
    size_t n = 0, cap = 16;
    char **v = calloc(cap, sizeof(*v));
    if (!v)
        return -ENOMEM;
    int err = 0;
    for (; uarr; n++) {
        uint64_t ptr;
        if (n + 1 >= cap) {
            char **nv = n >= ARGS_MAX_COUNT ? NULL : realloc(v, cap * 2 * sizeof(*v));
            if (!nv) {
                err = n >= ARGS_MAX_COUNT ? -E2BIG : -ENOMEM;
                break;
            }
            v = nv;
            cap *= 2;
        }
        if (uaccess_read(p, &ptr, uarr + n * sizeof(ptr), sizeof(ptr))) {
            err = -EFAULT;
            break;
        }
        if (!ptr)
            break;
        size_t size = *budget + 1 < ARG_STRLEN_MAX ? *budget + 1 : ARG_STRLEN_MAX;
        char *buf = malloc(size);
        if (!buf) {
            err = -ENOMEM;
            break;
        }
        long len = uaccess_strncpy(p, buf, ptr, size);
        if (len < 0) {
            free(buf);
            err = len == -ENAMETOOLONG ? -E2BIG : (int)len;
            break;
        }
        *budget -= (size_t)len + 1;
        v[n] = buf;
    }
    v[n] = NULL;
    if (err) {
        for (size_t i = 0; i < n; i++)
            free(v[i]);
        free(v);
        return err;
    }
    *out = v;
    return 0;
}

static void free_strings(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* Linux's de_thread: every other thread of the process ends before the
 * new program starts (they leave guest code without CLEARTID: their
 * memory is about to go). */
static void end_other_threads(struct thread *self)
{
    struct process *p = self->proc;
    pthread_mutex_lock(&p->lock);
    for (struct thread *t = p->threads; t; t = t->next)
        if (t != self)
            atomic_store(&t->must_leave, true);
    pthread_mutex_unlock(&p->lock);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int n = p->nr_in_guest;
        pthread_mutex_unlock(&p->lock);
        if (n <= 1)
            return;
        entry_kick_process(p, self);
        host_sleep_ns(1000 * 1000);
    }
}

long entry_execve(struct guest_ctx *ctx, ucontext_t *uc, long nr, const uint64_t a[6])
{
    struct thread *self = ctx->thread;
    struct process *p = self->proc;
    int base = nr == __NR_execveat ? 1 : 0;
    if (nr == __NR_execveat) {
        char probe[2];
        if ((int)a[0] != AT_FDCWD && !(uaccess_read(p, probe, a[1], 1) == 0 && probe[0] == '/'))
            return -ENOSYS;     /* relative to a dirfd / fexecve: not yet */
        if (a[4] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
            return -EINVAL;
    }
    char path[PATH_MAX];
    long len = uaccess_path(p, path, a[base], 0);
    if (len < 0)
        return len;
    size_t budget = ARGS_MAX_BYTES;
    char **argv = NULL, **envp = NULL;
    int err = copy_strings(p, a[base + 1], &argv, &budget);
    if (!err)
        err = copy_strings(p, a[base + 2], &envp, &budget);
    struct exec_image img;
    if (!err)
        err = process_exec_load(p, path, argv, envp, &img);
    free_strings(argv);
    free_strings(envp);
    if (err)
        return err;
    end_other_threads(self);
    process_exec_commit(p, &img);
    fastpath_prepare_vm(p->vm);

    /* The thread starts the new program as Linux does: every register 0
     * but RSP and RIP, no TLS, no robust list, no alternate stack. */
    self->clear_child_tid = 0;
    self->robust_list = 0;
    self->altstack_sp = self->altstack_size = 0;
    ctx->guest_fs = self->guest_fs = 0;
    greg_t *g = uc->uc_mcontext.gregs;
    static const int zero[] = { REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP,
                                REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14,
                                REG_R15 };
    for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
        g[zero[i]] = 0;
    g[REG_RSP] = (greg_t)img.rsp;
    g[REG_RIP] = (greg_t)img.entry;
    g[REG_EFL] = 0x202;
    return 0;
}
