/* The fd table: lowest-free allocation, dup/dup2/dup3/F_DUPFD, close,
 * FD_CLOEXEC (F_GETFD/F_SETFD, FIOCLEX), close_range, the limit, copy and
 * unshare, close-on-exec, and the close notification. Errnos are compared
 * with the same native calls in the same test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/eventfd.h"
#include "fs/fd_table.h"
#include "fs/pipe.h"

/* -errno of a native call, or its result. */
#define NATIVE(call) ({ long r_ = (long)(call); r_ < 0 ? -errno : r_; })

static struct file *new_file(void)
{
    struct file *f;
    assert_int_equal(eventfd_create(0, 0, &f), 0);
    return f;
}

static struct fd_table *new_table(unsigned limit)
{
    struct fd_table *t;
    assert_int_equal(fd_table_create(limit, &t), 0);
    return t;
}

static void test_create_args(void **state)
{
    struct fd_table *t;
    assert_int_equal(fd_table_create(0, &t), -EINVAL);
    assert_int_equal(fd_table_create(FD_TABLE_MAX_LIMIT + 1, &t), -EINVAL);
    t = new_table(FD_TABLE_DEFAULT_LIMIT);
    assert_int_equal(fd_table_limit(t), FD_TABLE_DEFAULT_LIMIT);
    assert_int_equal(fd_table_set_limit(t, 0), -EINVAL);
    assert_int_equal(fd_table_count(t), 0);
    fd_table_put(t);
}

static void test_lowest_free(void **state)
{
    struct fd_table *t = new_table(1024);
    struct file *f = new_file();
    for (int i = 0; i < 200; i++)
        assert_int_equal(fd_table_install(t, f, 0), i);
    assert_int_equal(fd_table_close(t, 70), 0);
    assert_int_equal(fd_table_close(t, 3), 0);
    assert_int_equal(fd_table_close(t, 130), 0);
    assert_int_equal(fd_table_install(t, f, 0), 3);
    assert_int_equal(fd_table_dup(t, 0), 70);
    assert_int_equal(fd_table_install(t, f, O_CLOEXEC), 130);
    assert_int_equal(fd_table_get_fd_flags(t, 130), FD_CLOEXEC);
    assert_int_equal(fd_table_install(t, f, 0), 200);
    assert_int_equal(fd_table_install(t, f, O_NONBLOCK), -EINVAL);
    assert_int_equal(fd_table_count(t), 201);
    struct file *g;
    assert_int_equal(fd_table_get_file(t, 150, &g), 0);
    assert_ptr_equal(g, f);
    file_put(g);
    assert_int_equal(fd_table_get_file(t, 201, &g), -EBADF);
    assert_int_equal(fd_table_get_file(t, -1, &g), -EBADF);
    assert_int_equal(fd_table_get_file(t, 1 << 30, &g), -EBADF);
    file_put(f);
    fd_table_put(t);
}

/* Error cases, each against the native call. Our table mirrors the native
 * fds that matter: `fd` is open in both, `bad` in neither. */
static void test_errnos_vs_native(void **state)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    unsigned lim = (unsigned)rl.rlim_cur;
    struct fd_table *t = new_table(lim);
    struct file *f = new_file();
    int nfd = NATIVE(dup(0));
    assert_true(nfd >= 0);
    /* put ours at the same number */
    assert_int_equal(fd_table_dup2(t, fd_table_install(t, f, 0), nfd), nfd);
    int bad = (int)lim - 1; /* not open natively (we check) */
    assert_int_equal(NATIVE(fcntl(bad, F_GETFD)), -EBADF);
    int free_nr = nfd + 1;
    while (fcntl(free_nr, F_GETFD) >= 0)
        free_nr++;

    assert_int_equal(fd_table_close(t, -1), NATIVE(close(-1)));
    assert_int_equal(fd_table_close(t, bad), NATIVE(close(bad)));
    assert_int_equal(fd_table_dup(t, bad), NATIVE(dup(bad)));
    assert_int_equal(fd_table_dup(t, -5), NATIVE(dup(-5)));
    assert_int_equal(fd_table_dup2(t, bad, bad), NATIVE(dup2(bad, bad)));
    assert_int_equal(fd_table_dup2(t, nfd, nfd), NATIVE(dup2(nfd, nfd)));
    assert_int_equal(fd_table_dup2(t, nfd, -1), NATIVE(dup2(nfd, -1)));
    assert_int_equal(fd_table_dup2(t, nfd, (int)lim), NATIVE(dup2(nfd, (int)lim)));
    assert_int_equal(fd_table_dup2(t, bad, free_nr), NATIVE(dup2(bad, free_nr)));
    assert_int_equal(fd_table_dup3(t, nfd, nfd, 0), NATIVE(dup3(nfd, nfd, 0)));
    assert_int_equal(fd_table_dup3(t, nfd, free_nr, O_NONBLOCK),
                     NATIVE(dup3(nfd, free_nr, O_NONBLOCK)));
    assert_int_equal(fd_table_dup3(t, bad, bad, O_NONBLOCK), NATIVE(dup3(bad, bad, O_NONBLOCK)));
    assert_int_equal(fd_table_dup3(t, nfd, -1, 0), NATIVE(dup3(nfd, -1, 0)));
    assert_int_equal(fd_table_dup3(t, nfd, (int)lim, 0), NATIVE(dup3(nfd, (int)lim, 0)));
    assert_int_equal(fd_table_dup3(t, bad, free_nr, 0), NATIVE(dup3(bad, free_nr, 0)));
    assert_int_equal(fd_table_fcntl(t, nfd, F_DUPFD, (unsigned long)-1),
                     NATIVE(fcntl(nfd, F_DUPFD, -1)));
    assert_int_equal(fd_table_fcntl(t, nfd, F_DUPFD, lim), NATIVE(fcntl(nfd, F_DUPFD, lim)));
    assert_int_equal(fd_table_fcntl(t, nfd, F_DUPFD_CLOEXEC, lim),
                     NATIVE(fcntl(nfd, F_DUPFD_CLOEXEC, lim)));
    assert_int_equal(fd_table_fcntl(t, bad, F_GETFD, 0), NATIVE(fcntl(bad, F_GETFD)));
    assert_int_equal(fd_table_fcntl(t, bad, F_SETFD, 1), NATIVE(fcntl(bad, F_SETFD, 1)));
    assert_int_equal(fd_table_fcntl(t, bad, F_GETFL, 0), NATIVE(fcntl(bad, F_GETFL)));
    assert_int_equal(fd_table_fcntl(t, nfd, 9999, 0), NATIVE(fcntl(nfd, 9999)));
    assert_int_equal(fd_table_ioctl(t, bad, FIOCLEX, NULL), NATIVE(ioctl(bad, FIOCLEX)));
    assert_int_equal(fd_table_close_range(t, 5, 3, 0), NATIVE(syscall(SYS_close_range, 5, 3, 0)));
    assert_int_equal(fd_table_close_range(t, 3, 5, 8), NATIVE(syscall(SYS_close_range, 3, 5, 8)));
    assert_int_equal(fd_table_close_range(t, lim + 10, lim + 20, 0),
                     NATIVE(syscall(SYS_close_range, lim + 10, lim + 20, 0)));

    /* successes agree too */
    int d = NATIVE(fcntl(nfd, F_DUPFD_CLOEXEC, free_nr));
    assert_int_equal(fd_table_fcntl(t, nfd, F_DUPFD_CLOEXEC, free_nr), d);
    assert_int_equal(fd_table_fcntl(t, d, F_GETFD, 0), NATIVE(fcntl(d, F_GETFD)));
    assert_int_equal(fd_table_fcntl(t, d, F_SETFD, 0), NATIVE(fcntl(d, F_SETFD, 0)));
    assert_int_equal(fd_table_fcntl(t, d, F_GETFD, 0), NATIVE(fcntl(d, F_GETFD)));
    assert_int_equal(fd_table_ioctl(t, d, FIOCLEX, NULL), NATIVE(ioctl(d, FIOCLEX)));
    assert_int_equal(fd_table_fcntl(t, d, F_GETFD, 0), NATIVE(fcntl(d, F_GETFD)));
    assert_int_equal(fd_table_ioctl(t, d, FIONCLEX, NULL), NATIVE(ioctl(d, FIONCLEX)));
    assert_int_equal(fd_table_fcntl(t, d, F_GETFD, 0), NATIVE(fcntl(d, F_GETFD)));
    assert_int_equal(fd_table_dup3(t, nfd, d, O_CLOEXEC), NATIVE(dup3(nfd, d, O_CLOEXEC)));
    assert_int_equal(fd_table_fcntl(t, d, F_GETFD, 0), NATIVE(fcntl(d, F_GETFD)));
    assert_int_equal(fd_table_dup2(t, nfd, d), NATIVE(dup2(nfd, d)));
    assert_int_equal(fd_table_fcntl(t, d, F_GETFD, 0), NATIVE(fcntl(d, F_GETFD))); /* dup2 clears */
    assert_int_equal(fd_table_close(t, d), NATIVE(close(d)));
    assert_int_equal(fd_table_close(t, d), NATIVE(close(d)));
    close(nfd);
    file_put(f);
    fd_table_put(t);
}

static void test_limit(void **state)
{
    struct fd_table *t = new_table(8);
    struct file *f = new_file();
    for (int i = 0; i < 8; i++)
        assert_int_equal(fd_table_install(t, f, 0), i);
    assert_int_equal(fd_table_install(t, f, 0), -EMFILE);
    assert_int_equal(fd_table_dup(t, 0), -EMFILE);
    assert_int_equal(fd_table_fcntl(t, 0, F_DUPFD, 3), -EMFILE);
    assert_int_equal(fd_table_dup2(t, 0, 8), -EBADF);
    assert_int_equal(fd_table_dup2(t, 0, 7), 7); /* replace within the limit */
    /* lowering the limit keeps open fds above it */
    assert_int_equal(fd_table_set_limit(t, 4), 0);
    assert_int_equal(fd_table_count(t), 8);
    assert_int_equal(fd_table_close(t, 1), 0);
    assert_int_equal(fd_table_install(t, f, 0), 1);
    assert_int_equal(fd_table_close(t, 5), 0);
    assert_int_equal(fd_table_install(t, f, 0), -EMFILE); /* 5 is above it */
    assert_int_equal(fd_table_fcntl(t, 0, F_DUPFD, 4), -EINVAL);
    assert_int_equal(fd_table_dup2(t, 6, 5), -EBADF);
    struct file *g;
    assert_int_equal(fd_table_get_file(t, 6, &g), 0);
    file_put(g);
    assert_int_equal(fd_table_set_limit(t, 100), 0);
    assert_int_equal(fd_table_install(t, f, 0), 5);
    assert_int_equal(fd_table_install(t, f, 0), 8);

    /* EMFILE compared natively, in a child with a small limit */
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = { 16, 16 };
        setrlimit(RLIMIT_NOFILE, &rl);
        int last = 0;
        while ((last = dup(0)) >= 0)
            ;
        int e1 = errno;
        int e2 = dup2(0, 16) < 0 ? errno : 0;
        int e3 = fcntl(0, F_DUPFD, 16) < 0 ? errno : 0;
        _exit(e1 == EMFILE && e2 == EBADF && e3 == EINVAL ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    file_put(f);
    fd_table_put(t);
}

static void test_close_range_and_exec(void **state)
{
    struct fd_table *t = new_table(1024);
    struct file *f = new_file();
    for (int i = 0; i < 300; i++)
        assert_int_equal(fd_table_install(t, f, i % 3 == 0 ? O_CLOEXEC : 0), i);
    assert_int_equal(fd_table_close_range(t, 10, 19, CLOSE_RANGE_CLOEXEC), 0);
    for (int i = 10; i < 20; i++)
        assert_int_equal(fd_table_get_fd_flags(t, i), FD_CLOEXEC);
    assert_int_equal(fd_table_get_fd_flags(t, 20), 0);
    assert_int_equal(fd_table_close_range(t, 100, 199, 0), 0);
    assert_int_equal(fd_table_count(t), 200);
    assert_int_equal(fd_table_get_fd_flags(t, 99), FD_CLOEXEC);
    assert_int_equal(fd_table_get_fd_flags(t, 100), -EBADF);
    assert_int_equal(fd_table_get_fd_flags(t, 199), -EBADF);
    assert_int_equal(fd_table_get_fd_flags(t, 200), 0);
    assert_int_equal(fd_table_close_range(t, 250, ~0u, CLOSE_RANGE_UNSHARE), 0);
    assert_int_equal(fd_table_count(t), 150);
    assert_int_equal(fd_table_close_range(t, 0, 0, 0), 0);
    assert_int_equal(fd_table_get_fd_flags(t, 0), -EBADF);

    /* close-on-exec: fds 3,6,... and 10..19 go */
    fd_table_close_on_exec(t);
    for (int i = 1; i < 250; i++) {
        bool open = !(i >= 100 && i < 200) && i % 3 != 0 && !(i >= 10 && i < 20);
        assert_int_equal(fd_table_get_fd_flags(t, i), open ? 0 : -EBADF);
    }
    file_put(f);
    fd_table_put(t);
}

static void test_copy_and_unshare(void **state)
{
    struct fd_table *t = new_table(64);
    struct file *f = new_file();
    assert_int_equal(fd_table_install(t, f, 0), 0);
    assert_int_equal(fd_table_dup2(t, 0, 40), 40);
    assert_int_equal(fd_table_dup3(t, 0, 41, O_CLOEXEC), 41);
    struct fd_table *c;
    assert_int_equal(fd_table_copy(t, &c), 0);
    assert_int_equal(fd_table_count(c), 3);
    assert_int_equal(fd_table_limit(c), 64);
    assert_int_equal(fd_table_get_fd_flags(c, 41), FD_CLOEXEC);
    assert_int_equal(fd_table_get_fd_flags(c, 40), 0);
    assert_int_equal(fd_table_close(c, 40), 0); /* independent */
    assert_int_equal(fd_table_get_fd_flags(t, 40), 0);
    assert_int_equal(fd_table_install(c, f, 0), 1);
    fd_table_put(c);

    /* unshare: no-op for a single user; a copy when shared */
    struct fd_table *mine = t;
    assert_int_equal(fd_table_unshare(&mine), 0);
    assert_ptr_equal(mine, t);
    fd_table_get(t); /* another thread shares it */
    assert_int_equal(fd_table_unshare(&mine), 0);
    assert_ptr_not_equal(mine, t);
    assert_int_equal(fd_table_close(mine, 0), 0);
    assert_int_equal(fd_table_get_fd_flags(t, 0), 0);
    fd_table_put(mine);
    file_put(f);
    fd_table_put(t);
}

/* ---- close notification ----------------------------------------------- */

struct closed_rec {
    int fd;
    struct file *file;
};

struct recorder {
    struct fd_close_listener l;
    struct closed_rec recs[64];
    int n;
    int teardown;
    int close_also; /* close this fd from inside the callback (once) */
};

static void on_close(struct fd_close_listener *l, struct fd_table *t, int fd,
                     struct file *file)
{
    struct recorder *r = l->context;
    if (fd < 0) {
        assert_null(file);
        r->teardown++;
        return;
    }
    /* the slot is already free, the file still valid */
    assert_int_equal(fd_table_get_fd_flags(t, fd) == -EBADF ||
                     fd_table_get_fd_flags(t, fd) >= 0, 1);
    assert_true(atomic_load(&file->refs) > 0);
    r->recs[r->n++] = (struct closed_rec){ fd, file };
    if (r->close_also >= 0) {
        int other = r->close_also;
        r->close_also = -1;
        fd_table_close(t, other); /* re-entering the table: no deadlock */
    }
}

static void test_close_notification(void **state)
{
    struct fd_table *t = new_table(64);
    struct file *a = new_file(), *b = new_file();
    struct recorder r = { .close_also = -1 };
    fd_close_listener_init(&r.l, on_close, &r);
    fd_table_hold(t);
    assert_int_equal(fd_table_add_close_listener(t, &r.l), 0);
    assert_int_equal(fd_table_add_close_listener(t, &r.l), -EBUSY);

    assert_int_equal(fd_table_install(t, a, 0), 0);
    assert_int_equal(fd_table_install(t, b, 0), 1);
    assert_int_equal(fd_table_dup(t, 0), 2);
    assert_int_equal(fd_table_close(t, 2), 0);            /* close */
    assert_int_equal(fd_table_dup2(t, 0, 1), 1);          /* replaces b at 1 */
    assert_int_equal(fd_table_dup2(t, 0, 5), 5);          /* nothing replaced */
    assert_int_equal(fd_table_dup3(t, 0, 5, O_CLOEXEC), 5); /* replaces a at 5 */
    fd_table_close_on_exec(t);                            /* a at 5 */
    assert_int_equal(r.n, 4);
    assert_int_equal(r.recs[0].fd, 2);
    assert_ptr_equal(r.recs[0].file, a);
    assert_int_equal(r.recs[1].fd, 1);
    assert_ptr_equal(r.recs[1].file, b);
    assert_int_equal(r.recs[2].fd, 5);
    assert_ptr_equal(r.recs[2].file, a);
    assert_int_equal(r.recs[3].fd, 5);

    /* a listener closing another fd from inside its callback */
    assert_int_equal(fd_table_install(t, b, 0), 2);
    assert_int_equal(fd_table_install(t, b, 0), 3);
    r.close_also = 3;
    assert_int_equal(fd_table_close_range(t, 2, 2, 0), 0);
    assert_int_equal(r.n, 6);
    assert_int_equal(r.recs[4].fd, 2);
    assert_int_equal(r.recs[5].fd, 3);
    assert_int_equal(fd_table_get_fd_flags(t, 3), -EBADF);

    /* removal: no more calls */
    assert_int_equal(fd_table_remove_close_listener(t, &r.l), 0);
    assert_int_equal(fd_table_remove_close_listener(t, &r.l), -ENOENT);
    assert_int_equal(fd_table_close(t, 0), 0);
    assert_int_equal(r.n, 6);

    /* teardown: every open fd reported, then fd = -1, then unregistered */
    assert_int_equal(fd_table_add_close_listener(t, &r.l), 0);
    assert_int_equal(fd_table_install(t, a, 0), 0);
    fd_table_put(t);
    assert_int_equal(r.n, 8); /* fds 1 and 0 */
    assert_int_equal(r.teardown, 1);
    assert_false(observer_is_registered(&r.l.obs));
    assert_int_equal(fd_table_remove_close_listener(t, &r.l), -ENOENT); /* held */
    fd_table_unhold(t);
    file_put(a);
    file_put(b);
}

/* Closing the read end's last fd gives the write end EPIPE at once: the
 * table drops its reference on close (nothing keeps the file alive). */
static void test_close_releases_file(void **state)
{
    struct fd_table *t = new_table(64);
    int fds[2];
    assert_int_equal(pipe_install(t, 0, fds), 0);
    struct file *w;
    assert_int_equal(fd_table_get_file(t, fds[1], &w), 0);
    assert_int_equal(fd_table_close(t, fds[0]), 0);
    assert_int_equal(file_write(w, "x", 1), -EPIPE);
    file_put(w);
    fd_table_put(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_args),
        cmocka_unit_test(test_lowest_free),
        cmocka_unit_test(test_errnos_vs_native),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_close_range_and_exec),
        cmocka_unit_test(test_copy_and_unshare),
        cmocka_unit_test(test_close_notification),
        cmocka_unit_test(test_close_releases_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
