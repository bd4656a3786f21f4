/* Host user and group ids (see host_ids.h). */
#include "host/host_ids.h"

#include <unistd.h>

void host_ids_get(struct host_ids *out)
{
    getresuid(&out->uid, &out->euid, &out->suid);
    getresgid(&out->gid, &out->egid, &out->sgid);
}
