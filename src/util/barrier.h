/* A full memory barrier (store-load ordering), for the "publish, then
 * check for waiters" / "enqueue, then check the condition" handshakes.
 * ThreadSanitizer does not model fences (and gcc refuses to build
 * atomic_thread_fence under it), so TSan builds use a seq_cst
 * read-modify-write instead, which is a full barrier on x86 as well. */
#ifndef ONESPACE_UTIL_BARRIER_H
#define ONESPACE_UTIL_BARRIER_H

#include <stdatomic.h>

#if defined(__SANITIZE_THREAD__)
#define ONESPACE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ONESPACE_TSAN 1
#endif
#endif

static inline void smp_mb(void)
{
#ifdef ONESPACE_TSAN
    static atomic_int smp_mb_dummy;
    atomic_fetch_add_explicit(&smp_mb_dummy, 0, memory_order_seq_cst);
#else
    atomic_thread_fence(memory_order_seq_cst);
#endif
}

#endif
