/* VMArea: one mapping of one process (or one shm segment shared by several
 * processes): a page-aligned range, its permissions, who may access it, and
 * an optional file backing.
 *
 * Access is either private to one process (`owner`) or shared (`sharers`,
 * one entry per attached process with its own permissions and a reference
 * count; used by SysV shm). Adjacent VMAs with identical attributes merge,
 * as in Linux (Occlum never merges). Not thread-safe: the chunk lock (and
 * the owner's process lock) protect a VMA. */
#ifndef ONESPACE_VM_VM_AREA_H
#define ONESPACE_VM_VM_AREA_H

#include <stdbool.h>
#include <stdint.h>

#include "util/rbtree.h"
#include "vm/vm_file.h"
#include "vm/vm_range.h"

struct process_vm;
struct chunk;

enum vma_flag {
    VMA_SHARED    = 1u << 0,  /* MAP_SHARED ('s' in /proc/pid/maps) */
    VMA_HEAP      = 1u << 1,  /* [heap] (brk) */
    VMA_STACK     = 1u << 2,  /* [stack] */
    VMA_SHM       = 1u << 3,  /* a SysV shm segment */
    VMA_HOSTMAP   = 1u << 4,  /* pages are a host file mapping */
    VMA_GROWSDOWN = 1u << 5,  /* MAP_GROWSDOWN (no automatic growth) */
    VMA_DONTFORK  = 1u << 6,  /* madvise flags kept for completeness */
};

/* Flags that must match for two VMAs to merge (all of them). */
#define VMA_MERGE_MASK 0xffffffffu

struct vma_sharer {
    struct process_vm *vm;
    uint32_t perms;     /* this process's current view */
    uint32_t max_perms; /* what its attach allows (SHM_RDONLY: no write) */
    unsigned refs;
};

struct vm_area {
    struct rb_node rb;              /* in the chunk's VMA tree, by start */
    struct vm_range range;
    uint32_t perms;                 /* VM_PERM_* (host protection follows it) */
    uint32_t flags;                 /* enum vma_flag */
    struct process_vm *owner;       /* private access; NULL when shared */
    struct vma_sharer *sharers;     /* shared access */
    unsigned nr_sharers, cap_sharers;
    struct vm_file *file;           /* NULL: anonymous */
    uint64_t offset;                /* file offset of range.start */
    struct chunk *chunk;            /* the chunk holding it */
    void *shm;                      /* the shm segment (VMA_SHM) */
};

/* A new private VMA (file reference taken). NULL if out of memory. */
struct vm_area *vma_new(struct vm_range range, uint32_t perms, uint32_t flags,
                        struct process_vm *owner, struct vm_file *file,
                        uint64_t offset);
/* (Re)initialise a blank VMA as vma_new does (file reference taken). */
void vma_init(struct vm_area *v, struct vm_range range, uint32_t perms, uint32_t flags,
              struct process_vm *owner, struct vm_file *file, uint64_t offset);
/* Drop the file reference and free. */
void vma_free(struct vm_area *vma);

static inline size_t vma_size(const struct vm_area *v) { return vm_range_size(v->range); }

bool vma_is_shared_access(const struct vm_area *v);
/* Is `vm` allowed to see this VMA (its owner or one of its sharers)? */
bool vma_visible_to(const struct vm_area *v, const struct process_vm *vm);
/* The permissions `vm` has on this VMA (shared VMAs: the sharer's view). */
uint32_t vma_perms_for(const struct vm_area *v, const struct process_vm *vm);

/* Shared access: add/remove a sharer. 0, -ENOMEM; remove returns the
 * remaining number of sharers. */
int vma_add_sharer(struct vm_area *v, struct process_vm *vm, uint32_t perms,
                   uint32_t max_perms);
uint32_t vma_max_perms_for(const struct vm_area *v, const struct process_vm *vm);
int vma_remove_sharer(struct vm_area *v, struct process_vm *vm);
/* Union of all sharers' permissions (what the host must allow). */
uint32_t vma_sharers_perms(const struct vm_area *v);

/* Split `v` at `addr` (strictly inside): `v` keeps [start, addr) and `right`
 * (a blank VMA from vma_alloc_blank) becomes [addr, end) with the same
 * attributes (file reference taken, offset advanced). Private VMAs only. */
void vma_split(struct vm_area *v, uintptr_t addr, struct vm_area *right);
struct vm_area *vma_alloc_blank(void);

/* Can `a` (lower) and `b` (directly above it) be one VMA? Same owner,
 * permissions and flags, both anonymous or the same file with contiguous
 * offsets; never for shared-access VMAs. */
bool vma_can_merge(const struct vm_area *a, const struct vm_area *b);

/* File offset of `addr` inside the VMA. */
static inline uint64_t vma_offset_of(const struct vm_area *v, uintptr_t addr)
{
    return v->offset + (addr - v->range.start);
}

#endif
