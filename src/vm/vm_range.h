/* A page-aligned address range [start, end). */
#ifndef ONESPACE_VM_VM_RANGE_H
#define ONESPACE_VM_VM_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm_range {
    uintptr_t start, end;
};

static inline struct vm_range vm_range_make(uintptr_t start, size_t size)
{
    return (struct vm_range){ start, start + size };
}
static inline size_t vm_range_size(struct vm_range r) { return r.end - r.start; }
static inline bool vm_range_empty(struct vm_range r) { return r.end <= r.start; }
static inline bool vm_range_contains_addr(struct vm_range r, uintptr_t a) { return a >= r.start && a < r.end; }
static inline bool vm_range_contains(struct vm_range outer, struct vm_range inner)
{
    return inner.start >= outer.start && inner.end <= outer.end;
}
static inline bool vm_range_overlaps(struct vm_range a, struct vm_range b)
{
    return a.start < b.end && b.start < a.end;
}
static inline struct vm_range vm_range_intersect(struct vm_range a, struct vm_range b)
{
    struct vm_range r = { a.start > b.start ? a.start : b.start,
                          a.end < b.end ? a.end : b.end };
    if (r.end < r.start)
        r.end = r.start;
    return r;
}

/* Check and build a range from a guest (addr, len): len is rounded up to
 * pages; returns 0, -EINVAL (addr unaligned, or len 0 when !allow_empty) or
 * -ENOMEM (wraps around or beyond the 47-bit user address space). */
int vm_range_from_user(uintptr_t addr, size_t len, bool allow_empty, struct vm_range *out);

#endif
