/* System V shared memory. Each segment is a single-VMA chunk at one address
 * in the pool; every process that attaches it sees it there. A segment lives
 * until IPC_RMID has been asked and the last process has detached. */
#ifndef ONESPACE_VM_SHM_MANAGER_H
#define ONESPACE_VM_SHM_MANAGER_H

#include <stdint.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

#include "vm/process_vm.h"

/* shmget(2): returns the shmid or -EINVAL, -EEXIST, -ENOENT, -ENOSPC, -ENOMEM. */
int shm_get(struct process_vm *vm, key_t key, size_t size, int shmflg);

/* shmat(2): returns the address or -EINVAL, -EIDRM, -EACCES, -ENOMEM. */
long shm_attach(struct process_vm *vm, int shmid, uintptr_t addr, int shmflg);

/* shmdt(2): 0 or -EINVAL. */
int shm_detach(struct process_vm *vm, uintptr_t addr);

/* shmctl(2) with IPC_STAT, IPC_SET, IPC_RMID. */
int shm_ctl(struct process_vm *vm, int shmid, int cmd, struct shmid_ds *buf);

#endif
