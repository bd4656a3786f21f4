/* The signal mask of epoll_pwait, epoll_pwait2, ppoll and pselect6.
 *
 * Those calls install a caller-given signal mask for the duration of the
 * wait. Signals belong to the process layer, which does not exist yet: it
 * fills these hooks once at start-up. Without hooks the mask is checked
 * (sigsetsize) and otherwise ignored.
 *
 * Linux (fs/select.c, fs/eventpoll.c): the mask is installed before
 * anything else is checked, and restored on return; when the call returns
 * -EINTR the old mask is restored only after the signal handlers ran
 * (restore_saved_sigmask_unless), which is why `restore` gets the result. */
#ifndef ONESPACE_FS_POLL_SIGMASK_H
#define ONESPACE_FS_POLL_SIGMASK_H

#include <stddef.h>
#include <stdint.h>

/* The kernel's sigset_t on x86-64: 64 bits, sigsetsize must be 8. */
typedef uint64_t guest_sigset_t;

struct wait_sigmask_hooks {
    /* Make `mask` the calling thread's signal mask; store the old one in
     * *saved. */
    void (*install)(const guest_sigset_t *mask, guest_sigset_t *saved);
    /* Put `saved` back. `result` is what the call is about to return. */
    void (*restore)(const guest_sigset_t *saved, int result);
};

/* Set (or, with NULL, clear) the hooks. `hooks` must stay valid. */
void wait_sigmask_set_hooks(const struct wait_sigmask_hooks *hooks);

/* For the wait calls. begin: NULL mask -> nothing to do (0);
 * sigsetsize != 8 -> -EINVAL; else the mask is installed (0). end: undo a
 * successful begin with a non-NULL mask. */
int wait_sigmask_begin(const guest_sigset_t *mask, size_t sigsetsize,
                       guest_sigset_t *saved);
void wait_sigmask_end(const guest_sigset_t *mask, const guest_sigset_t *saved,
                      int result);

#endif
