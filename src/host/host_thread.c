/* Host threads and per-thread kernel state (see host_thread.h). */
#include "host/host_thread.h"

#include <asm/prctl.h>
#include <errno.h>
#include <setjmp.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "host/host_fault.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#define SUD_OFF 0
#define SUD_INCLUSIVE_ON 2

int host_sud_trap_range(uintptr_t start, size_t len)
{
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, SUD_INCLUSIVE_ON, start, len, 0))
        return -errno;
    return 0;
}

int host_sud_off(void)
{
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, SUD_OFF, 0, 0, 0))
        return -errno;
    return 0;
}

/* The kernel's struct sigaction (asm-generic layout on x86-64). */
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};
#define KSA_RESTORER 0x04000000UL

int host_signal_install(int sig, void *handler, void *restorer, const sigset_t *block,
                        unsigned long flags)
{
    struct kernel_sigaction ksa = {
        .handler = handler,
        .flags = flags | SA_SIGINFO | SA_ONSTACK | KSA_RESTORER,
        .restorer = restorer,
    };
    if (block)
        memcpy(&ksa.mask, block, sizeof(ksa.mask));
    if (syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask)))
        return -errno;
    return 0;
}

int host_signal_ignore(int sig)
{
    return signal(sig, SIG_IGN) == SIG_ERR ? -errno : 0;
}

int host_sigaltstack(void *base, size_t size)
{
    stack_t ss = { .ss_sp = base, .ss_size = size, .ss_flags = base ? 0 : SS_DISABLE };
    return sigaltstack(&ss, NULL) ? -errno : 0;
}

int host_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    return -pthread_sigmask(how, set, old);
}

static sigjmp_buf probe_jmp;
static void probe_sigill(int sig) { siglongjmp(probe_jmp, 1); }

int host_fsgsbase_usable(void)
{
    if (host_fsgsbase_kernel())
        return 1;
    /* Some VMs allow the instructions without the kernel supporting them
     * (then writes are not preserved across context switches, but reads
     * are right): try one. */
    struct sigaction sa = { .sa_handler = probe_sigill }, old;
    sigaction(SIGILL, &sa, &old);
    volatile int ok = 0;
    if (!sigsetjmp(probe_jmp, 1)) {
        (void)host_get_fs();
        ok = 1;
    }
    sigaction(SIGILL, &old, NULL);
    return ok;
}

uintptr_t host_get_fs(void)
{
    uintptr_t v;
    __asm__ volatile("rdfsbase %0" : "=r"(v));
    return v;
}

/* Through the kernel, so the base survives context switches whether or
 * not the kernel supports FSGSBASE (set once per thread: not hot). */
void host_set_gs(uintptr_t base)
{
    syscall(SYS_arch_prctl, ARCH_SET_GS, base);
}

int host_fsgsbase_kernel(void)
{
    return (getauxval(AT_HWCAP2) & 2) != 0;     /* HWCAP2_FSGSBASE */
}

uintptr_t host_get_gs(void)
{
    uintptr_t v;
    __asm__ volatile("rdgsbase %0" : "=r"(v));
    return v;
}

int host_thread_create_detached(size_t stack_size, void *(*fn)(void *), void *arg)
{
    int fault = host_fault_should_fail(HOST_FAULT_THREAD_CREATE);
    if (fault)
        return fault;
    pthread_t t;
    pthread_attr_t attr;
    int r = pthread_attr_init(&attr);
    if (!r)
        r = pthread_attr_setstacksize(&attr, stack_size);
    if (!r)
        r = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!r)
        r = pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return -r;
}

int host_thread_create(pthread_t *out, size_t stack_size, void *(*fn)(void *), void *arg)
{
    int fault = host_fault_should_fail(HOST_FAULT_THREAD_CREATE);
    if (fault)
        return fault;
    pthread_attr_t attr;
    int r = pthread_attr_init(&attr);
    if (!r)
        r = pthread_attr_setstacksize(&attr, stack_size);
    if (!r)
        r = pthread_create(out, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return -r;
}

int host_thread_join(pthread_t t) { return -pthread_join(t, NULL); }
int host_thread_detach(pthread_t t) { return -pthread_detach(t); }
int host_thread_kick(pthread_t t, int sig) { return -pthread_kill(t, sig); }
pid_t host_gettid(void) { return (pid_t)syscall(SYS_gettid); }

void host_sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    nanosleep(&ts, NULL);
}

long host_futex_raw(uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout,
                    uint32_t *uaddr2, uint32_t val3)
{
    long r = syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
    return r < 0 ? -errno : r;
}

uintptr_t host_auxv(unsigned long type) { return getauxval(type); }

/* Cross-modifying code (the fast path patches guest code other threads
 * may be running): after each step, every thread of this process must
 * serialise its instruction stream. 0, or -errno if the kernel lacks it. */
int host_membarrier_sync_core_register(void)
{
    long r = syscall(SYS_membarrier, 1 << 6 /* REGISTER_PRIVATE_EXPEDITED_SYNC_CORE */, 0, 0);
    return r < 0 ? -errno : 0;
}

void host_membarrier_sync_core(void)
{
    syscall(SYS_membarrier, 1 << 5 /* PRIVATE_EXPEDITED_SYNC_CORE */, 0, 0);
}
