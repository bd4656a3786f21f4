/* Collateral for the simulated platform, in PCS's shapes: the root CA CRL
 * and PCK CRL (DER, with cRLNumber and AKI as QVL requires), TCB Info v3 and
 * QE Identity v2 JSON signed by the TCB signing key over the exact bytes of
 * the inner object, and the issuer chains. Dates are relative to `now` so
 * collateral is fresh unless a test asks otherwise. */
#include <errno.h>
#include <stdarg.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sgx/sgx_internal.h"

#define DAY 86400

void sgx_fmt_date(int64_t t, char out[21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int sgx_parse_date(const char *s, int64_t *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!end || *end)
        return -EINVAL;
    *t = (int64_t)timegm(&tm);
    return 0;
}

static int make_crl(X509 *issuer, EVP_PKEY *key, X509 *revoked, int64_t now, int number,
                    uint8_t **der, size_t *len)
{
    X509_CRL *crl = X509_CRL_new();
    int r = -EIO;
    if (!crl)
        return -ENOMEM;
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)(now - DAY));
    ASN1_TIME *t2 = ASN1_TIME_set(NULL, (time_t)(now + 30 * DAY));
    X509_CRL_set1_lastUpdate(crl, t1);
    X509_CRL_set1_nextUpdate(crl, t2);
    if (revoked) {
        X509_REVOKED *rv = X509_REVOKED_new();
        X509_REVOKED_set_serialNumber(rv, X509_get_serialNumber(revoked));
        X509_REVOKED_set_revocationDate(rv, t1);
        X509_CRL_add0_revoked(crl, rv);
    }
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    ASN1_INTEGER_set(num, number);
    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0);
    ASN1_INTEGER_free(num);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
    X509_EXTENSION *aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
                                              "keyid:always");
    if (aki && X509_CRL_add_ext(crl, aki, -1) && X509_CRL_sort(crl) &&
        X509_CRL_sign(crl, key, EVP_sha256())) {
        unsigned char *d = NULL;
        int n = i2d_X509_CRL(crl, &d);
        if (n > 0) {
            *der = malloc((size_t)n);
            if (*der) {
                memcpy(*der, d, (size_t)n);
                *len = (size_t)n;
                r = 0;
            } else {
                r = -ENOMEM;
            }
        }
        OPENSSL_free(d);
    }
    X509_EXTENSION_free(aki);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    X509_CRL_free(crl);
    return r;
}

static char *cat2(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = a && b ? malloc(n) : NULL;
    if (s)
        snprintf(s, n, "%s%s", a, b);
    return s;
}

/* {"<key>":<body>,"signature":"<hex r||s over body>"} */
static char *sign_json(EVP_PKEY *k, const char *key, const char *body)
{
    uint8_t sig[64];
    if (sgxc_sign_raw(k, body, strlen(body), sig))
        return NULL;
    char hex[129];
    for (int i = 0; i < 64; i++)
        snprintf(hex + 2 * i, 3, "%02x", sig[i]);
    size_t n = strlen(body) + strlen(key) + 160;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "{\"%s\":%s,\"signature\":\"%s\"}", key, body, hex);
    return s;
}

static void append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    if (n < cap)
        vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

static void tcb_level(char *b, size_t cap, const uint8_t comps[16], unsigned pcesvn,
                      const char *date, const char *status, bool first)
{
    append(b, cap, "%s{\"tcb\":{\"sgxtcbcomponents\":[", first ? "" : ",");
    for (int i = 0; i < 16; i++)
        append(b, cap, "%s{\"svn\":%u}", i ? "," : "", comps[i]);
    append(b, cap, "],\"pcesvn\":%u},\"tcbDate\":\"%s\",\"tcbStatus\":\"%s\"}", pcesvn, date,
           status);
}

static char *tcb_info(const struct sgx_platform *p, const struct sgx_collateral_opts *o)
{
    char issue[21], next[21], date[21];
    sgx_fmt_date(o->now - DAY, issue);
    sgx_fmt_date(o->now + 30 * DAY, next);
    sgx_fmt_date(o->now - 10 * DAY, date);
    size_t cap = 8192;
    char *b = calloc(1, cap);
    if (!b)
        return NULL;
    append(b, cap, "{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                   "\"fmspc\":\"", issue, next);
    for (int i = 0; i < 6; i++)
        append(b, cap, "%02X", sgx_sim_fmspc[i]);
    append(b, cap, "\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":17,"
                   "\"tcbLevels\":[");
    uint8_t above[16];
    memcpy(above, sgx_sim_tcb_comps, 16);
    above[0]++;
    bool first = true;
    /* a newer TCB the platform does not reach, then the platform's, then an
     * older one (levels in descending order, as PCS gives them) */
    tcb_level(b, cap, above, SGX_SIM_PCESVN + 1, date, "UpToDate", first);
    first = false;
    if (!o->no_matching_tcb) {
        tcb_level(b, cap, sgx_sim_tcb_comps, SGX_SIM_PCESVN, date,
                  o->tcb_status ? o->tcb_status : "UpToDate", false);
        uint8_t older[16] = { 2, 2, 2, 2, 1, 1 };
        tcb_level(b, cap, older, 5, date, "OutOfDate", false);
    }
    append(b, cap, "]}");
    char *s = sign_json(p->tcb_key, "tcbInfo", b);
    free(b);
    return s;
}

static char *qe_identity(const struct sgx_platform *p, const struct sgx_collateral_opts *o)
{
    char issue[21], next[21], date[21];
    sgx_fmt_date(o->now - DAY, issue);
    sgx_fmt_date(o->now + 30 * DAY, next);
    sgx_fmt_date(o->now - 10 * DAY, date);
    size_t cap = 4096;
    char *b = calloc(1, cap);
    if (!b)
        return NULL;
    append(b, cap, "{\"id\":\"QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                   "\"tcbEvaluationDataNumber\":17,\"miscselect\":\"00000000\","
                   "\"miscselectMask\":\"FFFFFFFF\","
                   "\"attributes\":\"11000000000000000000000000000000\","
                   "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\",\"mrsigner\":\"",
           issue, next);
    for (int i = 0; i < 32; i++)
        append(b, cap, "%02X", sgx_intel_qe_mrsigner[i]);
    append(b, cap, "\",\"isvprodid\":1,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%d},\"tcbDate\":\"%s\","
                   "\"tcbStatus\":\"%s\"},{\"tcb\":{\"isvsvn\":6},\"tcbDate\":\"%s\","
                   "\"tcbStatus\":\"OutOfDate\"}]}",
           SGX_SIM_QE_SVN, date, o->qe_status ? o->qe_status : "UpToDate", date);
    char *s = sign_json(p->tcb_key, "enclaveIdentity", b);
    free(b);
    return s;
}

int sgx_collateral_make(const struct sgx_platform *p, const struct sgx_collateral_opts *o,
                        struct sgx_collateral *c)
{
    memset(c, 0, sizeof *c);
    char *ca = sgxc_cert_pem(p->pckca), *tcb = sgxc_cert_pem(p->tcb);
    int r = -ENOMEM;
    if (!ca || !tcb)
        goto out;
    c->pck_crl_issuer_chain = cat2(ca, p->root_pem);
    c->tcb_info_issuer_chain = cat2(tcb, p->root_pem);
    c->qe_identity_issuer_chain = cat2(tcb, p->root_pem);
    c->tcb_info = tcb_info(p, o);
    c->qe_identity = qe_identity(p, o);
    if (!c->pck_crl_issuer_chain || !c->tcb_info_issuer_chain || !c->qe_identity_issuer_chain ||
        !c->tcb_info || !c->qe_identity)
        goto out;
    r = make_crl(p->root, p->root_key, o->revoke_pck_ca ? p->pckca : NULL, o->now, 1,
                 &c->root_ca_crl, &c->root_ca_crl_len);
    if (!r)
        r = make_crl(p->pckca, p->pckca_key, o->revoke_pck ? p->pck : NULL, o->now, 1,
                     &c->pck_crl, &c->pck_crl_len);
out:
    free(ca);
    free(tcb);
    if (r)
        sgx_collateral_free(c);
    return r;
}

void sgx_collateral_free(struct sgx_collateral *c)
{
    free(c->pck_crl_issuer_chain);
    free(c->root_ca_crl);
    free(c->pck_crl);
    free(c->tcb_info_issuer_chain);
    free(c->tcb_info);
    free(c->qe_identity_issuer_chain);
    free(c->qe_identity);
    memset(c, 0, sizeof *c);
}
