/* The Intel provider's probe: Intel's DCAP libraries through dlopen
 * (libsgx_dcap_ql.so.1 for quotes, libsgx_dcap_quoteverify.so.1 for
 * verification), with the entry points the provider needs. Only the probe
 * exists: quoting through Intel's QE needs a report from a real enclave, and
 * no SGX host or the libraries were available to build and test the rest
 * (docs/sgx.md). */
#include <errno.h>
#include <stdio.h>

#include "host/host_dl.h"
#include "sgx/sgx.h"

static const char *const ql_syms[] = { "sgx_qe_get_target_info", "sgx_qe_get_quote_size",
                                       "sgx_qe_get_quote" };
static const char *const qv_syms[] = { "sgx_qv_get_quote_supplemental_data_size",
                                       "sgx_qv_verify_quote" };

static int probe_lib(const char *name, const char *const *syms, size_t n, char *msg,
                     size_t len)
{
    char err[256];
    void *h = host_dl_open(name, err, sizeof err);
    if (!h) {
        snprintf(msg, len, "%s: not present (%s)", name, err);
        return -ENOENT;
    }
    for (size_t i = 0; i < n; i++)
        if (!host_dl_sym(h, syms[i])) {
            snprintf(msg, len, "%s: no symbol %s", name, syms[i]);
            host_dl_close(h);
            return -ENOSYS;
        }
    host_dl_close(h);
    return 0;
}

int sgx_intel_probe(char *msg, size_t len)
{
    int r = probe_lib("libsgx_dcap_ql.so.1", ql_syms, 3, msg, len);
    if (!r)
        r = probe_lib("libsgx_dcap_quoteverify.so.1", qv_syms, 2, msg, len);
    if (!r)
        snprintf(msg, len, "Intel DCAP libraries present (the intel provider is not "
                           "implemented yet: using the simulated one)");
    return r;
}
