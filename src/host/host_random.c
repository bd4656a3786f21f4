/* Host randomness (see host_random.h). */
#include "host/host_random.h"

#include <errno.h>
#include <sys/random.h>

ssize_t host_getrandom(void *buf, size_t len, unsigned flags)
{
    ssize_t r = getrandom(buf, len, flags);
    return r < 0 ? -errno : r;
}

int host_random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
