#include "vm/vm_perms.h"

#include <errno.h>
#include <sys/mman.h>

/* PROT_SEM (0x8) is accepted and ignored by Linux x86-64 mprotect (it has
 * no meaning there), so it is accepted here too and not stored. Note Linux
 * mmap ignores unknown prot bits altogether; mprotect rejects them. */
#define PROT_SEM_BIT 0x8

int vm_perms_from_prot(int prot, uint32_t *out)
{
    const uint32_t known = VM_PERM_RWX | VM_PERM_GROWSDOWN | VM_PERM_GROWSUP;
    uint32_t p = (uint32_t)prot;

    if (p & ~(known | PROT_SEM_BIT))
        return -EINVAL;
    /* Linux: asking to grow both ways at once is EINVAL. */
    if ((p & VM_PERM_GROWSDOWN) && (p & VM_PERM_GROWSUP))
        return -EINVAL;
    *out = p & known;
    return 0;
}

int vm_perms_to_host(uint32_t perms)
{
    _Static_assert(VM_PERM_READ == PROT_READ && VM_PERM_WRITE == PROT_WRITE &&
                   VM_PERM_EXEC == PROT_EXEC && VM_PERM_GROWSDOWN == PROT_GROWSDOWN &&
                   VM_PERM_GROWSUP == PROT_GROWSUP,
                   "VM_PERM_* mirror PROT_*");
    int host = PROT_NONE;
    if (perms & VM_PERM_READ)
        host |= PROT_READ;
    if (perms & VM_PERM_WRITE)
        host |= PROT_WRITE;
    if (perms & VM_PERM_EXEC)
        host |= PROT_EXEC;
    return host;
}

void vm_perms_format(uint32_t perms, bool shared, char out[5])
{
    out[0] = (perms & VM_PERM_READ) ? 'r' : '-';
    out[1] = (perms & VM_PERM_WRITE) ? 'w' : '-';
    out[2] = (perms & VM_PERM_EXEC) ? 'x' : '-';
    out[3] = shared ? 's' : 'p';
    out[4] = '\0';
}
