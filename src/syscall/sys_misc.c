/* Identity, time, system information, limits: calls that need no
 * subsystem beyond the process and the host's facts. */
#include <errno.h>
#include <linux/prctl.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include "events/waiter.h"
#include "host/host_ids.h"
#include "host/host_misc.h"
#include "host/host_random.h"
#include "process/runtime_state.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"

SYS_STATIC(getpid) { return self->proc->pid; }
SYS_STATIC(getppid) { return self->proc->ppid; }
SYS_STATIC(gettid) { return self->tid; }

SYS_STATIC(getpgid)
{
    if (a[0] == 0 || (pid_t)a[0] == self->proc->pid)
        return self->proc->pgid;
    struct process *p = runtime_find_process(self->proc->rt, (pid_t)a[0]);
    return p ? p->pgid : -ESRCH;
}
SYS_STATIC(getpgrp) { return self->proc->pgid; }

SYS_STATIC(getsid)
{
    if (a[0] == 0 || (pid_t)a[0] == self->proc->pid)
        return self->proc->sid;
    struct process *p = runtime_find_process(self->proc->rt, (pid_t)a[0]);
    return p ? p->sid : -ESRCH;
}

static struct host_ids ids(void)
{
    struct host_ids i;
    host_ids_get(&i);
    return i;
}
SYS_STATIC(getuid) { return ids().uid; }
SYS_STATIC(geteuid) { return ids().euid; }
SYS_STATIC(getgid) { return ids().gid; }
SYS_STATIC(getegid) { return ids().egid; }

SYS_STATIC(getresuid)
{
    struct host_ids i = ids();
    struct process *p = self->proc;
    if (uaccess_write(p, a[0], &i.uid, sizeof(uid_t)) ||
        uaccess_write(p, a[1], &i.euid, sizeof(uid_t)) ||
        uaccess_write(p, a[2], &i.suid, sizeof(uid_t)))
        return -EFAULT;
    return 0;
}

SYS_STATIC(getresgid)
{
    struct host_ids i = ids();
    struct process *p = self->proc;
    if (uaccess_write(p, a[0], &i.gid, sizeof(gid_t)) ||
        uaccess_write(p, a[1], &i.egid, sizeof(gid_t)) ||
        uaccess_write(p, a[2], &i.sgid, sizeof(gid_t)))
        return -EFAULT;
    return 0;
}

SYS_STATIC(getgroups)
{
    if ((int)a[0] < 0)
        return -EINVAL;
    return 0;       /* no supplementary groups */
}

/* Changing identity inside one address space would protect nothing:
 * refused, as for an unprivileged Linux process. */
SYS_STATIC(setid)
{
    return -EPERM;
}

SYS_STATIC(uname)
{
    struct utsname u;
    int err = host_uname(&u);
    if (err)
        return err;
    return uaccess_write(self->proc, a[0], &u, sizeof(u));
}

SYS_STATIC(sysinfo)
{
    struct sysinfo si;
    int err = host_sysinfo(&si);
    if (err)
        return err;
    struct runtime *rt = self->proc->rt;
    pthread_mutex_lock(&rt->lock);
    si.procs = (unsigned short)rt->nr_threads;
    pthread_mutex_unlock(&rt->lock);
    return uaccess_write(self->proc, a[0], &si, sizeof(si));
}

SYS_STATIC(getrandom)
{
    if (a[2] & ~(unsigned long)(GRND_NONBLOCK | GRND_RANDOM | 0x4 /* GRND_INSECURE */))
        return -EINVAL;
    if (uaccess_check(self->proc, a[0], a[1], PROT_WRITE))
        return -EFAULT;
    return host_getrandom((void *)a[0], a[1], (unsigned)a[2]);
}

SYS_STATIC(clock_gettime)
{
    struct timespec ts;
    int err = host_clock_gettime((clockid_t)a[0], &ts);
    if (err)
        return err;
    return uaccess_write(self->proc, a[1], &ts, sizeof(ts));
}

SYS_STATIC(clock_getres)
{
    struct timespec ts;
    int err = host_clock_getres((clockid_t)a[0], &ts);
    if (err || !a[1])
        return err;
    return uaccess_write(self->proc, a[1], &ts, sizeof(ts));
}

SYS_STATIC(gettimeofday)
{
    struct timespec ts;
    host_clock_gettime(CLOCK_REALTIME, &ts);
    struct timeval tv = { ts.tv_sec, ts.tv_nsec / 1000 };
    if (a[0] && uaccess_write(self->proc, a[0], &tv, sizeof(tv)))
        return -EFAULT;
    if (a[1]) {
        struct timezone tz = { 0, 0 };
        if (uaccess_write(self->proc, a[1], &tz, sizeof(tz)))
            return -EFAULT;
    }
    return 0;
}

SYS_STATIC(time)
{
    struct timespec ts;
    host_clock_gettime(CLOCK_REALTIME, &ts);
    time_t t = ts.tv_sec;
    if (a[0] && uaccess_write(self->proc, a[0], &t, sizeof(t)))
        return -EFAULT;
    return t;
}

/* Sleep on the thread's waiter so a kick or a signal interrupts it. */
static long sleep_until(struct thread *self, uint64_t deadline, uintptr_t rem)
{
    for (;;) {
        int r = waiter_wait(&self->waiter, deadline);
        if (r == -ETIMEDOUT || waiter_now_ns() >= deadline)
            return 0;
        if (r == -EINTR) {
            if (rem) {
                uint64_t left = waiter_remaining_ns(deadline);
                struct timespec ts = { (time_t)(left / 1000000000u), (long)(left % 1000000000u) };
                if (uaccess_write(self->proc, rem, &ts, sizeof(ts)))
                    return -EFAULT;     /* as Linux does */
            }
            return -EINTR;
        }
    }
}

SYS_STATIC(nanosleep)
{
    struct timespec req;
    if (uaccess_read(self->proc, &req, a[0], sizeof(req)))
        return -EFAULT;
    uint64_t deadline;
    int err = waiter_deadline_from_timespec(&req, false, &deadline);
    if (err)
        return err;
    return sleep_until(self, deadline, a[1]);
}

SYS_STATIC(clock_nanosleep)
{
    clockid_t clk = (clockid_t)a[0];
    int flags = (int)a[1];
    struct timespec req;
    if (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME && clk != CLOCK_BOOTTIME)
        return clk == CLOCK_THREAD_CPUTIME_ID ? -EINVAL : -EOPNOTSUPP;
    if (uaccess_read(self->proc, &req, a[2], sizeof(req)))
        return -EFAULT;
    if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec >= 1000000000L)
        return -EINVAL;
    uint64_t deadline;
    if (flags & TIMER_ABSTIME) {
        struct timespec now;
        host_clock_gettime(clk, &now);
        int64_t rel = (int64_t)(req.tv_sec - now.tv_sec) * 1000000000LL +
                      (req.tv_nsec - now.tv_nsec);
        deadline = rel <= 0 ? 0 : waiter_deadline_after((uint64_t)rel);
        return deadline ? sleep_until(self, deadline, 0) : 0;
    }
    int err = waiter_deadline_from_timespec(&req, false, &deadline);
    if (err)
        return err;
    return sleep_until(self, deadline, a[3]);
}

SYS_STATIC(sched_yield)
{
    sched_yield();
    return 0;
}

SYS_STATIC(sched_getaffinity)
{
    size_t len = a[1];
    if (len < sizeof(unsigned long) || (len & (sizeof(unsigned long) - 1)))
        return -EINVAL;
    unsigned char mask[128] = { 0 };
    if (len > sizeof(mask))
        len = sizeof(mask);
    int n = host_sched_getaffinity(mask, len);
    if (n < 0)
        return n;
    return uaccess_write(self->proc, a[2], mask, (size_t)n) ? -EFAULT : n;
}

SYS_STATIC(sched_setaffinity) { return 0; }    /* guests share onespace's CPUs */
SYS_STATIC(sched_getparam)
{
    int zero = 0;
    return uaccess_write(self->proc, a[1], &zero, sizeof(zero));
}
SYS_STATIC(sched_getscheduler) { return SCHED_OTHER; }
SYS_STATIC(getcpu)
{
    unsigned zero = 0;
    if (a[0] && uaccess_write(self->proc, a[0], &zero, sizeof(zero)))
        return -EFAULT;
    if (a[1] && uaccess_write(self->proc, a[1], &zero, sizeof(zero)))
        return -EFAULT;
    return 0;
}

static int rlimit_get(struct process *p, unsigned res, struct rlimit *out)
{
    if (res >= RLIM_NLIMITS)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    *out = p->rlim[res];
    pthread_mutex_unlock(&p->lock);
    return 0;
}

static int rlimit_set(struct process *p, unsigned res, const struct rlimit *r)
{
    if (res >= RLIM_NLIMITS || r->rlim_cur > r->rlim_max)
        return -EINVAL;
    pthread_mutex_lock(&p->lock);
    int err = r->rlim_max > p->rlim[res].rlim_max ? -EPERM : 0;
    if (!err)
        p->rlim[res] = *r;
    pthread_mutex_unlock(&p->lock);
    return err;
}

SYS_STATIC(prlimit64)
{
    struct process *p = self->proc;
    if (a[0] && (pid_t)a[0] != p->pid) {
        p = runtime_find_process(p->rt, (pid_t)a[0]);
        if (!p)
            return -ESRCH;
    }
    struct rlimit old, nw;
    int err = rlimit_get(p, (unsigned)a[1], &old);
    if (err)
        return err;
    if (a[2]) {
        if (uaccess_read(self->proc, &nw, a[2], sizeof(nw)))
            return -EFAULT;
        err = rlimit_set(p, (unsigned)a[1], &nw);
        if (err)
            return err;
    }
    if (a[3] && uaccess_write(self->proc, a[3], &old, sizeof(old)))
        return -EFAULT;
    return 0;
}

SYS_STATIC(getrlimit)
{
    struct rlimit r;
    int err = rlimit_get(self->proc, (unsigned)a[0], &r);
    return err ? err : uaccess_write(self->proc, a[1], &r, sizeof(r));
}

SYS_STATIC(setrlimit)
{
    struct rlimit r;
    if (uaccess_read(self->proc, &r, a[1], sizeof(r)))
        return -EFAULT;
    return rlimit_set(self->proc, (unsigned)a[0], &r);
}

SYS_STATIC(getrusage)
{
    int who = (int)a[0];
    if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
        return -EINVAL;
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    /* Per-guest accounting does not exist yet: the calling host thread's
     * usage is the closest honest figure for SELF and THREAD. */
    if (who != RUSAGE_CHILDREN) {
        int err = host_getrusage(RUSAGE_THREAD, &ru);
        if (err)
            return err;
    }
    return uaccess_write(self->proc, a[1], &ru, sizeof(ru));
}

SYS_STATIC(times)
{
    struct rusage ru;
    host_getrusage(RUSAGE_THREAD, &ru);
    struct tms t = {
        .tms_utime = ru.ru_utime.tv_sec * 100 + ru.ru_utime.tv_usec / 10000,
        .tms_stime = ru.ru_stime.tv_sec * 100 + ru.ru_stime.tv_usec / 10000,
    };
    if (a[0] && uaccess_write(self->proc, a[0], &t, sizeof(t)))
        return -EFAULT;
    struct timespec now;
    host_clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec * 100 + now.tv_nsec / 10000000);
}

SYS_STATIC(prctl)
{
    switch ((int)a[0]) {
    case PR_SET_NAME:
    case PR_SET_DUMPABLE:
    case PR_SET_PDEATHSIG:
    case PR_SET_NO_NEW_PRIVS:
    case PR_SET_VMA:
        return 0;
    case PR_GET_DUMPABLE:
        return 1;
    case PR_SET_CHILD_SUBREAPER: {
        struct runtime *rt = self->proc->rt;
        pthread_mutex_lock(&rt->lock);     /* read by exits, under it */
        self->proc->child_subreaper = a[1] != 0;
        pthread_mutex_unlock(&rt->lock);
        return 0;
    }
    case PR_GET_CHILD_SUBREAPER: {
        int on = self->proc->child_subreaper;
        return uaccess_write(self->proc, a[1], &on, sizeof(on));
    }
    case PR_GET_NAME: {
        char name[16] = { 0 };
        const char *slash = strrchr(self->proc->exe_path, '/');
        const char *base = slash ? slash + 1 : self->proc->exe_path;
        memcpy(name, base, strnlen(base, sizeof(name) - 1));
        return uaccess_write(self->proc, a[1], name, sizeof(name));
    }
    default:
        return -EINVAL;
    }
}


void sys_register_misc(sys_fn *t)
{
    t[__NR_getpid] = sys_getpid;
    t[__NR_getppid] = sys_getppid;
    t[__NR_gettid] = sys_gettid;
    t[__NR_getpgid] = sys_getpgid;
    t[__NR_getpgrp] = sys_getpgrp;
    t[__NR_getsid] = sys_getsid;
    t[__NR_getuid] = sys_getuid;
    t[__NR_geteuid] = sys_geteuid;
    t[__NR_getgid] = sys_getgid;
    t[__NR_getegid] = sys_getegid;
    t[__NR_getresuid] = sys_getresuid;
    t[__NR_getresgid] = sys_getresgid;
    t[__NR_getgroups] = sys_getgroups;
    t[__NR_setuid] = sys_setid;
    t[__NR_setgid] = sys_setid;
    t[__NR_setreuid] = sys_setid;
    t[__NR_setregid] = sys_setid;
    t[__NR_setresuid] = sys_setid;
    t[__NR_setresgid] = sys_setid;
    t[__NR_setgroups] = sys_setid;
    t[__NR_uname] = sys_uname;
    t[__NR_sysinfo] = sys_sysinfo;
    t[__NR_getrandom] = sys_getrandom;
    t[__NR_clock_gettime] = sys_clock_gettime;
    t[__NR_clock_getres] = sys_clock_getres;
    t[__NR_gettimeofday] = sys_gettimeofday;
    t[__NR_time] = sys_time;
    t[__NR_nanosleep] = sys_nanosleep;
    t[__NR_clock_nanosleep] = sys_clock_nanosleep;
    t[__NR_sched_yield] = sys_sched_yield;
    t[__NR_sched_getaffinity] = sys_sched_getaffinity;
    t[__NR_sched_setaffinity] = sys_sched_setaffinity;
    t[__NR_sched_getparam] = sys_sched_getparam;
    t[__NR_sched_getscheduler] = sys_sched_getscheduler;
    t[__NR_getcpu] = sys_getcpu;
    t[__NR_prlimit64] = sys_prlimit64;
    t[__NR_getrlimit] = sys_getrlimit;
    t[__NR_setrlimit] = sys_setrlimit;
    t[__NR_getrusage] = sys_getrusage;
    t[__NR_times] = sys_times;
    t[__NR_prctl] = sys_prctl;
}
