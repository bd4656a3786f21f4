/* One fs_ctx shared by several threads (a process's threads): chdir,
 * umask, relative opens and copies run concurrently; every relative open
 * finds its file in whichever directory is the cwd at that moment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "vfs_fixture.h"

static struct vfx X;

static void *chdirs(void *arg)
{
    for (int i = 0; i < 2000; i++) {
        assert_int_equal(vfs_chdir(X.fs, NULL, i & 1 ? "/a" : "/a/b/c"), 0);
        fs_ctx_umask(X.fs, i & 1 ? 022 : 077, true);
    }
    return NULL;
}

static void *openers(void *arg)
{
    for (int i = 0; i < 2000; i++) {
        struct file *f;
        /* "file" exists in both /a and /a/b/c */
        assert_int_equal(vfs_openat(X.fs, NULL, "file", O_RDONLY, 0, &f), 0);
        const char *p = vfs_file_path(f);
        assert_true(!strcmp(p, "/a/file") || !strcmp(p, "/a/b/c/file"));
        file_put(f);
        struct fs_ctx *copy;
        assert_int_equal(fs_ctx_copy(X.fs, &copy), 0);
        char buf[64];
        assert_true(vfs_getcwd(copy, buf, sizeof buf) > 0);
        assert_true(!strcmp(buf, "/a") || !strcmp(buf, "/a/b/c"));
        fs_ctx_put(copy);
        mode_t m = fs_ctx_umask(X.fs, 0, false);
        assert_true(m == 022 || m == 077);
    }
    return NULL;
}

static void test_shared_ctx(void **s)
{
    vfx_setup(&X);
    pthread_t t[3];
    pthread_create(&t[0], NULL, chdirs, NULL);
    pthread_create(&t[1], NULL, openers, NULL);
    pthread_create(&t[2], NULL, openers, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    vfx_teardown(&X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_ctx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
