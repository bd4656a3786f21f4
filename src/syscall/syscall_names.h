#ifndef ONESPACE_SYSCALL_SYSCALL_NAMES_H
#define ONESPACE_SYSCALL_SYSCALL_NAMES_H

/* "read", "write", ... or "?" for a number Linux x86-64 does not have. */
const char *syscall_name(long nr);

#endif
