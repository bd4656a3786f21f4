/* Memory syscalls: straight onto the process's ProcessVM. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fs/fd_table.h"
#include "process/process.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"
#include "vm/process_vm.h"

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

void sys_register_mem(sys_fn *t)
{
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
