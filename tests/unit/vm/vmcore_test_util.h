/* Test helpers for the vm-core tests (header only, so nothing is linked
 * into the other tests of this folder). */
#ifndef VMCORE_TEST_UTIL_H
#define VMCORE_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/compiler.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"
#include "vm/vm_file.h"

#define MiB (1024UL * 1024UL)
#define PG PAGE_SIZE

/* Run fn(arg) in a forked child; the signal that killed it, or 0. */
static inline int vt_fault_signal(void (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        fn(arg);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static inline void vt_do_read(void *p) { (void)*(volatile char *)p; }
static inline void vt_do_write(void *p) { *(volatile char *)p = 1; }
static inline int vt_read_faults(uintptr_t a) { return vt_fault_signal(vt_do_read, (void *)a) != 0; }
static inline int vt_write_faults(uintptr_t a) { return vt_fault_signal(vt_do_write, (void *)a) != 0; }

static inline int vt_all_zero(uintptr_t a, size_t n)
{
    const unsigned char *p = (const unsigned char *)a;
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* A vm_file over a host fd (or without a host fd: no_host_fd). */
struct vt_file {
    struct vm_file base;
    int fd;
    int refs;
    int no_host_fd;
    char path[64];
};

static inline ssize_t vt_read_at(struct vm_file *f, void *buf, size_t len, uint64_t off)
{
    ssize_t n = pread(((struct vt_file *)f)->fd, buf, len, (off_t)off);
    return n < 0 ? -errno : n;
}
static inline ssize_t vt_write_at(struct vm_file *f, const void *buf, size_t len, uint64_t off)
{
    ssize_t n = pwrite(((struct vt_file *)f)->fd, buf, len, (off_t)off);
    return n < 0 ? -errno : n;
}
static inline int vt_host_fd(struct vm_file *f)
{
    struct vt_file *v = (struct vt_file *)f;
    return v->no_host_fd ? -ENODEV : v->fd;
}
static inline int64_t vt_length(struct vm_file *f)
{
    struct stat st;
    return fstat(((struct vt_file *)f)->fd, &st) ? -errno : st.st_size;
}
static inline void vt_get(struct vm_file *f) { ((struct vt_file *)f)->refs++; }
static inline void vt_put(struct vm_file *f) { ((struct vt_file *)f)->refs--; }
static inline const char *vt_path(struct vm_file *f) { return ((struct vt_file *)f)->path; }

static const struct vm_file_ops vt_file_ops = {
    .read_at = vt_read_at, .write_at = vt_write_at, .host_fd = vt_host_fd,
    .length = vt_length, .get = vt_get, .put = vt_put, .path = vt_path,
};

/* A temporary file of `size` bytes filled with byte i -> (i * 7 + 3) & 0xff,
 * opened with `access` (O_RDONLY/O_WRONLY/O_RDWR). */
static inline struct vt_file *vt_file_open(size_t size, int access, int no_host_fd)
{
    struct vt_file *f = calloc(1, sizeof(*f));
    strcpy(f->path, "/tmp/vmcore-test-XXXXXX");
    int fd = mkstemp(f->path);
    unsigned char *buf = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        buf[i] = (unsigned char)((i * 7 + 3) & 0xff);
    if (size && write(fd, buf, size) != (ssize_t)size)
        abort();
    free(buf);
    close(fd);
    f->fd = open(f->path, access);
    f->base.ops = &vt_file_ops;
    f->base.access = access;
    f->no_host_fd = no_host_fd;
    return f;
}

static inline void vt_file_close(struct vt_file *f)
{
    close(f->fd);
    unlink(f->path);
    free(f);
}

static inline unsigned char vt_file_byte(size_t i) { return (unsigned char)((i * 7 + 3) & 0xff); }

/* Pool helpers. vt_pool() uses vt_unmap_mode: tests whose results may
 * depend on it run their group once per policy (vt_run_both). */
static enum vm_unmap_protect vt_unmap_mode = VM_UNMAP_PROTECT_STRICT;

static inline struct user_space_vm *vt_pool(size_t size, size_t chunk)
{
    struct user_space_vm *usv = NULL;
    struct user_space_vm_config cfg = { .user_space_size = size, .chunk_size = chunk,
                                        .unmap_protect = vt_unmap_mode };
    if (user_space_vm_create(&cfg, &usv))
        abort();
    return usv;
}

static inline int vt_strict(void) { return vt_unmap_mode == VM_UNMAP_PROTECT_STRICT; }

/* Run a cmocka group with STRICT, then with LAZY unmap protection. */
#define vt_run_both(tests, setup, teardown)                                          \
    ({                                                                               \
        vt_unmap_mode = VM_UNMAP_PROTECT_STRICT;                                     \
        int vt_failed_ = cmocka_run_group_tests_name("strict", tests, setup, teardown); \
        vt_unmap_mode = VM_UNMAP_PROTECT_LAZY;                                       \
        vt_failed_ + cmocka_run_group_tests_name("lazy", tests, setup, teardown);    \
    })

/* The pool is whole again and consistent, and the host agrees: every page
 * of it is PROT_NONE again. */
static inline int vt_pool_is_clean(struct user_space_vm *usv)
{
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    return user_space_vm_check(usv) == 0 && st.free_bytes == st.total_bytes &&
           st.nr_chunks == 0 && st.nr_vmas == 0 && user_space_vm_check_host(usv) == 0;
}


/* The fixture most vm tests share: a 256 MiB pool with 8 MiB chunks for
 * each test group (setup/teardown), which must be clean (whole, invariants
 * and host protections right) at the end; new_vm() makes a process. */
#define VT_POOL_FIXTURE()                                                      \
    static struct user_space_vm *usv;                                          \
    static int setup(void **state)                                             \
    {                                                                          \
        usv = vt_pool(256 * MiB, 8 * MiB);                                     \
        return 0;                                                              \
    }                                                                          \
    static int teardown(void **state)                                          \
    {                                                                          \
        assert_true(vt_pool_is_clean(usv));                                    \
        user_space_vm_destroy(usv);                                            \
        return 0;                                                              \
    }                                                                          \
    static struct process_vm *new_vm(pid_t pid)                                \
    {                                                                          \
        struct process_vm *vm;                                                 \
        assert_int_equal(process_vm_create(usv, pid, &vm), 0);                 \
        assert_int_equal(process_vm_pid(vm), pid);                             \
        return vm;                                                             \
    }

#endif
