/* Process layer: what /proc shows of guest processes, read through the
 * VFS like a guest would (runtime_procfs_attach + vfs_openat). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fs/file.h"
#include "fs/vfs.h"
#include "process/exec.h"
#include "proc_fixture.h"

#define HELLO PROCESS_FIXTURE_DIR "/glibc_static_pie"

static int setup(void **s)
{
    if (proc_env_setup(s))
        return -1;
    root_copy(HELLO, "/bin/hello");
    runtime_procfs_attach(&penv->rt);
    return 0;
}

static int teardown(void **s)
{
    runtime_procfs_attach(NULL);
    thread_set_current(NULL);
    return proc_env_teardown(s);
}

/* The whole file at `path` as p sees it: its length, or a negative errno. */
static ssize_t read_proc(struct process *p, const char *path, char *buf, size_t len)
{
    struct file *f;
    int err = vfs_openat(p->fs, NULL, path, O_RDONLY, 0, &f);
    if (err)
        return err;
    size_t at = 0;
    for (;;) {
        ssize_t n = file_pread(f, buf + at, len - 1 - at, (off_t)at);
        if (n < 0) {
            file_put(f);
            return n;
        }
        if (n == 0)
            break;
        at += (size_t)n;
        assert_true(at < len - 1);
    }
    buf[at] = 0;
    file_put(f);
    return (ssize_t)at;
}

static struct process *spawn_hello(struct process *parent, char *const argv[])
{
    struct process *p = proc_spawn(parent, NULL);
    struct exec_image img;
    char *envp[] = { NULL };
    assert_int_equal(process_exec_load(p, "/bin/hello", argv, envp, &img), 0);
    process_exec_commit(p, &img);
    return p;
}

static void test_cmdline_status_maps_exe(void **state)
{
    (void)state;
    char *argv[] = { "hello", "arg one", NULL };
    struct process *p = spawn_hello(NULL, argv);
    struct thread *main_t = p->threads, *t2;
    assert_int_equal(thread_create(p, &t2), 0);
    /* SigBlk is the main thread's mask (Linux), not another thread's. */
    main_t->sigmask = 1u << (SIGUSR1 - 1);
    t2->sigmask = 1u << (SIGUSR2 - 1);
    static char buf[65536];

    ssize_t n = read_proc(p, "/proc/1/cmdline", buf, sizeof(buf));
    assert_int_equal(n, sizeof("hello\0arg one"));
    assert_memory_equal(buf, "hello\0arg one", (size_t)n);

    assert_true(read_proc(p, "/proc/1/status", buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "Name:\thello\n"));
    assert_non_null(strstr(buf, "\nPid:\t1\n"));
    assert_non_null(strstr(buf, "\nTgid:\t1\n"));
    assert_non_null(strstr(buf, "\nPPid:\t0\n"));
    assert_non_null(strstr(buf, "\nThreads:\t2\n"));
    assert_non_null(strstr(buf, "\nSigBlk:\t0000000000000200\n"));

    assert_true(read_proc(p, "/proc/1/stat", buf, sizeof(buf)) > 0);
    assert_memory_equal(buf, "1 (hello) R 0 1 1 ", strlen("1 (hello) R 0 1 1 "));

    /* The program's segments and the stack. (The segments are not named
     * by the program's path as on Linux: the loader copies them.) */
    assert_true(read_proc(p, "/proc/1/maps", buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, " r-xp "));
    assert_non_null(strstr(buf, " rw-p "));
    assert_non_null(strstr(buf, "[stack]"));

    char link[256];
    ssize_t k = vfs_readlinkat(p->fs, NULL, "/proc/1/exe", link, sizeof(link));
    assert_int_equal(k, strlen("/bin/hello"));
    assert_memory_equal(link, "/bin/hello", (size_t)k);

    thread_release(t2);
    proc_end(p, 0);
}

static void test_self_children_and_exit(void **state)
{
    (void)state;
    char *argv[] = { "hello", NULL };
    struct process *p = spawn_hello(NULL, argv);
    char *cargv[] = { "child", "x", NULL };
    struct process *c = spawn_hello(p, cargv);
    pid_t cpid = c->pid;
    static char buf[16384];
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", cpid);
    assert_true(read_proc(p, path, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "\nPPid:\t1\n"));

    /* /proc/self is the calling guest thread's process. */
    thread_set_current(c->threads);
    assert_true(read_proc(p, "/proc/self/cmdline", buf, sizeof(buf)) > 0);
    assert_string_equal(buf, "child");
    thread_set_current(NULL);

    /* A zombie and a reaped process are gone from /proc. */
    proc_end(c, 0);
    assert_int_equal(read_proc(p, path, buf, sizeof(buf)), -ENOENT);
    int st;
    assert_int_equal(process_wait_child(p, -1, 0, &st), cpid);
    assert_int_equal(read_proc(p, path, buf, sizeof(buf)), -ENOENT);
    assert_int_equal(read_proc(p, "/proc/77/status", buf, sizeof(buf)), -ENOENT);
    /* A tid is not a /proc entry of its own here. */
    struct thread *t2;
    assert_int_equal(thread_create(p, &t2), 0);
    snprintf(path, sizeof(path), "/proc/%d/cmdline", t2->tid);
    assert_int_equal(read_proc(p, path, buf, sizeof(buf)), -ENOENT);
    thread_release(t2);
    proc_end(p, 0);
}

static void test_fd_links(void **state)
{
    (void)state;
    char *argv[] = { "hello", NULL };
    struct process *p = spawn_hello(NULL, argv);
    char link[256];
    /* fds 0-2 are the host's stdio. */
    ssize_t k = vfs_readlinkat(p->fs, NULL, "/proc/1/fd/1", link, sizeof(link));
    assert_true(k > 0);
    assert_int_equal(vfs_readlinkat(p->fs, NULL, "/proc/1/fd/9", link, sizeof(link)), -ENOENT);
    proc_end(p, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cmdline_status_maps_exe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_children_and_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fd_links, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
