/* OpenSSL libcrypto helpers (see sgx_crypto.h). */
#include "sgx/sgx_crypto.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

EVP_PKEY *sgxc_p256_keygen(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

int sgxc_pub_raw(EVP_PKEY *k, uint8_t out[64])
{
    uint8_t buf[65];
    size_t len = 0;
    if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len) ||
        len != 65 || buf[0] != 4)
        return -EIO;
    memcpy(out, buf + 1, 64);
    return 0;
}

EVP_PKEY *sgxc_pub_from_raw(const uint8_t xy[64])
{
    uint8_t buf[65];
    buf[0] = 4;
    memcpy(buf + 1, xy, 64);
    /* Check the point first: EVP_PKEY_fromdata does not always do it. */
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
    int ok = pt && EC_POINT_oct2point(g, pt, buf, sizeof buf, NULL) &&
             EC_POINT_is_on_curve(g, pt, NULL) == 1;
    EC_POINT_free(pt);
    EC_GROUP_free(g);
    if (!ok)
        return NULL;
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (b && ctx && OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf) &&
        (params = OSSL_PARAM_BLD_to_param(b)) && EVP_PKEY_fromdata_init(ctx) > 0)
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

int sgxc_sign_raw(EVP_PKEY *k, const void *msg, size_t len, uint8_t sig[64])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t dlen = sizeof der;
    int r = -EIO;
    if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
        EVP_DigestSign(md, der, &dlen, msg, len) == 1) {
        const unsigned char *p = der;
        ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
        if (s) {
            const BIGNUM *br, *bs;
            ECDSA_SIG_get0(s, &br, &bs);
            if (BN_bn2binpad(br, sig, 32) == 32 && BN_bn2binpad(bs, sig + 32, 32) == 32)
                r = 0;
            ECDSA_SIG_free(s);
        }
    }
    EVP_MD_CTX_free(md);
    return r;
}

int sgxc_verify_raw(EVP_PKEY *k, const void *msg, size_t len, const uint8_t sig[64])
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *br = BN_bin2bn(sig, 32, NULL), *bs = BN_bin2bn(sig + 32, 32, NULL);
    int ok = 0;
    if (!s || !br || !bs || !ECDSA_SIG_set0(s, br, bs)) {
        BN_free(br);
        BN_free(bs);
        ECDSA_SIG_free(s);
        return 0;
    }
    unsigned char *der = NULL;
    int dlen = i2d_ECDSA_SIG(s, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (dlen > 0 && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1)
        ok = EVP_DigestVerify(md, der, (size_t)dlen, msg, len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    return ok;
}

void sgxc_sha256(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned n = 32;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, a, alen);
    if (blen)
        EVP_DigestUpdate(md, b, blen);
    EVP_DigestFinal_ex(md, out, &n);
    EVP_MD_CTX_free(md);
}

void sgxc_sha384(const void *a, size_t len, uint8_t out[48])
{
    unsigned n = 48;
    EVP_Digest(a, len, out, &n, EVP_sha384(), NULL);
}

int sgxc_cmac(const uint8_t key[16], const void *msg, size_t len, uint8_t mac[16])
{
    EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
    EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
    char cipher[] = "AES-128-CBC";
    OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string("cipher", cipher, 0),
                       OSSL_PARAM_construct_end() };
    size_t out = 0;
    int r = -EIO;
    if (c && EVP_MAC_init(c, key, 16, p) == 1 && EVP_MAC_update(c, msg, len) == 1 &&
        EVP_MAC_final(c, mac, &out, 16) == 1 && out == 16)
        r = 0;
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(m);
    return r;
}

static char *bio_text(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = 0;
    }
    BIO_free(b);
    return s;
}

char *sgxc_key_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(b);
        return NULL;
    }
    return bio_text(b);
}

char *sgxc_cert_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b || !PEM_write_bio_X509(b, x)) {
        BIO_free(b);
        return NULL;
    }
    return bio_text(b);
}

EVP_PKEY *sgxc_key_from_pem(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return k;
}

X509 *sgxc_cert_from_pem(const char *pem, size_t len)
{
    if (len > 0x7fffffff)
        return NULL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    return x;
}

int sgxc_cert_pub65(X509 *x, uint8_t out[65])
{
    const ASN1_BIT_STRING *bs = X509_get0_pubkey_bitstr(x);
    if (!bs || bs->length != 65)
        return -EINVAL;
    memcpy(out, bs->data, 65);
    return 0;
}
