/* See sys_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events/waiter.h"
#include "fs/epoll.h"
#include "sys_fixture.h"
#include "vm/process_vm.h"
#include "vm/user_space_vm.h"

struct sys_fixture *fx;

int sys_fixture_setup(void **state)
{
    (void)state;
    fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    struct user_space_vm_config cfg = { .user_space_size = 256u << 20,
                                        .unmap_protect = VM_UNMAP_PROTECT_STRICT };
    if (user_space_vm_create(&cfg, &fx->usv))
        return -1;
    struct process *p = &fx->proc;
    p->pid = p->ppid = p->pgid = p->sid = 100;
    atomic_init(&p->refs, 1);
    pthread_mutex_init(&p->lock, NULL);
    if (process_vm_create(fx->usv, p->pid, &p->vm))
        return -1;
    if (fd_table_create(FD_TABLE_DEFAULT_LIMIT, &p->fds))
        return -1;
    sys_thread_init(&fx->thread);
    sys_register_fd(fx->table);
    sys_register_net(fx->table);
    return 0;
}

int sys_fixture_teardown(void **state)
{
    (void)state;
    sys_thread_fini(&fx->thread);
    fd_table_put(fx->proc.fds);
    process_vm_destroy(fx->proc.vm);
    user_space_vm_destroy(fx->usv);
    pthread_mutex_destroy(&fx->proc.lock);
    free(fx);
    fx = NULL;
    return 0;
}

void sys_thread_init(struct thread *t)
{
    memset(t, 0, sizeof *t);
    t->proc = &fx->proc;
    t->tid = fx->proc.pid;
    waiter_init(&t->waiter);
    waiter_bind_current(&t->waiter);
    thread_set_current(t);
}

void sys_thread_fini(struct thread *t)
{
    epoll_thread_quiesce();
    waiter_bind_current(NULL);
    thread_set_current(NULL);
    waiter_destroy(&t->waiter);
}

void *guest_alloc(size_t len, int prot)
{
    long a = process_vm_mmap(fx->proc.vm, 0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS,
                             NULL, 0);
    assert_true(a > 0);
    return (void *)a;
}

void guest_free(void *p, size_t len)
{
    assert_int_equal(process_vm_munmap(fx->proc.vm, (uintptr_t)p, len), 0);
}

long sys_call_as(struct thread *t, long nr, const uint64_t a[6])
{
    if (!t)
        t = &fx->thread;
    assert_true(nr >= 0 && nr < SYSCALL_TABLE_SIZE);
    assert_non_null(fx->table[nr]);
    return fx->table[nr](t, a);
}
