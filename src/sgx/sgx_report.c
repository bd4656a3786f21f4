/* Simulated EREPORT / EGETKEY, after the SGX SDK's simulation mode: a
 * report's MAC is AES-128-CMAC over the 384-byte body, keyed with the
 * *target's* report key, so a report verifies only where it was targeted. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "sgx/sgx_internal.h"

/* The simulated QE's measurement (verifiers never check a QE's mr_enclave). */
static const uint8_t qe_mr_enclave[32] = { 'o', 'n', 'e', 's', 'p', 'a', 'c', 'e', '-',
                                           's', 'i', 'm', '-', 'q', 'e', '3' };

void sgx_report_key_for(const struct sgx_platform *p, const uint8_t mr_enclave[32],
                        uint8_t key[16])
{
    uint8_t msg[6 + 32] = { 'R', 'E', 'P', 'O', 'R', 'T' };
    memcpy(msg + 6, mr_enclave, 32);
    sgxc_cmac(p->report_key, msg, sizeof msg, key);
}

void sgx_self_target(const struct sgx_platform *p, sgx_target_info_t *ti)
{
    memset(ti, 0, sizeof *ti);
    memcpy(ti->mr_enclave, p->id.mr_enclave, 32);
    ti->attributes.flags = p->id.attr_flags;
    ti->attributes.xfrm = p->id.attr_xfrm;
}

void sgx_qe_target(const struct sgx_platform *p, sgx_target_info_t *ti)
{
    memset(ti, 0, sizeof *ti);
    memcpy(ti->mr_enclave, qe_mr_enclave, 32);
    ti->attributes.flags = SGX_FLAGS_INITTED | SGX_FLAGS_MODE64BIT | SGX_FLAGS_PROVISION_KEY;
    ti->attributes.xfrm = 0xE7;
}

int sgx_create_report(const struct sgx_platform *p, const sgx_target_info_t *ti,
                      const sgx_report_data_t *rd, sgx_report_t *out)
{
    sgx_target_info_t self;
    if (!ti) {
        sgx_self_target(p, &self);
        ti = &self;
    }
    memset(out, 0, sizeof *out);
    sgx_report_body_t *b = &out->body;
    memcpy(b->cpu_svn, sgx_sim_tcb_comps, 16);
    b->attributes.flags = p->id.attr_flags;
    b->attributes.xfrm = p->id.attr_xfrm;
    memcpy(b->mr_enclave, p->id.mr_enclave, 32);
    memcpy(b->mr_signer, p->id.mr_signer, 32);
    b->isv_prod_id = p->id.isv_prod_id;
    b->isv_svn = p->id.isv_svn;
    if (rd)
        b->report_data = *rd;
    if (RAND_bytes(out->key_id, sizeof out->key_id) != 1)
        return -EIO;
    uint8_t key[16];
    sgx_report_key_for(p, ti->mr_enclave, key);
    int r = sgxc_cmac(key, b, sizeof *b, out->mac);
    OPENSSL_cleanse(key, sizeof key);
    return r;
}

static int verify_mac(const struct sgx_platform *p, const uint8_t mr_enclave[32],
                      const sgx_report_t *r)
{
    uint8_t key[16], mac[16];
    sgx_report_key_for(p, mr_enclave, key);
    int err = sgxc_cmac(key, &r->body, sizeof r->body, mac);
    OPENSSL_cleanse(key, sizeof key);
    if (err)
        return err;
    return CRYPTO_memcmp(mac, r->mac, 16) ? -EINVAL : 0;
}

int sgx_verify_report(const struct sgx_platform *p, const sgx_report_t *r)
{
    return verify_mac(p, p->id.mr_enclave, r);
}

/* The simulated QE checks that an app report was targeted at it. */
int sgx_qe_verify_report(const struct sgx_platform *p, const sgx_report_t *r)
{
    return verify_mac(p, qe_mr_enclave, r);
}

int sgx_get_key(const struct sgx_platform *p, const sgx_key_request_t *req, uint8_t key[16])
{
    if (req->isv_svn > p->id.isv_svn || req->config_svn)
        return -EINVAL; /* SGX_ERROR_INVALID_ISVSVN / CONFIGSVN */
    switch (req->key_name) {
    case SGX_KEYSELECT_REPORT:
        sgx_report_key_for(p, p->id.mr_enclave, key);
        return 0;
    case SGX_KEYSELECT_SEAL:
        break;
    default:
        return -EINVAL; /* provision / EINIT token keys: not for applications */
    }
    if (req->key_policy & ~(SGX_KEYPOLICY_MRENCLAVE | SGX_KEYPOLICY_MRSIGNER))
        return -EINVAL;
    /* Like EGETKEY: the key depends on the selected identity, the SVNs
     * asked for and the caller's key_id. */
    struct {
        uint16_t name, policy, isv_svn, prod_id;
        uint8_t cpu_svn[16];
        uint8_t mr_enclave[32], mr_signer[32];
        uint64_t flags, xfrm;
        uint8_t key_id[32];
    } m;
    memset(&m, 0, sizeof m);
    m.name = req->key_name;
    m.policy = req->key_policy;
    m.isv_svn = req->isv_svn;
    m.prod_id = p->id.isv_prod_id;
    memcpy(m.cpu_svn, req->cpu_svn, 16);
    if (req->key_policy & SGX_KEYPOLICY_MRENCLAVE)
        memcpy(m.mr_enclave, p->id.mr_enclave, 32);
    if (req->key_policy & SGX_KEYPOLICY_MRSIGNER)
        memcpy(m.mr_signer, p->id.mr_signer, 32);
    m.flags = p->id.attr_flags & req->attribute_mask.flags;
    m.xfrm = p->id.attr_xfrm & req->attribute_mask.xfrm;
    memcpy(m.key_id, req->key_id, 32);
    return sgxc_cmac(p->seal_base, &m, sizeof m, key);
}
