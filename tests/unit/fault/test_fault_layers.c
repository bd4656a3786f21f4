/* Fault injection seen from the layers above src/host/: the memory
 * manager, files, sockets. Each failure comes back as the Linux errno,
 * onespace's state stays consistent (the memory manager's checks, host
 * protections as recorded, the pool whole after the process is gone), and
 * nothing already written is lost. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fs/fd_table.h"
#include "fs/file.h"
#include "fs/host_file.h"
#include "fs/vfs.h"
#include "host/host_fault.h"
#include "net/socket.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"

static int teardown(void **state)
{
    (void)state;
    host_fault_disarm_all();
    return 0;
}

static char *maps_of(struct process_vm *vm)
{
    ssize_t n = process_vm_render_maps(vm, NULL, 0);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(process_vm_render_maps(vm, s, (size_t)n + 1), n);
    s[n] = 0;
    return s;
}

/* One step of the memory scenario: the result must be a success or
 * ENOMEM; a failed (non-fixed) mmap must not change the mappings. */
static long step(struct process_vm *vm, long r, const char *before, bool unchanged_on_error)
{
    if (r < 0) {
        assert_int_equal(r, -ENOMEM);
        if (unchanged_on_error) {
            char *after = maps_of(vm);
            assert_string_equal(before, after);
            free(after);
        }
    }
    return r;
}

/* Run the scenario with the nth host commit failing, for n = 1, 2, ...
 * until a run sees no injected failure (the scenario makes fewer commits). */
static void vm_commit_sweep(enum host_fault_point point)
{
    struct user_space_vm_config cfg = { .user_space_size = 64u << 20 };
    struct user_space_vm *usv;
    assert_int_equal(user_space_vm_create(&cfg, &usv), 0);
    unsigned long n;
    for (n = 1; n < 200; n++) {
        struct process_vm *vm;
        assert_int_equal(process_vm_create(usv, 100, &vm), 0);
        host_fault_arm(point, n, 0, false);
        const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
        char *m = maps_of(vm);
        long a = step(vm, process_vm_mmap(vm, 0, 64 << 10, PROT_READ | PROT_WRITE, anon,
                                          NULL, 0), m, true);
        free(m);
        m = maps_of(vm);
        long b = step(vm, process_vm_mmap(vm, 0, 16 << 10, PROT_READ, anon, NULL, 0), m, true);
        free(m);
        if (a > 0) {
            memset((void *)a, 7, 64 << 10);
            long c = step(vm, process_vm_mremap(vm, (uintptr_t)a, 64 << 10, 256 << 10,
                                                MREMAP_MAYMOVE, 0), NULL, false);
            if (c > 0) {
                /* the old bytes moved with it */
                assert_int_equal(((unsigned char *)c)[20 << 10], 7);
                a = c;
            }
            step(vm, process_vm_mprotect(vm, (uintptr_t)a, 16 << 10, PROT_READ), NULL, false);
            step(vm, process_vm_mmap(vm, (uintptr_t)a + (32 << 10), 8 << 10,
                                     PROT_READ | PROT_WRITE | PROT_EXEC, anon | MAP_FIXED,
                                     NULL, 0), NULL, false);
        }
        if (b > 0)
            assert_int_equal(process_vm_munmap(vm, (uintptr_t)b, 16 << 10), 0);
        unsigned long injected = host_fault_injected(point);
        host_fault_disarm_all();
        assert_int_equal(process_vm_check(vm), 0);
        assert_int_equal(user_space_vm_check_host(usv), 0);
        /* After the fault, the process works again. */
        long d = process_vm_mmap(vm, 0, 8 << 10, PROT_READ | PROT_WRITE, anon, NULL, 0);
        assert_true(d > 0);
        memset((void *)d, 1, 8 << 10);
        process_vm_destroy(vm);
        struct user_space_vm_stats st;
        user_space_vm_get_stats(usv, &st);
        assert_int_equal(st.free_bytes, st.total_bytes);
        assert_int_equal(user_space_vm_check(usv), 0);
        if (injected == 0)
            break;
    }
    assert_true(n > 1);     /* at least one run had a failure injected */
    print_message("%s: %lu host calls failed in turn\n", host_fault_point_name(point), n - 1);
    user_space_vm_destroy(usv);
}

static void vm_mem_commit_sweep(void **state)
{
    (void)state;
    vm_commit_sweep(HOST_FAULT_MEM_COMMIT);
}

static void vm_mem_protect_sweep(void **state)
{
    (void)state;
    vm_commit_sweep(HOST_FAULT_MEM_PROTECT);
}

/* A host file through the VFS: a failed write returns the errno, leaves
 * the offset and the bytes already written alone. */
static void file_write_fails_nothing_lost(void **state)
{
    (void)state;
    char root[] = "/tmp/onespace-fault-XXXXXX";
    assert_non_null(mkdtemp(root));
    struct fs_ctx *fs;
    assert_int_equal(fs_ctx_create(root, &fs), 0);
    struct file *f;
    assert_int_equal(vfs_openat(fs, NULL, "/data", O_RDWR | O_CREAT, 0644, &f), 0);
    assert_int_equal(file_write(f, "hello", 5), 5);
    host_fault_arm(HOST_FAULT_FILE_WRITE, 1, EIO, false);
    assert_int_equal(file_write(f, "XXXXX", 5), -EIO);
    host_fault_arm(HOST_FAULT_FILE_WRITE, 1, 0, false);
    assert_int_equal(file_write(f, "XXXXX", 5), -ENOSPC);
    host_fault_arm(HOST_FAULT_FILE_WRITE, 1, 0, false);
    assert_int_equal(file_pwrite(f, "XXXXX", 5, 0), -ENOSPC);
    host_fault_arm(HOST_FAULT_FILE_WRITE, 1, EIO, false);
    struct iovec iov[2] = { { "XX", 2 }, { "XXX", 3 } };
    assert_int_equal(file_writev(f, iov, 2), -EIO);
    assert_int_equal(file_lseek(f, 0, SEEK_CUR), 5);
    assert_int_equal(file_write(f, " world", 6), 6);
    char buf[32] = { 0 };
    assert_int_equal(file_pread(f, buf, sizeof buf, 0), 11);
    assert_string_equal(buf, "hello world");
    file_put(f);
    fs_ctx_put(fs);
    char p[64];
    snprintf(p, sizeof p, "%s/data", root);
    unlink(p);
    rmdir(root);
}

/* A host fd File (the guest's stdout is one): same on a host pipe. */
static void host_pipe_write_fails_nothing_lost(void **state)
{
    (void)state;
    int pfd[2];
    assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
    struct file *w;
    assert_int_equal(host_file_create(pfd[1], O_WRONLY, HOST_FILE_OWN_FD, &w), 0);
    assert_int_equal(file_write(w, "one ", 4), 4);
    host_fault_arm(HOST_FAULT_FILE_WRITE, 1, EIO, false);
    assert_int_equal(file_write(w, "lost", 4), -EIO);
    assert_int_equal(file_write(w, "two", 3), 3);
    file_put(w);
    char buf[16] = { 0 };
    assert_int_equal(read(pfd[0], buf, sizeof buf), 7);
    assert_string_equal(buf, "one two");
    close(pfd[0]);
}

static void socket_creation_fails_no_fd(void **state)
{
    (void)state;
    struct fd_table *t;
    assert_int_equal(fd_table_create(64, &t), 0);
    host_fault_arm(HOST_FAULT_SOCKET, 1, 0, true);
    struct file *f = NULL;
    assert_int_equal(socket_create(AF_UNIX, SOCK_STREAM, 0, &f), -ENOBUFS);
    assert_null(f);
    assert_int_equal(socket_install(t, AF_INET, SOCK_STREAM, 0), -ENOBUFS);
    int sv[2] = { -1, -1 };
    assert_int_equal(socket_pair_install(t, AF_UNIX, SOCK_STREAM, 0, sv), -ENOBUFS);
    assert_int_equal(fd_table_count(t), 0);
    host_fault_disarm_all();
    assert_int_equal(socket_install(t, AF_UNIX, SOCK_STREAM, 0), 0);
    assert_int_equal(fd_table_count(t), 1);
    fd_table_put(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(vm_mem_commit_sweep, teardown),
        cmocka_unit_test_teardown(vm_mem_protect_sweep, teardown),
        cmocka_unit_test_teardown(file_write_fails_nothing_lost, teardown),
        cmocka_unit_test_teardown(host_pipe_write_fails_nothing_lost, teardown),
        cmocka_unit_test_teardown(socket_creation_fails_no_fd, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
