/* Moving pages between two ranges of the pool without copying them. */
#ifndef ONESPACE_HOST_HOST_MEM_MOVE_H
#define ONESPACE_HOST_HOST_MEM_MOVE_H

#include <stddef.h>

/* Move the pages of [from, from+size) to [to, to+size) (host mremap with
 * MREMAP_FIXED|MREMAP_DONTUNMAP): `to` gets the pages and the protection
 * of `from`; `from` stays mapped (so the reservation has no hole at any
 * moment) and reads zeros afterwards. Both ranges page aligned, disjoint,
 * `from` one private anonymous host mapping. 0 or -errno (nothing moved:
 * e.g. -EFAULT if `from` spans several host mappings, -EINVAL on kernels
 * before 5.7); the caller then copies. */
int host_mem_move(void *from, void *to, size_t size);

#endif
