/* The "flat" baseline for bench_vm: a memory manager the way Occlum's was
 * before the chunk design (and the way its free list still is): one
 * reserved region, ONE address-sorted vector of free ranges searched first
 * fit in O(n) and coalesced in O(n), and one address-sorted vector of VMAs
 * searched linearly. Host calls as onespace makes them for an anonymous
 * map: protect on mmap, give the pages back on munmap. Single-threaded. */
#ifndef BENCH_FLAT_VM_H
#define BENCH_FLAT_VM_H

#include <stddef.h>
#include <stdint.h>

struct flat_range {
    uintptr_t start, end;
};

struct flat_vma {
    uintptr_t start, end;
    int prot;
};

struct flat_vm {
    uintptr_t base;
    size_t size;
    struct flat_range *free;    /* sorted, disjoint, never adjacent */
    size_t nfree, cap_free;
    struct flat_vma *vmas;      /* sorted, disjoint */
    size_t nvmas, cap_vmas;
};

int flat_vm_create(struct flat_vm *f, size_t size);
void flat_vm_destroy(struct flat_vm *f);

/* mmap(NULL, len, prot) / munmap of exactly one whole VMA (what the
 * benchmark does): the address, or a negative errno. */
long flat_vm_mmap(struct flat_vm *f, size_t len, int prot);
int flat_vm_munmap(struct flat_vm *f, uintptr_t addr, size_t len);

/* Benchmark set-up without the O(n^2) of n calls: n one-page mappings
 * from the region's start with a one-page hole after every `group` of
 * them, protected as mmap would. Returns the address of the first one. */
uintptr_t flat_vm_fill(struct flat_vm *f, size_t n, size_t group, int prot);

#endif
