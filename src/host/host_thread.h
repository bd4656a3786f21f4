/* Host threads and the per-thread kernel state guest threads need:
 * Syscall User Dispatch, raw signal handlers with our own restorer, the
 * alternate signal stack, FS/GS bases, kicks between threads, and raw
 * futex calls on guest memory. Only src/host/ makes these host calls.
 * Every function returns 0 / a value, or a negative errno. */
#ifndef ONESPACE_HOST_HOST_THREAD_H
#define ONESPACE_HOST_HOST_THREAD_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Trap every syscall made from code in [start, start+len) with SIGSYS
 * (Syscall User Dispatch, inclusive mode; per thread). -EINVAL when the
 * kernel has no inclusive mode. */
int host_sud_trap_range(uintptr_t start, size_t len);
int host_sud_off(void);

/* Install `handler` (an SA_SIGINFO handler, usually an assembly stub) for
 * `sig` with the kernel's rt_sigaction directly, so `restorer` is ours.
 * `block` is the mask while it runs; flags are SA_* (SA_SIGINFO,
 * SA_ONSTACK and SA_RESTORER are added). */
int host_signal_install(int sig, void *handler, void *restorer, const sigset_t *block,
                        unsigned long flags);
int host_signal_ignore(int sig);
int host_sigaltstack(void *base, size_t size);
int host_sigmask(int how, const sigset_t *set, sigset_t *old);

/* FS/GS bases of the calling thread. */
int host_fsgsbase_usable(void);         /* rdfsbase/rdgsbase work */
int host_fsgsbase_kernel(void);         /* the kernel keeps wrfsbase values too */
uintptr_t host_get_fs(void);
void host_set_gs(uintptr_t base);
uintptr_t host_get_gs(void);

/* A joinable host thread with a stack of stack_size bytes. */
int host_thread_create(pthread_t *out, size_t stack_size, void *(*fn)(void *), void *arg);
int host_thread_join(pthread_t t);
int host_thread_detach(pthread_t t);
/* A thread detached from its start (nothing is written after it runs: it
 * may be gone before this returns). */
int host_thread_create_detached(size_t stack_size, void *(*fn)(void *), void *arg);
/* Send signal `sig` to host thread t (tgkill). */
int host_thread_kick(pthread_t t, int sig);
/* membarrier(PRIVATE_EXPEDITED_SYNC_CORE): register once (0 or -errno),
 * then make every thread of the process serialise its instruction fetch
 * (after patching code they may run). */
int host_membarrier_sync_core_register(void);
void host_membarrier_sync_core(void);
pid_t host_gettid(void);
void host_sleep_ns(uint64_t ns);

/* futex(2) on any address, as the guest asked (op, val, timeout, uaddr2,
 * val3 are passed on unchanged). */
long host_futex_raw(uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout,
                    uint32_t *uaddr2, uint32_t val3);

/* The host's vDSO (AT_SYSINFO_EHDR), AT_HWCAP, AT_HWCAP2, AT_MINSIGSTKSZ. */
uintptr_t host_auxv(unsigned long type);

#endif
