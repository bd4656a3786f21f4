/* Signal-mask hooks for the waiting calls (see poll_sigmask.h). */
#include "fs/poll_sigmask.h"

#include <errno.h>
#include <stdatomic.h>

static _Atomic(const struct wait_sigmask_hooks *) hooks;

void wait_sigmask_set_hooks(const struct wait_sigmask_hooks *h)
{
    atomic_store_explicit(&hooks, h, memory_order_release);
}

int wait_sigmask_begin(const guest_sigset_t *mask, size_t sigsetsize,
                       guest_sigset_t *saved)
{
    if (!mask)
        return 0;
    if (sigsetsize != sizeof(guest_sigset_t))
        return -EINVAL;
    const struct wait_sigmask_hooks *h =
        atomic_load_explicit(&hooks, memory_order_acquire);
    *saved = 0;
    if (h && h->install)
        h->install(mask, saved);
    return 0;
}

void wait_sigmask_end(const guest_sigset_t *mask, const guest_sigset_t *saved,
                      int result)
{
    if (!mask)
        return;
    const struct wait_sigmask_hooks *h =
        atomic_load_explicit(&hooks, memory_order_acquire);
    if (h && h->restore)
        h->restore(saved, result);
}
