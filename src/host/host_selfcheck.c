/* host_selfcheck.h */
#include "host/host_selfcheck.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -errno;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int host_count_fds(void)
{
    int n = count_entries("/proc/self/fd");
    return n > 0 ? n - 1 : n;       /* opendir's own fd */
}

int host_count_threads(void) { return count_entries("/proc/self/task"); }

size_t host_malloc_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

void host_exit_now(int status) { _exit(status); }

void host_abort_now(void) { abort(); }

int host_make_temp_dir(char *templ) { return mkdtemp(templ) ? 0 : -errno; }

int host_make_dir(const char *path, unsigned mode)
{
    if (mkdir(path, 0700) < 0)
        return -errno;
    return chmod(path, (mode_t)mode) < 0 ? -errno : 0;
}

int host_copy_file(const char *from, const char *to, unsigned mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -errno;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    if (out < 0) {
        int e = -errno;
        close(in);
        return e;
    }
    int err = 0;
    char buf[65536];
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            err = r < 0 ? -errno : 0;
            break;
        }
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                err = -errno;
                break;
            }
            off += w;
        }
        if (err)
            break;
    }
    close(in);
    if (close(out) < 0 && !err)
        err = -errno;
    if (!err && chmod(to, (mode_t)mode) < 0)
        err = -errno;
    return err;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

int host_remove_tree(const char *path)
{
    return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}
