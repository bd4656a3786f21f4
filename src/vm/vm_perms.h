/* VMA permissions, with Occlum's values (and Linux's PROT_* values). */
#ifndef ONESPACE_VM_VM_PERMS_H
#define ONESPACE_VM_VM_PERMS_H

#include <stdbool.h>
#include <stdint.h>

enum {
    VM_PERM_NONE      = 0,
    VM_PERM_READ      = 1,
    VM_PERM_WRITE     = 2,
    VM_PERM_EXEC      = 4,
    VM_PERM_GROWSDOWN = 0x01000000,   /* PROT_GROWSDOWN */
    VM_PERM_GROWSUP   = 0x02000000,   /* PROT_GROWSUP */
    VM_PERM_RWX       = VM_PERM_READ | VM_PERM_WRITE | VM_PERM_EXEC,
};

/* Validate guest prot bits for mmap/mprotect: 0 or -EINVAL for unknown bits. */
int vm_perms_from_prot(int prot, uint32_t *out);

/* The host protection that enforces `perms` (READ/WRITE/EXEC only). */
int vm_perms_to_host(uint32_t perms);

/* "rwxp"-style string for /proc/pid/maps (4 chars + NUL). */
void vm_perms_format(uint32_t perms, bool shared, char out[5]);

#endif
