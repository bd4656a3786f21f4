/* Defaults, and the parsing and validation of mmap/mremap/msync arguments
 * into request structs (pure functions, no locks, no host calls). */
#ifndef ONESPACE_VM_VM_UTIL_H
#define ONESPACE_VM_VM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/vm_file.h"

#define VM_DEFAULT_USER_SPACE_SIZE (1UL << 30)
#define VM_DEFAULT_CHUNK_SIZE      (32UL << 20)
#define VM_MIN_CHUNK_SIZE          (64UL << 10)
#define VM_POOL_ALIGN              (2UL << 20)
#define VM_DEFAULT_DIRTY_MAX       (1UL << 20)
#define VM_DEFAULT_RELEASE_MIN     (256UL << 10)
#define VM_DEFAULT_ZERO_MEMSET_MAX (64UL << 10)
/* x86-64 TASK_SIZE with 4-level page tables. */
#define VM_TASK_SIZE               0x7ffffffff000UL

/* Where a mapping must go (Occlum's names). */
enum vm_addr_kind {
    VM_ADDR_ANY,     /* anywhere */
    VM_ADDR_HINT,    /* there if free, else anywhere */
    VM_ADDR_NEED,    /* exactly there, only if free (MAP_FIXED_NOREPLACE: -EEXIST) */
    VM_ADDR_FORCE,   /* exactly there, replacing this process's mappings (MAP_FIXED) */
};

struct vm_mmap_req {
    enum vm_addr_kind kind;
    uintptr_t addr;         /* page aligned (a hint is rounded down) */
    size_t size;            /* page multiple, > 0 */
    uint32_t perms;         /* VM_PERM_READ/WRITE/EXEC */
    uint32_t vma_flags;     /* VMA_SHARED, VMA_STACK, VMA_GROWSDOWN */
    struct vm_file *file;   /* NULL: anonymous */
    uint64_t offset;
    int host_fd;            /* file's host fd, or -1 */
    bool populate;          /* MAP_POPULATE / MAP_LOCKED */
    bool low_2g;            /* MAP_32BIT */
};

/* mmap(2) arguments -> request, with Linux's checks and errnos (EBADF,
 * EINVAL, ENOMEM, EOVERFLOW, EOPNOTSUPP, EACCES, ENODEV). Placement errors
 * (ENOMEM, EEXIST) come later. */
int vm_mmap_req_parse(uintptr_t addr, size_t len, int prot, int flags,
                      struct vm_file *file, uint64_t offset, struct vm_mmap_req *out);

struct vm_mremap_req {
    uintptr_t old_addr;
    size_t old_size, new_size;  /* page multiples; old_size may be 0 */
    bool may_move, fixed, dont_unmap;
    uintptr_t new_addr;
};
int vm_mremap_req_parse(uintptr_t old_addr, size_t old_len, size_t new_len, int flags,
                        uintptr_t new_addr, struct vm_mremap_req *out);

/* msync flags: 0 or -EINVAL. */
int vm_msync_flags_check(int flags);

/* File helpers (NULL-safe ops). */
int vm_file_host_fd(struct vm_file *f);
bool vm_file_readable(const struct vm_file *f);
bool vm_file_writable(const struct vm_file *f);
const char *vm_file_path(struct vm_file *f);

#endif
