/* Process calls without registers: wait4, waitid, process groups and
 * sessions. (vfork, clone and execve are in src/entry/.) */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "process/runtime_state.h"
#include "syscall/syscall.h"
#include "syscall/uaccess.h"

#define WAIT_OPTIONS (WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD)

SYS_STATIC(wait4)
{
    struct process *p = self->proc;
    pid_t pid = (pid_t)a[0];
    int options = (int)a[2];
    if (options & ~WAIT_OPTIONS)
        return -EINVAL;
    if (pid == INT32_MIN)
        return -ESRCH;
    int status = 0;
    pid_t got = process_wait_child(p, pid, (options & (WNOHANG | WUNTRACED | WCONTINUED)) | WEXITED,
                                   &status);
    if (got > 0) {
        /* Checked after the wait, as Linux's put_user: WNOHANG with nothing
         * to report never touches the pointer. */
        if (a[1] && uaccess_write(p, a[1], &status, sizeof(status)))
            return -EFAULT;
        if (a[3]) {
            struct rusage ru;
            memset(&ru, 0, sizeof(ru));     /* per-process accounting: not kept */
            if (uaccess_write(p, a[3], &ru, sizeof(ru)))
                return -EFAULT;
        }
    }
    return got;
}

SYS_STATIC(waitid)
{
    struct process *p = self->proc;
    int idtype = (int)a[0], options = (int)a[3];
    pid_t id = (pid_t)a[1], pid;
    if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WALL | __WCLONE |
                    __WNOTHREAD))
        return -EINVAL;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    switch (idtype) {
    case P_ALL: pid = -1; break;
    case P_PID: if (id <= 0) return -EINVAL; pid = id; break;
    case P_PGID: if (id < 0) return -EINVAL; pid = id ? -id : 0; break;
    default: return -EINVAL;
    }
    int status = 0;
    pid_t got = process_wait_child(
        p, pid, options & (WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED), &status);
    if (got < 0)
        return got;
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    if (got > 0) {
        si.si_signo = SIGCHLD;
        si.si_pid = got;
        if (WIFSTOPPED(status)) {
            si.si_code = CLD_STOPPED;
            si.si_status = WSTOPSIG(status);
        } else if (WIFCONTINUED(status)) {
            si.si_code = CLD_CONTINUED;
            si.si_status = SIGCONT;
        } else if (WIFEXITED(status)) {
            si.si_code = CLD_EXITED;
            si.si_status = WEXITSTATUS(status);
        } else {
            si.si_code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
            si.si_status = WTERMSIG(status);
        }
    }
    if (a[2] && uaccess_write(p, a[2], &si, sizeof(si)))
        return -EFAULT;
    return 0;
}

/* Is there a process in group pgid of session sid? */
static bool group_in_session(struct runtime *rt, pid_t pgid, pid_t sid)
{
    bool found = false;
    pthread_mutex_lock(&rt->lock);
    for (pid_t pid = 1; pid < RUNTIME_PID_MAX && !found; pid++) {
        struct process *q = rt->pids[pid];
        found = q && q->pid == pid && !q->zombie && q->pgid == pgid && q->sid == sid;
    }
    pthread_mutex_unlock(&rt->lock);
    return found;
}

/* Linux's checks, in its order: the caller or a child of its session
 * that has not exec'd yet; not a session leader; a group other than its
 * own pid must exist in the caller's session. */
SYS_STATIC(setpgid)
{
    struct process *p = self->proc;
    pid_t pid = (pid_t)a[0], pgid = (pid_t)a[1];
    if (pgid < 0)
        return -EINVAL;
    struct process *target = p;
    if (pid && pid != p->pid) {
        target = runtime_find_process(p->rt, pid);
        if (!target || target->parent != p)
            return -ESRCH;
        if (target->sid != p->sid)
            return -EPERM;
        if (target->did_exec)
            return -EACCES;
    }
    if (target->sid == target->pid)
        return -EPERM;      /* a session leader keeps its group */
    if (pgid && pgid != target->pid && !group_in_session(p->rt, pgid, p->sid))
        return -EPERM;
    target->pgid = pgid ? pgid : target->pid;
    return 0;
}

SYS_STATIC(setsid)
{
    struct process *p = self->proc;
    if (p->pgid == p->pid)
        return -EPERM;
    p->sid = p->pgid = p->pid;
    return p->sid;
}

void sys_register_process(sys_fn *t)
{
    t[__NR_wait4] = sys_wait4;
    t[__NR_waitid] = sys_waitid;
    t[__NR_setpgid] = sys_setpgid;
    t[__NR_setsid] = sys_setsid;
}
