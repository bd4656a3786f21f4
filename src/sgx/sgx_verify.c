/* The DCAP quote verifier: Intel's sgx_qv_verify_quote (QvE's
 * sgx_qve_verify_quote + QVL) with collateral given and a pinned root key,
 * in Intel's order with Intel's codes (dcap.md 3.1-3.4, 3.7). Expiry of
 * certificates, CRLs and collateral only sets the collateral expiration
 * status, as in Intel's flow; it never fails the verification. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "sgx/sgx_verify_internal.h"

#define OID_SGX_EXT "1.2.840.113741.1.13.1"

struct vctx {
    const uint8_t *q;
    uint32_t size;
    const uint8_t *sig, *ak, *qe_report, *qe_sig, *auth;
    uint16_t auth_len, cert_type;
    const char *cert;
    uint32_t cert_len;
    X509 *chain[3], *root, *inter, *pck;
    int nchain;
    X509 *tcb_chain[2], *qe_chain[2], *pcrl_chain[2];
    int ntcb, nqe, npcrl;
    X509_CRL *root_crl, *pck_crl;
    struct tcb_info ti;
    const char *ti_body;
    size_t ti_len;
    uint8_t ti_sig[64];
    struct qe_identity qi;
    const char *qi_body;
    size_t qi_len;
    uint8_t qi_sig[64];
    struct sgx_pck_ext ext;
    int64_t earliest_issue, latest_issue, earliest_exp;
    const struct tcb_level *tcb_lv, *qe_lv;
    sgx_ql_qv_result_t qe_status;
    const char *why;
};

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/* Quote format (QVL Quote::parse/validate): ST_OK or UNSUPPORTED_QUOTE_FORMAT. */
static enum qv_status parse_quote(struct vctx *v)
{
    const uint8_t *q = v->q;
    if (v->size < SGX_QUOTE_MIN_SIZE || rd16(q) != 3 || rd16(q + 2) != SGX_QL_ALG_ECDSA_P256 ||
        rd32(q + 4) != 0 || memcmp(q + 12, sgx_intel_qe_vendor_id, 16))
        return ST_UNSUPPORTED_QUOTE_FORMAT;
    uint32_t sd_len = rd32(q + SGX_QUOTE_SIGNED_SIZE);
    if (sd_len > v->size - SGX_QUOTE_SIG_DATA_OFFSET || sd_len < 576 + 2 + 6)
        return ST_UNSUPPORTED_QUOTE_FORMAT;
    uint64_t end = SGX_QUOTE_SIG_DATA_OFFSET + (uint64_t)sd_len;
    const uint8_t *sd = q + SGX_QUOTE_SIG_DATA_OFFSET;
    v->sig = sd;
    v->ak = sd + 64;
    v->qe_report = sd + 128;
    v->qe_sig = sd + 512;
    uint64_t off = SGX_QUOTE_AUTH_OFFSET;
    v->auth_len = rd16(q + off);
    off += 2;
    v->auth = q + off;
    off += v->auth_len;
    if (off + 6 > end)
        return ST_UNSUPPORTED_QUOTE_FORMAT;
    v->cert_type = rd16(q + off);
    v->cert_len = rd32(q + off + 2);
    off += 6;
    if (v->cert_len > end - off || off + v->cert_len != end)
        return ST_UNSUPPORTED_QUOTE_FORMAT;
    v->cert = (const char *)q + off;
    return ST_OK;
}

static void widen(struct vctx *v, int64_t issue, int64_t exp)
{
    if (issue && (!v->earliest_issue || issue < v->earliest_issue))
        v->earliest_issue = issue;
    if (issue > v->latest_issue)
        v->latest_issue = issue;
    if (exp && (!v->earliest_exp || exp < v->earliest_exp))
        v->earliest_exp = exp;
}

static void widen_cert(struct vctx *v, X509 *x)
{
    widen(v, qv_asn1_time(X509_get0_notBefore(x)), qv_asn1_time(X509_get0_notAfter(x)));
}

static void widen_crl(struct vctx *v, X509_CRL *c)
{
    widen(v, qv_asn1_time(X509_CRL_get0_lastUpdate(c)), qv_asn1_time(X509_CRL_get0_nextUpdate(c)));
}

static int self_signed(X509 *x)
{
    return !X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x));
}

/* issuer's name matches and its key verifies the signature */
static int issued_by(X509 *x, X509 *issuer)
{
    if (!qv_names_match(X509_get_issuer_name(x), X509_get_subject_name(issuer)))
        return 0;
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    return k && X509_verify(x, k) == 1;
}

static enum qv_status check_crl(X509_CRL *crl, X509 *issuer)
{
    if (!qv_names_match(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) ||
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)))
        return ST_CRL_UNKNOWN_ISSUER;
    if (X509_CRL_get_ext_by_NID(crl, NID_crl_number, -1) < 0 ||
        X509_CRL_get_ext_by_NID(crl, NID_authority_key_identifier, -1) < 0)
        return ST_CRL_INVALID_EXTENSIONS;
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    return k && X509_CRL_verify(crl, k) == 1 ? ST_OK : ST_CRL_INVALID_SIGNATURE;
}

/* PckCertVerifier::verify (dcap.md 3.3.1). */
static enum qv_status verify_pck_chain(struct vctx *v)
{
    for (int i = 0; i < 3; i++) {
        X509 *x = v->chain[i];
        if (self_signed(x))
            v->root = x;
        else if (qv_cn_contains(x, "SGX PCK Certificate"))
            v->pck = x;
        else if (qv_cn_contains(x, "CA"))
            v->inter = x;
    }
    if (!v->root || !qv_cn_contains(v->root, "SGX Root CA"))
        return ST_ROOT_CA_MISSING;
    if (!v->inter)
        return ST_INTERMEDIATE_CA_MISSING;
    if (!v->pck)
        return ST_PCK_MISSING;
    if (!qv_has_required_exts(v->root))
        return ST_ROOT_CA_INVALID_EXTENSIONS;
    if (!qv_has_required_exts(v->inter))
        return ST_INTERMEDIATE_CA_INVALID_EXTENSIONS;
    if (!qv_has_required_exts(v->pck))
        return ST_PCK_INVALID_EXTENSIONS;
    if (!issued_by(v->root, v->root))
        return ST_ROOT_CA_INVALID_ISSUER;
    if (!issued_by(v->inter, v->root))
        return ST_INTERMEDIATE_CA_INVALID_ISSUER;
    if (!issued_by(v->pck, v->inter))
        return ST_PCK_INVALID_ISSUER;
    enum qv_status s = check_crl(v->root_crl, v->root);
    if (s == ST_OK)
        s = check_crl(v->pck_crl, v->inter);
    if (s != ST_OK)
        return s;
    if (qv_is_revoked(v->root_crl, v->inter))
        return ST_INTERMEDIATE_CA_REVOKED;
    if (qv_is_revoked(v->pck_crl, v->pck))
        return ST_SGX_PCK_REVOKED;
    return ST_OK;
}

/* TCBSigningChain + signature over the raw inner object. */
static enum qv_status verify_signed_json(struct vctx *v, X509 **chain, int n, const char *body,
                                         size_t len, const uint8_t sig[64],
                                         enum qv_status bad_sig)
{
    X509 *tcb = NULL, *root = NULL;
    for (int i = 0; i < n; i++) {
        if (self_signed(chain[i]))
            root = chain[i];
        else if (qv_cn_contains(chain[i], "SGX TCB Signing"))
            tcb = chain[i];
    }
    if (!tcb || !root)
        return ST_TCB_SIGNING_CERT_MISSING;
    if (!issued_by(tcb, root))
        return ST_TCB_SIGNING_CERT_INVALID_ISSUER;
    if (X509_cmp(root, v->root) && EVP_PKEY_eq(X509_get0_pubkey(root), X509_get0_pubkey(v->root)) != 1)
        return ST_TCB_SIGNING_CERT_CHAIN_UNTRUSTED;
    if (qv_is_revoked(v->root_crl, tcb))
        return ST_TCB_SIGNING_CERT_REVOKED;
    return sgxc_verify_raw(X509_get0_pubkey(tcb), body, len, sig) ? ST_OK : bad_sig;
}

static const struct {
    const char *name;
    enum qv_status st;
} tcb_statuses[] = {
    { "UpToDate", ST_OK },
    { "SWHardeningNeeded", ST_TCB_SW_HARDENING_NEEDED },
    { "ConfigurationNeeded", ST_TCB_CONFIGURATION_NEEDED },
    { "ConfigurationAndSWHardeningNeeded", ST_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED },
    { "OutOfDate", ST_TCB_OUT_OF_DATE },
    { "OutOfDateConfigurationNeeded", ST_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED },
    { "Revoked", ST_TCB_REVOKED },
};

/* TcbLevelCheck: the platform TCB from the PCK certificate, converged with
 * the QE's status. */
static enum qv_status tcb_level_status(struct vctx *v, enum qv_status qe)
{
    enum qv_status st = ST_TCB_NOT_SUPPORTED;
    for (int i = 0; i < v->ti.nlevels && !v->tcb_lv; i++) {
        const struct tcb_level *l = &v->ti.lv[i];
        int ok = v->ext.pcesvn >= l->pcesvn;
        for (int k = 0; k < 16 && ok; k++)
            ok = v->ext.comps[k] >= l->comps[k];
        if (!ok)
            continue;
        v->tcb_lv = l;
        st = ST_TCB_UNRECOGNIZED_STATUS;
        for (size_t s = 0; s < sizeof tcb_statuses / sizeof tcb_statuses[0]; s++)
            if (!strcmp(l->status, tcb_statuses[s].name))
                st = tcb_statuses[s].st;
    }
    if (st == ST_TCB_NOT_SUPPORTED || st == ST_TCB_UNRECOGNIZED_STATUS)
        return st;
    if (qe == ST_TCB_REVOKED)
        return ST_TCB_REVOKED;
    if (qe == ST_TCB_NOT_SUPPORTED)
        return ST_TCB_NOT_SUPPORTED;
    if (qe == ST_TCB_OUT_OF_DATE) {
        if (st == ST_OK || st == ST_TCB_SW_HARDENING_NEEDED)
            return ST_TCB_OUT_OF_DATE;
        if (st == ST_TCB_CONFIGURATION_NEEDED || st == ST_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
            return ST_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
    }
    return st;
}

/* sgxAttestationVerifyQuote / QuoteVerifier::verify (dcap.md 3.3.4). */
static enum qv_status verify_quote_body(struct vctx *v)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(OID_SGX_EXT, 1);
    int idx = obj ? X509_get_ext_by_OBJ(v->pck, obj, -1) : -1;
    ASN1_OBJECT_free(obj);
    if (idx < 0)
        return ST_INVALID_PCK_CERT;
    ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(v->pck, idx));
    if (!d || sgx_pck_ext_decode(d->data, (size_t)d->length, &v->ext))
        return ST_INVALID_PCK_CERT;
    char cn[256] = "";
    X509_NAME_get_text_by_NID(X509_CRL_get_issuer(v->pck_crl), NID_commonName, cn, sizeof cn);
    if (!strstr(cn, "CA") || X509_NAME_cmp(X509_CRL_get_issuer(v->pck_crl),
                                           X509_get_issuer_name(v->pck)))
        return ST_INVALID_PCK_CRL;
    if (qv_is_revoked(v->pck_crl, v->pck))
        return ST_PCK_REVOKED;
    if (v->ti.version >= 3 && strcmp(v->ti.id, "SGX"))
        return ST_TCB_INFO_MISMATCH;
    if (memcmp(v->ext.fmspc, v->ti.fmspc, 6) || memcmp(v->ext.pceid, v->ti.pceid, 2))
        return ST_TCB_INFO_MISMATCH;
    if (!sgxc_verify_raw(X509_get0_pubkey(v->pck), v->qe_report, 384, v->qe_sig))
        return ST_INVALID_QE_REPORT_SIGNATURE;
    uint8_t h[32];
    sgxc_sha256(v->ak, 64, v->auth, v->auth_len, h);
    const sgx_report_body_t *qe = (const sgx_report_body_t *)v->qe_report;
    if (CRYPTO_memcmp(h, qe->report_data.d, 32))
        return ST_INVALID_QE_REPORT_DATA;
    /* QE identity */
    uint32_t misc = qe->misc_select, mm, mv;
    memcpy(&mm, v->qi.misc_mask, 4);
    memcpy(&mv, v->qi.misc, 4);
    mm = __builtin_bswap32(mm); /* hex strings are big-endian numbers */
    mv = __builtin_bswap32(mv);
    int match = strcmp(v->qi.id, "QE") == 0 && (misc & mm) == mv &&
                !memcmp(qe->mr_signer, v->qi.mrsigner, 32) && qe->isv_prod_id == v->qi.prodid;
    const uint8_t *attr = (const uint8_t *)&qe->attributes;
    for (int i = 0; i < 16 && match; i++)
        match = (attr[i] & v->qi.attr_mask[i]) == v->qi.attr[i];
    if (!match)
        return ST_QE_IDENTITY_MISMATCH;
    enum qv_status qe_st = ST_TCB_NOT_SUPPORTED;
    v->qe_status = SGX_QL_QV_RESULT_UNSPECIFIED;
    for (int i = 0; i < v->qi.nlevels; i++)
        if (v->qi.lv[i].isvsvn <= qe->isv_svn) {
            v->qe_lv = &v->qi.lv[i];
            const char *s = v->qi.lv[i].status;
            qe_st = !strcmp(s, "UpToDate")    ? ST_OK
                    : !strcmp(s, "OutOfDate") ? ST_TCB_OUT_OF_DATE
                    : !strcmp(s, "Revoked")   ? ST_TCB_REVOKED
                                              : ST_TCB_NOT_SUPPORTED;
            v->qe_status = qe_st == ST_OK                   ? SGX_QL_QV_RESULT_OK
                           : qe_st == ST_TCB_OUT_OF_DATE    ? SGX_QL_QV_RESULT_OUT_OF_DATE
                           : qe_st == ST_TCB_REVOKED        ? SGX_QL_QV_RESULT_REVOKED
                                                            : SGX_QL_QV_RESULT_UNSPECIFIED;
            break;
        }
    EVP_PKEY *ak = sgxc_pub_from_raw(v->ak);
    if (!ak)
        return ST_UNSUPPORTED_QUOTE_FORMAT;
    int ok = sgxc_verify_raw(ak, v->q, SGX_QUOTE_SIGNED_SIZE, v->sig);
    EVP_PKEY_free(ak);
    if (!ok)
        return ST_INVALID_QUOTE_SIGNATURE;
    return tcb_level_status(v, qe_st);
}

static uint32_t crl_number(X509_CRL *c)
{
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL);
    long v = n ? ASN1_INTEGER_get(n) : 0;
    ASN1_INTEGER_free(n);
    return (uint32_t)v;
}

static void fill_supplemental(struct vctx *v, sgx_ql_qv_supplemental_t *s)
{
    memset(s, 0, sizeof *s);
    s->version = SUPPLEMENTAL_DATA_VERSION; /* major 3, minor 0: the legacy API */
    s->earliest_issue_date = v->earliest_issue;
    s->latest_issue_date = v->latest_issue;
    s->earliest_expiration_date = v->earliest_exp;
    s->tcb_level_date_tag = v->tcb_lv ? v->tcb_lv->date : 0;
    s->pck_crl_num = crl_number(v->pck_crl);
    s->root_ca_crl_num = crl_number(v->root_crl);
    s->tcb_eval_ref_num = v->ti.eval_num < v->qi.eval_num ? v->ti.eval_num : v->qi.eval_num;
    uint8_t pub[65];
    if (!sgxc_cert_pub65(v->root, pub))
        sgxc_sha384(pub, sizeof pub, s->root_key_id);
    memcpy(s->pck_ppid, v->ext.ppid, 16);
    memcpy(s->tcb_cpusvn, v->ext.cpusvn, 16);
    s->tcb_pce_isvsvn = (uint16_t)v->ext.pcesvn;
    s->pce_id = v->ext.pceid[0]; /* QvE copies the first byte only */
    s->sgx_type = (uint8_t)v->ext.sgx_type;
    s->dynamic_platform = s->cached_keys = s->smt_enabled = PCK_FLAG_UNDEFINED;
    s->qe_iden_earliest_issue_date = v->qi.issue;
    s->qe_iden_latest_issue_date = v->qi.issue;
    s->qe_iden_earliest_expiration_date = v->qi.next;
    s->qe_iden_tcb_level_date_tag = v->qe_lv ? v->qe_lv->date : 0;
    s->qe_iden_tcb_eval_ref_num = v->qi.eval_num;
    s->qe_iden_status = v->qe_status;
}

static void free_all(X509 **xs, int n)
{
    for (int i = 0; i < n; i++)
        X509_free(xs[i]);
}

static quote3_error_t run(struct vctx *v, const struct sgx_collateral *c, const uint8_t root_pub[65],
                          int64_t date, uint32_t *exp, sgx_ql_qv_result_t *result,
                          uint8_t *supp)
{
    enum qv_status st;
    /* 1. certification data */
    if ((st = parse_quote(v)) != ST_OK) {
        v->why = qv_status_name(st);
        return SGX_QL_QUOTE_FORMAT_UNSUPPORTED;
    }
    if (v->cert_type != PCK_CERT_CHAIN) {
        v->why = "certification data type is not 5 (PCK cert chain)";
        return SGX_QL_QUOTE_CERTIFICATION_DATA_UNSUPPORTED;
    }
    /* 2. TCB info */
    if (qv_parse_tcb_info(c->tcb_info, &v->ti, &v->ti_body, &v->ti_len, v->ti_sig)) {
        v->why = "TCB info does not parse";
        return SGX_QL_TCBINFO_UNSUPPORTED_FORMAT;
    }
    /* 3. PCK chain: exactly three certificates */
    size_t clen = v->cert_len;
    if (clen && v->cert[clen - 1] == 0)
        clen--;
    v->nchain = qv_parse_chain(v->cert, clen, v->chain, 3);
    if (v->nchain != 3) {
        if (v->nchain > 0 && v->nchain < 3)
            free_all(v->chain, v->nchain);
        v->nchain = 0;
        v->why = "PCK certificate chain is not three certificates";
        return SGX_QL_PCK_CERT_CHAIN_ERROR;
    }
    /* 4. CRLs */
    v->root_crl = qv_parse_crl(c->root_ca_crl, c->root_ca_crl_len);
    v->pck_crl = qv_parse_crl(c->pck_crl, c->pck_crl_len);
    if (!v->root_crl || !v->pck_crl) {
        v->why = "CRL does not parse";
        return SGX_QL_CRL_UNSUPPORTED_FORMAT;
    }
    /* 5-6. the root, pinned by its public key */
    X509 *root = NULL;
    for (int i = 0; i < 3; i++)
        if (self_signed(v->chain[i]))
            root = v->chain[i];
    uint8_t pub[65];
    if (!root || sgxc_cert_pub65(root, pub)) {
        v->why = "no parsable root certificate in the chain";
        return SGX_QL_PCK_CERT_UNSUPPORTED_FORMAT;
    }
    if (memcmp(pub, root_pub, 65)) {
        v->why = "root CA key is not the trusted root";
        return SGX_QL_PCK_CERT_CHAIN_ERROR;
    }
    /* 7. collateral dates and the other chains */
    v->ntcb = qv_parse_chain(c->tcb_info_issuer_chain, strlen(c->tcb_info_issuer_chain),
                             v->tcb_chain, 2);
    v->nqe = qv_parse_chain(c->qe_identity_issuer_chain, strlen(c->qe_identity_issuer_chain),
                            v->qe_chain, 2);
    v->npcrl = qv_parse_chain(c->pck_crl_issuer_chain, strlen(c->pck_crl_issuer_chain),
                              v->pcrl_chain, 2);
    if (v->ntcb != 2 || v->nqe != 2 || v->npcrl < 1 || v->npcrl > 2) {
        v->why = "collateral issuer chain does not parse";
        return SGX_QL_PCK_CERT_CHAIN_ERROR;
    }
    if (qv_parse_qe_identity(c->qe_identity, &v->qi, &v->qi_body, &v->qi_len, v->qi_sig)) {
        v->why = "QE identity does not parse";
        return SGX_QL_QEIDENTITY_UNSUPPORTED_FORMAT;
    }
    widen_crl(v, v->root_crl);
    widen_crl(v, v->pck_crl);
    for (int i = 0; i < 3; i++)
        widen_cert(v, v->chain[i]);
    for (int i = 0; i < 2; i++) {
        widen_cert(v, v->tcb_chain[i]);
        widen_cert(v, v->qe_chain[i]);
    }
    for (int i = 0; i < v->npcrl; i++)
        widen_cert(v, v->pcrl_chain[i]);
    widen(v, v->ti.issue, v->ti.next);
    widen(v, v->qi.issue, v->qi.next);
    *exp = v->earliest_exp <= date ? 1 : 0;
    /* 8. PCK chain and CRLs */
    if ((st = verify_pck_chain(v)) != ST_OK)
        goto fail;
    /* 9-10. TCB info and QE identity with their signing chain */
    if ((st = verify_signed_json(v, v->tcb_chain, 2, v->ti_body, v->ti_len, v->ti_sig,
                                 ST_TCB_INFO_INVALID_SIGNATURE)) != ST_OK)
        goto fail;
    if ((st = verify_signed_json(v, v->qe_chain, 2, v->qi_body, v->qi_len, v->qi_sig,
                                 ST_ENCLAVE_IDENTITY_INVALID_SIGNATURE)) != ST_OK) {
        if (st == ST_TCB_SIGNING_CERT_CHAIN_UNTRUSTED || st == ST_TCB_SIGNING_CERT_MISSING)
            st = ST_ENCLAVE_IDENTITY_INVALID_SIGNATURE; /* QEIDENTITY_CHAIN_ERROR */
        goto fail;
    }
    /* 11. the quote */
    st = verify_quote_body(v);
    *result = qv_status_to_result(st);
    if (!qv_status_nonterminal(st))
        goto fail;
    v->why = qv_status_name(st);
    /* 12. supplemental */
    if (supp)
        fill_supplemental(v, (sgx_ql_qv_supplemental_t *)supp);
    return SGX_QL_SUCCESS;
fail:
    v->why = qv_status_name(st);
    return qv_status_to_error(st);
}

quote3_error_t sgx_verify_quote(const uint8_t *quote, uint32_t quote_size,
                                const struct sgx_collateral *c, const uint8_t root_pub[65],
                                int64_t date, uint32_t *exp, sgx_ql_qv_result_t *result,
                                uint32_t supp_size, uint8_t *supp, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = "invalid parameter";
    if (result)
        *result = SGX_QL_QV_RESULT_UNSPECIFIED;
    if (supp && supp_size)
        memset(supp, 0, supp_size); /* as Intel's wrapper does on any error */
    if (!quote || quote_size < SGX_QUOTE_MIN_SIZE || !exp || date <= 0 || !result ||
        (supp == NULL) != (supp_size == 0) || !root_pub)
        return SGX_QL_ERROR_INVALID_PARAMETER;
    if (rd32(quote + 4) != 0) /* TDX (0x81) or unknown tee type */
        return SGX_QL_ERROR_INVALID_PARAMETER;
    if (supp && supp_size != SGX_SUPPLEMENTAL_SIZE)
        return SGX_QL_ERROR_INVALID_PARAMETER;
    if (!c || !c->pck_crl_issuer_chain || !c->root_ca_crl || !c->pck_crl ||
        !c->tcb_info_issuer_chain || !c->tcb_info || !c->qe_identity_issuer_chain ||
        !c->qe_identity)
        return SGX_QL_ERROR_INVALID_PARAMETER;
    *exp = 1;
    struct vctx *v = calloc(1, sizeof *v);
    if (!v)
        return SGX_QL_ERROR_OUT_OF_MEMORY;
    v->q = quote;
    v->size = quote_size;
    quote3_error_t ret = run(v, c, root_pub, date, exp, result, supp);
    *why = v->why;
    if (ret != SGX_QL_SUCCESS) {
        *result = SGX_QL_QV_RESULT_UNSPECIFIED; /* Intel: any error forces it */
        if (supp)
            memset(supp, 0, supp_size);
    }
    free_all(v->chain, v->nchain);
    free_all(v->tcb_chain, v->ntcb > 2 || v->ntcb < 0 ? 0 : v->ntcb);
    free_all(v->qe_chain, v->nqe > 2 || v->nqe < 0 ? 0 : v->nqe);
    free_all(v->pcrl_chain, v->npcrl > 2 || v->npcrl < 0 ? 0 : v->npcrl);
    X509_CRL_free(v->root_crl);
    X509_CRL_free(v->pck_crl);
    free(v);
    return ret;
}
