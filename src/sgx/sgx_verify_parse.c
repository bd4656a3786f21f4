/* Verifier parsing: TCB Info / QE Identity JSON (json-c for the fields,
 * the raw bytes of the inner object for the signature, as QVL signs the
 * exact bytes PCS serves), PEM chains, CRLs, X.509 helpers. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sgx/sgx_verify_internal.h"

static int unhex(const char *s, uint8_t *out, size_t n)
{
    if (!s || strlen(s) != 2 * n)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            int d = isdigit((unsigned char)c) ? c - '0'
                    : (c >= 'a' && c <= 'f')  ? c - 'a' + 10
                    : (c >= 'A' && c <= 'F')  ? c - 'A' + 10
                                              : -1;
            if (d < 0)
                return -EINVAL;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* The raw text of the value of top-level key `key` (an object). */
static int raw_object(const char *json, const char *key, const char **body, size_t *len)
{
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (!p)
        return -EINVAL;
    p += strlen(pat);
    while (isspace((unsigned char)*p))
        p++;
    if (*p++ != ':')
        return -EINVAL;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '{')
        return -EINVAL;
    const char *s = p;
    int depth = 0, in_str = 0;
    for (; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
        } else if (*p == '{') {
            depth++;
        } else if (*p == '}' && --depth == 0) {
            *body = s;
            *len = (size_t)(p + 1 - s);
            return 0;
        }
    }
    return -EINVAL;
}

static json_object *get(json_object *o, const char *k, json_type t)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, t))
        return NULL;
    return v;
}

static int get_str(json_object *o, const char *k, const char **s)
{
    json_object *v = get(o, k, json_type_string);
    if (!v)
        return -EINVAL;
    *s = json_object_get_string(v);
    return 0;
}

static int get_uint(json_object *o, const char *k, unsigned max, unsigned *out)
{
    json_object *v = get(o, k, json_type_int);
    if (!v)
        return -EINVAL;
    int64_t x = json_object_get_int64(v);
    if (x < 0 || x > (int64_t)max)
        return -EINVAL;
    *out = (unsigned)x;
    return 0;
}

static int get_date(json_object *o, const char *k, int64_t *t)
{
    const char *s;
    return get_str(o, k, &s) ? -EINVAL : sgx_parse_date(s, t);
}

/* Common head: parse, find the inner object and the signature. */
static json_object *open_signed(const char *json, const char *key, const char **body,
                                size_t *body_len, uint8_t sig[64], json_object **root)
{
    *root = json_tokener_parse(json);
    const char *hex;
    json_object *inner = get(*root, key, json_type_object);
    if (!inner || get_str(*root, "signature", &hex) || unhex(hex, sig, 64) ||
        raw_object(json, key, body, body_len)) {
        json_object_put(*root);
        *root = NULL;
        return NULL;
    }
    return inner;
}

static int level_common(json_object *lv, struct tcb_level *l)
{
    const char *st;
    if (get_date(lv, "tcbDate", &l->date) || get_str(lv, "tcbStatus", &st) ||
        strlen(st) >= sizeof l->status)
        return -EINVAL;
    strcpy(l->status, st);
    return 0;
}

int qv_parse_tcb_info(const char *json, struct tcb_info *t, const char **body,
                      size_t *body_len, uint8_t sig[64])
{
    json_object *root, *o = open_signed(json, "tcbInfo", body, body_len, sig, &root);
    memset(t, 0, sizeof *t);
    if (!o)
        return -EINVAL;
    int r = -EINVAL;
    const char *id = "SGX", *fmspc, *pceid;
    unsigned ver;
    json_object *levels;
    if (get_uint(o, "version", 10, &ver) || (ver != 2 && ver != 3))
        goto out;
    t->version = (int)ver;
    if (ver == 3 && (get_str(o, "id", &id) || strlen(id) >= sizeof t->id))
        goto out;
    strcpy(t->id, id);
    if (get_date(o, "issueDate", &t->issue) || get_date(o, "nextUpdate", &t->next) ||
        get_str(o, "fmspc", &fmspc) || unhex(fmspc, t->fmspc, 6) ||
        get_str(o, "pceId", &pceid) || unhex(pceid, t->pceid, 2) ||
        get_uint(o, "tcbEvaluationDataNumber", 0xffffffffu, &t->eval_num) ||
        !(levels = get(o, "tcbLevels", json_type_array)))
        goto out;
    size_t n = json_object_array_length(levels);
    if (n == 0 || n > MAX_LEVELS)
        goto out;
    for (size_t i = 0; i < n; i++) {
        json_object *lv = json_object_array_get_idx(levels, i);
        json_object *tcb = get(lv, "tcb", json_type_object);
        struct tcb_level *l = &t->lv[i];
        if (!tcb || level_common(lv, l) || get_uint(tcb, "pcesvn", 65535, &l->pcesvn))
            goto out;
        if (ver == 3) {
            json_object *comps = get(tcb, "sgxtcbcomponents", json_type_array);
            if (!comps || json_object_array_length(comps) != 16)
                goto out;
            for (size_t k = 0; k < 16; k++) {
                unsigned svn;
                if (get_uint(json_object_array_get_idx(comps, k), "svn", 255, &svn))
                    goto out;
                l->comps[k] = (uint8_t)svn;
            }
        } else {
            for (int k = 0; k < 16; k++) {
                char name[40];
                unsigned svn;
                snprintf(name, sizeof name, "sgxtcbcomp%02dsvn", k + 1);
                if (get_uint(tcb, name, 255, &svn))
                    goto out;
                l->comps[k] = (uint8_t)svn;
            }
        }
    }
    t->nlevels = (int)n;
    r = 0;
out:
    json_object_put(root);
    return r;
}

int qv_parse_qe_identity(const char *json, struct qe_identity *q, const char **body,
                         size_t *body_len, uint8_t sig[64])
{
    json_object *root, *o = open_signed(json, "enclaveIdentity", body, body_len, sig, &root);
    memset(q, 0, sizeof *q);
    if (!o)
        return -EINVAL;
    int r = -EINVAL;
    const char *id, *s;
    unsigned ver;
    json_object *levels;
    if (get_uint(o, "version", 10, &ver) || ver != 2 || get_str(o, "id", &id) ||
        strlen(id) >= sizeof q->id)
        goto out;
    q->version = 2;
    strcpy(q->id, id);
    if (get_date(o, "issueDate", &q->issue) || get_date(o, "nextUpdate", &q->next) ||
        get_uint(o, "tcbEvaluationDataNumber", 0xffffffffu, &q->eval_num) ||
        get_str(o, "miscselect", &s) || unhex(s, q->misc, 4) ||
        get_str(o, "miscselectMask", &s) || unhex(s, q->misc_mask, 4) ||
        get_str(o, "attributes", &s) || unhex(s, q->attr, 16) ||
        get_str(o, "attributesMask", &s) || unhex(s, q->attr_mask, 16) ||
        get_str(o, "mrsigner", &s) || unhex(s, q->mrsigner, 32) ||
        get_uint(o, "isvprodid", 65535, &q->prodid) ||
        !(levels = get(o, "tcbLevels", json_type_array)))
        goto out;
    size_t n = json_object_array_length(levels);
    if (n == 0 || n > MAX_LEVELS)
        goto out;
    for (size_t i = 0; i < n; i++) {
        json_object *lv = json_object_array_get_idx(levels, i);
        json_object *tcb = get(lv, "tcb", json_type_object);
        if (!tcb || level_common(lv, &q->lv[i]) ||
            get_uint(tcb, "isvsvn", 65535, &q->lv[i].isvsvn))
            goto out;
    }
    q->nlevels = (int)n;
    r = 0;
out:
    json_object_put(root);
    return r;
}

int qv_parse_chain(const char *pem, size_t len, X509 **out, int max)
{
    if (len > 0x7fffffff)
        return -EINVAL;
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    int n = 0;
    if (!b)
        return -ENOMEM;
    for (;;) {
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
        if (!x)
            break;
        if (n == max) {
            X509_free(x);
            n++;
            break;
        }
        out[n++] = x;
    }
    BIO_free(b);
    if (n > max) {
        for (int i = 0; i < max; i++)
            X509_free(out[i]);
        return max + 1;
    }
    return n;
}

X509_CRL *qv_parse_crl(const uint8_t *data, size_t len)
{
    if (!data || len == 0 || len > (1u << 24))
        return NULL;
    if (len >= 20 && !memcmp(data, "-----BEGIN X509 CRL-----", 20 < len ? 20 : len)) {
        BIO *b = BIO_new_mem_buf(data, (int)len);
        X509_CRL *c = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        return c;
    }
    const unsigned char *p = data;
    X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
    if (c || len % 2)
        return c;
    uint8_t *der = malloc(len / 2);
    char *hex = malloc(len + 1);
    if (der && hex) {
        memcpy(hex, data, len);
        hex[len] = 0;
        if (!unhex(hex, der, len / 2)) {
            p = der;
            c = d2i_X509_CRL(NULL, &p, (long)(len / 2));
        }
    }
    free(der);
    free(hex);
    return c;
}

int64_t qv_asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

static int field_eq(const X509_NAME *a, const X509_NAME *b, int nid)
{
    char x[256] = "", y[256] = "";
    X509_NAME_get_text_by_NID(a, nid, x, sizeof x);
    X509_NAME_get_text_by_NID(b, nid, y, sizeof y);
    return !strcmp(x, y);
}

int qv_names_match(const X509_NAME *a, const X509_NAME *b)
{
    static const int nids[] = { NID_commonName, NID_countryName, NID_organizationName,
                                NID_localityName, NID_stateOrProvinceName };
    for (size_t i = 0; i < 5; i++)
        if (!field_eq(a, b, nids[i]))
            return 0;
    return 1;
}

int qv_cn_contains(X509 *x, const char *needle)
{
    char cn[256] = "";
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) < 0)
        return 0;
    return strstr(cn, needle) != NULL;
}

int qv_has_required_exts(X509 *x)
{
    static const int nids[] = { NID_authority_key_identifier, NID_crl_distribution_points,
                                NID_subject_key_identifier, NID_key_usage,
                                NID_basic_constraints };
    for (size_t i = 0; i < 5; i++)
        if (X509_get_ext_by_NID(x, nids[i], -1) < 0)
            return 0;
    return 1;
}

int qv_is_revoked(X509_CRL *crl, X509 *x)
{
    X509_REVOKED *r;
    return X509_CRL_get0_by_serial(crl, &r, X509_get_serialNumber(x)) == 1;
}
