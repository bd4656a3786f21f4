/* The fd table under concurrent use (also built with TSan): threads
 * install, dup, dup2, close and close_range at once while a close
 * listener counts what leaves the table. Every reference the table took
 * is given back exactly once: each file is released once, and the
 * listener saw one close per fd that was open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "fs/fd_table.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define OPS 20000
#else
#define OPS 200000
#endif
#define THREADS 4
#define RANGE 256

static atomic_long installs, closes_seen, released, created;

struct cfile {
    struct file file;
};

static void cfile_release(struct file *f)
{
    atomic_fetch_add(&released, 1);
    free(container_of(f, struct cfile, file));
}

static const struct file_ops cfile_ops = { .name = "c", .release = cfile_release };

static struct file *cfile_new(void)
{
    struct cfile *c = malloc(sizeof *c);
    atomic_fetch_add(&created, 1);
    file_init(&c->file, &cfile_ops, O_RDWR);
    return &c->file;
}

static void on_close(struct fd_close_listener *l, struct fd_table *t, int fd,
                     struct file *f)
{
    if (fd >= 0)
        atomic_fetch_add(&closes_seen, 1);
}

struct arg {
    struct fd_table *t;
    unsigned seed;
};

static void *worker(void *p)
{
    struct arg *a = p;
    unsigned s = a->seed;
    for (int i = 0; i < OPS; i++) {
        s = s * 1103515245 + 12345;
        int fd = (int)((s >> 8) % RANGE), fd2 = (int)((s >> 20) % RANGE);
        switch ((s >> 4) % 6) {
        case 0: {
            struct file *f = cfile_new();
            int r = fd_table_install(a->t, f, (s & 1) ? O_CLOEXEC : 0);
            if (r >= 0)
                atomic_fetch_add(&installs, 1);
            file_put(f);
            break;
        }
        case 1:
            if (fd_table_dup(a->t, fd) >= 0)
                atomic_fetch_add(&installs, 1);
            break;
        case 2:
            if (fd != fd2 && fd_table_dup2(a->t, fd, fd2) >= 0)
                atomic_fetch_add(&installs, 1);
            break;
        case 3:
            fd_table_close(a->t, fd);
            break;
        case 4:
            if ((s & 0xff) == 0)
                fd_table_close_range(a->t, (unsigned)fd, (unsigned)fd + 8, 0);
            else
                fd_table_set_fd_flags(a->t, fd, FD_CLOEXEC);
            break;
        case 5: {
            struct file *f;
            if (fd_table_get_file(a->t, fd, &f) == 0) {
                file_get_status_flags(f);
                file_put(f);
            }
            break;
        }
        }
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    struct fd_table *t;
    assert_int_equal(fd_table_create(RANGE, &t), 0);
    struct fd_close_listener l;
    fd_close_listener_init(&l, on_close, NULL);
    assert_int_equal(fd_table_add_close_listener(t, &l), 0);
    pthread_t th[THREADS];
    struct arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct arg){ t, 77u * (unsigned)i + 1 };
        fd_table_get(t);
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        fd_table_put(t);
    }
    fd_table_close_on_exec(t);
    long open_now = fd_table_count(t);
    assert_int_equal(atomic_load(&installs) - atomic_load(&closes_seen), open_now);
    fd_table_put(t); /* closes the rest */
    assert_int_equal(atomic_load(&closes_seen), atomic_load(&installs));
    /* every file created was released exactly once (ASan: and freed) */
    assert_int_equal(atomic_load(&released), atomic_load(&created));
    assert_true(atomic_load(&created) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
