/* Host randomness: the only place that calls the host's getrandom. */
#ifndef ONESPACE_HOST_HOST_RANDOM_H
#define ONESPACE_HOST_HOST_RANDOM_H

#include <stddef.h>

/* Fill buf with `len` random bytes from the host's urandom pool (retries on
 * EINTR and short reads). 0 or a negative errno. */
int host_random_bytes(void *buf, size_t len);

#endif
