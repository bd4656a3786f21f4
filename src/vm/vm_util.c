#include "vm/vm_util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <sys/mman.h>

#include "util/compiler.h"
#include "vm/vm_area.h"
#include "vm/vm_perms.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MAP_ABOVE4G
#define MAP_ABOVE4G 0x80
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#define MAP_HUGE_1GB (30 << 26)
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define MAP_TYPE_MASK 0x0f

/* Linux's LEGACY_MAP_MASK: what MAP_SHARED_VALIDATE accepts. */
#define LEGACY_MAP_MASK                                                        \
    (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE |    \
     MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED |         \
     MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |   \
     MAP_32BIT | MAP_ABOVE4G | MAP_HUGE_2MB | MAP_HUGE_1GB)

int vm_file_host_fd(struct vm_file *f)
{
    if (!f || !f->ops || !f->ops->host_fd)
        return -ENODEV;
    return f->ops->host_fd(f);
}

bool vm_file_readable(const struct vm_file *f)
{
    return (f->access & O_ACCMODE) == O_RDONLY || (f->access & O_ACCMODE) == O_RDWR;
}

bool vm_file_writable(const struct vm_file *f)
{
    return (f->access & O_ACCMODE) == O_WRONLY || (f->access & O_ACCMODE) == O_RDWR;
}

const char *vm_file_path(struct vm_file *f)
{
    if (!f || !f->ops || !f->ops->path)
        return NULL;
    return f->ops->path(f);
}

int vm_mmap_req_parse(uintptr_t addr, size_t len, int prot, int flags,
                      struct vm_file *file, uint64_t offset, struct vm_mmap_req *out)
{
    bool anon = flags & MAP_ANONYMOUS;

    /* The order follows Linux (sys_mmap, ksys_mmap_pgoff, do_mmap). */
    if (!IS_ALIGNED(offset, PAGE_SIZE))
        return -EINVAL;
    if (!anon && !file)
        return -EBADF;
    if (anon)
        file = NULL;
    if (anon && (flags & MAP_HUGETLB))
        return -ENOMEM;     /* as a host without reserved huge pages */
    if (len == 0)
        return -EINVAL;

    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (len > SIZE_MAX - (PAGE_SIZE - 1))
        return -ENOMEM;
    size_t size = ALIGN_UP(len, PAGE_SIZE);
    uint64_t pgoff = offset >> PAGE_SHIFT;
    if (pgoff + (size >> PAGE_SHIFT) < pgoff)
        return -EOVERFLOW;
    if (size > VM_TASK_SIZE)
        return -ENOMEM;
    if (fixed) {
        if (addr > VM_TASK_SIZE - size)
            return -ENOMEM;
        if (!IS_ALIGNED(addr, PAGE_SIZE))
            return -EINVAL;
    } else {
        addr = ALIGN_DOWN(addr, PAGE_SIZE);
        if (addr > VM_TASK_SIZE - size)
            addr = 0;
    }

    uint32_t vma_flags = 0;
    int type = flags & MAP_TYPE_MASK;
    int host_fd = -1;
    /* MAP_SYNC needs a DAX file; Linux 6.x refuses it for every other
     * file, shared or private (measured). */
    bool sync = flags & MAP_SYNC;
    if (file) {
        switch (type) {
        case MAP_SHARED:
            flags &= LEGACY_MAP_MASK | MAP_FIXED_NOREPLACE;
            /* fall through */
        case MAP_SHARED_VALIDATE:
            if (flags & ~(LEGACY_MAP_MASK | MAP_FIXED_NOREPLACE))
                return -EOPNOTSUPP;
            if ((prot & PROT_WRITE) && !vm_file_writable(file))
                return -EACCES;
            vma_flags |= VMA_SHARED;
            /* fall through */
        case MAP_PRIVATE:
            if (!vm_file_readable(file))
                return -EACCES;
            break;
        default:
            return -EINVAL;
        }
        if (sync)
            return -EOPNOTSUPP;
        /* Linux's file_mmap_ok(): the end must fit a file offset. */
        if (offset > (uint64_t)INT64_MAX - size)
            return -EOVERFLOW;
        host_fd = vm_file_host_fd(file);
        if (host_fd < 0) {
            host_fd = -1;
            /* Shared maps must be coherent: only a host mapping gives that. */
            if (vma_flags & VMA_SHARED)
                return -ENODEV;
            if (!file->ops || !file->ops->read_at)
                return -ENODEV;
        }
    } else {
        /* Linux: MAP_SHARED_VALIDATE is for files only (EINVAL here). */
        switch (type) {
        case MAP_SHARED:
            if (flags & MAP_GROWSDOWN)
                return -EINVAL;
            vma_flags |= VMA_SHARED;
            break;
        case MAP_DROPPABLE:     /* never dropped here: a valid behaviour */
        case MAP_PRIVATE:
            break;
        default:
            return -EINVAL;
        }
    }
    if (flags & MAP_GROWSDOWN)
        vma_flags |= VMA_GROWSDOWN;

    enum vm_addr_kind kind = VM_ADDR_ANY;
    if (flags & MAP_FIXED_NOREPLACE)
        kind = VM_ADDR_NEED;
    else if (flags & MAP_FIXED)
        kind = VM_ADDR_FORCE;
    else if (addr)
        kind = VM_ADDR_HINT;

    *out = (struct vm_mmap_req){
        .kind = kind,
        .addr = kind == VM_ADDR_ANY ? 0 : addr,
        .size = size,
        .perms = (uint32_t)prot & VM_PERM_RWX,
        .vma_flags = vma_flags,
        .file = file,
        .offset = file ? offset : 0,
        .host_fd = host_fd,
        .populate = (flags & (MAP_POPULATE | MAP_LOCKED)) && !(flags & MAP_NONBLOCK),
        .low_2g = (flags & MAP_32BIT) && !fixed,
    };
    return 0;
}

int vm_mremap_req_parse(uintptr_t old_addr, size_t old_len, size_t new_len, int flags,
                        uintptr_t new_addr, struct vm_mremap_req *out)
{
    /* Order as Linux's mremap(2). */
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
        return -EINVAL;
    if (!IS_ALIGNED(old_addr, PAGE_SIZE))
        return -EINVAL;
    if (old_len > SIZE_MAX - (PAGE_SIZE - 1) || new_len > SIZE_MAX - (PAGE_SIZE - 1))
        return -EINVAL;
    old_len = ALIGN_UP(old_len, PAGE_SIZE);
    new_len = ALIGN_UP(new_len, PAGE_SIZE);
    if (new_len == 0)
        return -EINVAL;
    bool to = flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
    if (flags & MREMAP_FIXED) {
        if (!IS_ALIGNED(new_addr, PAGE_SIZE))
            return -EINVAL;
        if (new_len > VM_TASK_SIZE || new_addr > VM_TASK_SIZE - new_len)
            return -EINVAL;
        if (old_addr + old_len > new_addr && new_addr + new_len > old_addr)
            return -EINVAL;
    }
    (void)to;
    *out = (struct vm_mremap_req){
        .old_addr = old_addr,
        .old_size = old_len,
        .new_size = new_len,
        .may_move = flags & MREMAP_MAYMOVE,
        .fixed = flags & MREMAP_FIXED,
        .dont_unmap = flags & MREMAP_DONTUNMAP,
        .new_addr = (flags & MREMAP_FIXED) ? new_addr : ALIGN_DOWN(new_addr, PAGE_SIZE),
    };
    return 0;
}

int vm_msync_flags_check(int flags)
{
    if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
        return -EINVAL;
    if ((flags & MS_ASYNC) && (flags & MS_SYNC))
        return -EINVAL;
    return 0;
}
