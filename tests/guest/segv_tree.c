/* One child of several dies of SIGSEGV; only it dies. The parent spawns
 * itself in roles: two workers that block on a pipe until the parent
 * lets them go, and a faulting child with a second thread (blocked in
 * read) that stores through NULL. The parent sees WIFSIGNALED / SIGSEGV
 * with no core flag (RLIMIT_CORE is 0 here, inherited by the children,
 * so the status is the same natively and in onespace), then the workers
 * finish normally with their own exit codes. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

static int worker(int code)
{
    char c;
    ssize_t n;
    while ((n = read(0, &c, 1)) < 0 && errno == EINTR)
        ;
    /* EOF: the parent closed the pipe after the faulting sibling died. */
    if (n != 0)
        return 1;
    return code;
}

static void *block(void *arg)
{
    char c;
    return (void *)(long)read(*(int *)arg, &c, 1);
}

static int faulter(void)
{
    static int fds[2];
    pthread_t t;
    if (pipe(fds) || pthread_create(&t, NULL, block, &fds[0]))
        return 1;
    *(volatile int *)0 = 1;
    return 2;
}

/* The fault in a second thread while the main thread blocks. */
static void *fault_in_thread(void *arg)
{
    (void)arg;
    *(volatile int *)0 = 1;
    return NULL;
}

static int thread_faulter(void)
{
    static int fds[2];
    pthread_t t;
    if (pipe(fds) || pthread_create(&t, NULL, fault_in_thread, NULL))
        return 1;
    char c;
    return (int)read(fds[0], &c, 1) + 10;
}

static volatile int zero;

static int divider(void)
{
    return 100 / zero;
}

static pid_t spawn(const char *self, const char *role, const char *arg, int in);

/* A middle process whose own child faults: it sees the death, exits
 * with the signal number + 100. */
static int middle(const char *self)
{
    pid_t c = spawn(self, "segv", NULL, -1);
    int st;
    if (waitpid(c, &st, 0) != c || !WIFSIGNALED(st))
        return 1;
    return 100 + WTERMSIG(st) + (WCOREDUMP(st) ? 50 : 0);
}

static pid_t spawn(const char *self, const char *role, const char *arg, int in)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(&fa, in, 0);
    char *argv[] = { (char *)self, (char *)role, (char *)arg, NULL };
    pid_t pid;
    int err = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    CHECK(err == 0, "posix_spawn %s: %s", role, strerror(err));
    return pid;
}

static void print_status(const char *who, int st)
{
    if (WIFEXITED(st))
        OUT("%s: exited %d", who, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        OUT("%s: killed by signal %d, core flag %d", who, WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
    else
        OUT("%s: status %#x", who, st);
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "worker"))
        return worker(atoi(argv[2]));
    if (argc > 1 && !strcmp(argv[1], "segv"))
        return faulter();
    if (argc > 1 && !strcmp(argv[1], "segv-thread"))
        return thread_faulter();
    if (argc > 1 && !strcmp(argv[1], "fpe"))
        return divider();
    if (argc > 1 && !strcmp(argv[1], "abort"))
        abort();
    if (argc > 1 && !strcmp(argv[1], "middle"))
        return middle(argv[0]);

    struct rlimit nocore = { 0, 0 };
    CHECK(setrlimit(RLIMIT_CORE, &nocore) == 0, "setrlimit RLIMIT_CORE");
    int gate[2];
    /* Close-on-exec: only the parent holds the write end (EOF = go). */
    CHECK(pipe2(gate, O_CLOEXEC) == 0, "pipe2");
    pid_t w1 = spawn(argv[0], "worker", "21", gate[0]);
    pid_t bad = spawn(argv[0], "segv", NULL, -1);
    pid_t w2 = spawn(argv[0], "worker", "22", gate[0]);
    close(gate[0]);

    int st;
    CHECK(waitpid(bad, &st, 0) == bad, "waitpid segv child");
    print_status("faulting child", st);
    /* The workers are still there. */
    OUT("workers alive: %d %d", waitpid(w1, &st, WNOHANG) == 0, waitpid(w2, &st, WNOHANG) == 0);
    close(gate[1]);
    CHECK(waitpid(w1, &st, 0) == w1, "waitpid worker 1");
    print_status("worker 1", st);
    CHECK(waitpid(w2, &st, 0) == w2, "waitpid worker 2");
    print_status("worker 2", st);
    CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);

    static const char *const roles[] = { "segv-thread", "fpe", "abort", "middle" };
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        pid_t c = spawn(argv[0], roles[i], NULL, -1);
        CHECK(waitpid(c, &st, 0) == c, "waitpid %s", roles[i]);
        print_status(roles[i], st);
    }
    CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
    OUT("done");
    return 0;
}
