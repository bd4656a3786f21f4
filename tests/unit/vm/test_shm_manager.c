/* System V shm: shmget/shmat/shmdt/shmctl semantics and errnos, sharing
 * between processes of one pool, lifetime (RMID + last detach), and the
 * single-address-space rules (docs/vm.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vmcore_test_util.h"
#include "vm/shm_manager.h"

#define RW (PROT_READ | PROT_WRITE)

static struct user_space_vm *usv;

static int setup(void **state)
{
    usv = vt_pool(256 * MiB, 8 * MiB);
    return 0;
}

static int teardown(void **state)
{
    assert_true(vt_pool_is_clean(usv));
    user_space_vm_destroy(usv);
    return 0;
}

static struct process_vm *new_vm(pid_t pid)
{
    struct process_vm *vm;
    assert_int_equal(process_vm_create(usv, pid, &vm), 0);
    return vm;
}

static size_t nr_segments(void)
{
    struct user_space_vm_stats st;
    user_space_vm_get_stats(usv, &st);
    return st.nr_shm_segments;
}

static void test_get_errors(void **state)
{
    struct process_vm *vm = new_vm(1);
    assert_int_equal(shm_get(vm, IPC_PRIVATE, 0, IPC_CREAT | 0600), -EINVAL);
    assert_int_equal(shm_get(vm, IPC_PRIVATE, (size_t)-1, IPC_CREAT | 0600), -EINVAL);
    assert_int_equal(shm_get(vm, 1234, PG, 0600), -ENOENT);
    int id = shm_get(vm, 1234, 3 * PG, IPC_CREAT | 0600);
    assert_true(id >= 0);
    assert_int_equal(shm_get(vm, 1234, PG, 0), id);
    assert_int_equal(shm_get(vm, 1234, 3 * PG, IPC_CREAT), id);
    assert_int_equal(shm_get(vm, 1234, PG, IPC_CREAT | IPC_EXCL | 0600), -EEXIST);
    assert_int_equal(shm_get(vm, 1234, 4 * PG, 0), -EINVAL);    /* larger than it */
    assert_int_equal(shm_get(vm, 0x7777, 512 * MiB, IPC_CREAT | 0600), -ENOMEM);
    int p1 = shm_get(vm, IPC_PRIVATE, PG, 0600);
    int p2 = shm_get(vm, IPC_PRIVATE, PG, 0600);
    assert_true(p1 >= 0 && p2 >= 0 && p1 != p2);
    assert_int_equal(nr_segments(), 3);
    struct shmid_ds ds;
    assert_int_equal(shm_ctl(vm, id, IPC_STAT, &ds), 0);
    assert_int_equal(ds.shm_segsz, 3 * PG);
    assert_int_equal(ds.shm_perm.__key, 1234);
    assert_int_equal(ds.shm_perm.mode & 0777, 0600);
    assert_int_equal(ds.shm_cpid, 1);
    assert_int_equal(ds.shm_nattch, 0);
    assert_int_equal(shm_ctl(vm, id, IPC_STAT, NULL), -EFAULT);
    assert_int_equal(shm_ctl(vm, id, 12345, &ds), -EINVAL);
    assert_int_equal(shm_ctl(vm, -1, IPC_STAT, &ds), -EINVAL);
    assert_int_equal(shm_ctl(vm, id + 4096 * 7, IPC_STAT, &ds), -EINVAL);
    ds.shm_perm.mode = 0644;
    assert_int_equal(shm_ctl(vm, id, IPC_SET, &ds), 0);
    assert_int_equal(shm_ctl(vm, id, IPC_STAT, &ds), 0);
    assert_int_equal(ds.shm_perm.mode & 0777, 0644);
    assert_int_equal(shm_ctl(vm, id, IPC_RMID, NULL), 0);
    assert_int_equal(shm_ctl(vm, p1, IPC_RMID, NULL), 0);
    assert_int_equal(shm_ctl(vm, p2, IPC_RMID, NULL), 0);
    assert_int_equal(shm_ctl(vm, id, IPC_RMID, NULL), -EINVAL);
    assert_int_equal(shm_get(vm, 1234, PG, 0), -ENOENT);
    assert_int_equal(nr_segments(), 0);
    process_vm_destroy(vm);
}

static void test_share_between_processes(void **state)
{
    struct process_vm *p1 = new_vm(1), *p2 = new_vm(2);
    int id = shm_get(p1, 42, 2 * PG + 10, IPC_CREAT | 0666);
    assert_true(id >= 0);
    long a1 = shm_attach(p1, id, 0, 0);
    assert_true(a1 > 0);
    assert_true(vt_all_zero((uintptr_t)a1, 3 * PG));
    strcpy((char *)a1, "hello from 1");
    assert_int_equal(shm_get(p2, 42, 0, 0), id);
    /* Only the segment's own address (or 0) works in one address space. */
    assert_int_equal(shm_attach(p2, id, (uintptr_t)a1 + PG, 0), -EINVAL);
    assert_int_equal(shm_attach(p2, id, (uintptr_t)a1 + 7, 0), -EINVAL);
    long a2 = shm_attach(p2, id, (uintptr_t)a1 + 7, SHM_RND);
    assert_int_equal(a2, a1);
    assert_string_equal((char *)a2, "hello from 1");
    assert_int_equal(shm_attach(p2, id, 0, 0), -EINVAL);        /* attached already */
    assert_int_equal(shm_attach(p2, -1, 0, 0), -EINVAL);
    assert_int_equal(shm_attach(p2, id + 4096, 0, 0), -EINVAL);
    struct shmid_ds ds;
    assert_int_equal(shm_ctl(p1, id, IPC_STAT, &ds), 0);
    assert_int_equal(ds.shm_nattch, 2);
    assert_int_equal(ds.shm_lpid, 2);
    /* maps shows the segment for both. */
    char buf[1024];
    process_vm_render_maps(p2, buf, sizeof(buf));
    assert_non_null(strstr(buf, "rw-s"));
    assert_non_null(strstr(buf, "/SYSV0000002a (deleted)"));
    /* munmap/mprotect of a part of an attachment: not possible here. */
    assert_int_equal(process_vm_munmap(p2, (uintptr_t)a2, PG), -EINVAL);
    assert_int_equal(process_vm_mprotect(p2, (uintptr_t)a2, PG, PROT_READ), -EINVAL);
    assert_int_equal(process_vm_check_access(p2, (uintptr_t)a2, 3 * PG, RW), 0);
    /* RMID: the segment lives until the last detach. */
    assert_int_equal(shm_ctl(p1, id, IPC_RMID, NULL), 0);
    /* Linux: a removed segment stays known by id until the last detach. */
    assert_int_equal(shm_ctl(p1, id, IPC_STAT, &ds), 0);
    assert_int_equal(ds.shm_nattch, 2);
    assert_true(ds.shm_perm.mode & SHM_DEST);
    assert_int_equal(ds.shm_perm.__key, IPC_PRIVATE);
    assert_int_equal(shm_get(p1, 42, 0, 0), -ENOENT);
    assert_int_equal(shm_ctl(p1, id, IPC_RMID, NULL), 0);
    assert_int_equal(shm_detach(p1, (uintptr_t)a1), 0);
    assert_int_equal(shm_attach(p1, id, 0, 0), a1);      /* still attachable */
    assert_int_equal(shm_detach(p1, (uintptr_t)a1), 0);
    assert_int_equal(shm_detach(p1, (uintptr_t)a1), -EINVAL);
    assert_int_equal(shm_detach(p1, (uintptr_t)a1 + 1), -EINVAL);
    assert_int_equal(nr_segments(), 1);
    assert_string_equal((char *)a2, "hello from 1");
    assert_int_equal(process_vm_check_access(p1, (uintptr_t)a1, 1, PROT_READ), -EFAULT);
    /* munmap of the whole attachment is a detach: the segment goes. */
    assert_int_equal(process_vm_munmap(p2, (uintptr_t)a2, 3 * PG), 0);
    assert_int_equal(nr_segments(), 0);
    assert_true(vt_read_faults((uintptr_t)a2));
    process_vm_destroy(p1);
    process_vm_destroy(p2);
}

static void test_rdonly_and_exit_detaches(void **state)
{
    struct process_vm *p1 = new_vm(1), *p2 = new_vm(2);
    int id = shm_get(p1, IPC_PRIVATE, PG, 0600);
    long a = shm_attach(p1, id, 0, SHM_RDONLY);
    assert_true(a > 0);
    assert_true(vt_write_faults((uintptr_t)a));
    assert_false(vt_read_faults((uintptr_t)a));
    assert_int_equal(process_vm_check_access(p1, (uintptr_t)a, 1, PROT_WRITE), -EFAULT);
    assert_int_equal(process_vm_mprotect(p1, (uintptr_t)a, PG, RW), -EACCES);
    /* A writer attaches: the host allows writes for the union (docs). */
    assert_int_equal(shm_attach(p2, id, 0, 0), a);
    *(volatile char *)a = 'w';
    assert_int_equal(process_vm_check_access(p1, (uintptr_t)a, 1, PROT_WRITE), -EFAULT);
    assert_int_equal(process_vm_check_access(p2, (uintptr_t)a, 1, PROT_WRITE), 0);
    /* Exit detaches. */
    process_vm_destroy(p2);
    struct shmid_ds ds;
    assert_int_equal(shm_ctl(p1, id, IPC_STAT, &ds), 0);
    assert_int_equal(ds.shm_nattch, 1);
    assert_true(vt_write_faults((uintptr_t)a));
    assert_int_equal(*(volatile char *)a, 'w');
    assert_int_equal(shm_ctl(p1, id, IPC_RMID, NULL), 0);
    assert_int_equal(nr_segments(), 1);
    process_vm_destroy(p1);
    assert_int_equal(nr_segments(), 0);
}

static void test_limits_and_reattach(void **state)
{
    struct process_vm *vm = new_vm(1);
    int id = shm_get(vm, IPC_PRIVATE, PG, 0600);
    long a = shm_attach(vm, id, 0, 0);
    *(volatile int *)a = 77;
    assert_int_equal(shm_detach(vm, (uintptr_t)a), 0);
    /* The data lives on with no attacher until RMID. */
    assert_int_equal(shm_attach(vm, id, (uintptr_t)a, 0), a);
    assert_int_equal(*(volatile int *)a, 77);
    assert_int_equal(shm_detach(vm, (uintptr_t)a), 0);
    assert_int_equal(shm_ctl(vm, id, IPC_RMID, NULL), 0);
    /* SHMMNI: 4096 segments, then ENOSPC (small pool: 4096 pages fit). */
    int ids[4096];
    int made = 0;
    for (; made < 4096; made++) {
        ids[made] = shm_get(vm, IPC_PRIVATE, 1, 0600);
        if (ids[made] < 0)
            break;
    }
    assert_int_equal(made, 4096);
    assert_int_equal(shm_get(vm, IPC_PRIVATE, 1, 0600), -ENOSPC);
    for (int i = 0; i < made; i++)
        assert_int_equal(shm_ctl(vm, ids[i], IPC_RMID, NULL), 0);
    assert_int_equal(user_space_vm_check(usv), 0);
    process_vm_destroy(vm);
}

static void test_pool_destroy_removes_segments(void **state)
{
    struct user_space_vm *u = vt_pool(64 * MiB, 4 * MiB);
    struct process_vm *vm;
    assert_int_equal(process_vm_create(u, 1, &vm), 0);
    int id = shm_get(vm, 5, PG, IPC_CREAT | 0600);
    assert_true(id >= 0);
    process_vm_destroy(vm);
    user_space_vm_destroy(u);       /* ASan: nothing leaks */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_errors),
        cmocka_unit_test(test_share_between_processes),
        cmocka_unit_test(test_rdonly_and_exit_detaches),
        cmocka_unit_test(test_limits_and_reattach),
        cmocka_unit_test(test_pool_destroy_removes_segments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
