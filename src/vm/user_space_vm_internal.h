/* Private to src/vm: the user-space pool object. */
#ifndef ONESPACE_VM_USER_SPACE_VM_INTERNAL_H
#define ONESPACE_VM_USER_SPACE_VM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "vm/user_space_vm.h"
#include "vm/vm_manager.h"

struct shm_manager;

struct user_space_vm {
    struct vm_manager mgr;          /* its lock is the global lock */
    void *base;
    size_t size;
    /* Placement and dirty-page policy (docs/vm.md). */
    size_t single_min;              /* mmaps of at least this go to a single chunk */
    size_t dirty_max;               /* dirty bytes a multi chunk may keep */
    size_t release_min;             /* unmaps this big go back to the host at once */
    size_t zero_memset_max;         /* dirty ranges up to this, mapped writable,
                                       are zeroed with memset (0: never) */
    enum vm_unmap_protect unmap_protect;    /* STRICT or LAZY */
    struct shm_manager *shm;        /* under the global lock */
    /* Records of processes that are gone (vm_stats.c), under stats_lock. */
    pthread_mutex_t stats_lock;
    bool record_procs;
    struct vm_proc_record *procs;
    size_t nr_procs, cap_procs;
};

/* shm_manager.c */
int shm_manager_create(struct shm_manager **out);
void shm_manager_destroy(struct user_space_vm *usv);
size_t shm_manager_count(const struct shm_manager *shm);

#endif
