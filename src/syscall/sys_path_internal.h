/* Helpers shared by sys_path*.c. */
#ifndef ONESPACE_SYSCALL_SYS_PATH_INTERNAL_H
#define ONESPACE_SYSCALL_SYS_PATH_INTERNAL_H

#include <fcntl.h>
#include <limits.h>

#include "fs/fd_table.h"
#include "fs/file.h"
#include "fs/vfs.h"
#include "process/process.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"

/* A guest path plus the File of its dirfd (NULL for AT_FDCWD, or when the
 * path is absolute: Linux then ignores dirfd). */
struct upath {
    char path[PATH_MAX];
    struct file *dir;
};

/* Copy the guest path at `uaddr` and look up dirfd. allow_empty: the
 * AT_EMPTY_PATH case ("" means dirfd itself; then dirfd must be valid
 * unless it is AT_FDCWD). */
static inline long upath_get(struct thread *self, int dirfd, uint64_t uaddr,
                             int allow_empty, struct upath *u)
{
    u->dir = NULL;
    long r = uaccess_path(self->proc, u->path, (uintptr_t)uaddr, allow_empty);
    if (r < 0)
        return r;
    if (u->path[0] == '/' || dirfd == AT_FDCWD)
        return 0;
    return fd_table_get_file(self->proc->fds, dirfd, &u->dir);
}

static inline void upath_put(struct upath *u)
{
    if (u->dir)
        file_put(u->dir);
}

#define SELF_FS (self->proc->fs)

void sys_register_path_stat(sys_fn *table);

#endif
