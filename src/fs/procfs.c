/* /proc (see procfs.h). */
#include "fs/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/vfs_internal.h"
#include "host/host_fs.h"

static _Atomic(const struct procfs_provider *) provider;

void procfs_set_provider(const struct procfs_provider *p)
{
    atomic_store(&provider, p);
}

static const struct procfs_provider *prov(void)
{
    return atomic_load(&provider);
}

static const char *const global_files[] = { "meminfo", "cpuinfo", "uptime", "stat",
                                            "loadavg", "version", "filesystems",
                                            "mounts" };
static const char *const pid_files[] = { "maps", "status", "stat", "cmdline", "environ",
                                         "mounts" };
#define NGLOBAL (sizeof global_files / sizeof global_files[0])
#define NPIDF (sizeof pid_files / sizeof pid_files[0])

/* Parse a decimal pid or fd at *s (no sign, no leading zeros); advance. */
static int parse_num(const char **s, long *out)
{
    const char *p = *s;
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
        return -ENOENT;
    long v = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (*p - '0');
        if (v > 0x7fffffff)
            return -ENOENT;
        p++;
    }
    if (*p && *p != '/')
        return -ENOENT;
    *s = p;
    *out = v;
    return 0;
}

int procfs_lookup(const char *rel, struct synth_node *n)
{
    const struct procfs_provider *pv = prov();
    if (!rel[0]) {
        n->type = SYN_DIR;
        n->mode = S_IFDIR | 0555;
        return 0;
    }
    for (size_t i = 0; i < NGLOBAL; i++)
        if (!strcmp(rel, global_files[i])) {
            n->type = SYN_REG;
            n->mode = S_IFREG | 0444;
            return 0;
        }
    if (!strcmp(rel, "self")) {
        if (!pv)
            return -ENOENT;
        n->type = SYN_LNK;
        n->mode = S_IFLNK | 0777;
        snprintf(n->target, sizeof n->target, "%d", (int)pv->self_pid());
        return 0;
    }
    long pid;
    const char *s = rel;
    if (!pv || parse_num(&s, &pid) < 0 || !pv->exists((pid_t)pid))
        return -ENOENT;
    n->pid = (pid_t)pid;
    if (!*s) {
        n->type = SYN_DIR;
        n->mode = S_IFDIR | 0555;
        return 0;
    }
    s++;
    for (size_t i = 0; i < NPIDF; i++)
        if (!strcmp(s, pid_files[i])) {
            n->type = SYN_REG;
            n->mode = S_IFREG | 0444;
            return 0;
        }
    if (!strcmp(s, "exe")) {
        ssize_t r = pv->exe(n->pid, n->target, sizeof n->target);
        if (r < 0)
            return (int)r;
        n->type = SYN_LNK;
        n->mode = S_IFLNK | 0777;
        return 0;
    }
    if (!strcmp(s, "root")) {
        n->type = SYN_LNK;
        n->mode = S_IFLNK | 0777;
        strcpy(n->target, "/");
        return 0;
    }
    if (!strcmp(s, "cwd") && pv->cwd) {
        ssize_t r = pv->cwd(n->pid, n->target, sizeof n->target);
        if (r < 0)
            return (int)r;
        n->type = SYN_LNK;
        n->mode = S_IFLNK | 0777;
        return 0;
    }
    if (!strncmp(s, "fd", 2) && (!s[2] || s[2] == '/')) {
        if (!s[2]) {
            n->type = SYN_DIR;
            n->mode = S_IFDIR | 0500;
            return 0;
        }
        s += 3;
        long fd;
        if (parse_num(&s, &fd) < 0 || *s)
            return -ENOENT;
        int r = pv->fd_link(n->pid, (int)fd, n->target, sizeof n->target);
        if (r < 0)
            return -ENOENT;
        n->type = SYN_FDLINK;
        n->fd = (int)fd;
        n->mode = S_IFLNK | 0700;
        return 0;
    }
    return -ENOENT;
}

int procfs_list(const char *rel, synth_add_fn add, void *ctx)
{
    const struct procfs_provider *pv = prov();
    struct synth_node *n = malloc(sizeof *n);
    if (!n)
        return -ENOMEM;
    int r = procfs_lookup(rel, n);
    if (r == 0 && n->type != SYN_DIR)
        r = -ENOTDIR;
    char name[32];
    if (r == 0 && !rel[0]) {
        for (size_t i = 0; i < NGLOBAL; i++)
            add(ctx, global_files[i], DT_REG);
        if (pv) {
            add(ctx, "self", DT_LNK);
            pid_t pids[1024];
            int np = pv->list_pids(pids, 1024);
            for (int i = 0; i < np; i++) {
                snprintf(name, sizeof name, "%d", (int)pids[i]);
                add(ctx, name, DT_DIR);
            }
        }
    } else if (r == 0 && !strchr(rel, '/')) {
        for (size_t i = 0; i < NPIDF; i++)
            add(ctx, pid_files[i], DT_REG);
        add(ctx, "exe", DT_LNK);
        add(ctx, "root", DT_LNK);
        if (pv->cwd)
            add(ctx, "cwd", DT_LNK);
        add(ctx, "fd", DT_DIR);
    } else if (r == 0) {
        int *fds = malloc(sizeof *fds * 4096);
        if (!fds) {
            free(n);
            return -ENOMEM;
        }
        int nf = pv->list_fds(n->pid, fds, 4096);
        for (int i = 0; i < nf; i++) {
            snprintf(name, sizeof name, "%d", fds[i]);
            add(ctx, name, DT_LNK);
        }
        free(fds);
    }
    free(n);
    return r;
}

int procfs_fd_file(pid_t pid, int fd, struct file **out)
{
    const struct procfs_provider *pv = prov();
    if (!pv || !pv->fd_file)
        return -ENXIO;
    return pv->fd_file(pid, fd, out);
}

/* Render a global file into a malloc'd buffer: its length. */
static ssize_t render_global(const char *name, char **out)
{
    size_t cap = 1 << 16;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    ssize_t r;
    if (!strcmp(name, "mounts")) {
        r = snprintf(buf, cap, "onespace / onespace rw 0 0\n"
                               "devfs /dev devtmpfs rw,nosuid 0 0\n"
                               "proc /proc proc rw,nosuid,nodev,noexec 0 0\n");
    } else if (!strcmp(name, "uptime")) {
        struct timespec ts;
        r = host_fs_uptime(&ts);
        if (r == 0)
            r = snprintf(buf, cap, "%ld.%02ld %ld.%02ld\n", (long)ts.tv_sec,
                         ts.tv_nsec / 10000000, (long)ts.tv_sec,
                         ts.tv_nsec / 10000000);
    } else {
        char hp[64];
        snprintf(hp, sizeof hp, "/proc/%s", name);
        for (;;) {
            r = host_fs_read_whole(hp, buf, cap);
            if (r < (ssize_t)cap)
                break;
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                r = -ENOMEM;
                break;
            }
            buf = nb;
        }
    }
    if (r < 0) {
        free(buf);
        return r;
    }
    *out = buf;
    return r;
}

static ssize_t render_pid(pid_t pid, const char *name, char **out)
{
    const struct procfs_provider *pv = prov();
    size_t cap = 4096;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf)
            return -ENOMEM;
        ssize_t r = pv->render(pid, name, buf, cap);
        if (r >= 0 && (size_t)r <= cap) {
            *out = buf;
            return r;
        }
        free(buf);
        if (r < 0)
            return r;
        cap = (size_t)r;
    }
}

int procfs_open(const char *rel, const struct synth_node *n, int flags,
                const char *path, struct file **out)
{
    if (n->type == SYN_DIR)
        return vfs_dir_create(VFS_MNT_PROC, -1, flags, path, out);
    if (n->type == SYN_FDLINK)
        return procfs_fd_file(n->pid, n->fd, out);
    if (n->type != SYN_REG)
        return -ENOENT;
    if ((flags & O_ACCMODE) != O_RDONLY)
        return -EACCES;
    const char *slash = strrchr(rel, '/');
    char *buf = NULL;
    ssize_t len = slash && strcmp(slash + 1, "mounts")
                      ? render_pid(n->pid, slash + 1, &buf)
                      : render_global(slash ? slash + 1 : rel, &buf);
    if (len < 0)
        return (int)len;
    return snapshot_file_create(buf, (size_t)len, flags, path, VFS_MNT_PROC,
                                n->mode, out);
}
