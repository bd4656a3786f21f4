#include "host/host_mem.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/host_fault.h"
#include "util/compiler.h"

static int neg_errno(void) { return -errno; }

int host_mem_reserve(size_t size, size_t align, void **out)
{
    if (size == 0 || !IS_ALIGNED(size, PAGE_SIZE) || !IS_POW2(align) || align < PAGE_SIZE)
        return -EINVAL;
    /* Over-reserve, then trim both ends to get the alignment. */
    size_t total = size + align - PAGE_SIZE;
    if (total < size)
        return -ENOMEM;
    void *p = mmap(NULL, total, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return neg_errno();
    uintptr_t start = (uintptr_t)p, aligned = ALIGN_UP(start, align);
    if (aligned > start)
        munmap(p, aligned - start);
    uintptr_t end = start + total, want_end = aligned + size;
    if (end > want_end)
        munmap((void *)want_end, end - want_end);
    *out = (void *)aligned;
    return 0;
}

int host_mem_unreserve(void *addr, size_t size)
{
    return munmap(addr, size) == 0 ? 0 : neg_errno();
}

int host_mem_protect(void *addr, size_t size, int prot)
{
    int fault = host_fault_should_fail(HOST_FAULT_MEM_PROTECT);
    if (!fault && prot != PROT_NONE)
        fault = host_fault_should_fail(HOST_FAULT_MEM_COMMIT);
    if (fault)
        return fault;
    return mprotect(addr, size, prot) == 0 ? 0 : neg_errno();
}

int host_mem_release(void *addr, size_t size)
{
    /* A fixed anonymous PROT_NONE mapping drops the pages (or the file
     * mapping) and leaves the range reserved, in one host call. */
    void *p = mmap(addr, size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return p == MAP_FAILED ? neg_errno() : 0;
}

int host_mem_discard(void *addr, size_t size)
{
    return madvise(addr, size, MADV_DONTNEED) == 0 ? 0 : neg_errno();
}

int host_mem_map_file(void *addr, size_t size, int prot, int shared, int fd,
                      off_t offset)
{
    int fault = host_fault_should_fail(HOST_FAULT_MEM_COMMIT);
    if (fault)
        return fault;
    int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED;
    void *p = mmap(addr, size, prot, flags, fd, offset);
    return p == MAP_FAILED ? neg_errno() : 0;
}

int host_mem_sync(void *addr, size_t size, int flags)
{
    return msync(addr, size, flags) == 0 ? 0 : neg_errno();
}

int host_mem_residency(void *addr, size_t size, unsigned char *vec)
{
    return mincore(addr, size, vec) == 0 ? 0 : neg_errno();
}

int host_mem_advise(void *addr, size_t size, int advice)
{
    return madvise(addr, size, advice) == 0 ? 0 : neg_errno();
}

int host_mem_populate(void *addr, size_t size, int write)
{
    /* MADV_POPULATE_READ/WRITE (Linux 5.14) fault pages in without touching
     * them from user space; they fail cleanly on inaccessible ranges. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
    int advice = write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;
    return madvise(addr, size, advice) == 0 ? 0 : neg_errno();
}
