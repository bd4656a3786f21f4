/* Host dynamic loading (see host_dl.h). */
#include "host/host_dl.h"

#include <dlfcn.h>
#include <stdio.h>

void *host_dl_open(const char *name, char *err, size_t errlen)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h && err && errlen) {
        const char *e = dlerror();
        snprintf(err, errlen, "%s", e ? e : "dlopen failed");
    }
    return h;
}

void *host_dl_sym(void *handle, const char *symbol) { return dlsym(handle, symbol); }

void host_dl_close(void *handle)
{
    if (handle)
        dlclose(handle);
}
