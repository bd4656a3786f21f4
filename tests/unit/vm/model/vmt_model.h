/* Page-granular reference model of a memory pool shared by several guest
 * processes, used by the randomized memory-manager tests (vmt_ = "vm test").
 *
 * Every page of the pool has one state: free, an anonymous/heap page owned
 * by one process slot, a reserved-but-unmapped heap page, or a page of a
 * SysV shm segment (attached by a set of slots, each with its own
 * protection). Each mapped page also carries the content tag the test wrote
 * into it (0 = the page must read as zeros).
 *
 * Pure bookkeeping: no host calls, no onespace calls, so it is linked into
 * every test of tests/unit/vm/ without pulling anything in. */
#ifndef VMT_MODEL_H
#define VMT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VMT_PAGE        4096UL
#define VMT_MAX_SLOTS   8
#define VMT_MAX_SEGS    16

enum vmt_kind {
    VMT_FREE = 0,
    VMT_ANON,       /* anonymous private mapping */
    VMT_HEAP,       /* brk heap, below the break */
    VMT_HEAP_RESV,  /* heap area above the break: the owner's, not mapped */
    VMT_SHM,        /* page of shm segment `owner` */
};

struct vmt_page {
    uint64_t tag;       /* content written by the test; 0 = zeros */
    uint32_t id;        /* which mmap created it ... */
    uint32_t lin;       /* ... and its page index there (Linux's vm_pgoff): Linux
                           merges neighbours only if both match up */
    uint32_t gen;       /* changed whenever a call changed part of a mapping:
                           Linux's pieces may then no longer merge (their
                           anon_vmas can differ) */
    int16_t owner;      /* slot (ANON/HEAP/HEAP_RESV) or segment (SHM) */
    uint8_t kind;
    uint8_t prot;       /* PROT_* of ANON/HEAP pages */
};

struct vmt_seg {
    bool live;          /* exists (created and not yet destroyed) */
    bool placed;        /* its address is known */
    bool rmid;          /* IPC_RMID asked */
    int key;
    int shmid;
    size_t size;        /* bytes asked at creation */
    size_t first, npages;
    uint32_t attached;  /* bitmask of slots */
    uint8_t prot[VMT_MAX_SLOTS];
};

struct vmt_proc {
    bool live;
    pid_t pid;
    bool heap;              /* init_heap done */
    size_t heap_first;      /* page index */
    size_t heap_max_pages;
    uintptr_t brk_bytes;    /* break, in bytes from heap start */
};

struct vmt_model {
    size_t npages;
    struct vmt_page *pg;
    struct vmt_proc proc[VMT_MAX_SLOTS];
    struct vmt_seg seg[VMT_MAX_SEGS];
    uint64_t next_tag;
    uint32_t next_id;
    uint32_t next_gen;
};

int vmt_model_init(struct vmt_model *m, size_t npages);
void vmt_model_fini(struct vmt_model *m);

static inline bool vmt_in_pool(const struct vmt_model *m, int64_t p)
{
    return p >= 0 && (size_t)p < m->npages;
}

/* Is page p mapped (or heap-reserved) for slot s? Pages outside the pool
 * are never anybody's. */
bool vmt_own(const struct vmt_model *m, int64_t p, int s);
/* The protection slot s sees on page p, or -1 if p is not mapped for s. */
int vmt_prot_of(const struct vmt_model *m, int64_t p, int s);
/* Page p holds something of another slot (or lies outside the pool). */
bool vmt_foreign(const struct vmt_model *m, int64_t p, int s);
bool vmt_is_free(const struct vmt_model *m, int64_t p);
bool vmt_range_free(const struct vmt_model *m, int64_t p, int64_t n);
size_t vmt_free_pages(const struct vmt_model *m);
size_t vmt_largest_free_run(const struct vmt_model *m);

/* State changes. Mapping sets the content to zeros. */
void vmt_map(struct vmt_model *m, size_t p, size_t n, int s, int prot,
             enum vmt_kind kind, uint32_t id);
void vmt_free_range(struct vmt_model *m, size_t p, size_t n);
/* An anonymous page goes away: free, or back to its heap area's reserve
 * (the area of process_vm_init_heap stays its process's). */
void vmt_release(struct vmt_model *m, size_t p, size_t n);
/* Could slot s map [p, p+n) at that address: free pages, or unused pages
 * of its own heap area? */
bool vmt_range_avail(const struct vmt_model *m, int64_t p, int64_t n, int s);
uint64_t vmt_new_tag(struct vmt_model *m);

/* Maximal runs of pages mapped for slot s with the same protection and the
 * same sharing, in address order: what /proc/<pid>/maps shows once
 * adjacent lines with equal permissions are merged. */
struct vmt_run {
    size_t first, npages;
    int prot;
    bool shared;
};
size_t vmt_runs(const struct vmt_model *m, int s, struct vmt_run *out, size_t max);

/* Writing and checking contents through a target's view of the pool. */
void vmt_write_tag(uintptr_t page_addr, uint64_t tag);
/* 0 if the page holds `tag` (0: is all zeros, fully checked if `full`). */
int vmt_check_tag(uintptr_t page_addr, uint64_t tag, bool full, uint64_t *found);

/* The same, but a fault (the host protection is not what the model says)
 * returns -2 instead of killing the test. Needs vmt_guard_install(). */
int vmt_guarded_write(uintptr_t page_addr, uint64_t tag);
int vmt_guarded_check(uintptr_t page_addr, uint64_t tag, bool full, uint64_t *found);
void vmt_guard_install(void);
void vmt_guard_remove(void);

/* Parse /proc/<pid>/maps style text: calls fn(start, end, "rwxp") per line
 * inside [lo, hi) (clipped). Returns the number of lines or -1. */
int vmt_parse_maps(const char *text, uintptr_t lo, uintptr_t hi,
                   void (*fn)(uintptr_t start, uintptr_t end, const char *perms,
                              void *arg),
                   void *arg);
/* Whole /proc/self/maps into a malloc'ed string (NULL on error). */
char *vmt_read_self_maps(void);

/* Splitmix64 generator. */
static inline uint64_t vmt_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint64_t vmt_below(uint64_t *state, uint64_t n)
{
    return n ? vmt_rand(state) % n : 0;
}

#endif
