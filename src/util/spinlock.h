/* A small test-and-test-and-set spinlock for short critical sections that
 * never sleep (notifier lists, wait queues, ring indexes). Contended lockers
 * spin with a pause instruction and yield the CPU after a while, so a
 * preempted holder on a busy machine does not burn a whole time slice.
 * Never hold one across anything that may block. */
#ifndef ONESPACE_UTIL_SPINLOCK_H
#define ONESPACE_UTIL_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

typedef struct {
    atomic_int locked;
} spinlock_t;

#define SPINLOCK_INIT { 0 }

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static inline void spin_init(spinlock_t *l) { atomic_init(&l->locked, 0); }

static inline bool spin_trylock(spinlock_t *l)
{
    return atomic_load_explicit(&l->locked, memory_order_relaxed) == 0 &&
           !atomic_exchange_explicit(&l->locked, 1, memory_order_acquire);
}

static inline void spin_lock(spinlock_t *l)
{
    unsigned spins = 0;
    while (!spin_trylock(l)) {
        do {
            if (++spins < 256)
                cpu_relax();
            else
                sched_yield(); /* holder probably preempted */
        } while (atomic_load_explicit(&l->locked, memory_order_relaxed));
    }
}

static inline void spin_unlock(spinlock_t *l)
{
    atomic_store_explicit(&l->locked, 0, memory_order_release);
}

#endif
