/* The simulated quoting enclave: byte-exact ECDSA quote v3 (dcap.md 1-2).
 * The app report is created for the QE's target and checked there, as in
 * the real flow; the QE report is signed by the PCK key and binds the
 * attestation key; the attestation key signs quote bytes [0, 432). */
#include <errno.h>
#include <string.h>

#include "sgx/sgx_internal.h"


uint32_t sgx_quote_size(const struct sgx_platform *p)
{
    return SGX_QUOTE_AUTH_OFFSET + 2 + SGX_QL_AUTH_DATA_SIZE + 6 + p->chain_len;
}

static void put16(uint8_t *d, uint16_t v) { memcpy(d, &v, 2); }
static void put32(uint8_t *d, uint32_t v) { memcpy(d, &v, 4); }

int sgx_quote_generate(const struct sgx_platform *p, const sgx_report_data_t *rd,
                       uint8_t *buf, uint32_t cap)
{
    uint32_t size = sgx_quote_size(p);
    if (cap < size)
        return -EINVAL;
    sgx_target_info_t qe_ti;
    sgx_qe_target(p, &qe_ti);
    sgx_report_t app;
    int r = sgx_create_report(p, &qe_ti, rd, &app);
    if (!r)
        r = sgx_qe_verify_report(p, &app); /* SGX_QL_INVALID_REPORT if not */
    if (r)
        return r;

    memset(buf, 0, size);
    sgx_quote_header_t h = { .version = 3, .att_key_type = SGX_QL_ALG_ECDSA_P256,
                             .qe_svn = SGX_SIM_QE_SVN, .pce_svn = SGX_SIM_PCESVN };
    memcpy(h.vendor_id, sgx_intel_qe_vendor_id, 16);
    memcpy(h.user_data, p->qe_id, 16);
    memcpy(buf, &h, sizeof h);
    memcpy(buf + SGX_QUOTE_REPORT_BODY_OFFSET, &app.body, sizeof app.body);
    put32(buf + SGX_QUOTE_SIGNED_SIZE, size - SGX_QUOTE_SIG_DATA_OFFSET);

    /* QE report: Intel's QE identity values, report_data binds the AK. */
    uint8_t auth[SGX_QL_AUTH_DATA_SIZE];
    for (unsigned i = 0; i < sizeof auth; i++)
        auth[i] = (uint8_t)i;
    sgx_report_body_t qe;
    memset(&qe, 0, sizeof qe);
    memcpy(qe.cpu_svn, sgx_sim_tcb_comps, 16);
    qe.attributes = qe_ti.attributes;
    memcpy(qe.mr_enclave, qe_ti.mr_enclave, 32);
    memcpy(qe.mr_signer, sgx_intel_qe_mrsigner, 32);
    qe.isv_prod_id = 1;
    qe.isv_svn = SGX_SIM_QE_SVN;
    sgxc_sha256(p->ak_pub, 64, auth, sizeof auth, qe.report_data.d);

    uint8_t *sd = buf + SGX_QUOTE_SIG_DATA_OFFSET;
    memcpy(sd + 64, p->ak_pub, 64);
    memcpy(sd + 128, &qe, sizeof qe);
    if (sgxc_sign_raw(p->pck_key, &qe, sizeof qe, sd + 512))
        return -EIO;
    uint8_t *a = buf + SGX_QUOTE_AUTH_OFFSET;
    put16(a, SGX_QL_AUTH_DATA_SIZE);
    memcpy(a + 2, auth, sizeof auth);
    uint8_t *c = a + 2 + sizeof auth;
    put16(c, PCK_CERT_CHAIN);
    put32(c + 2, p->chain_len);
    memcpy(c + 6, p->chain, p->chain_len);
    if (sgxc_sign_raw(p->ak, buf, SGX_QUOTE_SIGNED_SIZE, sd))
        return -EIO;
    return (int)size;
}
