/* /proc: its per-process content comes from the process layer through a
 * provider; /proc/meminfo, cpuinfo, stat, loadavg, version and
 * filesystems are the host's; /proc/uptime is the host's boot time;
 * /proc/mounts lists onespace's mounts. Files are read-only snapshots taken at open.
 *
 * Layout: /proc/self -> <pid of the caller>; /proc/<pid>/{maps,status,
 * stat,cmdline,environ} (render), /proc/<pid>/mounts (ours),
 * /proc/<pid>/exe (a symlink to exe()), /proc/<pid>/cwd (cwd(), if
 * provided), /proc/<pid>/root -> /,
 * /proc/<pid>/fd/<n> (a magic link: its text is fd_link(); opening it
 * opens the same file as fd n when fd_file is provided). */
#ifndef ONESPACE_FS_PROCFS_H
#define ONESPACE_FS_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

struct file;

struct procfs_provider {
    /* The calling process's pid. */
    pid_t (*self_pid)(void);
    /* Up to max live pids into out: the count. */
    int (*list_pids)(pid_t *out, int max);
    /* 1 if pid is a live process, else 0. */
    int (*exists)(pid_t pid);
    /* Render the file `name` ("maps", "status", "stat", "cmdline",
     * "environ") of pid into buf[len]: the full length needed (may be
     * > len: procfs then retries with a bigger buffer), or -ENOENT. */
    ssize_t (*render)(pid_t pid, const char *name, char *buf, size_t len);
    /* The guest path of pid's program into buf (NUL-terminated): its
     * length, or a negative errno. */
    ssize_t (*exe)(pid_t pid, char *buf, size_t len);
    /* The link text of /proc/pid/fd/fd ("/path", "pipe:[N]", "socket:[N]",
     * ...), NUL-terminated: its length, or -ENOENT / -EBADF. */
    int (*fd_link)(pid_t pid, int fd, char *buf, size_t len);
    /* Up to max open fds of pid, ascending: the count. */
    int (*list_fds)(pid_t pid, int *out, int max);
    /* Optional: the File behind fd of pid (a new reference), for opening
     * /proc/pid/fd/N and /dev/stdin... */
    int (*fd_file)(pid_t pid, int fd, struct file **out);
    /* Optional: pid's cwd (vfs_getcwd of its fs_ctx) into buf, for the
     * /proc/pid/cwd link: its length, or a negative errno. */
    ssize_t (*cwd)(pid_t pid, char *buf, size_t len);
};

/* Set (or, with NULL, clear) the provider. Without one, /proc has only the
 * host-derived files and /proc/self does not exist. `p` must stay valid. */
void procfs_set_provider(const struct procfs_provider *p);

#endif
