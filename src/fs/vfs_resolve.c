/* Path resolution, component by component (see docs/vfs.md).
 *
 * Confinement: the host only ever sees one component at a time, opened
 * with O_PATH|O_NOFOLLOW relative to a directory fd we hold. ".." is never
 * passed to the host: it pops our own stack of directory fds, which starts
 * at the guest root, so no path can leave the root. Symlinks are read with
 * readlinkat and spliced into the remaining path; absolute targets restart
 * at the guest root. /dev and /proc are synthetic mounts at the root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs/vfs_internal.h"
#include "host/host_fd.h"
#include "host/host_fs.h"

#define MAX_SYMLINKS 40

struct level {
    int fd;                     /* host dir fd (owned, except level 0), or -1 */
    int mnt;
    size_t plen;                /* canonical path length at this level */
};

struct walk {
    struct level *lv;
    int depth, cap;
    char path[PATH_MAX];        /* canonical path of the top level ("" = /) */
};

static const struct { const char *name; int mnt; } mounts[] = {
    { "dev", VFS_MNT_DEV },
    { "proc", VFS_MNT_PROC },
};

const char *vfs_synth_rel(const char *p)
{
    /* "/dev" -> "", "/dev/null" -> "null", "/proc/1/fd" -> "1/fd" */
    const char *s = strchr(p + 1, '/');
    return s ? s + 1 : "";
}

static int synth_lookup(int mnt, const char *rel, struct synth_node *n)
{
    memset(n, 0, offsetof(struct synth_node, target) + 1);
    return mnt == VFS_MNT_DEV ? devfs_lookup(rel, n) : procfs_lookup(rel, n);
}

static void pop(struct walk *w)
{
    if (w->depth == 0)
        return;
    struct level *l = &w->lv[w->depth];
    if (l->fd >= 0)
        host_fd_close(l->fd);
    w->depth--;
    w->path[w->lv[w->depth].plen] = 0;
}

static void pop_all(struct walk *w)
{
    while (w->depth > 0)
        pop(w);
}

static int push(struct walk *w, int fd, int mnt, const char *name)
{
    size_t cur = w->lv[w->depth].plen, nl = strlen(name);
    if (cur + 1 + nl >= PATH_MAX)
        return -ENAMETOOLONG;
    if (w->depth + 1 >= w->cap) {
        int ncap = w->cap * 2;
        struct level *n = realloc(w->lv, sizeof *n * (size_t)ncap);
        if (!n)
            return -ENOMEM;
        w->lv = n;
        w->cap = ncap;
    }
    w->path[cur] = '/';
    memcpy(w->path + cur + 1, name, nl + 1);
    w->depth++;
    w->lv[w->depth] = (struct level){ fd, mnt, cur + 1 + nl };
    return 0;
}

void vfs_loc_release(struct vfs_loc *loc)
{
    if (loc->dirfd >= 0)
        host_fd_close(loc->dirfd);
    if (loc->fd >= 0)
        host_fd_close(loc->fd);
    loc->dirfd = loc->fd = -1;
}

static int set_path(struct vfs_loc *loc, const char *canon, const char *name)
{
    size_t cl = strlen(canon);
    if (cl + 1 + strlen(name) >= PATH_MAX)
        return -ENAMETOOLONG;
    if (name[0]) {
        memcpy(loc->path, canon, cl);
        loc->path[cl] = '/';
        strcpy(loc->path + cl + 1, name);
    } else {
        strcpy(loc->path, cl ? canon : "/");
    }
    return 0;
}

/* The result is the top level itself (path ended in /, ".", ".."). */
static int result_top(struct walk *w, struct vfs_loc *loc)
{
    struct level *top = &w->lv[w->depth];
    loc->mnt = top->mnt;
    loc->exists = true;
    strcpy(loc->path, w->depth ? w->path : "/");
    if (!vfs_mnt_is_host(top->mnt)) {
        const char *slash = strrchr(loc->path, '/');
        snprintf(loc->name, sizeof loc->name, "%s", slash + 1);
        return synth_lookup(top->mnt, vfs_synth_rel(loc->path), &loc->node);
    }
    int fd = host_fd_dup(top->fd);
    if (fd < 0)
        return fd;
    loc->fd = fd;
    int r = host_fs_fstatat(fd, "", &loc->st, AT_EMPTY_PATH);
    if (r < 0)
        return r;
    if (w->depth == 0 || (w->depth == 1 && top->mnt == VFS_MNT_TMP)) {
        /* the root of a host mount: (dirfd, ".") is the directory itself */
        strcpy(loc->name, ".");
        loc->dirfd = host_fd_dup(top->fd);
    } else {
        const char *slash = strrchr(loc->path, '/');
        snprintf(loc->name, sizeof loc->name, "%s", slash + 1);
        loc->dirfd = host_fd_dup(w->lv[w->depth - 1].fd);
    }
    return loc->dirfd < 0 ? loc->dirfd : 0;
}

/* Build the starting remaining path: absolute, or base + "/" + path. */
static int start_path(struct fs_ctx *fs, struct file *dir, const char *path,
                      char *rest, size_t cap)
{
    if (path[0] == '/') {
        if (strlen(path) >= cap)
            return -ENAMETOOLONG;
        strcpy(rest, path);
        return 0;
    }
    char base[PATH_MAX];
    if (dir) {
        if (!file_is_vfs(dir))
            return -ENOTDIR;
        const char *p = vfs_file_path(dir);
        if (!p || !vfs_file_is_dir(dir))
            return -ENOTDIR;
        snprintf(base, sizeof base, "%s", p);
    } else {
        pthread_mutex_lock(&fs->lock);
        memcpy(base, fs->cwd, sizeof base);
        pthread_mutex_unlock(&fs->lock);
    }
    size_t bl = strlen(base), pl = strlen(path);
    if (bl + 1 + pl >= cap)
        return -ENAMETOOLONG;
    memcpy(rest, base, bl);
    rest[bl] = '/';
    memcpy(rest + bl + 1, path, pl + 1);
    return 0;
}

static int walk(struct fs_ctx *fs, struct walk *w, char *rest, int rflags,
                struct vfs_loc *loc)
{
    int links = 0;
    char *p = rest;
    char comp[NAME_MAX + 1];
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            return result_top(w, loc);
        char *end = strchrnul(p, '/');
        size_t cl = (size_t)(end - p);
        if (cl > NAME_MAX)
            return -ENAMETOOLONG;
        memcpy(comp, p, cl);
        comp[cl] = 0;
        char *next = end;
        while (*next == '/')
            next++;
        bool last = !*next;
        bool slash = last && *end == '/';
        p = next;
        if (last) {
            loc->trailing_slash = slash;
        }
        if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
            if (comp[1])
                pop(w);
            if (last) {
                loc->dots = comp[1] ? 2 : 1;
                return result_top(w, loc);
            }
            continue;
        }
        struct level *top = &w->lv[w->depth];
        int mnt = top->mnt;
        bool follow = !last || slash || (rflags & VFS_FOLLOW);

        if (w->depth == 0) {
            int m = -1;
            for (size_t i = 0; i < sizeof mounts / sizeof mounts[0]; i++)
                if (!strcmp(comp, mounts[i].name))
                    m = mounts[i].mnt;
            int tfd = -1;
            if (m < 0 && fs->tmp && !strcmp(comp, "tmp")) {
                tfd = host_fd_dup(fs->tmp->fd);
                if (tfd < 0)
                    return tfd;
                m = VFS_MNT_TMP;
            }
            if (m >= 0) {
                int r = push(w, tfd, m, comp);
                if (r < 0) {
                    if (tfd >= 0)
                        host_fd_close(tfd);
                    return r;
                }
                if (last)
                    return result_top(w, loc);
                continue;
            }
        }

        const char *link = NULL;
        char linkbuf[PATH_MAX];
        if (vfs_mnt_is_host(mnt)) {
            int fd = host_fs_openat(top->fd, comp, O_PATH | O_NOFOLLOW, 0);
            if (fd < 0) {
                if (fd == -ENOENT && last && (rflags & VFS_MAY_BE_MISSING)) {
                    loc->mnt = mnt;
                    loc->exists = false;
                    strcpy(loc->name, comp);
                    int r = set_path(loc, w->path, comp);
                    if (r < 0)
                        return r;
                    loc->dirfd = host_fd_dup(top->fd);
                    return loc->dirfd < 0 ? loc->dirfd : 0;
                }
                return fd;
            }
            struct stat st;
            int r = host_fs_fstatat(fd, "", &st, AT_EMPTY_PATH);
            if (r < 0) {
                host_fd_close(fd);
                return r;
            }
            if (S_ISLNK(st.st_mode) && follow) {
                ssize_t n = host_fs_readlinkat(fd, "", linkbuf, sizeof linkbuf - 1);
                host_fd_close(fd);
                if (n < 0)
                    return (int)n;
                linkbuf[n] = 0;
                link = linkbuf;
            } else if (S_ISDIR(st.st_mode) && !last) {
                r = push(w, fd, mnt, comp);
                if (r < 0) {
                    host_fd_close(fd);
                    return r;
                }
                continue;
            } else {
                if (!last) {
                    host_fd_close(fd);
                    return -ENOTDIR;
                }
                if (slash && !S_ISDIR(st.st_mode)) {
                    host_fd_close(fd);
                    return -ENOTDIR;
                }
                loc->mnt = mnt;
                loc->exists = true;
                loc->fd = fd;
                loc->st = st;
                strcpy(loc->name, comp);
                r = set_path(loc, w->path, comp);
                if (r < 0)
                    return r;
                loc->dirfd = host_fd_dup(top->fd);
                return loc->dirfd < 0 ? loc->dirfd : 0;
            }
        } else {
            char rel[PATH_MAX];
            const char *base = vfs_synth_rel(w->path);
            if ((size_t)snprintf(rel, sizeof rel, "%s%s%s", base, *base ? "/" : "",
                                 comp) >= sizeof rel)
                return -ENAMETOOLONG;
            struct synth_node *n = &loc->node;
            int r = synth_lookup(mnt, rel, n);
            if (r < 0) {
                if (r == -ENOENT && last && (rflags & VFS_MAY_BE_MISSING)) {
                    loc->mnt = mnt;
                    loc->exists = false;
                    strcpy(loc->name, comp);
                    return set_path(loc, w->path, comp);
                }
                return r;
            }
            bool is_link = n->type == SYN_LNK || (n->type == SYN_FDLINK && !last);
            if (is_link && follow) {
                strcpy(linkbuf, n->target);
                link = linkbuf;
            } else if (n->type == SYN_DIR && !last) {
                r = push(w, -1, mnt, comp);
                if (r < 0)
                    return r;
                continue;
            } else {
                if (!last || (slash && n->type != SYN_DIR && n->type != SYN_FDLINK))
                    return -ENOTDIR;
                loc->mnt = mnt;
                loc->exists = true;
                strcpy(loc->name, comp);
                /* SYN_FDLINK final + !follow: the link itself */
                if (n->type == SYN_FDLINK && !follow)
                    n->type = SYN_LNK;
                return set_path(loc, w->path, comp);
            }
        }

        /* Splice the link target in front of the rest. */
        if (++links > MAX_SYMLINKS)
            return -ELOOP;
        if (!link[0])
            return -ENOENT;
        size_t tl = strlen(link), rl = strlen(p);
        if (tl + 1 + rl + (slash ? 1 : 0) >= PATH_MAX)
            return -ENAMETOOLONG;
        /* p points into rest: move the remainder, then put the target. */
        char *tmp = rest;
        memmove(tmp + tl + 1, p, rl + 1);
        memcpy(tmp, link, tl);
        tmp[tl] = '/';
        if (rl == 0) {
            /* keep "must be a directory" if the original had a slash */
            tmp[tl] = slash ? '/' : 0;
            tmp[tl + 1] = 0;
        }
        p = tmp;
        if (link[0] == '/')
            pop_all(w);
        if (!last)
            continue;
    }
}

int vfs_resolve(struct fs_ctx *fs, struct file *dir, const char *path,
                int rflags, struct vfs_loc *loc)
{
    memset(loc, 0, offsetof(struct vfs_loc, node));
    loc->node.type = 0;
    loc->name[0] = loc->path[0] = 0;
    loc->dirfd = loc->fd = -1;
    if (!path[0])
        return -ENOENT;
    if (strlen(path) >= PATH_MAX)
        return -ENAMETOOLONG;
    char *rest = malloc(PATH_MAX * 2);
    if (!rest)
        return -ENOMEM;
    int r = start_path(fs, dir, path, rest, PATH_MAX * 2);
    if (r < 0) {
        free(rest);
        return r;
    }
    struct walk w = { .depth = 0, .cap = 16 };
    w.lv = malloc(sizeof *w.lv * (size_t)w.cap);
    if (!w.lv) {
        free(rest);
        return -ENOMEM;
    }
    w.lv[0] = (struct level){ fs->rootfd, VFS_MNT_HOST, 0 };
    w.path[0] = 0;
    r = walk(fs, &w, rest, rflags, loc);
    pop_all(&w);
    free(w.lv);
    free(rest);
    if (r < 0)
        vfs_loc_release(loc);
    return r;
}
