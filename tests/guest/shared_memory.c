/* Memory shared between processes of one tree: System V shm attached by a
 * spawned child, and a MAP_SHARED file mapping written by the child and
 * read by the parent (and through read()). */
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

static int run_child(const char *self, const char *role, const char *arg)
{
    char *av[] = { (char *)self, (char *)role, (char *)arg, NULL };
    pid_t pid;
    int r = posix_spawn(&pid, self, NULL, NULL, av, environ);
    CHECK(r == 0, "posix_spawn: %s", strerror(r));
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static int child(const char *role, const char *arg)
{
    if (!strcmp(role, "shm")) {
        char *p = shmat(atoi(arg), NULL, 0);
        if (p == (void *)-1)
            return 2;
        if (strcmp(p, "from parent"))
            return 3;
        strcpy(p, "from child");
        return shmdt(p) ? 4 : 0;
    }
    if (!strcmp(role, "map")) {
        int fd = open(arg, O_RDWR);
        if (fd < 0)
            return 2;
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            return 3;
        memcpy(p + 100, "child was here", 15);
        return msync(p, 4096, MS_SYNC) || munmap(p, 4096) ? 4 : 0;
    }
    return 9;
}

int main(int argc, char **argv)
{
    if (argc > 2)
        return child(argv[1], argv[2]);

    int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    CHECK(id >= 0, "shmget");
    char *p = shmat(id, NULL, 0);
    CHECK(p != (void *)-1, "shmat");
    strcpy(p, "from parent");
    char ids[16];
    snprintf(ids, sizeof(ids), "%d", id);
    CHECK(run_child(argv[0], "shm", ids) == 0, "shm child");
    CHECK(!strcmp(p, "from child"), "shm contents: %s", p);
    struct shmid_ds ds;
    CHECK(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == 8192 && ds.shm_nattch == 1,
          "IPC_STAT");
    CHECK(shmdt(p) == 0 && shmctl(id, IPC_RMID, NULL) == 0, "detach, remove");
    OUT("shm: the child's write seen by the parent");

    /* Natively /tmp is the host's, shared with the other libc's run of this
     * test: a name of our own. */
    char path[64];
    snprintf(path, sizeof(path), "/tmp/shared_memory.%d.data", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && ftruncate(fd, 4096) == 0, "file");
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "mmap");
    CHECK(run_child(argv[0], "map", path) == 0, "map child");
    CHECK(!memcmp(m + 100, "child was here", 15), "mapping contents");
    char buf[15];
    CHECK(pread(fd, buf, 15, 100) == 15 && !memcmp(buf, "child was here", 15), "read()");
    munmap(m, 4096);
    close(fd);
    unlink(path);
    OUT("MAP_SHARED file: the child's write seen in the mapping and by read()");
    return 0;
}
