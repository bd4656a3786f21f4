/* Size strings (see size.h). */
#include "cli/size.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>

static int unit_shift(const char *u, unsigned *shift)
{
    static const struct { const char *name; unsigned shift; } units[] = {
        { "", 0 },   { "B", 0 },   { "K", 10 }, { "KB", 10 },
        { "M", 20 }, { "MB", 20 }, { "G", 30 }, { "GB", 30 },
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(u, units[i].name) == 0) {
            *shift = units[i].shift;
            return 0;
        }
    }
    return -EINVAL;
}

int size_parse(const char *s, uint64_t *out)
{
    const char *p = s;
    uint64_t v = 0;
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    bool overflow = false;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    const char *num_end = p;
    while (*p == ' ')
        p++;
    if (p != num_end && *p == '\0')
        return -EINVAL;   /* "32 ": spaces only between number and unit */
    unsigned shift;
    if (unit_shift(p, &shift) < 0)
        return -EINVAL;
    if (overflow || (shift && v > (UINT64_MAX >> shift)))
        return -ERANGE;
    *out = v << shift;
    return 0;
}

char *size_format(uint64_t v, char *buf, size_t len)
{
    if (v != 0 && v % SIZE_GB == 0)
        snprintf(buf, len, "%" PRIu64 "GB", v / SIZE_GB);
    else if (v != 0 && v % SIZE_MB == 0)
        snprintf(buf, len, "%" PRIu64 "MB", v / SIZE_MB);
    else if (v != 0 && v % SIZE_KB == 0)
        snprintf(buf, len, "%" PRIu64 "KB", v / SIZE_KB);
    else
        snprintf(buf, len, "%" PRIu64, v);
    return buf;
}
