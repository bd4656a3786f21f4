/* The calling guest thread. */
#include "process/process.h"

static __thread struct thread *current_thread;

struct thread *thread_current(void) { return current_thread; }
void thread_set_current(struct thread *t) { current_thread = t; }
