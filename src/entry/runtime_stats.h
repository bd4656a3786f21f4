/* `onespace run --stats` (added by bigtests): what the memory pool gave
 * each guest process, printed when the instance ends. */
#ifndef ONESPACE_ENTRY_RUNTIME_STATS_H
#define ONESPACE_ENTRY_RUNTIME_STATS_H

#include <stdio.h>

struct user_space_vm;

/* Every process has exited (their records are in the pool): one line per
 * process in the order they went, then the pool's size and peak use. */
void runtime_print_stats(struct user_space_vm *usv, FILE *f);

#endif
