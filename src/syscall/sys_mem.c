/* Memory syscalls: straight onto the process's ProcessVM. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fs/fd_table.h"
#include "process/process.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "vm/process_vm.h"
#include "vm/shm_manager.h"

#define PAGE 4096UL


SYS_STATIC(mmap)
{
    struct process *p = self->proc;
    int flags = (int)a[3];
    if (flags & MAP_ANONYMOUS)
        return process_vm_mmap(p->vm, a[0], a[1], (int)a[2], flags, NULL, 0);
    struct file *f;
    int err = fd_table_get_file(p->fds, (int)a[4], &f);
    if (err)
        return err;
    struct vm_file *vf = file_vm_file(f);
    long ret = vf ? process_vm_mmap(p->vm, a[0], a[1], (int)a[2], flags, vf, a[5]) : -ENODEV;
    file_put(f);
    return ret;
}

SYS_STATIC(munmap) { return process_vm_munmap(self->proc->vm, a[0], a[1]); }
SYS_STATIC(mprotect) { return process_vm_mprotect(self->proc->vm, a[0], a[1], (int)a[2]); }

SYS_STATIC(mremap)
{
    return process_vm_mremap(self->proc->vm, a[0], a[1], a[2], (int)a[3], a[4]);
}

SYS_STATIC(brk) { return (long)process_vm_brk(self->proc->vm, a[0]); }
SYS_STATIC(msync) { return process_vm_msync(self->proc->vm, a[0], a[1], (int)a[2]); }
SYS_STATIC(madvise) { return process_vm_madvise(self->proc->vm, a[0], a[1], (int)a[2]); }

SYS_STATIC(mincore)
{
    struct process *p = self->proc;
    size_t pages = (a[1] + PAGE - 1) / PAGE;
    if (a[1] && uaccess_check(p, a[2], pages, PROT_WRITE))
        return -EFAULT;
    return process_vm_mincore(p->vm, a[0], a[1], (unsigned char *)a[2]);
}

SYS_STATIC(mlock) { return process_vm_check_access(self->proc->vm, a[0] & ~(PAGE - 1),
                                                   a[1] + (a[0] & (PAGE - 1)), 0) ? -ENOMEM : 0; }

/* System V shm: the segments live in the shared pool (shm_manager). */
SYS_STATIC(shmget) { return shm_get(self->proc->vm, (key_t)a[0], a[1], (int)a[2]); }
SYS_STATIC(shmat) { return shm_attach(self->proc->vm, (int)a[0], a[1], (int)a[2]); }
SYS_STATIC(shmdt) { return shm_detach(self->proc->vm, a[0]); }

SYS_STATIC(shmctl)
{
    struct process *p = self->proc;
    int cmd = (int)a[1] & ~0x100;   /* IPC_64 */
    struct shmid_ds ds;
    memset(&ds, 0, sizeof(ds));
    switch (cmd) {
    case IPC_SET:
        if (uaccess_read(p, &ds, a[2], sizeof(ds)))
            return -EFAULT;
        break;
    case IPC_STAT:
        if (uaccess_check(p, a[2], sizeof(ds), PROT_WRITE))
            return -EFAULT;
        break;
    case IPC_RMID:
        break;
    default:
        return -EINVAL;
    }
    int ret = shm_ctl(p->vm, (int)a[0], cmd, &ds);
    if (ret >= 0 && cmd == IPC_STAT && uaccess_write(p, a[2], &ds, sizeof(ds)))
        return -EFAULT;
    return ret;
}

void sys_register_mem(sys_fn *t)
{
    t[__NR_shmget] = sys_shmget;
    t[__NR_shmat] = sys_shmat;
    t[__NR_shmdt] = sys_shmdt;
    t[__NR_shmctl] = sys_shmctl;
    t[__NR_mmap] = sys_mmap;
    t[__NR_munmap] = sys_munmap;
    t[__NR_mprotect] = sys_mprotect;
    t[__NR_mremap] = sys_mremap;
    t[__NR_brk] = sys_brk;
    t[__NR_msync] = sys_msync;
    t[__NR_madvise] = sys_madvise;
    t[__NR_mincore] = sys_mincore;
    t[__NR_mlock] = sys_mlock;
    t[__NR_munlock] = sys_mlock;
}
