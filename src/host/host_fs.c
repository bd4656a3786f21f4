/* Host file-system calls (see host_fs.h). */
#include "host/host_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RET(expr) do { long r_ = (long)(expr); return r_ < 0 ? -errno : r_; } while (0)

int host_fs_openat(int dirfd, const char *name, int flags, mode_t mode)
{
    RET(openat(dirfd, name, flags | O_CLOEXEC, mode));
}
int host_fs_fstatat(int dirfd, const char *name, struct stat *st, int flags)
{
    RET(fstatat(dirfd, name, st, flags));
}
int host_fs_mkdirat(int dirfd, const char *name, mode_t mode) { RET(mkdirat(dirfd, name, mode)); }
int host_fs_unlinkat(int dirfd, const char *name, int flags) { RET(unlinkat(dirfd, name, flags)); }
int host_fs_renameat2(int olddirfd, const char *oldname, int newdirfd,
                      const char *newname, unsigned flags)
{
    RET(syscall(SYS_renameat2, olddirfd, oldname, newdirfd, newname, flags));
}
int host_fs_linkat(int olddirfd, const char *oldname, int newdirfd,
                   const char *newname, int flags)
{
    RET(linkat(olddirfd, oldname, newdirfd, newname, flags));
}
int host_fs_symlinkat(const char *target, int dirfd, const char *name)
{
    RET(symlinkat(target, dirfd, name));
}
ssize_t host_fs_readlinkat(int dirfd, const char *name, char *buf, size_t len)
{
    RET(readlinkat(dirfd, name, buf, len));
}
ssize_t host_fs_getdents64(int fd, void *buf, size_t len)
{
    RET(syscall(SYS_getdents64, fd, buf, len));
}
int host_fs_ftruncate(int fd, off_t len) { RET(ftruncate(fd, len)); }
int host_fs_fallocate(int fd, int mode, off_t off, off_t len)
{
    RET(fallocate(fd, mode, off, len));
}
int host_fs_fsync(int fd, int datasync) { RET(datasync ? fdatasync(fd) : fsync(fd)); }
int host_fs_fchmodat(int dirfd, const char *name, mode_t mode, int flags)
{
    RET(fchmodat(dirfd, name, mode, flags));
}
int host_fs_fchownat(int dirfd, const char *name, uid_t uid, gid_t gid, int flags)
{
    RET(fchownat(dirfd, name, uid, gid, flags));
}
int host_fs_utimensat(int dirfd, const char *name, const struct timespec ts[2],
                      int flags)
{
    RET(utimensat(dirfd, name, ts, flags));
}
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
int host_fs_fchmodat2(int dirfd, const char *name, mode_t mode, int flags)
{
    RET(syscall(SYS_fchmodat2, dirfd, name, mode, flags));
}
int host_fs_fchmod(int fd, mode_t mode) { RET(fchmod(fd, mode)); }
int host_fs_fchown(int fd, uid_t uid, gid_t gid) { RET(fchown(fd, uid, gid)); }
int host_fs_fstatfs(int fd, struct statfs *st) { RET(fstatfs(fd, st)); }
int host_fs_faccessat(int dirfd, const char *name, int mode, int flags)
{
    RET(syscall(SYS_faccessat2, dirfd, name, mode, flags));
}

int host_fs_mkdtemp(char *templ)
{
    return mkdtemp(templ) ? 0 : -errno;
}

int host_fs_make_private_tmp(char *out, size_t len)
{
    const char *env = getenv("TMPDIR");
    const char *bases[] = { "/dev/shm", env && env[0] == '/' ? env : "/tmp", "/tmp" };
    int err = -ENOENT;
    for (size_t i = 0; i < 3; i++) {
        if ((size_t)snprintf(out, len, "%s/onespace-tmp-XXXXXX", bases[i]) >= len)
            return -ENAMETOOLONG;
        if (!mkdtemp(out)) {
            err = -errno;
            continue;
        }
        if (chmod(out, 01777) < 0) {
            err = -errno;
            rmdir(out);
            continue;
        }
        return 0;
    }
    return err;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int host_fs_remove_tree(const char *host_path)
{
    /* make every directory writable/searchable first is not needed: we own them */
    return nftw(host_path, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

ssize_t host_fs_read_whole(const char *host_path, char *buf, size_t len)
{
    int fd = open(host_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t done = 0;
    while (done < len) {
        ssize_t r = read(fd, buf + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (r == 0)
            break;
        done += (size_t)r;
    }
    close(fd);
    return (ssize_t)done;
}

int host_fs_uptime(struct timespec *ts)
{
    RET(clock_gettime(CLOCK_BOOTTIME, ts));
}
