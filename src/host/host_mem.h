/* Host memory: the only place that calls the host's mmap, mprotect and
 * madvise. Everything above works in terms of these calls.
 *
 * Ranges passed here must be page aligned. Functions return 0 or a negative
 * errno (the host's errno, negated). */
#ifndef ONESPACE_HOST_HOST_MEM_H
#define ONESPACE_HOST_HOST_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Host protection bits (same values as PROT_READ/WRITE/EXEC). */
enum {
    HOST_PROT_NONE  = 0,
    HOST_PROT_READ  = 1,
    HOST_PROT_WRITE = 2,
    HOST_PROT_EXEC  = 4,
};

/* Reserve `size` bytes of address space aligned to `align` (a power of two,
 * at least a page): PROT_NONE, nothing committed, no swap reserved. */
int host_mem_reserve(size_t size, size_t align, void **out);

/* Give a reserved range back to the host entirely (end of the pool). */
int host_mem_unreserve(void *addr, size_t size);

/* Set the host protection of a range (memory is committed lazily by the
 * host on first touch; reading untouched memory gives zeros). */
int host_mem_protect(void *addr, size_t size, int prot);

/* Return the pages of a range to the host and make them inaccessible. The
 * next time the range is made accessible it reads as zeros. Works on
 * anonymous and on file-mapped ranges (the range becomes anonymous again). */
int host_mem_release(void *addr, size_t size);

/* Drop the contents of an anonymous range without changing its protection:
 * the next read gives zeros, the pages go back to the host. */
int host_mem_discard(void *addr, size_t size);

/* Map `size` bytes of host file `fd` at `offset` over a reserved range,
 * shared (writes reach the file, coherent with other mappings and with
 * read/write of the file) or private (copy on write). */
int host_mem_map_file(void *addr, size_t size, int prot, int shared, int fd,
                      off_t offset);

/* Host msync of a file-mapped range (flags: MS_SYNC, MS_ASYNC, MS_INVALIDATE). */
int host_mem_sync(void *addr, size_t size, int flags);

/* Host mincore: one byte per page, bit 0 = resident. */
int host_mem_residency(void *addr, size_t size, unsigned char *vec);

/* Pass an madvise hint through (WILLNEED, RANDOM, SEQUENTIAL, NORMAL, ...). */
int host_mem_advise(void *addr, size_t size, int advice);

/* Fault in a range now (MAP_POPULATE): touch each page for reading or, if
 * `write`, for writing (the range must already be accessible that way). */
int host_mem_populate(void *addr, size_t size, int write);

#endif
