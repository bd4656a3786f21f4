#include "vm/vm_layout.h"

#include <errno.h>

#include "util/compiler.h"

int vm_layout_init(struct vm_layout *l, size_t size, size_t align)
{
    if (size == 0 || !IS_ALIGNED(size, PAGE_SIZE))
        return -EINVAL;
    if (!IS_POW2(align) || align < PAGE_SIZE)
        return -EINVAL;
    *l = (struct vm_layout){ .size = size, .align = align };
    return 0;
}
