#include "host/host_mem_move.h"

#include <errno.h>
#include <sys/mman.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

int host_mem_move(void *from, void *to, size_t size)
{
    void *p = mremap(from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, to);
    if (p == MAP_FAILED)
        return -errno;
    return 0;
}
