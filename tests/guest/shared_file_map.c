/* MAP_SHARED between processes.
 *   - A file in /tmp (a name of its own: the glibc and musl runs are
 *     concurrent natively) mapped MAP_SHARED by the parent and by a
 *     spawned child: the child's stores (then msync, munmap, exit) are
 *     seen through the parent's mapping and by read(); the parent's
 *     stores are seen by a second child through read(); a write() into
 *     the file shows in the mapping; msync rejects a bad flag mix and an
 *     unaligned address; after munmap the pages are gone (SIGSEGV,
 *     caught) and a new mapping sees the data again.
 *   - A MAP_SHARED|MAP_ANONYMOUS region written by a vfork child. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

#define SIZE 8192
#define MSG_A "written by the child at 0"
#define MSG_B "written by the child at 4196"
#define MSG_P "written by the parent at 100"
#define MSG_W "written with write() at 5000"

static int child_writer(const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return 1;
    char *m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        return 2;
    close(fd);      /* the mapping keeps the file */
    memcpy(m, MSG_A, sizeof(MSG_A));
    memcpy(m + 4196, MSG_B, sizeof(MSG_B));
    if (msync(m, SIZE, MS_SYNC))
        return 3;
    if (munmap(m, SIZE))
        return 4;
    return 0;
}

static int child_reader(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 1;
    char buf[sizeof(MSG_P)];
    if (pread(fd, buf, sizeof(buf), 100) != (ssize_t)sizeof(buf))
        return 2;
    close(fd);
    return memcmp(buf, MSG_P, sizeof(buf)) == 0 ? 0 : 3;
}

/* Both alive: the child maps only the file's second page (offset 4096),
 * stores "ping" and tells the parent (fd 1); the parent, through its
 * whole-file mapping, sees it, stores "pong" and tells the child (fd 0). */
static int child_pingpong(const char *path)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return 1;
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
    if (m == MAP_FAILED)
        return 2;
    memcpy(m + 300, "ping", 5);
    char c;
    if (write(1, "a", 1) != 1 || read(0, &c, 1) != 1)
        return 3;
    return memcmp(m + 400, "pong", 5) == 0 ? 0 : 4;
}

static void pingpong(const char *self, const char *path, char *m)
{
    int up[2], down[2];
    CHECK(pipe(up) == 0 && pipe(down) == 0, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, down[0], 0);
    posix_spawn_file_actions_adddup2(&fa, up[1], 1);
    char *argv[] = { (char *)self, "pingpong", (char *)path, NULL };
    pid_t pid;
    int err = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    CHECK(err == 0, "posix_spawn: %s", strerror(err));
    posix_spawn_file_actions_destroy(&fa);
    close(up[1]);
    close(down[0]);
    char c;
    CHECK(read(up[0], &c, 1) == 1, "read");
    OUT("live child's store at file offset 4396: %s", m + 4396);
    memcpy(m + 4496, "pong", 5);
    CHECK(write(down[1], "b", 1) == 1, "write");
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    OUT("live child saw the parent's store: exit %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(up[0]);
    close(down[1]);
}

static int run_child(const char *self, const char *role, const char *path)
{
    char *argv[] = { (char *)self, (char *)role, (char *)path, NULL };
    pid_t pid;
    int err = posix_spawn(&pid, self, NULL, NULL, argv, environ);
    CHECK(err == 0, "posix_spawn: %s", strerror(err));
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static sigjmp_buf jb;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(jb, 1);
}

static int probe(volatile const char *p)
{
    if (sigsetjmp(jb, 1))
        return -1;
    return *p;
}

static void file_map(const char *self)
{
    const char *base = strrchr(self, '/');
    base = base ? base + 1 : self;
    char path[256];
    snprintf(path, sizeof(path), "/tmp/onespace-shared-file-map.%s.%d", base, (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "open %s", path);
    CHECK(ftruncate(fd, SIZE) == 0, "ftruncate");
    char *m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap");

    OUT("writer child: exit %d", run_child(self, "writer", path));
    OUT("parent's mapping at 0: %s", m);
    OUT("parent's mapping at 4196: %s", m + 4196);
    char buf[64] = { 0 };
    CHECK(pread(fd, buf, sizeof(MSG_B), 4196) == (ssize_t)sizeof(MSG_B), "pread");
    OUT("read() at 4196: %s", buf);

    memcpy(m + 100, MSG_P, sizeof(MSG_P));
    CHECK(msync(m, SIZE, MS_SYNC) == 0, "msync");
    OUT("reader child (sees the parent's store): exit %d", run_child(self, "reader", path));

    pingpong(self, path, m);

    CHECK(pwrite(fd, MSG_W, sizeof(MSG_W), 5000) == (ssize_t)sizeof(MSG_W), "pwrite");
    OUT("mapping after write() at 5000: %s", m + 5000);

    CHECK_ERR(msync(m, SIZE, MS_SYNC | MS_ASYNC), EINVAL);
    CHECK_ERR(msync(m + 1, 100, MS_SYNC), EINVAL);
    OUT("msync: MS_SYNC|MS_ASYNC and an unaligned address give EINVAL");
    CHECK(msync(m, SIZE, MS_ASYNC | MS_INVALIDATE) == 0, "msync MS_ASYNC|MS_INVALIDATE");

    CHECK(munmap(m, SIZE) == 0, "munmap");
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_segv;
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");
    OUT("after munmap the page faults: %d", probe(m) == -1);
    sa.sa_handler = SIG_DFL;
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");
    m = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap again");
    OUT("a new mapping sees: %s / %s / %s", m, m + 100, m + 4196);
    CHECK(munmap(m, SIZE) == 0, "munmap");
    close(fd);
    CHECK(unlink(path) == 0, "unlink");
}

static void anon_shared_vfork(void)
{
    volatile char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap anonymous shared");
    OUT("anonymous shared region starts zeroed: %d", m[0] == 0 && m[4095] == 0);
    pid_t pid = vfork();
    if (pid == 0) {
        m[0] = 'v';
        m[4095] = 'k';
        _exit(3);
    }
    CHECK(pid > 0, "vfork");
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    OUT("vfork child: exit %d, its stores seen: %c%c", WEXITSTATUS(st), m[0], m[4095]);
    CHECK(munmap((void *)m, 4096) == 0, "munmap");
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "writer"))
        return child_writer(argv[2]);
    if (argc > 2 && !strcmp(argv[1], "reader"))
        return child_reader(argv[2]);
    if (argc > 2 && !strcmp(argv[1], "pingpong"))
        return child_pingpong(argv[2]);
    file_map(argv[0]);
    anon_shared_vfork();
    OUT("done");
    return 0;
}
