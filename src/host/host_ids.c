/* Host user and group ids (see host_ids.h). */
#include "host/host_ids.h"

#include <unistd.h>

void host_ids_get(struct host_ids *out)
{
    out->uid = getuid();
    out->euid = geteuid();
    out->gid = getgid();
    out->egid = getegid();
}
