/* One fs_ctx shared by several threads (a process's threads): chdir,
 * umask, relative opens and copies run concurrently; every relative open
 * finds its file in whichever directory is the cwd at that moment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "vfs_fixture.h"

static struct vfx X;
static atomic_int failures;

/* cmocka's asserts must not run off the main thread: count and report */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "line %d: %s\n", __LINE__, #cond);                 \
            atomic_fetch_add(&failures, 1);                                    \
        }                                                                      \
    } while (0)

static void *chdirs(void *arg)
{
    for (int i = 0; i < 2000; i++) {
        CHECK(vfs_chdir(X.fs, NULL, i & 1 ? "/a" : "/a/b/c") == 0);
        fs_ctx_umask(X.fs, i & 1 ? 022 : 077, true);
    }
    return NULL;
}

static void *openers(void *arg)
{
    for (int i = 0; i < 2000; i++) {
        struct file *f;
        /* "file" exists in both /a and /a/b/c */
        int r = vfs_openat(X.fs, NULL, "file", O_RDONLY, 0, &f);
        CHECK(r == 0);
        if (r == 0) {
            const char *p = vfs_file_path(f);
            CHECK(!strcmp(p, "/a/file") || !strcmp(p, "/a/b/c/file"));
            file_put(f);
        }
        struct fs_ctx *copy;
        r = fs_ctx_copy(X.fs, &copy);
        CHECK(r == 0);
        if (r == 0) {
            char buf[64];
            CHECK(vfs_getcwd(copy, buf, sizeof buf) > 0);
            CHECK(!strcmp(buf, "/a") || !strcmp(buf, "/a/b/c"));
            fs_ctx_put(copy);
        }
        mode_t m = fs_ctx_umask(X.fs, 0, false);
        CHECK(m == 022 || m == 077);
    }
    return NULL;
}

static void test_shared_ctx(void **s)
{
    vfx_setup(&X);
    assert_int_equal(vfs_chdir(X.fs, NULL, "/a"), 0);
    pthread_t t[3];
    pthread_create(&t[0], NULL, chdirs, NULL);
    pthread_create(&t[1], NULL, openers, NULL);
    pthread_create(&t[2], NULL, openers, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    vfx_teardown(&X);
    assert_int_equal(atomic_load(&failures), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_ctx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
