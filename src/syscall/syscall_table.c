/* The table and the dispatcher. */
#include "syscall/syscall.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "process/process.h"
#include "process/watchdog.h"
#include "syscall/syscall_names.h"
#include "util/log.h"

static sys_fn table[SYSCALL_TABLE_SIZE];
static atomic_uchar warned[SYSCALL_TABLE_SIZE];
static int trace_on;

static void fill(void)
{
    sys_register_mem(table);
    sys_register_misc(table);
    sys_register_thread(table);
    sys_register_signal(table);
    sys_register_timer(table);
    sys_register_process(table);
    sys_register_fd(table);
    sys_register_net(table);
    sys_register_path(table);
}

void syscall_table_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fill);
}

void syscall_set_trace(int on) { trace_on = on; }

static void trace(struct thread *self, long nr, const uint64_t a[6], long ret)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "[%d %d] %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = ",
                     self->proc->pid, self->tid, syscall_name(nr), (unsigned long)a[0],
                     (unsigned long)a[1], (unsigned long)a[2], (unsigned long)a[3],
                     (unsigned long)a[4], (unsigned long)a[5]);
    if (ret < 0 && ret > -4096)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "-1 %s (%s)\n",
                      strerrorname_np((int)-ret) ? strerrorname_np((int)-ret) : "?",
                      strerror((int)-ret));
    else
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%#lx\n", (unsigned long)ret);
    fputs(line, stderr);
}

long syscall_dispatch(struct thread *self, long nr, const uint64_t a[6])
{
    long ret;
    if (nr < 0 || nr >= SYSCALL_TABLE_SIZE || !table[nr]) {
        if (nr >= 0 && nr < SYSCALL_TABLE_SIZE && !atomic_exchange(&warned[nr], 1))
            log_warn("syscall", "%s (%ld) is not implemented: ENOSYS", syscall_name(nr), nr);
        ret = -ENOSYS;
    } else {
        watchdog_enter(self, nr, a[0]);
        ret = table[nr](self, a);
        watchdog_leave(self);
    }
    if (trace_on)
        trace(self, nr, a, ret);
    return ret;
}
