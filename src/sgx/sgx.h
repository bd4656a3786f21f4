/* The SGX layer: a simulated SGX platform (reports, keys, a DCAP quoting
 * enclave with an Intel-shaped P-256 PKI) and a DCAP quote verifier that
 * runs Intel's checks in Intel's order. See docs/sgx.md.
 *
 * Functions return 0 / a value, or a negative errno. Verifier functions
 * return Intel's quote3_error_t. */
#ifndef ONESPACE_SGX_SGX_H
#define ONESPACE_SGX_SGX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onespace/sgx.h"

struct sgx_platform;

/* Identity of the simulated enclave (the instance): what its reports say. */
struct sgx_identity {
    uint8_t mr_enclave[32];
    uint8_t mr_signer[32];
    uint64_t attr_flags, attr_xfrm;
    uint16_t isv_prod_id, isv_svn;
};

/* mr_enclave of an instance: SHA-256("onespace-mrenclave-v1" || image ||
 * 0 || config). The runtime passes the program bytes and its config text. */
void sgx_measure(const void *image, size_t image_len, const void *config,
                 size_t config_len, uint8_t out[32]);

/* Load the simulated platform (keys and certificates) from dir/sgx_platform.pem,
 * or create and persist it there. dir NULL: a fresh in-memory platform. */
int sgx_platform_open(const char *dir, struct sgx_platform **out);
void sgx_platform_close(struct sgx_platform *p);
void sgx_platform_set_identity(struct sgx_platform *p, const struct sgx_identity *id);
/* PEM of the simulated root CA certificate (owned by p). */
const char *sgx_platform_root_pem(const struct sgx_platform *p);
/* The 65-byte uncompressed public key of the simulated root. */
void sgx_platform_root_pub(const struct sgx_platform *p, uint8_t out[65]);

/* ---- reports and keys (simulated EREPORT/EGETKEY) -------------------- */
void sgx_self_target(const struct sgx_platform *p, sgx_target_info_t *ti);
/* ti NULL = self; rd NULL = zeros. */
int sgx_create_report(const struct sgx_platform *p, const sgx_target_info_t *ti,
                      const sgx_report_data_t *rd, sgx_report_t *out);
/* 0 if the MAC verifies with this enclave's report key, else -EINVAL. */
int sgx_verify_report(const struct sgx_platform *p, const sgx_report_t *r);
int sgx_get_key(const struct sgx_platform *p, const sgx_key_request_t *req, uint8_t key[16]);

/* ---- quotes ----------------------------------------------------------- */
uint32_t sgx_quote_size(const struct sgx_platform *p);
/* Writes a quote of sgx_quote_size() bytes for this enclave with report_data. */
int sgx_quote_generate(const struct sgx_platform *p, const sgx_report_data_t *rd,
                       uint8_t *buf, uint32_t cap);

/* ---- collateral (sgx_ql_qve_collateral_t as owned buffers) ------------ */
struct sgx_collateral {
    char *pck_crl_issuer_chain;      /* PEM: PCK CA || root */
    uint8_t *root_ca_crl;            /* DER */
    size_t root_ca_crl_len;
    uint8_t *pck_crl;                /* DER */
    size_t pck_crl_len;
    char *tcb_info_issuer_chain;     /* PEM: TCB signing || root */
    char *tcb_info;                  /* {"tcbInfo":{...},"signature":"..."} */
    char *qe_identity_issuer_chain;
    char *qe_identity;               /* {"enclaveIdentity":{...},"signature":"..."} */
};

/* What the simulated collateral says (tests drive every result with it). */
struct sgx_collateral_opts {
    int64_t now;                /* issue dates now-1d, next update now+30d */
    const char *tcb_status;     /* status of the platform's TCB level; NULL = UpToDate */
    const char *qe_status;      /* status of the QE's level; NULL = UpToDate */
    bool revoke_pck;            /* PCK leaf serial in the PCK CRL */
    bool revoke_pck_ca;         /* PCK CA serial in the root CRL */
    bool no_matching_tcb;       /* only levels above the platform's */
};
int sgx_collateral_make(const struct sgx_platform *p, const struct sgx_collateral_opts *o,
                        struct sgx_collateral *out);
void sgx_collateral_free(struct sgx_collateral *c);

/* ---- verifier ----------------------------------------------------------- */
#define SGX_SUPPLEMENTAL_SIZE ((uint32_t)sizeof(sgx_ql_qv_supplemental_t))

/* Intel's sgx_qv_verify_quote with the collateral given and a pinned root
 * key (65-byte SEC1). `why` (optional) names the failing check. */
quote3_error_t sgx_verify_quote(const uint8_t *quote, uint32_t quote_size,
                                const struct sgx_collateral *c, const uint8_t root_pub[65],
                                int64_t expiration_check_date, uint32_t *coll_exp_status,
                                sgx_ql_qv_result_t *result, uint32_t supp_size,
                                uint8_t *supp, const char **why);

/* Intel's DCAP libraries (dlopen): 0 if both load with the needed entry
 * points, -ENOENT (not present) / -ENOSYS; a one-line message in msg. */
int sgx_intel_probe(char *msg, size_t len);

/* Intel's production root public key. */
extern const uint8_t sgx_intel_root_pub[65];

#endif
