/* Host system calls made with the bare `syscall` instruction, for code
 * that runs without the host's FS base (the fast path's tier 1): no libc,
 * no errno, no TLS; the result is the kernel's (value or -errno). */
#ifndef ONESPACE_HOST_HOST_RAW_H
#define ONESPACE_HOST_HOST_RAW_H

static inline long host_raw_syscall0(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

#endif
