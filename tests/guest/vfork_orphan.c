/* A vfork child outlives the process whose memory it runs on: a middle
 * process vforks from a second thread, the child sleeps, and meanwhile
 * the middle process exits (its main thread calls _exit). On Linux the
 * child keeps the memory alive and its execve works; the new program (the
 * "leaf") leaves a marker file that pid 1 waits for.
 *
 *   vfork_orphan              pid 1: spawn the middle, wait, find the marker
 *   vfork_orphan middle PATH  the middle process
 *   vfork_orphan leaf PATH    creates PATH */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;
static const char *self, *marker;

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static void *vforker(void *arg)
{
    (void)arg;
    char *argv[] = { (char *)self, "leaf", (char *)marker, NULL };
    pid_t pid = vfork();
    if (pid == 0) {
        /* Only raw syscalls here (the parent's memory, its stack). */
        struct timespec ts = { 0, 300 * 1000000L };
        syscall(SYS_nanosleep, &ts, NULL);
        syscall(SYS_execve, self, argv, environ);
        syscall(SYS_exit, 127);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc == 3 && !strcmp(argv[1], "leaf")) {
        int fd = open(argv[2], O_CREAT | O_WRONLY, 0600);
        return fd >= 0 ? 0 : 1;
    }
    if (argc == 3 && !strcmp(argv[1], "middle")) {
        marker = argv[2];
        pthread_t t;
        CHECK(pthread_create(&t, NULL, vforker, NULL) == 0, "pthread_create");
        sleep_ms(100);      /* the child is asleep now; its parent thread waits */
        _exit(0);
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/vfork_orphan.%d", (int)getpid());
    char *margv[] = { argv[0], "middle", path, NULL };
    pid_t mid;
    CHECK(posix_spawn(&mid, argv[0], NULL, NULL, margv, environ) == 0, "posix_spawn");
    int st;
    CHECK(waitpid(mid, &st, 0) == mid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "middle status %#x", st);
    OUT("the middle process exited while its vfork child slept");
    struct stat sb;
    int tries = 0;
    while (stat(path, &sb) != 0 && tries++ < 500)
        sleep_ms(10);
    CHECK(tries <= 500, "the vfork child never ran its new program");
    unlink(path);
    OUT("its vfork child's execve worked: the new program ran");
    return 0;
}
