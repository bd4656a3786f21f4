/* The host process's user and group ids (the loader passes them to guests
 * in the auxiliary vector until onespace has credentials of its own). */
#ifndef ONESPACE_HOST_HOST_IDS_H
#define ONESPACE_HOST_HOST_IDS_H

#include <sys/types.h>

struct host_ids {
    uid_t uid, euid, suid;
    gid_t gid, egid, sgid;
};

/* Never fails (getuid and friends cannot). */
void host_ids_get(struct host_ids *out);

#endif
