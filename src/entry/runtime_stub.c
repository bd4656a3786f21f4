/* STUB until the lead's runtime.c is merged: lets the `onespace` command
 * link on the cli branch. Delete this file when src/entry/runtime.c lands. */
#include "entry/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void runtime_opts_defaults(struct runtime_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->user_space_size = (size_t)1 << 30;
    o->chunk_size = (size_t)32 << 20;
    o->default_stack_size = (size_t)8 << 20;
    o->default_heap_size = (size_t)32 << 20;
    o->max_threads = 64;
}

int runtime_run(const struct runtime_opts *o)
{
    fprintf(stderr, "onespace: runtime not built\n");
    return -ENOSYS;
}
