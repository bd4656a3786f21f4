/* The simulated platform: an Intel-shaped P-256 PKI (root CA, PCK Processor
 * CA, PCK leaf with the SGX extension, TCB signing cert), the attestation
 * key, and the keys of simulated EREPORT/EGETKEY. Created once per instance
 * and persisted as one PEM file so quotes verify across runs. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host_fs.h"
#include "host/host_instance_fs.h"
#include "sgx/sgx_internal.h"

const uint8_t sgx_sim_tcb_comps[16] = { 11, 11, 2, 2, 255, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
/* A real FMSPC (the sample's), so a real verifier gets past collateral
 * retrieval and fails only at the root key (dcap.md 5.4). */
const uint8_t sgx_sim_fmspc[6] = { 0x00, 0xA0, 0x67, 0x11, 0x00, 0x00 };
const uint8_t sgx_intel_qe_vendor_id[16] = { 0x93, 0x9A, 0x72, 0x33, 0xF7, 0x9C, 0x4C, 0xA9,
                                             0x94, 0x0A, 0x0D, 0xB3, 0x95, 0x7F, 0x06, 0x07 };
const uint8_t sgx_intel_qe_mrsigner[32] = {
    0x8C, 0x4F, 0x57, 0x75, 0xD7, 0x96, 0x50, 0x3E, 0x96, 0x13, 0x7F, 0x77, 0xC6, 0x8A, 0x82, 0x9A,
    0x00, 0x56, 0xAC, 0x8D, 0xED, 0x70, 0x14, 0x0B, 0x08, 0x1B, 0x09, 0x44, 0x90, 0xC5, 0x7B, 0xFF
};
const uint8_t sgx_intel_root_pub[65] = {
    0x04, 0x0b, 0xa9, 0xc4, 0xc0, 0xc0, 0xc8, 0x61, 0x93, 0xa3, 0xfe, 0x23, 0xd6, 0xb0, 0x2c,
    0xda, 0x10, 0xa8, 0xbb, 0xd4, 0xe8, 0x8e, 0x48, 0xb4, 0x45, 0x85, 0x61, 0xa3, 0x6e, 0x70,
    0x55, 0x25, 0xf5, 0x67, 0x91, 0x8e, 0x2e, 0xdc, 0x88, 0xe4, 0x0d, 0x86, 0x0b, 0xd0, 0xcc,
    0x4e, 0xe2, 0x6a, 0xac, 0xc9, 0x88, 0xe5, 0x05, 0xa9, 0x53, 0x55, 0x8c, 0x45, 0x3f, 0x6b,
    0x09, 0x04, 0xae, 0x73, 0x94
};

#define PLATFORM_FILE "sgx_platform.pem"

static X509_NAME *intel_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    static const char *f[][2] = { { "O", "Intel Corporation" }, { "L", "Santa Clara" },
                                  { "ST", "CA" }, { "C", "US" } };
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    for (size_t i = 0; i < 4; i++)
        X509_NAME_add_entry_by_txt(n, f[i][0], MBSTRING_UTF8, (const unsigned char *)f[i][1],
                                   -1, -1, 0);
    return n;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!e)
        return -EIO;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -EIO;
}

/* A certificate in Intel's shape: extensions AKI, CRL DP, SKI, KU, BC (+SGX). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       bool ca, int pathlen, const char *crl_url, int years,
                       const struct sgx_pck_ext *sgx)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_set_version(x, 2);
    uint8_t serial[20];
    if (RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_NAME *subj = intel_name(cn);
    X509_set_subject_name(x, subj);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subj);
    X509_NAME_free(subj);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_time_adj_ex(X509_getm_notAfter(x), years * 365, 0, NULL);
    X509_set_pubkey(x, key);
    char bc[40];
    if (ca)
        snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", pathlen);
    else
        snprintf(bc, sizeof bc, "critical,CA:FALSE");
    char dp[200];
    snprintf(dp, sizeof dp, "URI:%s", crl_url);
    /* SKI before AKI: the AKI of a self-signed cert is its own SKI (Intel
     * lists AKI first; the order is not checked by verifiers). */
    if (add_ext(x, issuer, NID_subject_key_identifier, "hash") ||
        add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") ||
        add_ext(x, issuer, NID_crl_distribution_points, dp) ||
        add_ext(x, issuer, NID_key_usage,
                ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation") ||
        add_ext(x, issuer, NID_basic_constraints, bc))
        goto fail;
    if (sgx) {
        uint8_t *der;
        size_t len;
        if (sgx_pck_ext_encode(sgx, &der, &len))
            goto fail;
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
        ASN1_OCTET_STRING_set(os, der, (int)len);
        X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
        int ok = e && X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        ASN1_OBJECT_free(obj);
        ASN1_OCTET_STRING_free(os);
        free(der);
        if (!ok)
            goto fail;
    }
    if (!X509_sign(x, issuer_key, EVP_sha256()))
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

static void derive(const struct sgx_platform *p, const char *label, uint8_t out[16])
{
    /* Secrets of the simulated CPU, derived from the root key so one
     * persisted file is the whole platform. */
    char *pem = sgxc_key_pem(p->root_key);
    uint8_t h[32];
    sgxc_sha256(label, strlen(label), pem, pem ? strlen(pem) : 0, h);
    memcpy(out, h, 16);
    OPENSSL_cleanse(h, sizeof h);
    if (pem) {
        OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
    }
}

static int generate(struct sgx_platform *p)
{
    p->root_key = sgxc_p256_keygen();
    p->pckca_key = sgxc_p256_keygen();
    p->pck_key = sgxc_p256_keygen();
    p->tcb_key = sgxc_p256_keygen();
    p->ak = sgxc_p256_keygen();
    if (!p->root_key || !p->pckca_key || !p->pck_key || !p->tcb_key || !p->ak)
        return -EIO;
    derive(p, "ppid", p->ppid);
    struct sgx_pck_ext e = { .pcesvn = SGX_SIM_PCESVN, .sgx_type = 0 };
    memcpy(e.ppid, p->ppid, 16);
    memcpy(e.comps, sgx_sim_tcb_comps, 16);
    memcpy(e.cpusvn, sgx_sim_tcb_comps, 16);
    memcpy(e.fmspc, sgx_sim_fmspc, 6);
    const char *root_crl = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der";
    p->root = make_cert("Intel SGX Root CA", p->root_key, NULL, p->root_key, true, 1,
                        root_crl, 30, NULL);
    if (!p->root)
        return -EIO;
    p->pckca = make_cert("Intel SGX PCK Processor CA", p->pckca_key, p->root, p->root_key,
                         true, 0, root_crl, 15, NULL);
    p->tcb = make_cert("Intel SGX TCB Signing", p->tcb_key, p->root, p->root_key, false, 0,
                       root_crl, 7, NULL);
    if (!p->pckca || !p->tcb)
        return -EIO;
    p->pck = make_cert("Intel SGX PCK Certificate", p->pck_key, p->pckca, p->pckca_key, false,
                       0, "https://api.trustedservices.intel.com/sgx/certification/v4/"
                          "pckcrl?ca=processor&encoding=der", 7, &e);
    return p->pck ? 0 : -EIO;
}

static char *serialize(const struct sgx_platform *p, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    EVP_PKEY *keys[] = { p->root_key, p->pckca_key, p->pck_key, p->tcb_key, p->ak };
    X509 *certs[] = { p->root, p->pckca, p->pck, p->tcb };
    for (size_t i = 0; b && i < 5; i++)
        PEM_write_bio_PrivateKey(b, keys[i], NULL, NULL, 0, NULL, NULL);
    for (size_t i = 0; b && i < 4; i++)
        PEM_write_bio_X509(b, certs[i]);
    char *data;
    long n = b ? BIO_get_mem_data(b, &data) : -1;
    char *s = n > 0 ? malloc((size_t)n) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        *len = (size_t)n;
    }
    BIO_free(b);
    return s;
}

static int deserialize(struct sgx_platform *p, const char *text, size_t len)
{
    BIO *b = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY **keys[] = { &p->root_key, &p->pckca_key, &p->pck_key, &p->tcb_key, &p->ak };
    X509 **certs[] = { &p->root, &p->pckca, &p->pck, &p->tcb };
    int r = b ? 0 : -ENOMEM;
    for (size_t i = 0; !r && i < 5; i++)
        if (!(*keys[i] = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)))
            r = -EINVAL;
    for (size_t i = 0; !r && i < 4; i++)
        if (!(*certs[i] = PEM_read_bio_X509(b, NULL, NULL, NULL)))
            r = -EINVAL;
    BIO_free(b);
    return r;
}

static int finish(struct sgx_platform *p)
{
    if (sgxc_pub_raw(p->ak, p->ak_pub))
        return -EIO;
    derive(p, "ppid", p->ppid);
    derive(p, "report-key", p->report_key);
    derive(p, "qe-report-key", p->qe_report_key);
    derive(p, "seal-base", p->seal_base);
    derive(p, "qe-id", p->qe_id);
    p->root_pem = sgxc_cert_pem(p->root);
    char *leaf = sgxc_cert_pem(p->pck), *ca = sgxc_cert_pem(p->pckca);
    if (!p->root_pem || !leaf || !ca) {
        free(leaf);
        free(ca);
        return -ENOMEM;
    }
    size_t n = strlen(leaf) + strlen(ca) + strlen(p->root_pem) + 1;
    p->chain = malloc(n);
    if (p->chain) {
        snprintf(p->chain, n, "%s%s%s", leaf, ca, p->root_pem);
        p->chain_len = (uint32_t)n; /* the NUL counts, as in Intel's quotes */
    }
    free(leaf);
    free(ca);
    if (!p->chain)
        return -ENOMEM;
    /* Default identity: a debug-less 64-bit enclave, measured as nothing. */
    struct sgx_identity id = { .attr_flags = SGX_FLAGS_INITTED | SGX_FLAGS_MODE64BIT,
                               .attr_xfrm = 0x3 };
    sgx_measure(NULL, 0, NULL, 0, id.mr_enclave);
    uint8_t pub[64];
    if (sgxc_pub_raw(p->root_key, pub) == 0)
        sgxc_sha256("onespace-mrsigner-v1", 20, pub, 64, id.mr_signer);
    p->id = id;
    return 0;
}

int sgx_platform_open(const char *dir, struct sgx_platform **out)
{
    struct sgx_platform *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    char path[4096];
    int r;
    char *text = NULL;
    size_t len = 0;
    if (dir)
        snprintf(path, sizeof path, "%s/%s", dir, PLATFORM_FILE);
    if (dir && host_instance_read_file(path, 1 << 20, &text, &len) == 0) {
        r = deserialize(p, text, len);
        OPENSSL_cleanse(text, len);
        free(text);
    } else {
        r = generate(p);
        if (!r && dir) {
            text = serialize(p, &len);
            r = text ? host_instance_create_file(path, text, len) : -ENOMEM;
            if (!r) /* private keys: owner only */
                r = host_fs_fchmodat(AT_FDCWD, path, 0600, 0);
            if (text)
                OPENSSL_cleanse(text, len);
            free(text);
        }
    }
    if (!r)
        r = finish(p);
    if (r) {
        sgx_platform_close(p);
        return r;
    }
    *out = p;
    return 0;
}

void sgx_platform_close(struct sgx_platform *p)
{
    if (!p)
        return;
    EVP_PKEY_free(p->root_key);
    EVP_PKEY_free(p->pckca_key);
    EVP_PKEY_free(p->pck_key);
    EVP_PKEY_free(p->tcb_key);
    EVP_PKEY_free(p->ak);
    X509_free(p->root);
    X509_free(p->pckca);
    X509_free(p->pck);
    X509_free(p->tcb);
    free(p->root_pem);
    free(p->chain);
    OPENSSL_cleanse(p, sizeof *p);
    free(p);
}

void sgx_platform_set_identity(struct sgx_platform *p, const struct sgx_identity *id)
{
    p->id = *id;
}

const char *sgx_platform_root_pem(const struct sgx_platform *p) { return p->root_pem; }

void sgx_platform_root_pub(const struct sgx_platform *p, uint8_t out[65])
{
    sgxc_cert_pub65(p->root, out);
}

void sgx_measure(const void *image, size_t image_len, const void *config, size_t config_len,
                 uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned n = 32;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, "onespace-mrenclave-v1", 21);
    if (image_len)
        EVP_DigestUpdate(md, image, image_len);
    EVP_DigestUpdate(md, "", 1);
    if (config_len)
        EVP_DigestUpdate(md, config, config_len);
    EVP_DigestFinal_ex(md, out, &n);
    EVP_MD_CTX_free(md);
}
