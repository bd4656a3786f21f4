/* Per-process pool use and the records of processes that are gone
 * (vm_stats.h). */
#include "vm/vm_stats.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vm/process_vm_internal.h"

void process_vm_set_name(struct process_vm *vm, const char *name, size_t len)
{
    pthread_mutex_lock(&vm->lock);
    size_t n = len < sizeof vm->name - 1 ? len : sizeof vm->name - 1;
    for (size_t i = 0; i < n; i++)
        vm->name[i] = name[i] ? name[i] : ' ';
    while (n > 0 && vm->name[n - 1] == ' ')     /* the cmdline's last NUL */
        n--;
    vm->name[n] = '\0';
    pthread_mutex_unlock(&vm->lock);
}

size_t process_vm_mapped_bytes(struct process_vm *vm)
{
    pthread_mutex_lock(&vm->lock);
    size_t n = vm->mapped_bytes;
    pthread_mutex_unlock(&vm->lock);
    return n;
}

size_t process_vm_peak_bytes(struct process_vm *vm)
{
    pthread_mutex_lock(&vm->lock);
    size_t n = vm->peak_bytes;
    pthread_mutex_unlock(&vm->lock);
    return n;
}

void user_space_vm_record_procs(struct user_space_vm *usv)
{
    pthread_mutex_lock(&usv->stats_lock);
    usv->record_procs = true;
    pthread_mutex_unlock(&usv->stats_lock);
}

void vm_stats_record_exit(struct process_vm *vm)
{
    struct user_space_vm *usv = vm->usv;
    /* A process's first, never used address space (replaced by its
     * program at start) is not worth a line. */
    if (!vm->peak_bytes && !vm->name[0])
        return;
    pthread_mutex_lock(&usv->stats_lock);
    if (usv->record_procs) {
        if (usv->nr_procs == usv->cap_procs) {
            size_t cap = usv->cap_procs ? usv->cap_procs * 2 : 16;
            struct vm_proc_record *p = realloc(usv->procs, cap * sizeof(*p));
            if (!p) {
                pthread_mutex_unlock(&usv->stats_lock);
                log_warn("vm", "stats: no memory for the record of process %d", (int)vm->pid);
                return;
            }
            usv->procs = p;
            usv->cap_procs = cap;
        }
        struct vm_proc_record *r = &usv->procs[usv->nr_procs++];
        r->pid = vm->pid;
        memcpy(r->name, vm->name, sizeof r->name);
        r->peak_bytes = vm->peak_bytes;
    }
    pthread_mutex_unlock(&usv->stats_lock);
}

size_t user_space_vm_proc_records(struct user_space_vm *usv, struct vm_proc_record *out,
                                  size_t max)
{
    pthread_mutex_lock(&usv->stats_lock);
    size_t n = usv->nr_procs;
    memcpy(out, usv->procs, (n < max ? n : max) * sizeof(*out));
    pthread_mutex_unlock(&usv->stats_lock);
    return n;
}

void user_space_vm_pool_use(struct user_space_vm *usv, struct vm_pool_use *out)
{
    vmm_lock(&usv->mgr);
    out->total_bytes = usv->size;
    out->used_bytes = usv->size - usv->mgr.fsm.free_bytes;
    out->peak_used_bytes = usv->mgr.peak_used;
    vmm_unlock(&usv->mgr);
}
