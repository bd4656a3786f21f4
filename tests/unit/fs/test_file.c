/* The generic file layer: Linux's errno for what a type leaves out, access
 * mode checks, argument checks (compared with native calls where there is
 * a native equivalent), readv/writev fallbacks, F_GETFL/F_SETFL, FIONBIO,
 * poll defaults, poll-and-register, refcounts and the release notifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs/file.h"
#include "fs/pipe.h"

/* A minimal type: read gives 'r' bytes (at most 3 per call), write
 * swallows everything; nothing else. */
struct mini {
    struct file file;
    int released;
    int *released_flag;
};

static ssize_t mini_read(struct file *f, void *buf, size_t len)
{
    size_t n = len < 3 ? len : 3;
    memset(buf, 'r', n);
    return (ssize_t)n;
}

static ssize_t mini_write(struct file *f, const void *buf, size_t len)
{
    return (ssize_t)len;
}

static void mini_release(struct file *f)
{
    struct mini *m = container_of(f, struct mini, file);
    if (m->released_flag)
        (*m->released_flag)++;
    free(m);
}

static const struct file_ops mini_ops = {
    .name = "mini",
    .read = mini_read,
    .write = mini_write,
    .release = mini_release,
};

static const struct file_ops bare_ops = {
    .name = "bare",
    .release = mini_release,
};

static struct file *mini_new(const struct file_ops *ops, int flags, int *released)
{
    struct mini *m = calloc(1, sizeof *m);
    m->released_flag = released;
    file_init(&m->file, ops, flags);
    return &m->file;
}

static void test_defaults_errnos(void **state)
{
    struct file *f = mini_new(&bare_ops, O_RDWR, NULL);
    char buf[8];
    assert_int_equal(file_read(f, buf, 8), -EINVAL);
    assert_int_equal(file_write(f, buf, 8), -EINVAL);
    struct iovec iov = { buf, 8 };
    assert_int_equal(file_readv(f, &iov, 1), -EINVAL);
    assert_int_equal(file_pread(f, buf, 8, 0), -ESPIPE);
    assert_int_equal(file_pread(f, buf, 8, -1), -EINVAL); /* checked first */
    assert_int_equal(file_pwrite(f, buf, 8, 0), -ESPIPE);
    assert_int_equal(file_lseek(f, 0, SEEK_SET), -ESPIPE);
    int n;
    assert_int_equal(file_ioctl(f, FIONREAD, &n), -ENOTTY);
    assert_int_equal(file_fcntl(f, F_GETPIPE_SZ, 0), -EBADF);
    assert_int_equal(file_fcntl(f, F_SETPIPE_SZ, 4096), -EBADF);
    assert_int_equal(file_fcntl(f, 9999, 0), -EINVAL);
    struct stat st;
    assert_int_equal(file_stat(f, &st), 0);
    /* always ready, like a Linux file without a poll method */
    assert_int_equal(file_poll(f, IO_ALL_POLL), IO_IN | IO_OUT | IO_RDNORM | IO_WRNORM);
    assert_int_equal(file_poll(f, IO_IN), IO_IN);
    assert_null(file_notifier(f));
    assert_int_equal(file_host_fd(f), -1);
    file_recv_host_events(f, IO_IN); /* ignored */
    struct observer obs;
    observer_init(&obs, (observer_fn)abort, NULL);
    io_events_t ev;
    assert_int_equal(file_poll_register(f, IO_IN, &obs, &ev), -EPERM);
    assert_int_equal(file_poll_unregister(f, &obs), -ENOENT);
    file_put(f);
}

static void test_access_modes(void **state)
{
    char buf[8];
    struct file *r = mini_new(&mini_ops, O_RDONLY, NULL);
    struct file *w = mini_new(&mini_ops, O_WRONLY, NULL);
    assert_int_equal(file_read(r, buf, 8), 3);
    assert_int_equal(file_write(r, buf, 8), -EBADF);
    assert_int_equal(file_read(w, buf, 8), -EBADF);
    assert_int_equal(file_write(w, buf, 8), 8);
    struct iovec iov = { buf, 8 };
    assert_int_equal(file_readv(w, &iov, 1), -EBADF);
    assert_int_equal(file_writev(r, &iov, 1), -EBADF);
    /* the same on a native pipe */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(read(p[1], buf, 1), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(write(p[0], buf, 1), -1);
    assert_int_equal(errno, EBADF);
    close(p[0]);
    close(p[1]);
    file_put(r);
    file_put(w);
}

static void test_iov_checks_and_fallback(void **state)
{
    struct file *f = mini_new(&mini_ops, O_RDWR, NULL);
    char a[5], b[5];
    struct iovec iov[3] = { { a, 2 }, { NULL, 0 }, { b, 5 } };
    /* read fallback: loops until a short read */
    memset(a, 0, 5);
    memset(b, 0, 5);
    assert_int_equal(file_readv(f, iov, 3), 5); /* 2, then 3 (short) */
    assert_int_equal(a[1], 'r');
    assert_int_equal(b[2], 'r');
    assert_int_equal(b[3], 0);
    assert_int_equal(file_writev(f, iov, 3), 7);
    assert_int_equal(file_writev(f, iov, 0), 0);

    /* bad counts: EINVAL like Linux (compared natively) */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(file_readv(f, iov, -1), -EINVAL);
    assert_int_equal(file_readv(f, iov, IOV_MAX + 1), -EINVAL);
    errno = 0;
    assert_int_equal(syscall(SYS_readv, p[0], iov, IOV_MAX + 1), -1);
    assert_int_equal(errno, EINVAL);
    /* a negative length (as ssize_t) is EINVAL */
    struct iovec neg = { a, (size_t)-1 };
    assert_int_equal(file_writev(f, &neg, 1), -EINVAL);
    errno = 0;
    assert_int_equal(syscall(SYS_writev, p[1], &neg, 1), -1);
    assert_int_equal(errno, EINVAL);
    /* a huge total is capped (MAX_RW_COUNT), not an error */
    struct iovec big[2] = { { a, SSIZE_MAX }, { b, SSIZE_MAX } };
    assert_int_equal(file_writev(f, big, 2), INT_MAX & ~4095);
    close(p[0]);
    close(p[1]);
    file_put(f);
}

static void test_status_flags(void **state)
{
    struct file *f = mini_new(&mini_ops, O_WRONLY | O_CREAT | O_CLOEXEC | O_TRUNC, NULL);
    /* only access mode and status flags are kept */
    assert_int_equal(file_fcntl(f, F_GETFL, 0), O_WRONLY);
    assert_int_equal(file_fcntl(f, F_SETFL, O_NONBLOCK | O_APPEND | O_RDWR | O_CREAT), 0);
    assert_int_equal(file_fcntl(f, F_GETFL, 0), O_WRONLY | O_NONBLOCK | O_APPEND);
    assert_true(file_nonblocking(f));
    /* O_DIRECT refused by a type that does not accept it */
    assert_int_equal(file_fcntl(f, F_SETFL, O_DIRECT), -EINVAL);
    assert_int_equal(file_fcntl(f, F_GETFL, 0), O_WRONLY | O_NONBLOCK | O_APPEND);
    int off = 0, on = 1;
    assert_int_equal(file_ioctl(f, FIONBIO, &off), 0);
    assert_false(file_nonblocking(f));
    assert_int_equal(file_ioctl(f, FIONBIO, &on), 0);
    assert_true(file_nonblocking(f));
    assert_int_equal(file_ioctl(f, FIONBIO, NULL), -EFAULT);
    file_put(f);

    /* compare F_SETFL on a native pipe and ours */
    int p[2];
    struct file *r, *w;
    assert_int_equal(pipe(p), 0);
    assert_int_equal(pipe_create(0, &r, &w), 0);
    assert_int_equal(file_fcntl(r, F_GETFL, 0), fcntl(p[0], F_GETFL));
    assert_int_equal(file_fcntl(w, F_GETFL, 0), fcntl(p[1], F_GETFL));
    int flags = O_APPEND | O_NONBLOCK | O_DIRECT;
    assert_int_equal(file_fcntl(w, F_SETFL, flags), fcntl(p[1], F_SETFL, flags));
    assert_int_equal(file_fcntl(w, F_GETFL, 0), fcntl(p[1], F_GETFL));
    file_put(r);
    file_put(w);
    close(p[0]);
    close(p[1]);
}

struct rel_obs {
    struct observer obs;
    struct file *seen;
    int refs_at_call;
};

static void rel_fn(struct observer *obs, io_events_t ev, const void *info)
{
    struct rel_obs *r = obs->context;
    struct file *f = (struct file *)info;
    r->seen = f;
    r->refs_at_call = (int)atomic_load(&f->refs);
    assert_true(ev & IO_CLOSED);
    notifier_unregister(file_release_notifier(f), obs);
}

static void test_refcount_and_release_notifier(void **state)
{
    int released = 0;
    struct file *f = mini_new(&mini_ops, O_RDWR, &released);
    struct rel_obs r = { 0 };
    observer_init(&r.obs, rel_fn, &r);
    assert_int_equal(notifier_register(file_release_notifier(f), &r.obs, 0), 0);
    file_get(f);
    assert_true(file_tryget(f));
    file_put(f);
    file_put(f);
    assert_null(r.seen);
    assert_int_equal(released, 0);
    file_put(f);
    assert_ptr_equal(r.seen, f);
    assert_int_equal(r.refs_at_call, 0);
    assert_int_equal(released, 1);
    assert_false(observer_is_registered(&r.obs));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_errnos),
        cmocka_unit_test(test_access_modes),
        cmocka_unit_test(test_iov_checks_and_fallback),
        cmocka_unit_test(test_status_flags),
        cmocka_unit_test(test_refcount_and_release_notifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
