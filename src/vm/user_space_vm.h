/* The user-space pool: one host reservation of `user_space_size` bytes from
 * which every byte a guest sees is allocated (ELF images, stacks, heaps,
 * mmaps, shm). Owns the VMManager (chunks + global free space) and the SysV
 * shm manager. One per onespace instance; tests create several. */
#ifndef ONESPACE_VM_USER_SPACE_VM_H
#define ONESPACE_VM_USER_SPACE_VM_H

#include <stddef.h>
#include <stdint.h>

#include "vm/vm_range.h"

struct user_space_vm;

/* Added by vm-lazy: what munmap of a small piece in a multi-VMA chunk does
 * to the host protection of the freed pages (docs/vm.md). */
enum vm_unmap_protect {
    VM_UNMAP_PROTECT_DEFAULT = 0,   /* config: $ONESPACE_VM_UNMAP (strict|lazy),
                                       else LAZY; tuning: keep the current one */
    VM_UNMAP_PROTECT_STRICT,        /* PROT_NONE at once: a use after munmap faults */
    VM_UNMAP_PROTECT_LAZY,          /* kept until the pages are mapped again or
                                       flushed (dirty bound): no host call */
};

struct user_space_vm_config {
    size_t user_space_size;     /* bytes; 0 = default (see vm_util.h) */
    size_t chunk_size;          /* multi-VMA chunk size; 0 = 32 MiB */
    enum vm_unmap_protect unmap_protect;    /* added by vm-lazy */
};

struct user_space_vm_stats {
    size_t total_bytes;         /* size of the pool */
    size_t free_bytes;          /* pool bytes in no chunk */
    size_t nr_chunks;           /* chunks in use */
    size_t nr_single_chunks;
    size_t nr_multi_chunks;
    size_t nr_vmas;             /* VMAs in all chunks */
    size_t nr_shm_segments;
};

/* Reserve the pool from the host. 0 or -EINVAL (bad config), -ENOMEM. */
int user_space_vm_create(const struct user_space_vm_config *cfg,
                         struct user_space_vm **out);
/* Every process_vm must have been destroyed; shm segments are removed. */
void user_space_vm_destroy(struct user_space_vm *usv);

struct vm_range user_space_vm_range(const struct user_space_vm *usv);
void user_space_vm_get_stats(struct user_space_vm *usv, struct user_space_vm_stats *st);

/* Added by vm-core: placement and dirty-page policy knobs (docs/vm.md).
 * Zero fields keep the current value, except zero_memset_max. Call before
 * any process uses the pool. */
struct user_space_vm_tuning {
    size_t single_min;       /* mmaps this big get their own chunk (chunk_size/4) */
    size_t dirty_max;        /* dirty bytes a multi chunk may keep (1 MiB) */
    size_t release_min;      /* unmaps this big return pages at once (256 KiB) */
    size_t zero_memset_max;  /* reused dirty ranges up to this size that are
                                mapped writable are zeroed by memset instead of
                                being returned to the host (0 = never) */
    enum vm_unmap_protect unmap_protect;    /* added by vm-lazy; 0 = keep */
};
void user_space_vm_tune(struct user_space_vm *usv, const struct user_space_vm_tuning *t);

/* Added by vm-lazy: the unmap protection policy in force. */
enum vm_unmap_protect user_space_vm_unmap_protect(const struct user_space_vm *usv);

/* Check every invariant of the manager (chunks ordered and disjoint, free +
 * used = pool, every chunk's VMAs ordered, disjoint, inside it, and its free
 * space consistent). 0 or -EUCLEAN (logged). Takes the locks itself. */
int user_space_vm_check(struct user_space_vm *usv);

/* Added by vm-lazy, for tests: the host's protection of every page of the
 * pool (read from /proc/self/maps) is what the manager believes: a VMA's
 * protection, the recorded one of a lazily freed page, PROT_NONE for other
 * free pages. Only meaningful while no thread is inside the pool (a new
 * mapping is inserted before its host protection is set). 0, -EUCLEAN
 * (logged), or a host error. */
int user_space_vm_check_host(struct user_space_vm *usv);

#endif
