/* Many processes: posix_spawn, vfork + execve, vfork + _exit, exit
 * statuses and signals through waitpid/waitid, WNOHANG, ECHILD, fds
 * passed to children (file actions), a missing program. The program
 * spawns itself (argv[0]) with a role argument. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

static void *block_forever(void *arg)
{
    char c;
    return (void *)(long)read(*(int *)arg, &c, 1);
}

static void *spin_forever(void *arg)
{
    volatile unsigned long *n = arg;
    for (;;)
        (*n)++;
    return NULL;
}

/* execve from a process with other threads: they end first (Linux's
 * de_thread), one blocked in read, one spinning without syscalls. */
static int exec_with_threads(const char *self)
{
    static int fds[2];
    static unsigned long spins;
    pthread_t a, b;
    if (pipe(fds) || pthread_create(&a, NULL, block_forever, &fds[0]) ||
        pthread_create(&b, NULL, spin_forever, &spins))
        return 1;
    usleep(20000);
    execl(self, self, "exit", "21", (char *)NULL);
    return 2;
}

static int child_role(const char *role, char **argv)
{
    if (!strcmp(role, "mtexec"))
        return exec_with_threads(argv[0]);
    if (!strcmp(role, "exit"))
        return atoi(argv[2]);
    if (!strcmp(role, "abort"))
        abort();
    if (!strcmp(role, "write")) {
        /* fd 1 is the parent's pipe (dup2 file action) */
        const char *msg = "hello through the pipe\n";
        return write(1, msg, strlen(msg)) == (ssize_t)strlen(msg) ? 0 : 1;
    }
    if (!strcmp(role, "ppid"))
        return getppid() == atoi(argv[2]) ? 0 : 1;
    return 100;
}

static pid_t spawn(const char *self, posix_spawn_file_actions_t *fa, const char *role,
                   const char *arg)
{
    char *av[] = { (char *)self, (char *)role, (char *)arg, NULL };
    pid_t pid;
    int r = posix_spawn(&pid, self, fa, NULL, av, environ);
    CHECK(r == 0, "posix_spawn %s: %s", role, strerror(r));
    return pid;
}

static int wait_status(pid_t pid)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid %d", (int)pid);
    return st;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_role(argv[1], argv);
    const char *self = argv[0];

    /* Exit codes come back, in any order of waiting. */
    pid_t kids[5];
    for (int i = 0; i < 5; i++) {
        char code[8];
        snprintf(code, sizeof(code), "%d", 10 + i);
        kids[i] = spawn(self, NULL, "exit", code);
    }
    for (int i = 4; i >= 0; i--) {
        int st = wait_status(kids[i]);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 10 + i, "status %#x", st);
    }
    OUT("5 children exited with their codes");

    /* A child killed by a signal. */
    int st = wait_status(spawn(self, NULL, "abort", NULL));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "abort status %#x", st);
    OUT("abort: killed by signal %d", WTERMSIG(st));

    /* getppid in the child. */
    char me[16];
    snprintf(me, sizeof(me), "%d", (int)getpid());
    st = wait_status(spawn(self, NULL, "ppid", me));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ppid status %#x", st);
    OUT("child sees its parent");

    /* A pipe as the child's stdout. */
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t w = spawn(self, &fa, "write", NULL);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char buf[128];
    ssize_t n, total = 0;
    while ((n = read(fds[0], buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
        total += n;
    buf[total] = 0;
    close(fds[0]);
    st = wait_status(w);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer status %#x", st);
    OUT("from the child: %s", strtok(buf, "\n"));

    /* A missing program. */
    pid_t pid;
    char *av[] = { "/no/such/program", NULL };
    int r = posix_spawn(&pid, "/no/such/program", NULL, NULL, av, environ);
    if (r == 0) {       /* some libcs report it through the exit status */
        st = wait_status(pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127, "missing: status %#x", st);
    } else {
        CHECK(r == ENOENT, "missing: %s", strerror(r));
    }
    OUT("missing program: ENOENT or 127");

    /* vfork + execve, vfork + _exit. */
    pid = vfork();
    if (pid == 0) {
        execl(self, self, "exit", "7", (char *)NULL);
        _exit(99);
    }
    CHECK(pid > 0, "vfork");
    st = wait_status(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "vfork+exec status %#x", st);
    pid = vfork();
    if (pid == 0)
        _exit(5);
    st = wait_status(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "vfork+_exit status %#x", st);
    OUT("vfork: exec 7, _exit 5");

    /* execve of a missing file from a vfork child: the error comes back. */
    pid = vfork();
    if (pid == 0) {
        execl("/no/such/program", "x", (char *)NULL);
        _exit(errno == ENOENT ? 3 : 4);
    }
    st = wait_status(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "execve missing status %#x", st);
    OUT("execve of a missing file: ENOENT");

    /* execve from a multi-threaded child. */
    st = wait_status(spawn(self, NULL, "mtexec", NULL));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 21, "mtexec status %#x", st);
    OUT("execve with other threads running: 21");

    /* WNOHANG, waitid, ECHILD. */
    pid = spawn(self, NULL, "exit", "0");
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK(waitid(P_PID, (id_t)pid, &si, WEXITED) == 0, "waitid");
    CHECK(si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 0, "waitid info");
    CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD);
    CHECK_ERR(waitpid(-1, &st, 0), ECHILD);
    OUT("waitid and ECHILD");
    return 0;
}
