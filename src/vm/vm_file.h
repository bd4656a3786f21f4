/* What the memory manager needs from a file to map it. The fs layer embeds
 * a struct vm_file in its File objects; tests use host temporary files. */
#ifndef ONESPACE_VM_VM_FILE_H
#define ONESPACE_VM_VM_FILE_H

#include <stdint.h>
#include <sys/types.h>

struct vm_file;

struct vm_file_ops {
    /* Read/write at an offset; return bytes done or a negative errno. */
    ssize_t (*read_at)(struct vm_file *f, void *buf, size_t len, uint64_t off);
    ssize_t (*write_at)(struct vm_file *f, const void *buf, size_t len, uint64_t off);
    /* Host fd backing the file, or a negative errno if there is none. A file
     * with a host fd is mapped with the host's mmap, which makes MAP_SHARED
     * coherent between processes and with read/write for free. Optional. */
    int (*host_fd)(struct vm_file *f);
    /* Current length in bytes, or a negative errno. */
    int64_t (*length)(struct vm_file *f);
    /* Reference counting: a VMA holds a reference while it maps the file. */
    void (*get)(struct vm_file *f);
    void (*put)(struct vm_file *f);
    /* Optional: the path shown in /proc/<pid>/maps (NULL: none). The
     * string must live as long as the file. */
    const char *(*path)(struct vm_file *f);
};

struct vm_file {
    const struct vm_file_ops *ops;
    int access;     /* O_RDONLY, O_WRONLY or O_RDWR: what the fd allows */
};

#endif
