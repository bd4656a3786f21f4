/* Host file-system calls of the `onespace` command, on the instance folder
 * (reading and creating onespace.json, making image/). Paths are host paths.
 * Every function returns 0/a value or a negative errno. */
#ifndef ONESPACE_HOST_HOST_INSTANCE_FS_H
#define ONESPACE_HOST_HOST_INSTANCE_FS_H

#include <stddef.h>

/* Reads a whole regular file (at most `max` bytes, else -EFBIG) into a
 * malloc'ed NUL-terminated buffer; *len excludes the NUL. */
int host_instance_read_file(const char *path, size_t max, char **out, size_t *len);

/* Creates `path` (O_EXCL: -EEXIST if it exists) with mode 0644 and writes
 * `len` bytes. A partly written file is removed. */
int host_instance_create_file(const char *path, const void *data, size_t len);

/* mkdir(path, 0755); an existing directory is not an error. */
int host_instance_mkdir(const char *path);

/* 1 if `path` is a directory, 0 if it exists but is not, -errno otherwise. */
int host_instance_is_dir(const char *path);

/* 0 if `path` exists (any type), -errno (-ENOENT...) otherwise. */
int host_instance_exists(const char *path);

#endif
