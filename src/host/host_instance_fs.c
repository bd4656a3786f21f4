/* Host file-system calls of the `onespace` command (see host_instance_fs.h). */
#include "host/host_instance_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int host_instance_read_file(const char *path, size_t max, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int err = 0;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &st) < 0) {
        err = -errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        err = -EISDIR;
        goto out;
    }
    buf = malloc(max + 1);
    if (!buf) {
        err = -ENOMEM;
        goto out;
    }
    /* Read up to max+1 bytes so an over-long file is detected without
     * trusting st_size (pipes, /proc files). */
    for (;;) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            err = -errno;
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            err = -EFBIG;
            goto out;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return err;
}

int host_instance_create_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    const char *p = data;
    size_t done = 0;
    int err = 0;
    while (done < len) {
        ssize_t r = write(fd, p + done, len - done);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            err = -errno;
            break;
        }
        done += (size_t)r;
    }
    if (close(fd) < 0 && !err)
        err = -errno;
    if (err)
        unlink(path);
    return err;
}

int host_instance_mkdir(const char *path)
{
    if (mkdir(path, 0755) == 0)
        return 0;
    int err = -errno;
    if (err == -EEXIST) {
        int d = host_instance_is_dir(path);
        return d == 1 ? 0 : (d == 0 ? -ENOTDIR : d);
    }
    return err;
}

int host_instance_is_dir(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 1 : 0;
}

int host_instance_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) < 0 ? -errno : 0;
}
