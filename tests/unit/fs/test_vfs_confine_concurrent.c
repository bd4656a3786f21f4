/* Confinement under races: while one thread keeps swapping a directory
 * for symlinks that point outside the root (absolute host paths, chains
 * of ".."), other threads open paths through it. They must only ever see
 * the guest's file or an error, never the host file outside the root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "vfs_fixture.h"

static struct vfx X;
static atomic_bool stop;
static atomic_int seen_inside, seen_outside;

static void *swapper(void *arg)
{
    char d[PATH_MAX + 16], tmpdir[PATH_MAX + 16];
    snprintf(d, sizeof d, "%s/race/x", X.root);
    snprintf(tmpdir, sizeof tmpdir, "%s/race/xdir", X.root);
    const char *targets[] = { X.outside,                          /* absolute host path */
                              "../../../../../../../../../outside", /* climbing */
                              "/../../../outside" };
    for (int i = 0; i < 3000; i++) {
        /* x: the real dir, then a link that points outside, then the dir */
        if (rename(d, tmpdir) < 0 || symlink(targets[i % 3], d) < 0)
            abort();
        if (unlink(d) < 0 || rename(tmpdir, d) < 0)
            abort();
    }
    atomic_store(&stop, true);
    return NULL;
}

static void *opener(void *arg)
{
    char buf[64];
    const char *paths[] = { "/race/x/secret", "race/x/secret", "/race/x/../x/secret",
                            "/race/x/outside/secret", "/race/x/../../outside/secret" };
    int i = 0;
    while (!atomic_load(&stop)) {
        struct file *f;
        if (vfs_openat(X.fs, NULL, paths[i++ % 5], O_RDONLY, 0, &f) == 0) {
            vfx_read_all(f, buf, sizeof buf);
            if (!strcmp(buf, "host secret\n"))
                atomic_fetch_add(&seen_outside, 1);
            else
                atomic_fetch_add(&seen_inside, 1);
            file_put(f);
        }
    }
    return NULL;
}

static void test_swap_race(void **s)
{
    vfx_setup(&X);
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s/race", X.root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/race/x", X.root);
    mkdir(p, 0755);
    vfx_write(p, "secret", "guest file\n");
    pthread_t t[3];
    pthread_create(&t[0], NULL, swapper, NULL);
    pthread_create(&t[1], NULL, opener, NULL);
    pthread_create(&t[2], NULL, opener, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    print_message("guest file read %d times during the swaps\n", atomic_load(&seen_inside));
    assert_int_equal(atomic_load(&seen_outside), 0);
    vfx_teardown(&X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swap_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
