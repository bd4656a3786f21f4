/* See proc_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define _XOPEN_SOURCE_EXTENDED 1
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_fixture.h"
#include "vm/user_space_vm.h"

struct proc_env *penv;

int proc_env_setup(void **state)
{
    (void)state;
    penv = calloc(1, sizeof *penv);
    if (!penv)
        return -1;
    struct user_space_vm_config cfg = { .user_space_size = 512u << 20 };
    if (user_space_vm_create(&cfg, &penv->usv))
        return -1;
    if (runtime_state_init(&penv->rt, penv->usv))
        return -1;
    penv->rt.default_stack_size = 1u << 20;
    penv->rt.default_heap_size = 4u << 20;
    penv->rt.max_threads = 0;
    strcpy(penv->root, "/tmp/onespace-ptest-XXXXXX");
    if (!mkdtemp(penv->root))
        return -1;
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int proc_env_teardown(void **state)
{
    (void)state;
    nftw(penv->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    runtime_state_destroy(&penv->rt);
    user_space_vm_destroy(penv->usv);
    free(penv);
    penv = NULL;
    return 0;
}

struct process *proc_spawn(struct process *parent, struct thread **first)
{
    struct process *p = NULL;
    assert_int_equal(process_create(&penv->rt, parent, penv->root, &p), 0);
    assert_non_null(p);
    struct thread *t = NULL;
    assert_int_equal(thread_create(p, &t), 0);
    if (first)
        *first = t;
    return p;
}

void proc_end(struct process *p, int status)
{
    process_begin_exit(p, status);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        struct thread *t = p->threads;
        bool last = p->nr_threads == 1;
        pthread_mutex_unlock(&p->lock);
        if (!t)
            return;
        thread_release(t);      /* may free p when it is the last */
        if (last)
            return;
    }
}

static void host_path(const char *gpath, char *out)
{
    snprintf(out, PATH_MAX, "%s%s", penv->root, gpath);
    /* Make the parent directories. */
    for (char *s = out + strlen(penv->root) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = 0;
        mkdir(out, 0755);
        *s = '/';
    }
}

void root_write(const char *gpath, const void *data, size_t len, unsigned mode)
{
    char path[PATH_MAX];
    host_path(gpath, path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

void root_copy(const char *host_src, const char *gpath)
{
    FILE *f = fopen(host_src, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    assert_true(n > 0);
    char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    root_write(gpath, buf, (size_t)n, 0755);
    free(buf);
}
