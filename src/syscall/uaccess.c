/* Guest memory checks for syscall handlers (see uaccess.h). */
#include "syscall/uaccess.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "process/process.h"
#include "vm/process_vm.h"

int uaccess_check(struct process *p, uintptr_t addr, size_t len, int prot)
{
    if (len == 0)
        return 0;
    if (addr + len < addr)
        return -EFAULT;
    return process_vm_check_access(p->vm, addr, len, prot) ? -EFAULT : 0;
}

int uaccess_read(struct process *p, void *dst, uintptr_t src, size_t len)
{
    int err = uaccess_check(p, src, len, PROT_READ);
    if (err || len == 0)        /* memcpy from NULL is UB even for 0 bytes */
        return err;
    memcpy(dst, (const void *)src, len);
    return 0;
}

int uaccess_write(struct process *p, uintptr_t dst, const void *src, size_t len)
{
    int err = uaccess_check(p, dst, len, PROT_WRITE);
    if (err || len == 0)
        return err;
    memcpy((void *)dst, src, len);
    return 0;
}

long uaccess_strncpy(struct process *p, char *dst, uintptr_t src, size_t size)
{
    /* Check page by page: the string may end before an unmapped page. */
    size_t n = 0;
    while (n < size) {
        uintptr_t a = src + n;
        size_t in_page = 4096 - (a & 4095);
        if (in_page > size - n)
            in_page = size - n;
        if (uaccess_check(p, a, in_page, PROT_READ))
            return -EFAULT;
        const char *s = (const char *)a;
        const char *nul = memchr(s, 0, in_page);
        if (nul) {
            size_t k = (size_t)(nul - s);
            memcpy(dst + n, s, k + 1);
            return (long)(n + k);
        }
        memcpy(dst + n, s, in_page);
        n += in_page;
    }
    return -ENAMETOOLONG;
}

long uaccess_path(struct process *p, char *dst, uintptr_t src, int allow_empty)
{
    long n = uaccess_strncpy(p, dst, src, PATH_MAX);
    if (n == 0 && !allow_empty)
        return -ENOENT;
    return n;
}
