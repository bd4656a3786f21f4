#include "vm/vm_range.h"

#include <errno.h>

#include "util/compiler.h"

/* x86-64 Linux TASK_SIZE with 4-level paging: 47-bit user addresses. */
#define USER_SPACE_END 0x800000000000UL

int vm_range_from_user(uintptr_t addr, size_t len, bool allow_empty, struct vm_range *out)
{
    if (!IS_ALIGNED(addr, PAGE_SIZE))
        return -EINVAL;
    if (len == 0) {
        if (!allow_empty)
            return -EINVAL;
        /* As mprotect/madvise: an empty range anywhere is fine. */
        *out = (struct vm_range){ addr, addr };
        return 0;
    }
    if (len > SIZE_MAX - (PAGE_SIZE - 1))
        return -ENOMEM;                       /* rounding up wraps */
    size_t size = ALIGN_UP(len, PAGE_SIZE);
    if (addr >= USER_SPACE_END || size > USER_SPACE_END - addr)
        return -ENOMEM;
    *out = (struct vm_range){ addr, addr + size };
    return 0;
}
