/* Fault injection in the host layer: make a chosen host call fail, so the
 * layers above can be tested on the errors they otherwise never see.
 *
 * Driven by the environment (read once, at the first check):
 *   ONESPACE_FAULT="mem_commit:5,thread_create:1,file_write:3:EIO"
 * = fail the 5th host_mem commit, the 1st thread creation and the 3rd host
 * write with EIO (instead of the point's default errno). "N+" fails the
 * Nth call and every one after it. Unknown names or bad numbers are
 * reported on stderr and ignored.
 *
 * Tests arm points directly with host_fault_arm (counting from the next
 * call). Unarmed, a check is one relaxed atomic load.
 *
 * Points (and the errno the caller sees by default):
 *   mem_commit     host_mem_protect to an accessible protection, and
 *                  host_mem_map_file                          ENOMEM
 *   mem_protect    every host_mem_protect                     ENOMEM
 *   thread_create  host_thread_create                         EAGAIN
 *   file_write     host_fd_write / writev / pwrite (host files,
 *                  host sockets, stdio)                       ENOSPC
 *   socket         host_socket / socketpair / accept4         ENOBUFS
 *   socket_send    host_sendto / sendmsg                      ENOBUFS */
#ifndef ONESPACE_HOST_HOST_FAULT_H
#define ONESPACE_HOST_HOST_FAULT_H

#include <stdbool.h>

enum host_fault_point {
    HOST_FAULT_MEM_COMMIT,
    HOST_FAULT_MEM_PROTECT,
    HOST_FAULT_THREAD_CREATE,
    HOST_FAULT_FILE_WRITE,
    HOST_FAULT_SOCKET,
    HOST_FAULT_SOCKET_SEND,
    HOST_FAULT_NR_POINTS,
};

/* Count one call at `p`: 0 to go ahead, or the negative errno the call
 * must return without doing anything. */
int host_fault_should_fail(enum host_fault_point p);

/* Fail the nth call at `p` from now (1 = the next one), with -err (0: the
 * point's default); sticky: that one and every later one. nth 0 disarms. */
void host_fault_arm(enum host_fault_point p, unsigned long nth, int err, bool sticky);
/* Disarm every point (and forget the environment's setting). */
void host_fault_disarm_all(void);
/* How many times `p` failed so far (since the last arm of it). */
unsigned long host_fault_injected(enum host_fault_point p);

/* Parse an ONESPACE_FAULT string and arm what it says: 0, or -EINVAL
 * (points before the bad item stay armed). */
int host_fault_parse(const char *spec);

/* "mem_commit" ... ; NULL for a bad point. */
const char *host_fault_point_name(enum host_fault_point p);

#endif
