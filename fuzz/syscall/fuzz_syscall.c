/* Fuzz the syscall boundary: each input is a sequence of syscalls
 * (number, 6 arguments) run through the syscall table by a synthetic
 * process (a fresh process_vm in a shared pool, an fd table, a VFS root
 * in a temporary directory, the fuzzer's thread bound as its thread).
 *
 * Record (19 bytes): 1 byte picks the syscall from `calls` below, then per
 * argument 1 kind byte and a 16-bit value. Kinds give small ints, fds
 * 0..20, pointers inside / across the end of / outside the process's
 * memory (NULL, low pages, the fuzzer's own stack and heap, the pool's
 * edges, kernel addresses), lengths, prepared path strings, or raw bits.
 *
 * Calls that would block forever or end the process are not in `calls`
 * (exit, exit_group, pause, rt_sigsuspend, nanosleep, wait4, clone, ...),
 * and the others are made non-blocking: created fds get O_NONBLOCK, futex
 * only wakes, poll/epoll_wait get timeout 0. Calls that need a whole
 * runtime (kill, sysinfo, another pid) are left out too.
 *
 * After each input: process_vm_check and user_space_vm_check pass; after
 * the process is torn down the pool is whole and the fuzzer has the same
 * host fds as before (nothing leaked). FUZZ_SYSCALL_TRACE=1 prints each
 * call (to replay a crash). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "events/waiter.h"
#include "fs/epoll.h"
#include "fs/fd_table.h"
#include "fs/vfs.h"
#include "process/process.h"
#include "syscall/syscall.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"

#define ARENA_SIZE (64u << 10)

static const int calls[] = {
    /* memory */
    __NR_mmap, __NR_munmap, __NR_mprotect, __NR_mremap, __NR_brk, __NR_msync,
    __NR_madvise, __NR_mincore, __NR_mlock, __NR_munlock,
    /* fds */
    __NR_read, __NR_write, __NR_readv, __NR_writev, __NR_pread64, __NR_pwrite64,
    __NR_preadv, __NR_pwritev, __NR_preadv2, __NR_pwritev2, __NR_lseek, __NR_close,
    __NR_close_range, __NR_dup, __NR_dup2, __NR_dup3, __NR_fcntl, __NR_ioctl,
    __NR_pipe2, __NR_eventfd2, __NR_epoll_create1, __NR_epoll_ctl, __NR_epoll_wait,
    __NR_epoll_pwait, __NR_poll, __NR_fstat, __NR_fstatfs, __NR_fsync, __NR_fdatasync,
    __NR_ftruncate, __NR_fallocate, __NR_getdents64, __NR_sendfile,
    __NR_copy_file_range, __NR_fchmod, __NR_fchown, __NR_fchdir,
    /* paths */
    __NR_openat, __NR_open, __NR_creat, __NR_newfstatat, __NR_stat, __NR_lstat,
    __NR_statx, __NR_access, __NR_faccessat, __NR_faccessat2, __NR_readlink,
    __NR_readlinkat, __NR_mkdir, __NR_mkdirat, __NR_unlink, __NR_unlinkat,
    __NR_rmdir, __NR_rename, __NR_renameat, __NR_renameat2, __NR_link,
    __NR_linkat, __NR_symlink, __NR_symlinkat, __NR_chdir, __NR_getcwd,
    __NR_truncate, __NR_chmod, __NR_fchmodat, __NR_chown, __NR_fchownat,
    __NR_lchown, __NR_utimensat, __NR_statfs, __NR_umask,
    /* sockets (no bind/connect/listen: they would reach the host network) */
    __NR_socket, __NR_socketpair, __NR_sendto, __NR_recvfrom, __NR_sendmsg,
    __NR_recvmsg, __NR_shutdown, __NR_getsockname, __NR_getpeername,
    __NR_getsockopt, __NR_setsockopt, __NR_accept4,
    /* misc, threads, signals */
    __NR_getpid, __NR_gettid, __NR_getuid, __NR_getresuid, __NR_getgroups,
    __NR_uname, __NR_getrandom, __NR_clock_gettime, __NR_clock_getres,
    __NR_gettimeofday, __NR_time, __NR_sched_yield, __NR_sched_getaffinity,
    __NR_getcpu, __NR_prlimit64, __NR_getrlimit, __NR_setrlimit, __NR_getrusage,
    __NR_times, __NR_prctl, __NR_getpgid, __NR_getsid,
    __NR_futex, __NR_set_tid_address, __NR_set_robust_list, __NR_get_robust_list,
    __NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigpending, __NR_sigaltstack,
};
#define NCALLS (sizeof calls / sizeof calls[0])

static const char *const paths[] = {
    "/", ".", "..", "/a", "/a/file", "/a/b/../../..", "/esc", "/dev/null",
    "/proc/self/maps", "/proc/self/fd/3", "/tmp/x", "new", "/a/new", "dirlink",
    "/nonexistent/x", "",
};
#define NPATHS (sizeof paths / sizeof paths[0])

static struct user_space_vm *usv;
static sys_fn table[SYSCALL_TABLE_SIZE];
static char root_dir[64];
static int base_fds;
static uint8_t host_heap_buf[256];

static int count_host_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        abort();
    /* Host pipes are not counted: onespace makes none (guest pipes live
     * in memory), but libFuzzer's symbolizer talks to it through pipes. */
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[300], t[64];
        snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
        ssize_t k = readlink(p, t, sizeof t - 1);
        t[k < 0 ? 0 : k] = 0;
        if (strncmp(t, "pipe:", 5) != 0)
            n++;
    }
    closedir(d);
    return n;
}

static void list_host_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[300], t[256];
        snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(p, t, sizeof t - 1);
        t[n < 0 ? 0 : n] = 0;
        fprintf(stderr, "  fd %s -> %s\n", e->d_name, t);
    }
    if (d)
        closedir(d);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_syscall: could not remove %s\n", root_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct user_space_vm_config cfg = { .user_space_size = 64u << 20,
                                        .unmap_protect = VM_UNMAP_PROTECT_STRICT };
    if (user_space_vm_create(&cfg, &usv) != 0)
        abort();
    sys_register_mem(table);
    sys_register_misc(table);
    sys_register_thread(table);
    sys_register_fd(table);
    sys_register_net(table);
    sys_register_path(table);
    sys_register_signal(table);
    strcpy(root_dir, "/tmp/onespace-fuzz-sys-XXXXXX");
    if (!mkdtemp(root_dir))
        abort();
    atexit(cleanup);
    return 0;
}

/* The synthetic process of one input. */
struct ctx {
    struct process proc;
    struct thread thread;
    uintptr_t arena;            /* ARENA_SIZE read-write bytes */
    uintptr_t ro, none;         /* a read-only page, a PROT_NONE page */
    uintptr_t path_at[NPATHS];
};

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

/* The guest root, as every input starts with it (no shell: it is per input). */
static void rebuild_root(void)
{
    nftw(root_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    char p[128];
    snprintf(p, sizeof p, "%s/a", root_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/a/b", root_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/tmp", root_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/a/file", root_dir);
    FILE *f = fopen(p, "w");
    if (!f)
        abort();
    fputs("hi\n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/esc", root_dir);
    symlink("../..", p);
    snprintf(p, sizeof p, "%s/dirlink", root_dir);
    symlink("a/b", p);
}

static uintptr_t map(struct ctx *c, size_t len, int prot)
{
    long r = process_vm_mmap(c->proc.vm, 0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
    if (r <= 0)
        abort();
    return (uintptr_t)r;
}

static void ctx_init(struct ctx *c)
{
    memset(c, 0, sizeof *c);
    struct process *p = &c->proc;
    p->pid = p->ppid = p->pgid = p->sid = 100;
    atomic_init(&p->refs, 1);
    pthread_mutex_init(&p->lock, NULL);
    for (int i = 0; i < RLIM_NLIMITS; i++)
        p->rlim[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
    p->rlim[RLIMIT_NOFILE] = (struct rlimit){ 64, 64 };
    strcpy(p->exe_path, "/bin/prog");
    if (process_vm_create(usv, p->pid, &p->vm) != 0 || fd_table_create(64, &p->fds) != 0 ||
        fs_ctx_create(root_dir, &p->fs) != 0)
        abort();
    struct thread *t = &c->thread;
    t->proc = p;
    t->tid = p->pid;
    waiter_init(&t->waiter);
    waiter_bind_current(&t->waiter);
    thread_set_current(t);

    c->arena = map(c, ARENA_SIZE, PROT_READ | PROT_WRITE);
    c->ro = map(c, 4096, PROT_READ);
    c->none = map(c, 4096, PROT_NONE);
    /* The strings live at the end of the arena, one 128-byte slot each. */
    char *s = (char *)(c->arena + ARENA_SIZE - NPATHS * 128);
    for (size_t i = 0; i < NPATHS; i++) {
        strcpy(s + i * 128, paths[i]);
        c->path_at[i] = (uintptr_t)(s + i * 128);
    }
}

static void ctx_fini(struct ctx *c)
{
    struct process *p = &c->proc;
    if (process_vm_check(p->vm) != 0 || user_space_vm_check(usv) != 0) {
        fprintf(stderr, "fuzz_syscall: memory manager check failed\n");
        abort();
    }
    epoll_thread_quiesce();
    waiter_bind_current(NULL);
    thread_set_current(NULL);
    waiter_destroy(&c->thread.waiter);
    fd_table_put(p->fds);
    fs_ctx_put(p->fs);
    process_vm_destroy(p->vm);
    pthread_mutex_destroy(&p->lock);
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    if (st.free_bytes != st.total_bytes) {
        fprintf(stderr, "fuzz_syscall: pool not whole after destroy\n");
        abort();
    }
}

static uint64_t arg_value(struct ctx *c, uint8_t kind, uint16_t v)
{
    uintptr_t stack_var = (uintptr_t)&kind;
    switch (kind % 10) {
    case 0: return (uint64_t)(int64_t)(int8_t)v;                 /* small int */
    case 1: return v % 22 == 21 ? (uint64_t)(int64_t)AT_FDCWD : v % 21;  /* fd */
    case 2: return c->arena + v % ARENA_SIZE;                     /* inside */
    case 3: return c->arena + ARENA_SIZE - (v % 64);              /* across the end */
    case 4: {                                                     /* outside */
        const uint64_t out[] = { 0, 1, 4096, c->ro, c->none, c->ro + 4095,
                                 stack_var, (uintptr_t)host_heap_buf,
                                 0xffffffffff600000ull, 0x7fffffffffffull,
                                 UINT64_MAX - 7, c->arena - 4096, c->none - 8,
                                 (uintptr_t)usv };
        return out[v % (sizeof out / sizeof out[0])];
    }
    case 5: {                                                     /* length */
        const uint64_t len[] = { 0, 1, 7, 8, 16, 64, 4095, 4096, 4097, 65536,
                                 1u << 20, 1u << 30, (uint64_t)SSIZE_MAX,
                                 SIZE_MAX, SIZE_MAX - 4095 };
        return len[v % (sizeof len / sizeof len[0])];
    }
    case 6: return c->path_at[v % NPATHS];                        /* path */
    case 7: return (uint64_t)v << 16 | v;                         /* raw bits */
    case 8: return (uint64_t)1 << (v % 64);                       /* one flag */
    default: return v;
    }
}

/* Make the call unable to block forever; false: skip it. */
static bool tame(int nr, uint64_t a[6])
{
    switch (nr) {
    case __NR_open: a[1] |= O_NONBLOCK; break;
    case __NR_openat: a[2] |= O_NONBLOCK; break;
    case __NR_creat: return false;   /* no flags to make it non-blocking */
    case __NR_pipe2: a[1] |= O_NONBLOCK; break;
    case __NR_eventfd2: a[1] |= O_NONBLOCK; break;
    case __NR_socket: case __NR_socketpair: a[1] |= SOCK_NONBLOCK; break;
    case __NR_accept4: a[3] |= SOCK_NONBLOCK; break;
    case __NR_fcntl:
        if ((int)a[1] == F_SETFL)
            a[2] |= O_NONBLOCK;
        break;
    case __NR_ioctl:
        if ((unsigned)a[1] == FIONBIO)
            return false;
        break;
    case __NR_poll: a[2] = 0; break;
    case __NR_epoll_wait: case __NR_epoll_pwait: a[3] = 0; break;
    case __NR_futex: {
        int cmd = (int)a[1] & FUTEX_CMD_MASK;
        if (cmd != FUTEX_WAKE && cmd != FUTEX_WAKE_BITSET && cmd != FUTEX_REQUEUE &&
            cmd != FUTEX_CMP_REQUEUE && cmd != FUTEX_WAKE_OP)
            return false;
        break;
    }
    case __NR_getpgid: case __NR_getsid: case __NR_prlimit64:
        a[0] = 0;          /* another pid needs the whole runtime */
        break;
    case __NR_rt_sigprocmask:
        break;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool started, trace;
    if (!started) {
        started = true;
        trace = getenv("FUZZ_SYSCALL_TRACE") != NULL;   /* replaying a crash */
        base_fds = count_host_fds();
    }
    rebuild_root();
    struct ctx c;
    ctx_init(&c);
    for (size_t pos = 0; pos + 19 <= size && pos < 19 * 64; pos += 19) {
        const uint8_t *r = data + pos;
        int nr = calls[r[0] % NCALLS];
        uint64_t a[6];
        for (int i = 0; i < 6; i++)
            a[i] = arg_value(&c, r[1 + 3 * i], (uint16_t)(r[2 + 3 * i] | r[3 + 3 * i] << 8));
        if (!tame(nr, a) || !table[nr])
            continue;
        if (trace)
            fprintf(stderr, "fuzz_syscall: %d(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)", nr,
                    a[0], a[1], a[2], a[3], a[4], a[5]);
        long ret = table[nr](&c.thread, a);
        if (trace)
            fprintf(stderr, " = %ld\n", ret);
        if (ret < 0 && ret < -4095) {
            fprintf(stderr, "fuzz_syscall: nr %d returned %ld, not a result or -errno\n",
                    nr, ret);
            if (nr != __NR_mmap && nr != __NR_mremap && nr != __NR_brk && nr != __NR_time)
                abort();
        }
    }
    ctx_fini(&c);
    if (count_host_fds() != base_fds) {
        fprintf(stderr, "fuzz_syscall: host fds leaked: %d before, %d after\n", base_fds,
                count_host_fds());
        list_host_fds();
        abort();
    }
    return 0;
}
