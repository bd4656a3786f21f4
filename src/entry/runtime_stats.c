/* The --stats report (runtime_stats.h). */
#include "entry/runtime_stats.h"

#include <stdlib.h>

#include "vm/vm_stats.h"

static double mib(size_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

void runtime_print_stats(struct user_space_vm *usv, FILE *f)
{
    size_t n = user_space_vm_proc_records(usv, NULL, 0);
    struct vm_proc_record *r = calloc(n ? n : 1, sizeof(*r));
    if (!r) {
        fprintf(f, "onespace stats: out of memory\n");
        return;
    }
    n = user_space_vm_proc_records(usv, r, n);
    struct vm_pool_use pool;
    user_space_vm_pool_use(usv, &pool);
    size_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += r[i].peak_bytes;
    fprintf(f, "onespace stats: %zu guest processes ran in this one host process "
               "(a process that called execve counts once per program)\n", n);
    fprintf(f, "onespace stats: %7s %12s  %s\n", "pid", "peak mapped", "command");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "onespace stats: %7d %8.1f MiB  %s\n", (int)r[i].pid, mib(r[i].peak_bytes),
                r[i].name[0] ? r[i].name : "(no program loaded)");
    fprintf(f, "onespace stats: memory pool: %.1f MiB reserved, peak %.1f MiB in use "
               "(chunks), %.1f MiB at exit; sum of the processes' peaks %.1f MiB\n",
            mib(pool.total_bytes), mib(pool.peak_used_bytes), mib(pool.used_bytes), mib(sum));
    free(r);
}
