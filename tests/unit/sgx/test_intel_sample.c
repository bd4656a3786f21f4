/* The verifier on a genuine Intel quote and its collateral (data/README.md):
 * accepted with Intel's root pinned, rejected with a simulated root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgx/sgx.h"

/* data/ next to this file (CMake compiles it by its absolute path) */
static uint8_t *read_all(const char *name, size_t *len)
{
    char path[4096];
    const char *slash = strrchr(__FILE__, '/');
    snprintf(path, sizeof path, "%.*s/data/%s", slash ? (int)(slash - __FILE__) : 1,
             slash ? __FILE__ : ".", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static char *field(json_object *o, const char *k)
{
    json_object *v;
    assert_true(json_object_object_get_ex(o, k, &v));
    return strdup(json_object_get_string(v));
}

static char *wrap(json_object *o, const char *key, const char *body, const char *sig)
{
    char *b = field(o, body), *s = field(o, sig);
    size_t n = strlen(b) + strlen(s) + 64;
    char *w = malloc(n);
    snprintf(w, n, "{\"%s\":%s,\"signature\":\"%s\"}", key, b, s);
    free(b);
    free(s);
    return w;
}

static void load(struct sgx_collateral *c)
{
    size_t len;
    char *text = (char *)read_all("real_sgx_collateral.json", &len);
    json_object *o = json_tokener_parse(text);
    assert_non_null(o);
    memset(c, 0, sizeof *c);
    c->pck_crl_issuer_chain = field(o, "pck_crl_issuer_chain");
    c->tcb_info_issuer_chain = field(o, "tcb_info_issuer_chain");
    c->qe_identity_issuer_chain = field(o, "qe_identity_issuer_chain");
    /* CRLs as hex, which Intel's verifier also accepts */
    c->root_ca_crl = (uint8_t *)field(o, "root_ca_crl");
    c->root_ca_crl_len = strlen((char *)c->root_ca_crl);
    c->pck_crl = (uint8_t *)field(o, "pck_crl");
    c->pck_crl_len = strlen((char *)c->pck_crl);
    c->tcb_info = wrap(o, "tcbInfo", "tcb_info", "tcb_info_signature");
    c->qe_identity = wrap(o, "enclaveIdentity", "qe_identity", "qe_identity_signature");
    json_object_put(o);
    free(text);
}

static void test_intel_quote(void **s)
{
    size_t qlen;
    uint8_t *q = read_all("real_sgx_quote_4600.bin", &qlen);
    assert_int_equal(qlen, 4600);
    struct sgx_collateral c;
    load(&c);
    uint32_t exp = 9;
    sgx_ql_qv_result_t r;
    sgx_ql_qv_supplemental_t supp;
    const char *why;
    int64_t inside = 1751328000; /* 2025-07-01, inside the collateral's validity */
    quote3_error_t e = sgx_verify_quote(q, (uint32_t)qlen, &c, sgx_intel_root_pub, inside, &exp,
                                        &r, sizeof supp, (uint8_t *)&supp, &why);
    printf("intel sample: 0x%x result 0x%x exp %u (%s)\n", e, r, exp, why);
    assert_int_equal(e, SGX_QL_SUCCESS);
    assert_true(r == SGX_QL_QV_RESULT_OK || r == SGX_QL_QV_RESULT_SW_HARDENING_NEEDED ||
                r == SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED ||
                r == SGX_QL_QV_RESULT_OUT_OF_DATE || r == SGX_QL_QV_RESULT_CONFIG_NEEDED ||
                r == SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED);
    assert_int_equal(exp, 0);
    /* Intel's root key id (dcap.md 3.7) */
    static const uint8_t intel_root_id[4] = { 0x46, 0xe4, 0x03, 0xbd };
    assert_memory_equal(supp.root_key_id, intel_root_id, 4);
    assert_int_equal(supp.tcb_pce_isvsvn, 13);
    /* collateral expired by now: still verifies, and says so */
    e = sgx_verify_quote(q, (uint32_t)qlen, &c, sgx_intel_root_pub, inside + 400 * 86400, &exp,
                         &r, 0, NULL, NULL);
    assert_int_equal(e, SGX_QL_SUCCESS);
    assert_int_equal(exp, 1);
    /* a simulated root trusted instead: the chain error */
    struct sgx_platform *p;
    uint8_t pub[65];
    assert_int_equal(sgx_platform_open(NULL, &p), 0);
    sgx_platform_root_pub(p, pub);
    e = sgx_verify_quote(q, (uint32_t)qlen, &c, pub, inside, &exp, &r, 0, NULL, NULL);
    assert_int_equal(e, SGX_QL_PCK_CERT_CHAIN_ERROR);
    assert_int_equal(r, SGX_QL_QV_RESULT_UNSPECIFIED);
    sgx_platform_close(p);
    /* the genuine quote, tampered */
    q[368] ^= 1;
    e = sgx_verify_quote(q, (uint32_t)qlen, &c, sgx_intel_root_pub, inside, &exp, &r, 0, NULL, NULL);
    assert_int_equal(e, SGX_QL_RESULT_INVALID_SIGNATURE);
    sgx_collateral_free(&c);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_intel_quote) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
