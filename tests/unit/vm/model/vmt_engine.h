/* Randomized model-based test engine for the memory manager.
 *
 * The engine generates random mmap/munmap/mprotect/mremap/brk/shm calls
 * for several process slots, asks the reference model (vmt_model.h) what
 * Linux semantics allow as the result, runs the call on every target (one
 * or two: onespace's process_vm, and/or native Linux syscalls in a scratch
 * region), checks each result, applies the outcome to the model, writes
 * content tags into writable pages, and checks the targets against the
 * model after every step.
 *
 * Targets are tables of function pointers, so this file does not depend on
 * the memory manager's code (the test file provides the onespace target). */
#ifndef VMT_ENGINE_H
#define VMT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>

#include "vmt_model.h"

/* What user_space_vm_get_stats reports (copied so this file needs no
 * onespace header). */
struct vmt_stats {
    size_t total_bytes, free_bytes, nr_chunks, nr_single_chunks, nr_multi_chunks;
    size_t nr_vmas, nr_shm_segments;
};

/* Addresses are absolute (target base + page offset * 4096). Results are
 * what the real call returns: an address/0, or a negative errno. Optional
 * entries are NULL when the target has no such thing (native Linux). */
struct vmt_target_ops {
    long (*mmap)(void *ctx, int slot, uintptr_t addr, size_t len, int prot, int flags);
    int (*munmap)(void *ctx, int slot, uintptr_t addr, size_t len);
    int (*mprotect)(void *ctx, int slot, uintptr_t addr, size_t len, int prot);
    long (*mremap)(void *ctx, int slot, uintptr_t old_addr, size_t old_len,
                   size_t new_len, int flags, uintptr_t new_addr);

    int (*proc_create)(void *ctx, int slot, pid_t pid);
    void (*proc_destroy)(void *ctx, int slot);
    int (*init_heap)(void *ctx, int slot, size_t max_size);
    uintptr_t (*brk)(void *ctx, int slot, uintptr_t addr);
    int (*shm_get)(void *ctx, int slot, key_t key, size_t size, int flg);
    long (*shm_attach)(void *ctx, int slot, int shmid, uintptr_t addr, int flg);
    int (*shm_detach)(void *ctx, int slot, uintptr_t addr);
    int (*shm_ctl)(void *ctx, int slot, int shmid, int cmd, struct shmid_ds *ds);
    int (*check_access)(void *ctx, int slot, uintptr_t addr, size_t len, int prot);
    ssize_t (*render_maps)(void *ctx, int slot, char *buf, size_t len);
    int (*check)(void *ctx);
    void (*stats)(void *ctx, struct vmt_stats *st);
};

struct vmt_target {
    const char *name;
    uintptr_t base;         /* address of pool page 0 */
    void *ctx;
    const struct vmt_target_ops *ops;
    bool native;            /* host memory outside the pool is not ours */
    bool lazy_unmap;        /* LAZY policy: freed pages may keep their host
                               protection until reused (docs/vm.md) */
};

struct vmt_config {
    uint64_t seed;
    unsigned long steps;    /* stop after this many steps ... */
    double seconds;         /* ... or this much time, if non-zero */
    size_t npages;          /* pool / scratch size in pages */
    int nslots;             /* process slots (1 in native mode) */
    size_t chunk_pages;     /* multi-VMA chunk size, for sizes near borders */
    bool native_mode;       /* only calls whose Linux result is defined by the
                               scratch region alone; Linux's partial mprotect */
    bool use_shm, use_brk, use_churn;
    size_t heap_max_pages;
    unsigned check_every;   /* period of the full (whole pool) checks */
    bool verbose;
    /* Replay instead of generating: run exactly these calls. */
    const struct vmt_call *replay;
    size_t nreplay;
    int record_fd;          /* > 0: every call is also written here, as made */
    unsigned tolerate;      /* VMT_KB_*: known bugs to step around */
};

/* Known bugs of the code under test, each with a reproducer in
 * test_vm_repro.c. By default the engine is strict; ONESPACE_VM_TOLERATE
 * (names below, comma separated, or "all") steps around them, counted, so
 * a run can go on looking for other bugs. */
enum {
    VMT_KB_MREMAP_RESERVE  = 1 << 0,    /* "mremap_reserve": mremap(FIXED) onto the
                                           caller's own pages can abort (op ran
                                           out of reserved VMAs) */
    VMT_KB_SHM_RMID        = 1 << 1,    /* "shm_rmid": a segment marked IPC_RMID but
                                           still attached is EINVAL for shmat,
                                           IPC_STAT and IPC_RMID */
    VMT_KB_SHM_UNATTACHED  = 1 << 2,    /* "shm_unattached": user_space_vm_check
                                           fails while a segment has no attacher */
    VMT_KB_MREMAP_INPLACE  = 1 << 3,    /* "mremap_inplace": growing a mapping in
                                           place stops at a chunk border (moves
                                           it, or ENOMEM without MAYMOVE) */
};
unsigned vmt_parse_tolerate(const char *s);

enum vmt_opkind {
    VMT_OP_MMAP, VMT_OP_MMAP_HINT, VMT_OP_MMAP_FIXED, VMT_OP_MMAP_NOREPLACE,
    VMT_OP_MUNMAP, VMT_OP_MPROTECT, VMT_OP_MREMAP, VMT_OP_MREMAP_FIXED,
    VMT_OP_BRK, VMT_OP_SHM, VMT_OP_WRITE, VMT_OP_CHURN, VMT_OP_BADARG,
    VMT_OP_COUNT
};

/* One generated call, with everything needed to run it again (replay). */
struct vmt_call {
    int kind;               /* enum vmt_opkind */
    int slot;
    int sub;                /* badarg case, shm sub-call */
    int prot, flags;
    int64_t p, n;           /* pages: the (old) range */
    int64_t q, new_n;       /* pages: the new range (mremap) */
    size_t len, new_len;    /* bytes as passed */
    uintptr_t skew;         /* hint offset inside the page */
    int key, seg;           /* shm */
    size_t size;
    int64_t off;            /* brk: byte offset from the heap start */
};

struct vmt_counters {
    unsigned long steps;
    unsigned long ops[VMT_OP_COUNT];
    unsigned long ok[VMT_OP_COUNT];
    unsigned long hint_free, hint_honoured;
    unsigned long inplace_possible, inplace_refused;
    unsigned long ambiguous, enomem_excused;
    unsigned long host_checks, fork_probes, full_sweeps;
    unsigned long skipped;  /* generated calls dropped (no valid range) */
    unsigned long tolerated;    /* known-bug outcomes stepped around */
};

/* What a failed run leaves for minimizing: the calls made (malloc'ed) and
 * the failure message. */
struct vmt_failure {
    struct vmt_call *calls;
    size_t ncalls;
    char msg[512];
};

/* Run one random sequence (or cfg->replay). Returns 0, or -1 after printing
 * what failed, the seed and the last steps; `fail` (optional) then gets the
 * calls and the message. */
int vmt_run(const struct vmt_config *cfg, struct vmt_target *const *targets, int ntargets,
            struct vmt_counters *out, struct vmt_failure *fail);

/* One line describing a call's arguments. */
void vmt_describe_call(const struct vmt_call *c, char *buf, size_t len);

/* The failure message with numbers blanked: "the same bug" for minimizing. */
void vmt_failure_signature(const char *msg, char *out, size_t len);

const char *vmt_opname(int kind);

#endif
