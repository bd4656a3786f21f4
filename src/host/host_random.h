/* Host randomness: the only place that calls the host's getrandom. */
#ifndef ONESPACE_HOST_HOST_RANDOM_H
#define ONESPACE_HOST_HOST_RANDOM_H

#include <stddef.h>
#include <sys/types.h>

/* Fill buf with `len` random bytes from the host's urandom pool (retries on
 * EINTR and short reads). 0 or a negative errno. */
int host_random_bytes(void *buf, size_t len);

/* One getrandom(2) call as a guest asked for it (flags GRND_*): the count
 * (possibly short) or a negative errno. */
ssize_t host_getrandom(void *buf, size_t len, unsigned flags);

#endif
