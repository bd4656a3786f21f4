/* Flat baseline manager (see flat_vm.h): linear vectors, first fit. */
#include "flat_vm.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_mem.h"
#include "util/compiler.h"

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *n = realloc(*v, c * elem);
    if (!n)
        return -ENOMEM;
    *v = n;
    *cap = c;
    return 0;
}

int flat_vm_create(struct flat_vm *f, size_t size)
{
    memset(f, 0, sizeof(*f));
    void *p;
    int err = host_mem_reserve(size, PAGE_SIZE, &p);
    if (err)
        return err;
    f->base = (uintptr_t)p;
    f->size = size;
    if (grow((void **)&f->free, &f->cap_free, 1, sizeof(*f->free)))
        return -ENOMEM;
    f->free[0] = (struct flat_range){ f->base, f->base + size };
    f->nfree = 1;
    return 0;
}

void flat_vm_destroy(struct flat_vm *f)
{
    host_mem_unreserve((void *)f->base, f->size);
    free(f->free);
    free(f->vmas);
}

long flat_vm_mmap(struct flat_vm *f, size_t len, int prot)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (grow((void **)&f->vmas, &f->cap_vmas, f->nvmas + 1, sizeof(*f->vmas)))
        return -ENOMEM;
    /* First fit, O(n). */
    size_t i = 0;
    while (i < f->nfree && f->free[i].end - f->free[i].start < len)
        i++;
    if (i == f->nfree)
        return -ENOMEM;
    uintptr_t start = f->free[i].start;
    f->free[i].start += len;
    if (f->free[i].start == f->free[i].end) {
        memmove(&f->free[i], &f->free[i + 1], (f->nfree - i - 1) * sizeof(*f->free));
        f->nfree--;
    }
    /* Linear VMA list: find the place, O(n), and make room, O(n). */
    size_t k = 0;
    while (k < f->nvmas && f->vmas[k].start < start)
        k++;
    memmove(&f->vmas[k + 1], &f->vmas[k], (f->nvmas - k) * sizeof(*f->vmas));
    f->vmas[k] = (struct flat_vma){ start, start + len, prot };
    f->nvmas++;
    int err = host_mem_protect((void *)start, len, prot);
    return err ? err : (long)start;
}

int flat_vm_munmap(struct flat_vm *f, uintptr_t addr, size_t len)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    size_t k = 0;
    while (k < f->nvmas && f->vmas[k].start != addr)
        k++;
    if (k == f->nvmas || f->vmas[k].end != addr + len)
        return -EINVAL;     /* the benchmark unmaps whole VMAs only */
    memmove(&f->vmas[k], &f->vmas[k + 1], (f->nvmas - k - 1) * sizeof(*f->vmas));
    f->nvmas--;
    int err = host_mem_release((void *)addr, len);
    if (err)
        return err;
    /* Give the range back: find its place, O(n), coalesce, O(n). */
    if (grow((void **)&f->free, &f->cap_free, f->nfree + 1, sizeof(*f->free)))
        return -ENOMEM;
    size_t i = 0;
    while (i < f->nfree && f->free[i].start < addr)
        i++;
    bool left = i > 0 && f->free[i - 1].end == addr;
    bool right = i < f->nfree && f->free[i].start == addr + len;
    if (left && right) {
        f->free[i - 1].end = f->free[i].end;
        memmove(&f->free[i], &f->free[i + 1], (f->nfree - i - 1) * sizeof(*f->free));
        f->nfree--;
    } else if (left) {
        f->free[i - 1].end = addr + len;
    } else if (right) {
        f->free[i].start = addr;
    } else {
        memmove(&f->free[i + 1], &f->free[i], (f->nfree - i) * sizeof(*f->free));
        f->free[i] = (struct flat_range){ addr, addr + len };
        f->nfree++;
    }
    return 0;
}

uintptr_t flat_vm_fill(struct flat_vm *f, size_t n, size_t group, int prot)
{
    size_t holes = n / group, pages = n + holes;
    uintptr_t first = f->free[0].start, end = f->free[0].end;
    if (grow((void **)&f->vmas, &f->cap_vmas, f->nvmas + n + 1, sizeof(*f->vmas)) ||
        grow((void **)&f->free, &f->cap_free, holes + 2, sizeof(*f->free)) ||
        f->nfree != 1 || n == 0 || pages * PAGE_SIZE >= end - first)
        return 0;
    f->nfree = 0;
    uintptr_t s = first;
    for (size_t i = 0; i < n; i++) {
        f->vmas[f->nvmas++] = (struct flat_vma){ s, s + PAGE_SIZE, prot };
        s += PAGE_SIZE;
        if ((i + 1) % group == 0) {
            f->free[f->nfree++] = (struct flat_range){ s, s + PAGE_SIZE };
            s += PAGE_SIZE;
        }
    }
    host_mem_protect((void *)first, s - first, prot);
    /* The tail of the region, merged with a last hole that touches it. */
    if (f->nfree && f->free[f->nfree - 1].end == s)
        f->free[f->nfree - 1].end = end;
    else
        f->free[f->nfree++] = (struct flat_range){ s, end };
    for (size_t i = 0; i < f->nfree; i++)     /* the holes are not mapped */
        if (f->free[i].end - f->free[i].start == PAGE_SIZE)
            host_mem_protect((void *)f->free[i].start, PAGE_SIZE, 0);
    return first;
}
