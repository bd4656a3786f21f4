/* Private to src/vm: the ProcessVM object and the helpers its modules
 * (process_vm*.c, shm_manager.c) share. See process_vm.c for the locking. */
#ifndef ONESPACE_VM_PROCESS_VM_INTERNAL_H
#define ONESPACE_VM_PROCESS_VM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/list.h"
#include "util/rbtree.h"
#include "vm/chunk.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm_internal.h"
#include "vm/vm_area.h"
#include "vm/vm_util.h"

/* A chunk this process uses (has VMAs in, or keeps as its spare). */
struct chunk_ref {
    struct rb_node rb;          /* vm->refs, by chunk start */
    struct chunk *chunk;
    size_t nr_vmas;             /* this process's VMAs in the chunk */
    struct list_head link;      /* vm->multi_refs (multi chunks only) */
};

#define VM_BLANK_CACHE 8

struct process_vm {
    struct user_space_vm *usv;
    pid_t pid;
    pthread_mutex_t lock;           /* the process lock */
    struct rb_tree refs;            /* struct chunk_ref, by chunk start */
    size_t nr_refs;
    struct list_head multi_refs;    /* refs to multi chunks, most recent first */
    struct chunk_ref *spare;        /* a multi chunk it emptied, kept for reuse */
    struct list_head trim_list;     /* its single chunks with free space */
    struct chunk *heap;             /* brk heap chunk, or NULL */
    uintptr_t brk;                  /* the guest's break (byte exact) */
    struct vm_area *blank[VM_BLANK_CACHE];
    unsigned nr_blank;
    /* Zeroing reused dirty pages (process_vm.c zero_small): memset or
     * discard, as the last residency sample suggested. */
    bool zero_by_memset;
    unsigned zero_sample_in;
    /* The syscall fast path's stub area in this address space (entry
     * layer, process_vm_fast_stubs): base address, bytes used, an id. */
    uintptr_t fast_stubs[3];
    /* Added by bigtests (vm_stats.h): bytes of this process's own VMAs
     * (not shm), now and at most; its program (for the stats report). */
    size_t mapped_bytes, peak_bytes;
    char name[64];
};

/* The process's own mappings grew or shrank by `delta` bytes (process lock
 * held). */
static inline void vm_account(struct process_vm *vm, ptrdiff_t delta)
{
    vm->mapped_bytes += (size_t)delta;
    if (vm->mapped_bytes > vm->peak_bytes)
        vm->peak_bytes = vm->mapped_bytes;
}

/* How unmapping treats the host protection of a small piece in a multi
 * chunk (release_piece). */
enum unmap_how {
    UNMAP_BY_POLICY,    /* the pool's policy (usv->unmap_protect) */
    UNMAP_STRICT,       /* PROT_NONE now: process exit, and undoing a failed
                           setup (the host protection is not known then) */
};

/* One call's state: preallocated VMAs, whether it holds the global lock,
 * and the multi chunks it took the job of freeing (free_pending). */
struct vm_op {
    struct process_vm *vm;
    struct user_space_vm *usv;
    bool have_global;
    enum unmap_how unmap_how;
    struct vm_area **blank;         /* reserved blank VMAs */
    unsigned nr_blank, cap_blank;
    struct vm_area *inline_blank[6];
    struct list_head to_free;       /* chunks, linked by trim_link */
    /* mmap under the global lock: the host work for the new ranges is
     * deferred until the global lock is dropped (setup_deferred). */
    bool defer_setup;
    unsigned nr_setups;
    struct {
        struct vm_range r;
        uint64_t offset;
        struct vm_old_pages old;
    } setups[8];
};

/* ---- process_vm.c ---- */
void op_init(struct vm_op *op, struct process_vm *vm, bool have_global);
/* Make sure op has n blank VMAs. 0 or -ENOMEM. */
int op_reserve(struct vm_op *op, unsigned n);
struct vm_area *op_take_blank(struct vm_op *op);
/* Return unused blanks to the process cache (process lock held). */
void op_release_blanks(struct vm_op *op);
/* Lock order helpers. lock_global_and_process takes both in order. */
void lock_global_and_process(struct process_vm *vm);
/* End of a call: process lock held (and global lock iff op->have_global).
 * Gives back address space (trim list, freeable chunks), taking the
 * global lock if needed, and unlocks everything. */
void op_finish(struct vm_op *op);

/* Free spare (empty, kept) multi chunks; global + process lock held. */
int reclaim_spare_chunks(struct vm_op *op);

struct chunk_ref *ref_find(const struct process_vm *vm, uintptr_t addr);
struct chunk_ref *ref_first_after(const struct process_vm *vm, uintptr_t addr);
struct chunk_ref *ref_next(const struct chunk_ref *r);
struct chunk_ref *ref_of_chunk(const struct process_vm *vm, const struct chunk *c);
/* Remove and free a reference (single chunks; process lock held). */
void ref_remove(struct process_vm *vm, struct chunk_ref *ref);
/* Find or create the ref to c (chunk lock NOT held; takes it for multi). */
int ref_get(struct process_vm *vm, struct chunk *c, struct chunk_ref **out);
/* After VMAs left the chunk (chunk unlocked): drop the ref if the process
 * has none left there (multi: maybe keep it as the spare). */
void ref_put_if_unused(struct vm_op *op, struct chunk_ref *ref);

/* Host protection for a VMA. */
int vma_host_prot(const struct vm_area *v);

/* Remove this process's VMAs (not shm) in r from one chunk (chunk locked by
 * the caller): host pages released or marked dirty, free space updated.
 * Needs up to 2 blanks in op. */
void unmap_in_chunk(struct vm_op *op, struct chunk_ref *ref, struct vm_range r);
/* Remove this process's VMAs in r everywhere (process lock held). shm
 * VMAs are detached if fully covered and op->have_global. Reserves the
 * blanks it needs: 0, or -ENOMEM with nothing changed. */
int unmap_range(struct vm_op *op, struct vm_range r);
/* Undo a new mapping whose setup failed or was never run: unmap_range
 * with UNMAP_STRICT (its host protection is unknown). */
void unmap_failed(struct vm_op *op, struct vm_range r);

/* Insert a new VMA for `range` into chunk c (locked, range free there),
 * merging with neighbours; *old tells whether old data may be there and
 * what host protection the pages have now. */
struct vm_area *insert_new_vma(struct vm_op *op, struct chunk_ref *ref, struct chunk *c,
                               struct vm_range range, const struct vm_mmap_req *req,
                               uint64_t offset, struct vm_old_pages *old);
/* Make a freshly inserted range what the guest asked for (zero, protect,
 * map or read the file, populate). On failure the caller unmaps it
 * (unmap_failed). */
int setup_new_range(struct vm_op *op, struct vm_range r, const struct vm_mmap_req *req,
                    uint64_t offset, struct vm_old_pages old);

/* setup_new_range now, or later if op->defer_setup (and room). */
int setup_or_defer(struct vm_op *op, struct vm_range r, const struct vm_mmap_req *req,
                   uint64_t offset, struct vm_old_pages old);
/* Run the deferred setups (process lock held); the first error. */
int setup_deferred(struct vm_op *op, const struct vm_mmap_req *req);

/* Walk the process's VMAs overlapping r, in address order, with each
 * chunk locked during its callback. fn returns non-zero to stop. */
int walk_vmas(struct process_vm *vm, struct vm_range r,
              int (*fn)(struct chunk_ref *ref, struct vm_area *v, void *arg), void *arg);

/* process_vm_mmap.c: place a new mapping (both locks held). */
long map_locked(struct vm_op *op, const struct vm_mmap_req *req);

/* shm_manager.c: detach the segment VMA v (global + process locks held,
 * chunk unlocked); drops the process's reference to the segment's chunk. */
void shm_detach_vma(struct vm_op *op, struct chunk_ref *ref, struct vm_area *v);
/* For /proc/pid/maps: the key and id of the segment behind a VMA's shm. */
key_t shm_vma_key(const void *seg);
int shm_vma_id(const void *seg);

#endif
