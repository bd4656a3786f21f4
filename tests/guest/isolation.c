/* Isolation and confinement (onespace only: in onespace every process
 * lives in one address space and one host process, so these are the
 * walls onespace itself must keep; natively they are the kernel's).
 *
 * Memory: a spawned "victim" maps a page with a known pattern and sends
 * its address (and one on its stack and one in its code) through a pipe.
 * This process then hands those addresses to every syscall that takes a
 * pointer or a range: each must fail exactly as Linux fails for an
 * address not mapped in the caller (EFAULT for buffers, ENOMEM for
 * mprotect/madvise/msync/mincore, EFAULT for mremap; munmap of an
 * unmapped range succeeds: the victim's page must still be there), and
 * MAP_FIXED over it must not take it. A helper process with its signal
 * stack set to the victim's page must die of SIGSEGV, and a thread whose
 * clear_child_tid points there must not write it. At the end the victim
 * checks its page and stack byte for byte.
 *
 * Paths: .., absolute and relative symlinks, loops, /proc/self/root,
 * /proc/self/fd/N, openat with a dirfd, O_PATH, rename/link targets and
 * long names never reach outside the root (the image has no /etc, so
 * /etc/passwd is the host's if it opens), and no symlink in /proc shows a
 * host path.
 *
 * /proc/<pid> of the victim shows the victim's memory map (with its page,
 * without ours) and our own map does not show its page; /proc/<pid>/mem
 * is not there.
 *
 * Prints "isolation ok" last (run_onespace_only.sh). Natively the memory
 * part is meaningful only where the victim's address is unmapped here
 * (checked first), and the path part fails (no chroot): it is not a native
 * test. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

extern char **environ;

#define PAGE 4096
#define PATTERN 0xa5
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* A raw syscall's result as -errno (libc wrappers may check or round). */
static long raw(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}
#define RAW3(nr, a, b, c) raw(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define EXPECT(call, want)                                                     \
    do {                                                                       \
        long r_ = (call);                                                      \
        CHECK(r_ == (want), "%s = %ld, want %ld", #call, r_, (long)(want));    \
    } while (0)

/* ---- the victim -------------------------------------------------------- */

struct victim_msg {
    uint64_t page, stack, code;
};

static int victim_main(int wfd, int rfd)
{
    unsigned char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED, "victim mmap");
    memset(page, PATTERN, PAGE);
    volatile unsigned char on_stack[256];
    for (size_t i = 0; i < sizeof on_stack; i++)
        on_stack[i] = (unsigned char)i;
    struct victim_msg m = { (uintptr_t)page, (uintptr_t)on_stack, (uintptr_t)victim_main };
    CHECK(write(wfd, &m, sizeof m) == sizeof m, "victim write");
    char go;
    CHECK(read(rfd, &go, 1) == 1, "victim read");
    for (size_t i = 0; i < PAGE; i++)
        CHECK(page[i] == PATTERN, "victim page byte %zu is %#x", i, page[i]);
    for (size_t i = 0; i < sizeof on_stack; i++)
        CHECK(on_stack[i] == (unsigned char)i, "victim stack byte %zu changed", i);
    return 0;
}

/* ---- a process whose signal stack is the victim's page --------------------- */

static void on_usr1(int s) { (void)s; }

static int altstack_main(uint64_t addr)
{
    /* The frame goes at the top: make that the victim's page. */
    size_t size = 64 * 1024;
    stack_t ss = { .ss_sp = (void *)(uintptr_t)(addr + PAGE - size), .ss_size = size };
    /* Linux does not check the memory here; the delivery then faults. */
    if (sigaltstack(&ss, NULL) != 0)
        return 3;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    return 4;   /* the handler ran on someone else's memory */
}

static pid_t spawn_self(const char *self, char *const argv[])
{
    pid_t pid;
    int err = posix_spawn(&pid, self, NULL, NULL, argv, environ);
    CHECK(err == 0, "posix_spawn %s: %d", argv[1], err);
    return pid;
}

/* ---- memory checks ------------------------------------------------------- */

static uint64_t clear_tid_target;
static void *set_tid_thread(void *arg)
{
    (void)arg;
    syscall(SYS_set_tid_address, (long)clear_tid_target);
    return NULL;
}

static void memory_checks(const char *self, const struct victim_msg *m)
{
    const uint64_t addrs[] = { m->page, m->stack, m->code };
    const char *names[] = { "page", "stack", "code" };
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
    int file = open("/tmp/isolation.data", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(file >= 0, "open data file");
    CHECK(write(file, "0123456789abcdef", 16) == 16, "write data file");

    for (int i = 0; i < 3; i++) {
        uint64_t a = addrs[i];
        uint64_t pg = a & ~(uint64_t)(PAGE - 1);
        unsigned char vec[1];
        /* Not ours: mincore says so (ENOMEM, as for any unmapped range). */
        EXPECT(RAW3(SYS_mincore, pg, PAGE, vec), -ENOMEM);

        /* Reading it: write/pwrite/writev/send from it. */
        EXPECT(RAW3(SYS_write, fds[1], a, 16), -EFAULT);
        EXPECT(raw(SYS_pwrite64, file, (long)a, 16, 0, 0, 0), -EFAULT);
        struct iovec iov = { (void *)(uintptr_t)a, 16 };
        EXPECT(RAW3(SYS_writev, fds[1], &iov, 1), -EFAULT);
        EXPECT(raw(SYS_sendto, sv[0], (long)a, 16, 0, 0, 0), -EFAULT);
        /* Writing it: read/pread/readv/recv/pipe read/getrandom into it. */
        EXPECT(raw(SYS_pread64, file, (long)a, 16, 0, 0, 0), -EFAULT);
        CHECK(lseek(file, 0, SEEK_SET) == 0, "lseek");
        EXPECT(RAW3(SYS_read, file, a, 16), -EFAULT);
        EXPECT(RAW3(SYS_readv, file, &iov, 1), -EFAULT);
        CHECK(write(fds[1], "xxxxxxxxxxxxxxxx", 16) == 16, "pipe write");
        EXPECT(RAW3(SYS_read, fds[0], a, 16), -EFAULT);
        char drain[64];
        CHECK(read(fds[0], drain, sizeof drain) > 0 || 1, "drain");
        CHECK(write(sv[1], "yyyyyyyyyyyyyyyy", 16) == 16, "socket write");
        EXPECT(raw(SYS_recvfrom, sv[0], (long)a, 16, 0, 0, 0), -EFAULT);
        CHECK(recv(sv[0], drain, sizeof drain, MSG_DONTWAIT) > 0 || 1, "drain");
        EXPECT(RAW3(SYS_getrandom, a, 16, 0), -EFAULT);
        EXPECT(RAW3(SYS_clock_gettime, CLOCK_MONOTONIC, a, 0), -EFAULT);
        EXPECT(RAW3(SYS_uname, a, 0, 0), -EFAULT);
        EXPECT(RAW3(SYS_pipe2, a, 0, 0), -EFAULT);
        EXPECT(raw(SYS_futex, (long)a, 1 /* FUTEX_WAKE */, 1, 0, 0, 0), -EFAULT);
        EXPECT(raw(SYS_futex, (long)a, 0 /* FUTEX_WAIT */, 0, 0, 0, 0), -EFAULT);
        /* process_vm_readv/writev with its address as our local buffer. */
        struct iovec mine = { drain, 16 };
        long r = raw(SYS_process_vm_readv, getpid(), (long)&iov, 1, (long)&mine, 1, 0);
        CHECK(r == -EFAULT || r == -ENOSYS || r == -EPERM,
              "process_vm_readv into %s = %ld", names[i], r);
        r = raw(SYS_process_vm_writev, getpid(), (long)&iov, 1, (long)&mine, 1, 0);
        CHECK(r == -EFAULT || r == -ENOSYS || r == -EPERM,
              "process_vm_writev from %s = %ld", names[i], r);

        /* Its mapping: protect, advise, sync, remap, unmap. */
        EXPECT(RAW3(SYS_mprotect, pg, PAGE, PROT_NONE), -ENOMEM);
        EXPECT(RAW3(SYS_mprotect, pg, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), -ENOMEM);
        EXPECT(RAW3(SYS_madvise, pg, PAGE, MADV_DONTNEED), -ENOMEM);
        EXPECT(RAW3(SYS_madvise, pg, PAGE, MADV_FREE), -ENOMEM);
        EXPECT(RAW3(SYS_msync, pg, PAGE, MS_SYNC), -ENOMEM);
        EXPECT(RAW3(SYS_msync, pg, PAGE, MS_INVALIDATE), -ENOMEM);
        EXPECT(raw(SYS_mremap, (long)pg, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0, 0), -EFAULT);
        EXPECT(raw(SYS_mremap, (long)pg, PAGE, PAGE, 0, 0, 0), -EFAULT);
        /* Linux: unmapping an unmapped range succeeds (and does nothing). */
        EXPECT(RAW3(SYS_munmap, pg, PAGE, 0), 0);
        /* A mapping of ours at its address must not take its pages. */
        long fixed = raw(SYS_mmap, (long)pg, PAGE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        CHECK(fixed < 0, "MAP_FIXED_NOREPLACE over the victim's %s mapped at %#lx",
              names[i], (unsigned long)fixed);
        fixed = raw(SYS_mmap, (long)pg, PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        CHECK(fixed < 0, "MAP_FIXED over the victim's %s mapped at %#lx", names[i],
              (unsigned long)fixed);
        long hint = raw(SYS_mmap, (long)pg, PAGE, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(hint > 0 && (uint64_t)hint != pg, "mmap with the victim's %s as hint got %#lx",
              names[i], (unsigned long)hint);
        EXPECT(RAW3(SYS_munmap, hint, PAGE, 0), 0);
        OUT("memory: the victim's %s is out of reach", names[i]);
    }

    /* clear_child_tid pointing at the victim's page: the thread's exit must
     * not write it (Linux: the write to an unmapped address is dropped). */
    clear_tid_target = m->page + 64;
    pthread_t t;
    CHECK(pthread_create(&t, NULL, set_tid_thread, NULL) == 0, "pthread_create");
    /* pthread_join and (musl) pthread_detach wait on the tid word the libc
     * set up, which the thread replaced: never join it; give it time to
     * exit instead (its exit is what would write). */
    usleep(200 * 1000);
    OUT("memory: a clear_child_tid at the victim's page wrote nothing");

    /* A signal frame on the victim's page: the helper dies of SIGSEGV. */
    char arg[32];
    snprintf(arg, sizeof arg, "%llu", (unsigned long long)m->page);
    char *argv[] = { (char *)self, "altstack", arg, NULL };
    pid_t pid = spawn_self(self, argv);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid altstack");
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "altstack helper status %#x", st);
    OUT("memory: a signal stack on the victim's page kills with SIGSEGV");
    close(file);
    unlink("/tmp/isolation.data");
    close(fds[0]);
    close(fds[1]);
    close(sv[0]);
    close(sv[1]);
}

/* ---- /proc of another process -------------------------------------------- */

static bool maps_contains(const char *path, uint64_t addr)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    char line[512];
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi)
            found = true;
    }
    fclose(f);
    return found;
}

static void check_link_is_guest(const char *path)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0)
        return;
    buf[n] = 0;
    /* Guest paths, or the kernel's anonymous names: never a host path
     * (which would start with the image's host directory). */
    CHECK(buf[0] == '/' || !strncmp(buf, "pipe:", 5) || !strncmp(buf, "socket:", 7) ||
          !strncmp(buf, "anon_inode:", 11), "%s -> %s", path, buf);
    CHECK(strstr(buf, "/guest.") == NULL && strstr(buf, "/image/") == NULL,
          "%s -> %s looks like a host path", path, buf);
}

static void proc_checks(pid_t victim, const struct victim_msg *m)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)victim);
    CHECK(maps_contains(path, m->page), "the victim's maps miss its page");
    CHECK(!maps_contains("/proc/self/maps", m->page), "our maps show the victim's page");
    uint64_t ours = (uintptr_t)&proc_checks;
    CHECK(!maps_contains(path, ours), "the victim's maps show our code");
    snprintf(path, sizeof path, "/proc/%d/mem", (int)victim);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        unsigned char b = 0;
        long r = pread(fd, &b, 1, (off_t)m->page);
        CHECK(r < 0, "/proc/<victim>/mem read its page (%#x)", b);
        close(fd);
    }
    const char *links[] = { "exe", "root" };   /* no cwd link yet */
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/proc/%d/%s", (int)victim, links[i]);
        check_link_is_guest(path);
    }
    snprintf(path, sizeof path, "/proc/%d/root", (int)victim);
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    CHECK(n == 1 && buf[0] == '/', "victim root link");
    snprintf(path, sizeof path, "/proc/%d/fd", (int)victim);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char p2[400];
            snprintf(p2, sizeof p2, "%s/%s", path, e->d_name);
            if (e->d_name[0] != '.')
                check_link_is_guest(p2);
        }
        closedir(d);
    }
    /* /proc lists this instance's processes only. */
    d = opendir("/proc");
    CHECK(d != NULL, "opendir /proc");
    int pids = 0;
    bool saw_victim = false, saw_self = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || end == e->d_name)
            continue;
        pids++;
        saw_victim |= v == victim;
        saw_self |= v == getpid();
    }
    closedir(d);
    CHECK(saw_victim && saw_self && pids <= 16, "/proc: %d pids, victim %d, self %d", pids,
          saw_victim, saw_self);
    snprintf(path, sizeof path, "/proc/%d", 30000);
    struct stat st;
    CHECK_ERR(stat(path, &st), ENOENT);
    OUT("proc: the victim's /proc shows its memory only, no host paths");
}

/* ---- paths --------------------------------------------------------------- */

static void expect_enoent(const char *path)
{
    int fd = open(path, O_RDONLY);
    CHECK(fd < 0 && errno == ENOENT, "open(%s) = %d: reached outside the root?", path, fd);
}

static void path_checks(void)
{
    struct stat root, st;
    CHECK(stat("/", &root) == 0, "stat /");
    const char *dotdots[] = { "/..", "/../..", "/../../../../..", "/tmp/../../..", "/proc/..",
                              "/dev/..", "/proc/self/root/..", "/proc/self/root/../.." };
    for (size_t i = 0; i < sizeof dotdots / sizeof *dotdots; i++) {
        CHECK(stat(dotdots[i], &st) == 0, "stat %s", dotdots[i]);
        CHECK(st.st_ino == root.st_ino && st.st_dev == root.st_dev, "%s is not /", dotdots[i]);
    }
    expect_enoent("/etc/passwd");
    expect_enoent("/../../../../etc/passwd");
    expect_enoent("/tmp/../../../etc/passwd");
    expect_enoent("/proc/self/root/etc/passwd");
    expect_enoent("/proc/self/root/../../etc/passwd");
    expect_enoent("/proc/1/root/etc/passwd");
    expect_enoent("/proc/../etc/passwd");
    expect_enoent("/dev/../../etc/passwd");

    /* Symlinks: absolute, relative climbing, to a directory, loops. */
    CHECK(symlink("/etc/passwd", "/tmp/abs") == 0, "symlink abs");
    CHECK(symlink("../../../../../../../../etc/passwd", "/tmp/rel") == 0, "symlink rel");
    CHECK(symlink("/../../..", "/tmp/up") == 0, "symlink up");
    CHECK(symlink("/tmp/loop2", "/tmp/loop1") == 0 && symlink("/tmp/loop1", "/tmp/loop2") == 0,
          "symlink loop");
    CHECK(symlink("self", "/tmp/self") == 0, "symlink self");
    expect_enoent("/tmp/abs");
    expect_enoent("/tmp/rel");
    expect_enoent("/tmp/up/etc/passwd");
    CHECK(stat("/tmp/up", &st) == 0 && st.st_ino == root.st_ino, "/tmp/up is not /");
    CHECK_ERR(open("/tmp/loop1", O_RDONLY), ELOOP);
    CHECK_ERR(open("/tmp/self", O_RDONLY), ELOOP);
    char name[64], target[64];
    for (int i = 0; i < 45; i++) {          /* a chain longer than 40 */
        snprintf(name, sizeof name, "/tmp/chain%d", i);
        snprintf(target, sizeof target, "/tmp/chain%d", i + 1);
        CHECK(symlink(target, name) == 0, "symlink chain");
    }
    CHECK(close(open("/tmp/chain45", O_CREAT | O_WRONLY, 0600)) == 0, "chain end");
    CHECK_ERR(open("/tmp/chain0", O_RDONLY), ELOOP);
    CHECK(close(open("/tmp/chain10", O_RDONLY)) == 0, "a 35-link chain resolves");

    /* /proc/self/root and cwd are the guest's /. */
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/root", buf, sizeof buf - 1);
    CHECK(n == 1 && buf[0] == '/', "/proc/self/root");

    /* dirfds: openat, O_PATH, /proc/self/fd/N. */
    int tmp = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(tmp >= 0, "open /tmp");
    CHECK_ERR(openat(tmp, "../../../../etc/passwd", O_RDONLY), ENOENT);
    CHECK_ERR(openat(tmp, "/etc/passwd", O_RDONLY), ENOENT);
    CHECK_ERR(openat(tmp, "up/etc/passwd", O_RDONLY), ENOENT);
    int opath = open("/tmp", O_PATH | O_DIRECTORY);
    CHECK(opath >= 0, "O_PATH /tmp");
    CHECK_ERR(openat(opath, "../../etc/passwd", O_RDONLY), ENOENT);
    int up = openat(opath, "../..", O_PATH | O_DIRECTORY);
    CHECK(up >= 0 && fstat(up, &st) == 0 && st.st_ino == root.st_ino, "O_PATH ../.. is not /");
    close(up);
    snprintf(buf, sizeof buf, "/proc/self/fd/%d", tmp);
    check_link_is_guest(buf);
    n = readlink(buf, target, sizeof target - 1);
    CHECK(n == 4 && !memcmp(target, "/tmp", 4), "readlink %s", buf);
    snprintf(buf, sizeof buf, "/proc/self/fd/%d/../../../etc/passwd", tmp);
    expect_enoent(buf);
    snprintf(buf, sizeof buf, "/proc/self/fd/%d/../..", tmp);
    CHECK(stat(buf, &st) == 0 && st.st_ino == root.st_ino, "fd/N/../.. is not /");

    /* chdir/fchdir upwards stops at /. */
    CHECK(fchdir(tmp) == 0 && chdir("../../../..") == 0, "chdir up");
    CHECK(getcwd(buf, sizeof buf) && !strcmp(buf, "/"), "cwd after climbing: %s", buf);
    CHECK(stat(".", &st) == 0 && st.st_ino == root.st_ino, ". is not /");
    CHECK(fchdir(opath) == 0 && chdir("..") == 0 && getcwd(buf, sizeof buf) &&
          !strcmp(buf, "/"), "fchdir O_PATH + .. : %s", buf);
    close(tmp);
    close(opath);

    /* rename and link targets through .. and symlinks land inside (in the
     * image's own directories: /tmp is another file system, EXDEV). */
    CHECK(mkdir("/isodir", 0700) == 0, "mkdir /isodir");
    CHECK(symlink("/../../..", "/isodir/up") == 0, "symlink /isodir/up");
    CHECK(symlink("../../../../etc/passwd", "/isodir/rel") == 0, "symlink /isodir/rel");
    CHECK(close(open("/isodir/f", O_CREAT | O_WRONLY, 0600)) == 0, "create");
    CHECK(rename("/isodir/f", "/../../isolation_moved") == 0, "rename up");
    CHECK(stat("/isolation_moved", &st) == 0, "renamed file is not in /");
    CHECK(link("/isolation_moved", "/isodir/up/isolation_linked") == 0, "link via symlink");
    CHECK(stat("/isolation_linked", &st) == 0 && st.st_nlink == 2, "linked file is not in /");
    CHECK(rename("/isolation_linked", "/isodir/rel") == 0, "rename onto a symlink");
    CHECK(lstat("/isodir/rel", &st) == 0 && S_ISREG(st.st_mode), "rename replaced the link");
    CHECK_ERR(rename("/isolation_moved", "/isodir/up/../../etc/x"), ENOENT);
    CHECK(unlink("/isolation_moved") == 0 && unlink("/isodir/rel") == 0 &&
          unlink("/isodir/up") == 0 && rmdir("/isodir") == 0, "cleanup");
    CHECK_ERR(rename("/tmp/abs", "/tmp/abs/x"), ENOENT);     /* follows to /etc: none */

    /* Long names. */
    char *longp = malloc(PATH_MAX + 64);
    CHECK(longp != NULL, "malloc");
    memset(longp, 'a', PATH_MAX + 63);
    longp[0] = '/';
    longp[PATH_MAX + 63] = 0;
    CHECK_ERR(open(longp, O_RDONLY), ENAMETOOLONG);
    longp[300] = 0;
    CHECK_ERR(open(longp, O_RDONLY), ENAMETOOLONG);
    /* Many ../ within PATH_MAX still end at /. */
    size_t len = 0;
    while (len + 3 < 4000)
        len += (size_t)sprintf(longp + len, "../");
    sprintf(longp + len, "etc/passwd");
    expect_enoent(longp);
    free(longp);

    /* chroot must not be a way out (refused, or confined). */
    long r = raw(SYS_chroot, (long)"/tmp", 0, 0, 0, 0, 0);
    if (r == 0)
        CHECK(chdir("/") == 0, "chdir after chroot");
    expect_enoent("/../../../etc/passwd");

    const char *junk[] = { "/tmp/abs", "/tmp/up", "/tmp/loop1", "/tmp/loop2", "/tmp/self" };
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        unlink(junk[i]);
    for (int i = 0; i <= 45; i++) {
        snprintf(name, sizeof name, "/tmp/chain%d", i);
        unlink(name);
    }
    OUT("paths: nothing reaches outside the root");
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "victim"))
        return victim_main(atoi(argv[2]), atoi(argv[3]));
    if (argc == 3 && !strcmp(argv[1], "altstack"))
        return altstack_main(strtoull(argv[2], NULL, 10));

    /* The victim gets its two pipe ends as fds 10 and 11 and nothing else
     * (it must see EOF if we die early, or the instance never ends). */
    int to_parent[2], to_victim[2];
    CHECK(pipe2(to_parent, O_CLOEXEC) == 0 && pipe2(to_victim, O_CLOEXEC) == 0, "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to_parent[1], 10);
    posix_spawn_file_actions_adddup2(&fa, to_victim[0], 11);
    char *vargv[] = { argv[0], "victim", "10", "11", NULL };
    pid_t victim;
    int err = posix_spawn(&victim, argv[0], &fa, NULL, vargv, environ);
    CHECK(err == 0, "posix_spawn victim: %d", err);
    posix_spawn_file_actions_destroy(&fa);
    close(to_parent[1]);
    close(to_victim[0]);
    struct victim_msg m;
    CHECK(read(to_parent[0], &m, sizeof m) == sizeof m, "read victim's addresses");

    unsigned char vec[1];
    if (RAW3(SYS_mincore, m.page & ~(uint64_t)(PAGE - 1), PAGE, vec) != -ENOMEM) {
        OUT("memory: the victim's page is mapped here too (native run?): skipped");
    } else {
        memory_checks(argv[0], &m);
        proc_checks(victim, &m);
    }
    CHECK(write(to_victim[1], "g", 1) == 1, "release victim");
    int st;
    CHECK(waitpid(victim, &st, 0) == victim, "waitpid victim");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "victim status %#x (its memory changed?)", st);
    OUT("memory: the victim's page and stack are intact");
    path_checks();
    OUT("isolation ok");
    return 0;
}
