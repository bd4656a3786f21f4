/* Size + alignment of an allocation request. */
#ifndef ONESPACE_VM_VM_LAYOUT_H
#define ONESPACE_VM_VM_LAYOUT_H

#include <stddef.h>

struct vm_layout {
    size_t size;    /* bytes, page multiple, > 0 */
    size_t align;   /* power of two, >= page size */
};

/* 0 or -EINVAL (size 0 or not a page multiple, bad alignment). */
int vm_layout_init(struct vm_layout *l, size_t size, size_t align);

#endif
