#include "host/host_mem_query.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host_mem.h"
#include "util/compiler.h"

/* The whole of /proc/self/maps (NUL terminated), or NULL with *err set. */
static char *read_maps(int *err)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = -errno;
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            *err = -ENOMEM;
            break;
        }
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *err = -errno;
            free(buf);
            buf = NULL;
            break;
        }
        if (n == 0) {
            buf[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    return buf;
}

int host_mem_query_prot(uintptr_t lo, uintptr_t hi, uint8_t *prot)
{
    if (!IS_ALIGNED(lo, PAGE_SIZE) || !IS_ALIGNED(hi, PAGE_SIZE) || hi < lo)
        return -EINVAL;
    int err = 0;
    char *maps = read_maps(&err);
    if (!maps)
        return err;
    memset(prot, HOST_PROT_ABSENT, (hi - lo) / PAGE_SIZE);
    for (char *line = maps; *line;) {
        char *end;
        uintptr_t s = strtoul(line, &end, 16), e = s;
        if (*end == '-')
            e = strtoul(end + 1, &end, 16);
        int p = HOST_PROT_NONE;
        if (*end == ' ' && strlen(end) >= 4) {
            p |= end[1] == 'r' ? HOST_PROT_READ : 0;
            p |= end[2] == 'w' ? HOST_PROT_WRITE : 0;
            p |= end[3] == 'x' ? HOST_PROT_EXEC : 0;
        }
        for (uintptr_t a = MAX(s, lo); a < MIN(e, hi); a += PAGE_SIZE)
            prot[(a - lo) / PAGE_SIZE] = (uint8_t)p;
        char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    free(maps);
    return 0;
}
