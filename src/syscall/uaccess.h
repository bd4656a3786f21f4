/* Guest memory, as seen by syscall handlers.
 *
 * Guests live in onespace's own address space, so a checked guest pointer
 * can be used directly. "Checked" means: every byte lies in a VMA of the
 * calling process with the needed permission (process_vm_check_access);
 * otherwise the call fails with -EFAULT and touches nothing.
 *
 * For large transfers (read/write buffers) check once with
 * uaccess_check() and pass the pointer on; for small structs copy in or
 * out with uaccess_read()/uaccess_write(). */
#ifndef ONESPACE_SYSCALL_UACCESS_H
#define ONESPACE_SYSCALL_UACCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

struct process;

/* 0 if [addr, addr+len) is mapped for `prot` (PROT_READ / PROT_WRITE) in p,
 * else -EFAULT. len 0 is always fine. */
int uaccess_check(struct process *p, uintptr_t addr, size_t len, int prot);

/* Copy from / to guest memory: 0 or -EFAULT (nothing copied). */
int uaccess_read(struct process *p, void *dst, uintptr_t src, size_t len);
int uaccess_write(struct process *p, uintptr_t dst, const void *src, size_t len);

/* Copy a NUL-terminated guest string into dst[size]: its length, -EFAULT,
 * or -ENAMETOOLONG if no NUL within size bytes. */
long uaccess_strncpy(struct process *p, char *dst, uintptr_t src, size_t size);

/* A guest path: uaccess_strncpy into a PATH_MAX buffer; "" is -ENOENT
 * unless allow_empty (AT_EMPTY_PATH). */
long uaccess_path(struct process *p, char *dst, uintptr_t src, int allow_empty);

#endif
