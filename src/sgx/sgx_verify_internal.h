/* Verifier internals: QVL-like statuses and the parsed collateral. */
#ifndef ONESPACE_SGX_VERIFY_INTERNAL_H
#define ONESPACE_SGX_VERIFY_INTERNAL_H

#include <openssl/x509.h>

#include "sgx/sgx_internal.h"

/* A subset of QVL's Status, named as QVL names them. */
enum qv_status {
    ST_OK,
    ST_UNSUPPORTED_CERT_FORMAT,
    ST_ROOT_CA_MISSING,
    ST_ROOT_CA_INVALID_EXTENSIONS,
    ST_ROOT_CA_INVALID_ISSUER,
    ST_INTERMEDIATE_CA_MISSING,
    ST_INTERMEDIATE_CA_INVALID_EXTENSIONS,
    ST_INTERMEDIATE_CA_INVALID_ISSUER,
    ST_INTERMEDIATE_CA_REVOKED,
    ST_PCK_MISSING,
    ST_PCK_INVALID_EXTENSIONS,
    ST_PCK_INVALID_ISSUER,
    ST_SGX_PCK_REVOKED,
    ST_PCK_CERT_CHAIN_UNTRUSTED,
    ST_TCB_SIGNING_CERT_MISSING,
    ST_TCB_SIGNING_CERT_INVALID_ISSUER,
    ST_TCB_SIGNING_CERT_CHAIN_UNTRUSTED,
    ST_TCB_SIGNING_CERT_REVOKED,
    ST_TCB_INFO_INVALID_SIGNATURE,
    ST_ENCLAVE_IDENTITY_INVALID_SIGNATURE,
    ST_CRL_UNKNOWN_ISSUER,
    ST_CRL_INVALID_EXTENSIONS,
    ST_CRL_INVALID_SIGNATURE,
    ST_UNSUPPORTED_QUOTE_FORMAT,
    ST_INVALID_PCK_CERT,
    ST_INVALID_PCK_CRL,
    ST_PCK_REVOKED,
    ST_TCB_INFO_MISMATCH,
    ST_INVALID_QE_REPORT_SIGNATURE,
    ST_INVALID_QE_REPORT_DATA,
    ST_QE_IDENTITY_MISMATCH,
    ST_INVALID_QUOTE_SIGNATURE,
    ST_TCB_OUT_OF_DATE,
    ST_TCB_REVOKED,
    ST_TCB_CONFIGURATION_NEEDED,
    ST_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    ST_TCB_SW_HARDENING_NEEDED,
    ST_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    ST_TCB_NOT_SUPPORTED,
    ST_TCB_UNRECOGNIZED_STATUS,
    ST_COUNT
};
const char *qv_status_name(enum qv_status s);
quote3_error_t qv_status_to_error(enum qv_status s);
sgx_ql_qv_result_t qv_status_to_result(enum qv_status s);
int qv_status_nonterminal(enum qv_status s);

#define MAX_LEVELS 64
struct tcb_level {
    uint8_t comps[16];
    unsigned pcesvn;
    unsigned isvsvn; /* QE identity levels */
    int64_t date;
    char status[48];
};
struct tcb_info {
    char id[8];
    int version;
    int64_t issue, next;
    uint8_t fmspc[6], pceid[2];
    unsigned eval_num;
    int nlevels;
    struct tcb_level lv[MAX_LEVELS];
};
struct qe_identity {
    char id[8];
    int version;
    int64_t issue, next;
    unsigned eval_num;
    uint8_t misc[4], misc_mask[4], attr[16], attr_mask[16], mrsigner[32];
    unsigned prodid;
    int nlevels;
    struct tcb_level lv[MAX_LEVELS];
};

/* Parsers: 0 or -EINVAL. The signed body is the raw inner object's bytes. */
int qv_parse_tcb_info(const char *json, struct tcb_info *t, const char **body,
                      size_t *body_len, uint8_t sig[64]);
int qv_parse_qe_identity(const char *json, struct qe_identity *q, const char **body,
                         size_t *body_len, uint8_t sig[64]);

/* Up to `max` certificates from concatenated PEM; the count, or -EINVAL if a
 * PEM block does not parse. */
int qv_parse_chain(const char *pem, size_t len, X509 **out, int max);
/* A CRL given as DER, PEM or hex of DER. NULL if none of them. */
X509_CRL *qv_parse_crl(const uint8_t *data, size_t len);

int64_t qv_asn1_time(const ASN1_TIME *t);
/* 1 if subject and issuer names match in CN, C, O, L, ST (as QVL compares). */
int qv_names_match(const X509_NAME *a, const X509_NAME *b);
int qv_cn_contains(X509 *x, const char *needle);
int qv_has_required_exts(X509 *x);
int qv_is_revoked(X509_CRL *crl, X509 *x);

#endif
