/* Host dynamic loading (dlopen/dlsym), for optional vendor libraries such as
 * Intel's DCAP quote libraries. */
#ifndef ONESPACE_HOST_HOST_DL_H
#define ONESPACE_HOST_HOST_DL_H

#include <stddef.h>

/* A handle, or NULL with the loader's message in err (may be NULL). */
void *host_dl_open(const char *name, char *err, size_t errlen);
/* The symbol's address or NULL. */
void *host_dl_sym(void *handle, const char *symbol);
void host_dl_close(void *handle);

#endif
