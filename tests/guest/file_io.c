/* Files in /tmp and in the image (data/ fixtures put there by the runner;
 * cwd is the image root): open/write/read/lseek/pread/pwrite/ftruncate/
 * fstat/rename/unlink, O_APPEND, O_EXCL, readdir (sorted), mkdir/rmdir,
 * getcwd/chdir, symlink/readlink, dup/fcntl. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guest_check.h"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the sorted names in `path` (without . and ..), with a type mark. */
static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    CHECK(d != NULL, "opendir %s", path);
    char *names[64];
    int n = 0, dots = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            dots++;
            continue;
        }
        CHECK(n < 64, "too many entries");
        char mark = e->d_type == DT_DIR ? '/' : e->d_type == DT_LNK ? '@' :
                    e->d_type == DT_REG ? ' ' : '?';
        names[n] = malloc(strlen(e->d_name) + 2);
        sprintf(names[n], "%s%c", e->d_name, mark);
        n++;
    }
    CHECK(dots == 2, "%s: %d dot entries", path, dots);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    printf("dir %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" [%s]", names[i]);
        free(names[i]);
    }
    OUT("%s", "");
}

static void read_fixture(void)
{
    int fd = open("data/input.txt", O_RDONLY);
    CHECK(fd >= 0, "open data/input.txt");
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf);
    CHECK(n == 29 && memcmp(buf, "line one\nline two\nline three\n", 29) == 0,
          "fixture contents (%zd bytes)", n);
    CHECK(read(fd, buf, sizeof buf) == 0, "EOF");
    CHECK(lseek(fd, 5, SEEK_SET) == 5 && read(fd, buf, 3) == 3 && !memcmp(buf, "one", 3),
          "lseek SET");
    CHECK(lseek(fd, -6, SEEK_END) == 23 && read(fd, buf, 5) == 5 && !memcmp(buf, "three", 5),
          "lseek END");
    CHECK(lseek(fd, 0, SEEK_CUR) == 28, "lseek CUR");
    CHECK(pread(fd, buf, 4, 14) == 4 && !memcmp(buf, "two\n", 4), "pread");
    CHECK(lseek(fd, 0, SEEK_CUR) == 28, "pread moved the offset");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 29, "fstat");
    CHECK(write(fd, "x", 1) == -1 && errno == EBADF, "write to O_RDONLY fd");
    close(fd);
    CHECK(read(fd, buf, 1) == -1 && errno == EBADF, "read closed fd");

    FILE *f = fopen("data/input.txt", "r");
    CHECK(f != NULL, "fopen");
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, f))
        lines++;
    fclose(f);
    OUT("fixture: 29 bytes, %d lines", lines);
}

/* The same sequence in directory `dir` (a host /tmp or an image dir). */
static void rw_sequence(const char *dir, const char *tag)
{
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/guest_fio_%d_a", dir, (int)getpid());
    snprintf(b, sizeof b, "%s/guest_fio_%d_b", dir, (int)getpid());
    unlink(a);
    unlink(b);

    int fd = open(a, O_RDWR | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0, "create %s", a);
    CHECK(open(a, O_RDWR | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST, "O_EXCL");
    CHECK(write(fd, "hello world", 11) == 11, "write");
    CHECK(pwrite(fd, "HELLO", 5, 0) == 5, "pwrite");
    CHECK(lseek(fd, 0, SEEK_CUR) == 11, "pwrite moved the offset");
    /* A hole: write past EOF, the gap reads as zeros. */
    CHECK(pwrite(fd, "end", 3, 100) == 3, "pwrite past EOF");
    char buf[128];
    CHECK(pread(fd, buf, 103, 0) == 103, "pread all");
    CHECK(!memcmp(buf, "HELLO world", 11) && buf[50] == 0 && !memcmp(buf + 100, "end", 3),
          "contents");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 103 && (st.st_mode & 0777) == (0644 & ~022),
          "fstat size %lld mode %o", (long long)st.st_size, st.st_mode & 0777);
    CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate");
    CHECK(lseek(fd, 0, SEEK_END) == 5, "SEEK_END after truncate");
    /* Readv/writev. */
    struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
    CHECK(writev(fd, iov, 2) == 5, "writev");
    char x[5], y[5];
    struct iovec riov[2] = {{x, 5}, {y, 5}};
    CHECK(lseek(fd, 0, SEEK_SET) == 0 && readv(fd, riov, 2) == 10, "readv");
    CHECK(!memcmp(x, "HELLO", 5) && !memcmp(y, "abcde", 5), "readv contents");
    close(fd);

    /* O_APPEND: writes go to the end whatever the offset. */
    fd = open(a, O_WRONLY | O_APPEND);
    CHECK(fd >= 0, "open O_APPEND");
    CHECK(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "++", 2) == 2, "append write");
    close(fd);
    CHECK(stat(a, &st) == 0 && st.st_size == 12, "size after append %lld",
          (long long)st.st_size);

    /* O_TRUNC. */
    fd = open(a, O_RDWR | O_TRUNC);
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC");
    CHECK(write(fd, "renamed", 7) == 7, "write");
    close(fd);

    /* rename, unlink. */
    CHECK(rename(a, b) == 0, "rename");
    CHECK(access(a, F_OK) == -1 && errno == ENOENT, "old name gone");
    fd = open(b, O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, 16) == 7 && !memcmp(buf, "renamed", 7), "renamed file");
    /* dup and fcntl share the offset; CLOEXEC flag. */
    int fd2 = dup(fd);
    CHECK(fd2 > fd, "dup");
    CHECK(lseek(fd2, 2, SEEK_SET) == 2 && lseek(fd, 0, SEEK_CUR) == 2, "dup shares offset");
    int fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 50);
    CHECK(fd3 >= 50 && (fcntl(fd3, F_GETFD) & FD_CLOEXEC), "F_DUPFD_CLOEXEC");
    CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "F_GETFL");
    close(fd3);
    close(fd2);
    close(fd);
    CHECK(unlink(b) == 0, "unlink");
    CHECK(unlink(b) == -1 && errno == ENOENT, "unlink twice");
    CHECK(open(b, O_RDONLY) == -1 && errno == ENOENT, "open unlinked");

    /* An unlinked file stays readable through an open fd. */
    fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, "ghost", 5) == 5 && unlink(a) == 0, "create+unlink");
    CHECK(pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "ghost", 5), "read after unlink");
    close(fd);
    OUT("%s: create/write/read/lseek/pread/pwrite/ftruncate/append/rename/unlink ok", tag);
}

static void dirs_and_links(void)
{
    list_dir("data/tree");
    list_dir("data/tree/sub");
    list_dir("data/tree/empty");

    CHECK(mkdir("data/newdir", 0755) == 0, "mkdir");
    CHECK(mkdir("data/newdir", 0755) == -1 && errno == EEXIST, "mkdir twice");
    CHECK(mkdir("data/nope/x", 0755) == -1 && errno == ENOENT, "mkdir missing parent");
    int fd = open("data/newdir/f", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0, "create in new dir");
    close(fd);
    CHECK(rmdir("data/newdir") == -1 && errno == ENOTEMPTY, "rmdir non-empty");
    list_dir("data/newdir");
    CHECK(unlink("data/newdir/f") == 0 && rmdir("data/newdir") == 0, "rmdir");
    CHECK(rmdir("data/newdir") == -1 && errno == ENOENT, "rmdir twice");
    CHECK(rmdir("data/input.txt") == -1 && errno == ENOTDIR, "rmdir of a file");
    CHECK(open("data/input.txt/x", O_RDONLY) == -1 && errno == ENOTDIR, "file as dir");

    struct stat st;
    CHECK(stat("data/tree", &st) == 0 && S_ISDIR(st.st_mode), "stat dir");

    /* Symlinks. */
    char buf[256];
    ssize_t n = readlink("data/tree/link_to_a", buf, sizeof buf);
    CHECK(n == 5 && !memcmp(buf, "a.txt", 5), "readlink fixture");
    CHECK(lstat("data/tree/link_to_a", &st) == 0 && S_ISLNK(st.st_mode), "lstat");
    CHECK(stat("data/tree/link_to_a", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 2,
          "stat through link");
    CHECK(symlink("../../input.txt", "data/tree/sub/up") == 0, "symlink");
    fd = open("data/tree/sub/up", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, 4) == 4 && !memcmp(buf, "line", 4), "open via symlink");
    close(fd);
    n = readlink("data/tree/sub/up", buf, sizeof buf);
    CHECK(n == 15 && !memcmp(buf, "../../input.txt", 15), "readlink");
    CHECK(readlink("data/input.txt", buf, sizeof buf) == -1 && errno == EINVAL,
          "readlink of a regular file");
    CHECK(symlink("x", "data/tree/sub/up") == -1 && errno == EEXIST, "symlink exists");
    CHECK(unlink("data/tree/sub/up") == 0, "unlink symlink");
    CHECK(symlink("missing", "data/dangling") == 0, "dangling symlink");
    CHECK(open("data/dangling", O_RDONLY) == -1 && errno == ENOENT, "open dangling");
    CHECK(unlink("data/dangling") == 0, "unlink dangling");
    OUT("mkdir/rmdir/symlink/readlink ok");

    /* cwd. */
    char cwd[4096], cwd2[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL && cwd[0] == '/', "getcwd");
    CHECK(chdir("data/tree") == 0, "chdir");
    CHECK(getcwd(cwd2, sizeof cwd2) != NULL, "getcwd");
    size_t l = strlen(cwd2);
    CHECK(l >= 10 && !strcmp(cwd2 + l - 10, "/data/tree"), "cwd now %s", cwd2);
    fd = open("a.txt", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, 2) == 2 && !memcmp(buf, "a\n", 2), "relative open");
    close(fd);
    CHECK(chdir("sub/../..") == 0, "chdir ..");
    CHECK(getcwd(cwd2, sizeof cwd2) != NULL && !strcmp(cwd2 + strlen(cwd2) - 5, "/data"),
          "cwd %s", cwd2);
    CHECK(chdir("input.txt") == -1 && errno == ENOTDIR, "chdir to a file");
    int dfd = open("tree", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open dir");
    fd = openat(dfd, "sub/c.txt", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, 2) == 2 && !memcmp(buf, "c\n", 2), "openat");
    close(fd);
    CHECK(fchdir(dfd) == 0 && access("b.txt", R_OK) == 0, "fchdir");
    close(dfd);
    CHECK(chdir(cwd) == 0, "chdir back");
    CHECK(access("data/input.txt", R_OK) == 0, "back at the image root");
    OUT("getcwd/chdir/openat ok");
}

int main(void)
{
    umask(022);
    read_fixture();
    rw_sequence("/tmp", "/tmp");
    rw_sequence("data", "image dir");
    dirs_and_links();
    list_dir("data");
    OUT("file_io ok");
    return 0;
}
