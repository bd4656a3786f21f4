/* Process layer: loading programs (process_exec_load / commit / abort),
 * #! scripts, and the errors execve reports. The programs are the
 * loader's fixtures, copied into the guest root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "process/exec.h"
#include "proc_fixture.h"
#include "vm/process_vm.h"

#define HELLO PROCESS_FIXTURE_DIR "/glibc_static_pie"

static char *const no_env[] = { NULL };

static int setup(void **s)
{
    if (proc_env_setup(s))
        return -1;
    root_copy(HELLO, "/bin/hello");
    return 0;
}
static int teardown(void **s) { return proc_env_teardown(s); }

static void test_load_static_pie(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    char *argv[] = { "hello", "one", NULL };
    char *envp[] = { "A=1", NULL };
    struct exec_image img;
    assert_int_equal(process_exec_load(p, "/bin/hello", argv, envp, &img), 0);
    assert_non_null(img.vm);
    assert_ptr_not_equal(img.vm, p->vm);
    assert_string_equal(img.exe_path, "/bin/hello");
    assert_int_equal(img.cmdline_len, sizeof("hello\0one"));
    assert_memory_equal(img.cmdline, "hello\0one", sizeof("hello\0one"));
    assert_true(img.entry != 0);
    assert_true(img.rsp != 0 && (img.rsp & 15) == 0);
    assert_int_equal(process_vm_check_access(img.vm, img.entry, 1, PROT_EXEC), 0);
    /* argc on the initial stack. */
    assert_int_equal(*(uint64_t *)img.rsp, 2);

    /* commit: p runs the image; caught handlers reset, SIG_IGN kept. */
    p->sigactions[SIGUSR1 - 1].handler = 0x1000;
    p->sigactions[SIGUSR2 - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
    struct process_vm *vm = img.vm;
    process_exec_commit(p, &img);
    assert_ptr_equal(p->vm, vm);
    assert_null(img.vm);
    assert_string_equal(p->exe_path, "/bin/hello");
    assert_memory_equal(p->cmdline, "hello\0one", sizeof("hello\0one"));
    assert_int_equal(p->sigactions[SIGUSR1 - 1].handler, 0);
    assert_int_equal(p->sigactions[SIGUSR2 - 1].handler, (uint64_t)(uintptr_t)SIG_IGN);
    assert_int_equal(process_vm_check(p->vm), 0);
    proc_end(p, 0);
}

static void test_relative_path_and_abort(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    char *argv[] = { "h", NULL };
    struct exec_image img;
    assert_int_equal(process_exec_load(p, "bin/hello", argv, no_env, &img), 0);
    assert_string_equal(img.exe_path, "/bin/hello");
    process_exec_abort(&img);
    assert_null(img.vm);
    assert_null(img.cmdline);
    proc_end(p, 0);
}

static void test_errors(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    char *argv[] = { "x", NULL };
    struct exec_image img;
    assert_int_equal(process_exec_load(p, "/bin/missing", argv, no_env, &img), -ENOENT);
    assert_null(img.vm);
    /* Not executable. */
    root_write("/noexec", "\x7f" "ELF", 4, 0644);
    assert_int_equal(process_exec_load(p, "/noexec", argv, no_env, &img), -EACCES);
    /* Neither ELF nor script. */
    const char text[] = "just some text\n";
    root_write("/text", text, sizeof(text) - 1, 0755);
    assert_int_equal(process_exec_load(p, "/text", argv, no_env, &img), -ENOEXEC);
    /* An empty file. */
    root_write("/empty", "", 0, 0755);
    assert_int_equal(process_exec_load(p, "/empty", argv, no_env, &img), -ENOEXEC);
    /* "#!" without an interpreter. */
    root_write("/bang", "#!  \n", 5, 0755);
    assert_int_equal(process_exec_load(p, "/bang", argv, no_env, &img), -ENOEXEC);
    /* A script whose interpreter does not exist. */
    const char s[] = "#!/bin/nope\necho\n";
    root_write("/s_missing", s, sizeof(s) - 1, 0755);
    assert_int_equal(process_exec_load(p, "/s_missing", argv, no_env, &img), -ENOENT);
    /* p's memory was not touched by the failures. */
    assert_int_equal(process_vm_check(p->vm), 0);
    proc_end(p, 0);
}

static void test_script_runs_interpreter(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    const char s[] = "#! /bin/hello  -x  \nbody\n";
    root_write("/dir/script", s, sizeof(s) - 1, 0755);
    char *argv[] = { "script", "a1", "a2", NULL };
    struct exec_image img;
    assert_int_equal(process_exec_load(p, "/dir/script", argv, no_env, &img), 0);
    assert_string_equal(img.exe_path, "/bin/hello");
    /* Linux: interp, its one argument, the script's path, argv[1..]. */
    const char want[] = "/bin/hello\0-x\0/dir/script\0a1\0a2";
    assert_int_equal(img.cmdline_len, sizeof(want));
    assert_memory_equal(img.cmdline, want, sizeof(want));
    assert_int_equal(*(uint64_t *)img.rsp, 5);
    process_exec_abort(&img);
    proc_end(p, 0);
}

/* snprintf that must not truncate. */
static int fmt(char *buf, size_t len, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, len, f, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < len);
    return n;
}

/* A chain of n scripts under the guest root's `dir`, each run by the
 * previous one, the first by `last` (a path as the #! line says it);
 * `host` prefixes the paths written into #! lines (the root's host path
 * for the native oracle, "" for onespace). The top one's guest path goes
 * into top. */
static void write_chain(int n, const char *dir, const char *host, const char *last,
                        char *top, size_t len)
{
    char prev[PATH_MAX];
    fmt(prev, sizeof(prev), "%s", last);
    for (int i = 0; i < n; i++) {
        char line[PATH_MAX + 8], gpath[PATH_MAX];
        int k = fmt(line, sizeof(line), "#!%s\n", prev);
        fmt(gpath, sizeof(gpath), "%s/c%d_%d", dir, n, i);
        root_write(gpath, line, (size_t)k, 0755);
        fmt(prev, sizeof(prev), "%s%s", host, gpath);
    }
    fmt(top, len, "%s", prev);
}

/* execve(host_path) natively: 0 if the program ran, else -errno. */
static int native_run(const char *host_path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = { (char *)host_path, NULL };
        if (!freopen("/dev/null", "w", stdout))
            _exit(1);
        execve(host_path, argv, no_env);
        _exit(64 + errno);     /* hello itself exits 0 or 255 */
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    int code = WEXITSTATUS(st);
    return code == 0 || code == 255 ? 0 : -(code - 64);
}

/* What Linux says to a chain of n scripts: 0 or the errno of execve. */
static int native_chain(int n)
{
    char top[PATH_MAX], hello[PATH_MAX];
    fmt(hello, sizeof(hello), "%s/bin/hello", penv->root);
    write_chain(n, "/native", penv->root, hello, top, sizeof(top));
    return native_run(top);
}

static void test_nested_scripts_like_linux(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    for (int n = 1; n <= 7; n++) {
        char top[PATH_MAX];
        write_chain(n, "/chain", "", "/bin/hello", top, sizeof(top));
        char *argv[] = { "top", NULL };
        struct exec_image img;
        int want = native_chain(n);
        int got = process_exec_load(p, top, argv, no_env, &img);
        print_message("chain of %d scripts: linux %d, onespace %d\n", n, want, got);
        assert_int_equal(got, want);
        if (!got) {
            assert_string_equal(img.exe_path, "/bin/hello");
            process_exec_abort(&img);
        }
    }
    /* Linux allows a few levels, not arbitrarily many. */
    assert_int_equal(native_chain(7), -ELOOP);
    proc_end(p, 0);
}

/* Linux takes a #! line that ends the file without a newline. */
static void test_script_without_newline(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    char line[PATH_MAX + 16], host[PATH_MAX];
    int k = fmt(line, sizeof(line), "#!%s/bin/hello -x", penv->root);
    root_write("/native/nonl", line, (size_t)k, 0755);
    fmt(host, sizeof(host), "%s/native/nonl", penv->root);
    assert_int_equal(native_run(host), 0);

    root_write("/nonl", "#!/bin/hello -x", 15, 0755);
    char *argv[] = { "nonl", NULL };
    struct exec_image img;
    assert_int_equal(process_exec_load(p, "/nonl", argv, no_env, &img), 0);
    const char want[] = "/bin/hello\0-x\0/nonl";
    assert_int_equal(img.cmdline_len, sizeof(want));
    assert_memory_equal(img.cmdline, want, sizeof(want));
    process_exec_abort(&img);
    proc_end(p, 0);
}

static void test_vfork_child_exec_releases_parent(void **state)
{
    (void)state;
    struct process *p = proc_spawn(NULL, NULL);
    struct process *c = NULL;
    assert_int_equal(process_create_vfork_child(p, &c), 0);
    struct thread *ct;
    assert_int_equal(thread_create(c, &ct), 0);
    char *argv[] = { "hello", NULL };
    struct exec_image img;
    assert_int_equal(process_exec_load(c, "/bin/hello", argv, no_env, &img), 0);
    assert_ptr_equal(c->vm, p->vm);     /* still borrowed until commit */
    process_exec_commit(c, &img);
    assert_false(c->vm_borrowed);
    assert_true(atomic_load(&c->vfork_done));
    assert_ptr_not_equal(c->vm, p->vm);
    process_vfork_wait(p, c);           /* returns at once */
    assert_int_equal(process_vm_check(p->vm), 0);
    proc_end(c, 0);
    int st;
    assert_int_equal(process_wait_child(p, -1, 0, &st), 2);
    proc_end(p, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_static_pie, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_path_and_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_runs_interpreter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_scripts_like_linux, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_without_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vfork_child_exec_releases_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
