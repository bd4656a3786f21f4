/* The host process looking at itself, for leak checks (onespace-stress,
 * docs/stress.md), and the few host file calls the stress command needs
 * to build its image. Every function returns a value or a negative errno. */
#ifndef ONESPACE_HOST_HOST_SELFCHECK_H
#define ONESPACE_HOST_HOST_SELFCHECK_H

#include <stddef.h>

/* Entries of /proc/self/fd (open host fds, the one used to count them
 * excluded) and of /proc/self/task (host threads). */
int host_count_fds(void);
int host_count_threads(void);
/* Bytes the host allocator has handed out and not got back (mallinfo2:
 * arena bytes in use + mmapped blocks). */
size_t host_malloc_in_use(void);

/* End the host process now, without atexit handlers or flushing stdio
 * (the watchdog, from its own thread, while guest threads are stuck). */
__attribute__((noreturn)) void host_exit_now(int status);
/* abort(): SIGABRT, a core dump where enabled. */
__attribute__((noreturn)) void host_abort_now(void);

/* mkdtemp(templ) (templ ends in XXXXXX and is rewritten). */
int host_make_temp_dir(char *templ);
/* mkdir + chmod (the umask does not apply). */
int host_make_dir(const char *path, unsigned mode);
/* Copy a regular file; the copy gets `mode`. */
int host_copy_file(const char *from, const char *to, unsigned mode);
/* rm -rf path (does not follow symlinks). */
int host_remove_tree(const char *path);

#endif
