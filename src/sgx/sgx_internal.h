/* Internals shared by the files of src/sgx/. */
#ifndef ONESPACE_SGX_INTERNAL_H
#define ONESPACE_SGX_INTERNAL_H

#include "sgx/sgx.h"
#include "sgx/sgx_crypto.h"

/* The simulated platform's TCB (what the PCK certificate certifies). */
#define SGX_SIM_PCESVN 13
#define SGX_SIM_QE_SVN 8
extern const uint8_t sgx_sim_tcb_comps[16];
extern const uint8_t sgx_sim_fmspc[6];
extern const uint8_t sgx_intel_qe_vendor_id[16];
extern const uint8_t sgx_intel_qe_mrsigner[32];

struct sgx_platform {
    EVP_PKEY *root_key, *pckca_key, *pck_key, *tcb_key, *ak;
    X509 *root, *pckca, *pck, *tcb;
    char *root_pem;
    char *chain;           /* PCK leaf || PCK CA || root, PEM, NUL included */
    uint32_t chain_len;    /* with the NUL */
    uint8_t ak_pub[64];
    uint8_t report_key[16];  /* this enclave's report key */
    uint8_t qe_report_key[16];
    uint8_t seal_base[16];
    uint8_t qe_id[16];
    uint8_t ppid[16];
    struct sgx_identity id;
};

/* SGX PCK extension contents (OID 1.2.840.113741.1.13.1). */
struct sgx_pck_ext {
    uint8_t ppid[16];
    uint8_t comps[16];
    unsigned pcesvn;
    uint8_t cpusvn[16];
    uint8_t pceid[2];
    uint8_t fmspc[6];
    int sgx_type;
};
/* DER of the extension value (malloc'd). */
int sgx_pck_ext_encode(const struct sgx_pck_ext *e, uint8_t **der, size_t *len);
/* 0 or -EINVAL (not exactly the 5 Processor-CA entries / bad lengths). */
int sgx_pck_ext_decode(const uint8_t *der, size_t len, struct sgx_pck_ext *e);

/* Report key of a target (mr_enclave, attributes...) on this platform. */
void sgx_report_key_for(const struct sgx_platform *p, const uint8_t mr_enclave[32],
                        uint8_t key[16]);
void sgx_qe_target(const struct sgx_platform *p, sgx_target_info_t *ti);
/* 0 if an app report was targeted at the simulated QE, else -EINVAL. */
int sgx_qe_verify_report(const struct sgx_platform *p, const sgx_report_t *r);

/* Dates: "YYYY-MM-DDThh:mm:ssZ" <-> seconds since the epoch. */
void sgx_fmt_date(int64_t t, char out[21]);
int sgx_parse_date(const char *s, int64_t *t);

#endif
