/* fd syscall handlers called directly on a fixture process: transfers,
 * EFAULT for bad guest pointers, EBADF, dup semantics, fcntl, ioctl,
 * fstat, pipe/eventfd, lseek/pread errors, sendfile/copy_file_range.
 * Native Linux calls are the oracle where that is easy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs/host_file.h"
#include "sys_fixture.h"

#define PAGE 4096

/* A guest pipe: fds[0] read end, fds[1] write end. */
static void guest_pipe(int flags, int fds[2])
{
    int *g = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    assert_int_equal(SC(__NR_pipe2, U(g), (uint64_t)flags), 0);
    fds[0] = g[0];
    fds[1] = g[1];
    guest_free(g, PAGE);
}

static void close_fds(int a, int b)
{
    assert_int_equal(SC(__NR_close, (uint64_t)a), 0);
    assert_int_equal(SC(__NR_close, (uint64_t)b), 0);
}

static void test_pipe_read_write(void **state)
{
    (void)state;
    int p[2];
    guest_pipe(0, p);
    assert_true(p[0] >= 0 && p[1] > p[0]);
    char *buf = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    memcpy(buf, "hello, pipe", 11);
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(buf), 11), 11);
    memset(buf, 0, PAGE);
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(buf), PAGE), 11);
    assert_memory_equal(buf, "hello, pipe", 11);
    /* count 0 touches nothing, even with a bad pointer */
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], 1, 0), 0);
    /* EOF after the writer goes */
    assert_int_equal(SC(__NR_close, (uint64_t)p[1]), 0);
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(buf), PAGE), 0);
    assert_int_equal(SC(__NR_close, (uint64_t)p[0]), 0);
    /* pipe(2) too */
    int *g = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    assert_int_equal(SC(__NR_pipe, U(g)), 0);
    assert_int_equal(fcntl(-1, F_GETFD), -1); /* keep errno use local */
    assert_int_equal(SC(__NR_fcntl, (uint64_t)g[0], F_GETFL), O_RDONLY);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)g[1], F_GETFL), O_WRONLY);
    close_fds(g[0], g[1]);
    guest_free(g, PAGE);
    guest_free(buf, PAGE);
}

static void test_readv_writev(void **state)
{
    (void)state;
    int p[2];
    guest_pipe(0, p);
    char *mem = guest_alloc(2 * PAGE, PROT_READ | PROT_WRITE);
    struct iovec *iov = (struct iovec *)mem;
    char *data = mem + PAGE;
    memcpy(data, "abcdefgh", 8);
    iov[0] = (struct iovec){ data, 3 };
    iov[1] = (struct iovec){ data + 3, 0 };
    iov[2] = (struct iovec){ data + 3, 5 };
    assert_int_equal(SC(__NR_writev, (uint64_t)p[1], U(iov), 3), 8);
    memset(data, 0, 16);
    iov[0] = (struct iovec){ data + 8, 2 };
    iov[1] = (struct iovec){ data + 12, 10 };
    assert_int_equal(SC(__NR_readv, (uint64_t)p[0], U(iov), 2), 8);
    assert_memory_equal(data + 8, "ab", 2);
    assert_memory_equal(data + 12, "cdefgh", 6);
    /* iovcnt limits, as Linux: > IOV_MAX is EINVAL, 0 is 0 */
    assert_int_equal(SC(__NR_writev, (uint64_t)p[1], U(iov), IOV_MAX + 1), -EINVAL);
    assert_int_equal(SC(__NR_writev, (uint64_t)p[1], U(iov), 0), 0);
    /* a negative length is EINVAL (before any address check) */
    iov[0] = (struct iovec){ (void *)1, (size_t)-1 };
    assert_int_equal(SC(__NR_writev, (uint64_t)p[1], U(iov), 1), -EINVAL);
    /* a host pointer in an iovec, or the array itself outside the guest */
    char host[8];
    iov[0] = (struct iovec){ host, sizeof host };
    assert_int_equal(SC(__NR_writev, (uint64_t)p[1], U(iov), 1), -EFAULT);
    struct iovec hiov[1] = { { data, 1 } };
    assert_int_equal(SC(__NR_writev, (uint64_t)p[1], U(hiov), 1), -EFAULT);
    /* preadv on a pipe: ESPIPE (Linux checks before the iovecs) */
    assert_int_equal(SC(__NR_preadv, (uint64_t)p[0], U(hiov), 1, 0, 0), -ESPIPE);
    /* preadv2 with offset -1 is readv; unknown flags refused */
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(data), 4), 4);
    iov[0] = (struct iovec){ data + 100, 4 };
    assert_int_equal(SC(__NR_preadv2, (uint64_t)p[0], U(iov), 1, (uint64_t)-1, 0, 0), 4);
    assert_int_equal(SC(__NR_preadv2, (uint64_t)p[0], U(iov), 1, (uint64_t)-1, 0, 0x8),
                     -EOPNOTSUPP);
    close_fds(p[0], p[1]);
    guest_free(mem, 2 * PAGE);
}

static void test_efault(void **state)
{
    (void)state;
    int p[2];
    guest_pipe(O_NONBLOCK, p);
    char *host = malloc(64);
    assert_non_null(host);
    memset(host, 'x', 64);
    /* a host pointer is not guest memory */
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(host), 64), -EFAULT);
    /* an unmapped pool address */
    char *gone = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    guest_free(gone, PAGE);
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(gone), 16), -EFAULT);
    assert_int_equal(SC(__NR_pipe2, U(gone), 0), -EFAULT);
    /* read() into a read-only buffer */
    char *ro = guest_alloc(PAGE, PROT_READ);
    char *rw = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(rw), 8), 8);
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(ro), 8), -EFAULT);
    /* the data is still there: nothing was consumed */
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(rw), 8), 8);
    /* a buffer running off the end of the mapping */
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(rw + PAGE - 4), 8), -EFAULT);
    /* structs out: fstat into read-only memory */
    assert_int_equal(SC(__NR_fstat, (uint64_t)p[0], U(ro)), -EFAULT);
    /* pread64 with a negative offset is EINVAL before anything else */
    assert_int_equal(SC(__NR_pread64, 12345, U(host), 1, (uint64_t)-1), -EINVAL);
    close_fds(p[0], p[1]);
    guest_free(ro, PAGE);
    guest_free(rw, PAGE);
    free(host);
}

static void test_ebadf(void **state)
{
    (void)state;
    char *buf = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    assert_int_equal(SC(__NR_read, 999, U(buf), 1), -EBADF);
    assert_int_equal(SC(__NR_write, (uint64_t)-1, U(buf), 1), -EBADF);
    assert_int_equal(SC(__NR_close, 999), -EBADF);
    assert_int_equal(SC(__NR_fstat, 999, U(buf)), -EBADF);
    int p[2];
    guest_pipe(0, p);
    /* wrong direction: EBADF even with a bad pointer (Linux checks the
     * mode first) */
    assert_int_equal(SC(__NR_write, (uint64_t)p[0], 1, 1), -EBADF);
    assert_int_equal(SC(__NR_read, (uint64_t)p[1], 1, 1), -EBADF);
    assert_int_equal(SC(__NR_lseek, (uint64_t)p[0], 0, SEEK_SET), -ESPIPE);
    assert_int_equal(SC(__NR_pread64, (uint64_t)p[0], U(buf), 1, 0), -ESPIPE);
    close_fds(p[0], p[1]);
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(buf), 1), -EBADF);
    guest_free(buf, PAGE);
}

static void test_dup(void **state)
{
    (void)state;
    int p[2];
    guest_pipe(0, p);
    int n[2];
    assert_int_equal(pipe(n), 0);
    /* dup2 to itself: the fd, if open (as native) */
    assert_int_equal(SC(__NR_dup2, (uint64_t)p[0], (uint64_t)p[0]), p[0]);
    assert_int_equal(dup2(n[0], n[0]), n[0]);
    /* dup3 to itself: EINVAL (as native) */
    assert_int_equal(SC(__NR_dup3, (uint64_t)p[0], (uint64_t)p[0], 0), -EINVAL);
    assert_int_equal(dup3(n[0], n[0], 0), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(SC(__NR_dup3, (uint64_t)p[0], 50, 0x1234), -EINVAL);
    /* dup3 with O_CLOEXEC; dup2 replaces silently */
    assert_int_equal(SC(__NR_dup3, (uint64_t)p[0], 50, O_CLOEXEC), 50);
    assert_int_equal(SC(__NR_fcntl, 50, F_GETFD), FD_CLOEXEC);
    assert_int_equal(SC(__NR_dup2, (uint64_t)p[1], 50), 50);
    assert_int_equal(SC(__NR_fcntl, 50, F_GETFD), 0);
    assert_int_equal(SC(__NR_fcntl, 50, F_GETFL), O_WRONLY);
    /* the lowest free number */
    int d = (int)SC(__NR_dup, (uint64_t)p[0]);
    assert_true(d > p[1]);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[0], F_DUPFD, 60), 60);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[0], F_DUPFD_CLOEXEC, 60), 61);
    assert_int_equal(SC(__NR_fcntl, 61, F_GETFD), FD_CLOEXEC);
    /* beyond the limit */
    assert_int_equal(SC(__NR_dup2, (uint64_t)p[0], 1 << 20), -EBADF);
    assert_int_equal(SC(__NR_dup2, 999, 10), -EBADF);
    /* close_range over them */
    assert_int_equal(SC(__NR_close_range, 50, 61, 0), 0);
    assert_int_equal(SC(__NR_fcntl, 60, F_GETFD), -EBADF);
    assert_int_equal(SC(__NR_close_range, 10, 5, 0), -EINVAL);
    assert_int_equal(SC(__NR_close, (uint64_t)d), 0);
    close_fds(p[0], p[1]);
    close(n[0]);
    close(n[1]);
}

static void test_fcntl_ioctl(void **state)
{
    (void)state;
    int p[2];
    guest_pipe(0, p);
    char *buf = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    /* O_NONBLOCK through F_SETFL, then FIONBIO */
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[0], F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[0], F_GETFL), O_RDONLY | O_NONBLOCK);
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(buf), 1), -EAGAIN);
    int *iarg = (int *)(buf + 1024);
    *iarg = 0;
    assert_int_equal(SC(__NR_ioctl, (uint64_t)p[0], FIONBIO, U(iarg)), 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[0], F_GETFL), O_RDONLY);
    *iarg = 1;
    assert_int_equal(SC(__NR_ioctl, (uint64_t)p[0], FIONBIO, U(iarg)), 0);
    /* FIONREAD writes the count back to guest memory */
    assert_int_equal(SC(__NR_write, (uint64_t)p[1], U(buf), 5), 5);
    *iarg = -1;
    assert_int_equal(SC(__NR_ioctl, (uint64_t)p[0], FIONREAD, U(iarg)), 0);
    assert_int_equal(*iarg, 5);
    assert_int_equal(SC(__NR_ioctl, (uint64_t)p[0], FIONREAD, U(&iarg)), -EFAULT);
    /* FIOCLEX / FIONCLEX */
    assert_int_equal(SC(__NR_ioctl, (uint64_t)p[0], FIOCLEX, 0), 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[0], F_GETFD), FD_CLOEXEC);
    assert_int_equal(SC(__NR_ioctl, (uint64_t)p[0], FIONCLEX, 0), 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[0], F_GETFD), 0);
    /* a tty ioctl on a pipe: ENOTTY, as native */
    int n[2];
    assert_int_equal(pipe(n), 0);
    struct winsize ws;
    assert_int_equal(ioctl(n[0], TIOCGWINSZ, &ws), -1);
    assert_int_equal(errno, ENOTTY);
    assert_int_equal(SC(__NR_ioctl, (uint64_t)p[0], TIOCGWINSZ, U(buf)), -ENOTTY);
    /* pipe size (native default too) */
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[0], F_GETPIPE_SZ),
                     fcntl(n[0], F_GETPIPE_SZ));
    close(n[0]);
    close(n[1]);
    /* record locks: checked, granted */
    struct flock *fl = (struct flock *)(buf + 2048);
    memset(fl, 0, sizeof *fl);
    fl->l_type = F_WRLCK;
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[1], F_SETLK, U(fl)), 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[1], F_GETLK, U(fl)), 0);
    assert_int_equal(fl->l_type, F_UNLCK);
    fl->l_type = 77;
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[1], F_SETLK, U(fl)), -EINVAL);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)p[1], F_SETLK, U(&fl)), -EFAULT);
    assert_int_equal(SC(__NR_fcntl, 999, F_GETFD), -EBADF);
    /* fstat: a FIFO */
    struct stat *st = (struct stat *)(buf + 3072 - sizeof(struct stat));
    assert_int_equal(SC(__NR_fstat, (uint64_t)p[0], U(st)), 0);
    assert_true(S_ISFIFO(st->st_mode));
    close_fds(p[0], p[1]);
    guest_free(buf, PAGE);
}

static void test_eventfd(void **state)
{
    (void)state;
    uint64_t *v = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    int efd = (int)SC(__NR_eventfd2, 3, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true(efd >= 0);
    assert_int_equal(SC(__NR_fcntl, (uint64_t)efd, F_GETFD), FD_CLOEXEC);
    v[0] = 4;
    assert_int_equal(SC(__NR_write, (uint64_t)efd, U(v), 8), 8);
    assert_int_equal(SC(__NR_read, (uint64_t)efd, U(v), 8), 8);
    assert_int_equal(v[0], 7);
    assert_int_equal(SC(__NR_read, (uint64_t)efd, U(v), 8), -EAGAIN);
    assert_int_equal(SC(__NR_eventfd2, 0, 0x12345), -EINVAL);
    int e2 = (int)SC(__NR_eventfd, 0);
    assert_true(e2 >= 0);
    assert_int_equal(SC(__NR_close, (uint64_t)efd), 0);
    assert_int_equal(SC(__NR_close, (uint64_t)e2), 0);
    guest_free(v, PAGE);
}

/* A host regular file with `content`, installed as a guest fd. */
static int host_tmp_fd(const char *content, int flags)
{
    char path[] = "/tmp/onespace-sysfd-XXXXXX";
    int h = mkstemp(path);
    assert_true(h >= 0);
    unlink(path);
    size_t n = strlen(content);
    assert_int_equal(write(h, content, n), (ssize_t)n);
    assert_int_equal(lseek(h, 0, SEEK_SET), 0);
    struct file *f;
    assert_int_equal(host_file_create(h, flags, HOST_FILE_OWN_FD, &f), 0);
    int fd = fd_table_install(fx->proc.fds, f, 0);
    file_put(f);
    assert_true(fd >= 0);
    return fd;
}

static void test_positioned_and_copy(void **state)
{
    (void)state;
    char *buf = guest_alloc(PAGE, PROT_READ | PROT_WRITE);
    int fd = host_tmp_fd("0123456789", O_RDWR);
    assert_int_equal(SC(__NR_pread64, (uint64_t)fd, U(buf), 4, 3), 4);
    assert_memory_equal(buf, "3456", 4);
    memcpy(buf, "AB", 2);
    assert_int_equal(SC(__NR_pwrite64, (uint64_t)fd, U(buf), 2, 8), 2);
    assert_int_equal(SC(__NR_lseek, (uint64_t)fd, 0, SEEK_END), 10);
    struct iovec *iov = (struct iovec *)(buf + 2048);
    iov[0] = (struct iovec){ buf + 100, 2 };
    iov[1] = (struct iovec){ buf + 200, 3 };
    assert_int_equal(SC(__NR_preadv, (uint64_t)fd, U(iov), 2, 6, 0), 4);
    assert_memory_equal(buf + 100, "67", 2);
    assert_memory_equal(buf + 200, "AB", 2);
    assert_int_equal(SC(__NR_pread64, (uint64_t)fd, U(buf), 4, (uint64_t)-5), -EINVAL);

    /* sendfile into a pipe, with an offset in guest memory */
    int p[2];
    guest_pipe(0, p);
    off_t *off = (off_t *)(buf + 3008);
    *off = 2;
    assert_int_equal(SC(__NR_sendfile, (uint64_t)p[1], (uint64_t)fd, U(off), 5), 5);
    assert_int_equal(*off, 7);
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(buf), 64), 5);
    assert_memory_equal(buf, "23456", 5);
    /* without an offset: from the file position */
    assert_int_equal(SC(__NR_lseek, (uint64_t)fd, 8, SEEK_SET), 8);
    assert_int_equal(SC(__NR_sendfile, (uint64_t)p[1], (uint64_t)fd, 0, 100), 2);
    assert_int_equal(SC(__NR_read, (uint64_t)p[0], U(buf), 64), 2);
    assert_memory_equal(buf, "AB", 2);
    assert_int_equal(SC(__NR_sendfile, (uint64_t)p[0], (uint64_t)fd, 0, 1), -EBADF);

    /* copy_file_range between two regular files */
    int out = host_tmp_fd("", O_RDWR);
    off_t *oin = (off_t *)(buf + 3104);
    *oin = 1;
    assert_int_equal(SC(__NR_copy_file_range, (uint64_t)fd, U(oin), (uint64_t)out, 0, 4, 0), 4);
    assert_int_equal(*oin, 5);
    assert_int_equal(SC(__NR_pread64, (uint64_t)out, U(buf), 64, 0), 4);
    assert_memory_equal(buf, "1234", 4);
    assert_int_equal(SC(__NR_copy_file_range, (uint64_t)fd, 0, (uint64_t)out, 0, 4, 1), -EINVAL);
    /* a pipe is not a regular file */
    assert_int_equal(SC(__NR_copy_file_range, (uint64_t)p[0], 0, (uint64_t)out, 0, 4, 0), -EINVAL);
    close_fds(p[0], p[1]);
    close_fds(fd, out);
    guest_free(buf, PAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_read_write),
        cmocka_unit_test(test_readv_writev),
        cmocka_unit_test(test_efault),
        cmocka_unit_test(test_ebadf),
        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_fcntl_ioctl),
        cmocka_unit_test(test_eventfd),
        cmocka_unit_test(test_positioned_and_copy),
    };
    return cmocka_run_group_tests(tests, sys_fixture_setup, sys_fixture_teardown);
}
