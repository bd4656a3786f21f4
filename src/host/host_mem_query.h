/* Reading back the host's view of our memory (added by vm-lazy, for
 * consistency checks in tests; not for hot paths: it parses
 * /proc/self/maps). */
#ifndef ONESPACE_HOST_HOST_MEM_QUERY_H
#define ONESPACE_HOST_HOST_MEM_QUERY_H

#include <stddef.h>
#include <stdint.h>

/* A page with no host mapping at all. */
#define HOST_PROT_ABSENT 0xff

/* The host protection (HOST_PROT_* bits) of every page of [lo, hi) (page
 * aligned) into prot[(addr - lo) / PAGE_SIZE]; HOST_PROT_ABSENT where
 * nothing is mapped. 0 or a negative errno. */
int host_mem_query_prot(uintptr_t lo, uintptr_t hi, uint8_t *prot);

#endif
