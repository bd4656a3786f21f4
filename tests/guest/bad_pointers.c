/* System calls given invalid pointers fail with EFAULT and do not crash.
 * Raw syscall() throughout: libc wrappers may touch the memory themselves
 * (musl's stat copies through a local struct) or use the vDSO. */
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guest_check.h"

static void expect_efault(const char *what, long r)
{
    CHECK(r == -1 && errno == EFAULT, "%s returned %ld, want EFAULT", what, r);
    OUT("%s: EFAULT", what);
}

#define EF(what, ...)                                                       \
    do {                                                                    \
        errno = 0;                                                          \
        expect_efault(what, syscall(__VA_ARGS__));                          \
    } while (0)

int main(void)
{
    /* An address that was mapped and is not any more, a low address, and
     * a kernel address. */
    long pg = sysconf(_SC_PAGESIZE);
    char *gone = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(gone != MAP_FAILED && munmap(gone, (size_t)pg) == 0, "mmap/munmap");
    void *low = (void *)8;
    void *kern = (void *)0xffff880000000000ull;
    char *prot_none = mmap(NULL, (size_t)pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(prot_none != MAP_FAILED, "mmap PROT_NONE");

    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    CHECK(write(p[1], "data", 4) == 4, "write");

    EF("write(1, 8, 10)", SYS_write, 1, low, 10);
    EF("write(pipe, kernel address)", SYS_write, p[1], kern, 10);
    EF("write(pipe, PROT_NONE page)", SYS_write, p[1], prot_none, 10);
    EF("read(pipe, unmapped)", SYS_read, p[0], gone, 4);
    /* The data is still there. */
    char buf[8];
    CHECK(read(p[0], buf, 4) == 4 && !memcmp(buf, "data", 4), "pipe data lost");
    EF("stat(bad path)", SYS_newfstatat, AT_FDCWD, low, buf, 0);
    EF("stat(good path, bad buf)", SYS_newfstatat, AT_FDCWD, "/", gone, 0);
    EF("fstat(bad buf)", SYS_fstat, 1, kern);
    EF("open(bad path)", SYS_openat, AT_FDCWD, gone, O_RDONLY);
    EF("readlink(bad buf)", SYS_readlinkat, AT_FDCWD, "/proc/self/exe", gone, 100);
    EF("clock_gettime(bad)", SYS_clock_gettime, CLOCK_MONOTONIC, low);
    EF("gettimeofday(bad)", SYS_gettimeofday, gone, NULL);
    EF("nanosleep(bad req)", SYS_nanosleep, low, NULL);
    EF("uname(bad)", SYS_uname, gone);
    EF("pipe2(NULL)", SYS_pipe2, NULL, 0);
    EF("getrandom(bad)", SYS_getrandom, gone, 16, 0);
    EF("readv(bad iovec)", SYS_readv, p[0], gone, 1);
    EF("getcwd(bad)", SYS_getcwd, low, 100);
    EF("sched_getaffinity(bad)", SYS_sched_getaffinity, 0, 128, gone);
    EF("getrlimit(bad)", SYS_getrlimit, RLIMIT_NOFILE, kern);
    EF("rt_sigaction(bad act)", SYS_rt_sigaction, SIGUSR1, low, NULL, 8);
    EF("socketpair(bad sv)", SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, gone);

    /* The process is fine afterwards and no descriptor leaked. */
    int fd = open("/", O_RDONLY);
    CHECK(fd == p[1] + 1, "fd %d after the EFAULTs (expected %d)", fd, p[1] + 1);
    close(fd);
    close(p[0]);
    close(p[1]);
    OUT("bad_pointers ok");
    return 0;
}
