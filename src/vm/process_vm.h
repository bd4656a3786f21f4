/* ProcessVM: the memory of one guest process, carved out of the shared
 * user-space pool. Linux semantics and errnos for every call; functions
 * return a value (an address, a count) or a negative errno.
 *
 * Thread-safe: any thread of any process may call in at once. Lock order
 * (outermost first): vm_manager (global) -> process_vm -> chunk. */
#ifndef ONESPACE_VM_PROCESS_VM_H
#define ONESPACE_VM_PROCESS_VM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vm/user_space_vm.h"
#include "vm/vm_file.h"

struct process_vm;

/* A new, empty address space for process `pid` in the pool. */
int process_vm_create(struct user_space_vm *usv, pid_t pid, struct process_vm **out);

/* Process exit: write back dirty shared file data, detach shm, release every
 * chunk and VMA the process owns back to the pool and its pages to the host. */
void process_vm_destroy(struct process_vm *vm);

pid_t process_vm_pid(const struct process_vm *vm);

/* mmap(2). `prot`/`flags` are Linux's PROT_ and MAP_ values; `file` is NULL
 * for anonymous maps. Returns the address or -EINVAL, -ENOMEM, -EEXIST,
 * -EACCES, -ENODEV, -EOPNOTSUPP, -EBADF (never a raw host error). */
long process_vm_mmap(struct process_vm *vm, uintptr_t addr, size_t len, int prot,
                     int flags, struct vm_file *file, uint64_t offset);

int process_vm_munmap(struct process_vm *vm, uintptr_t addr, size_t len);
int process_vm_mprotect(struct process_vm *vm, uintptr_t addr, size_t len, int prot);

/* mremap(2): flags MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP. */
long process_vm_mremap(struct process_vm *vm, uintptr_t old_addr, size_t old_len,
                       size_t new_len, int flags, uintptr_t new_addr);

/* The heap for brk: placed by the loader after the ELF image (addr 0 = any
 * place), at most `max_size` bytes. Until it is set, brk returns 0. */
int process_vm_init_heap(struct process_vm *vm, uintptr_t addr, size_t max_size);

/* Added by vm-core: name this process's mappings in [addr, addr+len) the
 * [stack] in /proc/<pid>/maps (the loader calls it for the main thread's
 * stack). 0, -EINVAL (unaligned, len 0), -ENOMEM (not all mapped). */
int process_vm_mark_stack(struct process_vm *vm, uintptr_t addr, size_t len);

/* brk(2): returns the new break, or the current one if `addr` is 0 or can't
 * be honoured (Linux's behaviour). */
uintptr_t process_vm_brk(struct process_vm *vm, uintptr_t addr);

int process_vm_msync(struct process_vm *vm, uintptr_t addr, size_t len, int flags);
int process_vm_madvise(struct process_vm *vm, uintptr_t addr, size_t len, int advice);
int process_vm_mincore(struct process_vm *vm, uintptr_t addr, size_t len,
                       unsigned char *vec);

/* For the syscall layer: is [addr, addr+len) mapped by this process with at
 * least `prot` (PROT_READ and/or PROT_WRITE)? 0 or -EFAULT. len 0 is 0. */
int process_vm_check_access(struct process_vm *vm, uintptr_t addr, size_t len, int prot);

/* For the syscall fast path (src/entry/fastpath.c): run fn(arg) while the
 * host pages of [addr, addr+len) are writable, if this process maps all of
 * it privately and executable (the guest's own protection is unchanged;
 * the host's goes back afterwards). Holds the process lock throughout, so
 * no mprotect/munmap of the range races with it. 0, -EFAULT (not mapped
 * so), or a host error. */
int process_vm_patch_text(struct process_vm *vm, uintptr_t addr, size_t len,
                          void (*fn)(void *arg), void *arg);
/* Three words the fast path keeps per address space (its stub area: base,
 * bytes used, an id); zero in a new one. The caller serialises access. */
uintptr_t *process_vm_fast_stubs(struct process_vm *vm);
/* Added by vm-core, for tests: check this process's view (its chunk
 * references agree with the chunks' VMAs, every VMA it can see is in one of
 * its chunks). 0 or -EUCLEAN (logged). O(its chunks' VMAs). */
int process_vm_check(struct process_vm *vm);

/* /proc/<pid>/maps text of this process into buf (NUL-terminated, truncated
 * to len). Returns the full length it needs (like snprintf) or -errno. */
ssize_t process_vm_render_maps(struct process_vm *vm, char *buf, size_t len);

#endif
