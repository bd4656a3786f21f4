/* SIGSEGV delivered to a guest handler: PROT_NONE access, write to a
 * read-only page, unmapped address, NULL; si_addr and si_code checked; the
 * handler leaves with siglongjmp. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_check.h"

static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_code;
static volatile int fault_signo;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_signo = sig;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jb, 1);
}

/* Returns 1 if touching `p` (write if `wr`) faulted. */
static int touch(volatile char *p, int wr)
{
    fault_addr = NULL;
    fault_code = 0;
    fault_signo = 0;
    if (sigsetjmp(jb, 1) == 0) {
        if (wr)
            *p = 1;
        else
            (void)*p;
        return 0;
    }
    return 1;
}

static const char *code_name(int c)
{
    return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction");

    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, (size_t)pg * 3, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap");

    CHECK(touch(m + 100, 0), "read of PROT_NONE did not fault");
    CHECK(fault_signo == SIGSEGV && fault_addr == m + 100, "wrong signal/address");
    OUT("PROT_NONE read: SIGSEGV %s, si_addr exact", code_name(fault_code));

    CHECK(mprotect(m, (size_t)pg, PROT_READ) == 0, "mprotect R");
    CHECK(!touch(m + 5, 0), "read of PROT_READ faulted");
    CHECK(touch(m + 5, 1), "write of PROT_READ did not fault");
    CHECK(fault_addr == m + 5, "wrong address");
    OUT("PROT_READ write: SIGSEGV %s, si_addr exact", code_name(fault_code));

    CHECK(mprotect(m, (size_t)pg, PROT_READ | PROT_WRITE) == 0, "mprotect RW");
    CHECK(!touch(m + 5, 1) && m[5] == 1, "write after mprotect RW");
    OUT("mprotect RW: write ok");

    CHECK(munmap(m + pg, (size_t)pg) == 0, "munmap");
    CHECK(touch(m + pg + 8, 1), "write to unmapped page did not fault");
    CHECK(fault_addr == m + pg + 8, "wrong address");
    OUT("unmapped write: SIGSEGV %s, si_addr exact", code_name(fault_code));

    CHECK(touch((volatile char *)(uintptr_t)0, 0), "NULL read did not fault");
    CHECK(fault_addr == NULL, "NULL si_addr %p", (void *)fault_addr);
    OUT("NULL read: SIGSEGV %s", code_name(fault_code));

    /* The handler is still installed and the mask restored (sigsetjmp(.., 1)). */
    for (int i = 0; i < 100; i++)
        CHECK(touch(m + 2 * pg + i, 0), "fault %d", i);
    sigset_t cur;
    CHECK(sigprocmask(SIG_SETMASK, NULL, &cur) == 0 && !sigismember(&cur, SIGSEGV),
          "SIGSEGV left blocked");
    OUT("100 more faults handled");
    OUT("segv_handler ok");
    return 0;
}
