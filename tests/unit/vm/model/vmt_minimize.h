/* Shrinking a failing call sequence to a small one that fails the same way
 * (delta debugging), each try run in a forked child so crashes and aborts
 * of the code under test are outcomes, not the end of the search. */
#ifndef VMT_MINIMIZE_H
#define VMT_MINIMIZE_H

#include <stddef.h>

#include "vmt_engine.h"

/* Runs `calls` from a fresh start (in the child); returns 0 if they passed,
 * or -1 with the failure's signature (vmt_failure_signature) in sig. */
typedef int (*vmt_replay_fn)(void *arg, const struct vmt_call *calls, size_t n, char *sig,
                             size_t siglen);

/* Signature of one run in a child: "pass", "crash:<signal>" or what
 * `replay` put in sig. */
void vmt_replay_in_child(vmt_replay_fn replay, void *arg, const struct vmt_call *calls,
                         size_t n, char *sig, size_t siglen);

/* Shrink calls[0..*n) in place while the run keeps failing with `sig`. */
void vmt_minimize(vmt_replay_fn replay, void *arg, struct vmt_call *calls, size_t *n,
                  const char *sig);

#endif
