/* The simulated DCAP provider and the verifier: quote layout, generate +
 * verify, every tamper class gives Intel's code, wrong root, revocation,
 * expiry, each TCB status, malformed quotes, and a real Intel quote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sgx/sgx.h"

static struct sgx_platform *plat;
static struct sgx_collateral coll;
static uint8_t root_pub[65];
static int64_t now;

static int setup(void **s)
{
    now = (int64_t)time(NULL);
    assert_int_equal(sgx_platform_open(NULL, &plat), 0);
    sgx_platform_root_pub(plat, root_pub);
    struct sgx_collateral_opts o = { .now = now };
    assert_int_equal(sgx_collateral_make(plat, &o, &coll), 0);
    return 0;
}

static int teardown(void **s)
{
    sgx_collateral_free(&coll);
    sgx_platform_close(plat);
    return 0;
}

static uint8_t *make_quote(uint32_t *size, const char *rd_text)
{
    sgx_report_data_t rd = { { 0 } };
    memcpy(rd.d, rd_text, strlen(rd_text) < sizeof rd.d ? strlen(rd_text) : sizeof rd.d);
    *size = sgx_quote_size(plat);
    uint8_t *q = malloc(*size);
    assert_non_null(q);
    assert_int_equal(sgx_quote_generate(plat, &rd, q, *size), (int)*size);
    return q;
}

static quote3_error_t verify_with(const uint8_t *q, uint32_t size, const struct sgx_collateral *c,
                                  int64_t date, uint32_t *exp, sgx_ql_qv_result_t *res,
                                  sgx_ql_qv_supplemental_t *supp)
{
    const char *why = NULL;
    quote3_error_t e = sgx_verify_quote(q, size, c, root_pub, date, exp, res,
                                        supp ? SGX_SUPPLEMENTAL_SIZE : 0, (uint8_t *)supp, &why);
    if (getenv("SGX_TEST_VERBOSE"))
        printf("verify: 0x%x result 0x%x (%s)\n", e, *res, why ? why : "-");
    return e;
}

static void test_layout(void **s)
{
    uint32_t size;
    uint8_t *q = make_quote(&size, "layout");
    const sgx_quote3_t *h = (const sgx_quote3_t *)q;
    assert_int_equal(h->header.version, 3);
    assert_int_equal(h->header.att_key_type, 2);
    assert_int_equal(h->header.att_key_data_0, 0);
    assert_int_equal(h->signature_data_len, size - 436);
    assert_memory_equal(q + 368, "layout", 6);
    assert_memory_equal(q + SGX_QUOTE_REPORT_DATA_OFFSET, h->report_body.report_data.d, 64);
    /* auth data 00..1f at 1014, cert type 5 at 1046, size at 1048 */
    uint16_t auth;
    memcpy(&auth, q + 1012, 2);
    assert_int_equal(auth, 32);
    for (int i = 0; i < 32; i++)
        assert_int_equal(q[1014 + i], i);
    uint16_t type;
    uint32_t clen;
    memcpy(&type, q + 1046, 2);
    memcpy(&clen, q + 1048, 4);
    assert_int_equal(type, 5);
    assert_int_equal(size, 1052 + clen);
    assert_int_equal(q[size - 1], 0); /* trailing NUL, as Intel's QPL gives */
    assert_non_null(strstr((const char *)q + 1052, "-----BEGIN CERTIFICATE-----"));
    /* QE report: Intel's QE identity, bound to the attestation key */
    const sgx_report_body_t *qe = (const sgx_report_body_t *)(q + 564);
    assert_int_equal(qe->isv_prod_id, 1);
    assert_int_equal(qe->attributes.flags & 0xFB, 0x11);
    free(q);
}

static void test_generate_verify_ok(void **s)
{
    uint32_t size, exp = 7;
    sgx_ql_qv_result_t res = 0x1234;
    sgx_ql_qv_supplemental_t supp;
    uint8_t *q = make_quote(&size, "ok");
    assert_int_equal(verify_with(q, size, &coll, now, &exp, &res, &supp), SGX_QL_SUCCESS);
    assert_int_equal(res, SGX_QL_QV_RESULT_OK);
    assert_int_equal(exp, 0);
    assert_int_equal(supp.version, 3);
    assert_int_equal(supp.tcb_pce_isvsvn, 13);
    assert_int_equal(supp.tcb_eval_ref_num, 17);
    assert_int_equal(supp.pck_crl_num, 1);
    assert_int_equal(supp.qe_iden_status, SGX_QL_QV_RESULT_OK);
    assert_int_equal(supp.dynamic_platform, PCK_FLAG_UNDEFINED);
    assert_true(supp.earliest_issue_date <= now && supp.earliest_expiration_date > now);
    /* without supplemental data too */
    assert_int_equal(verify_with(q, size, &coll, now, &exp, &res, NULL), SGX_QL_SUCCESS);
    free(q);
}

static void expect(const uint8_t *q, uint32_t size, quote3_error_t err, sgx_ql_qv_result_t res)
{
    uint32_t exp;
    sgx_ql_qv_result_t r;
    sgx_ql_qv_supplemental_t supp;
    memset(&supp, 0xAA, sizeof supp);
    assert_int_equal(verify_with(q, size, &coll, now, &exp, &r, &supp), err);
    assert_int_equal(r, res);
    if (err != SGX_QL_SUCCESS) {
        static const sgx_ql_qv_supplemental_t zero;
        assert_memory_equal(&supp, &zero, sizeof supp);
    }
}

static void test_flip_signed_region(void **s)
{
    uint32_t size;
    uint8_t *q = make_quote(&size, "flip");
    /* every byte of the report body and the mutable header fields */
    for (uint32_t i = 8; i < 432; i += 2) {
        if (i >= 12 && i < 28)
            continue; /* vendor id: a format error, below */
        q[i] ^= 0x01;
        expect(q, size, SGX_QL_RESULT_INVALID_SIGNATURE, SGX_QL_QV_RESULT_UNSPECIFIED);
        q[i] ^= 0x01;
    }
    /* the quote signature itself */
    q[436 + 5] ^= 0x80;
    expect(q, size, SGX_QL_RESULT_INVALID_SIGNATURE, SGX_QL_QV_RESULT_UNSPECIFIED);
    q[436 + 5] ^= 0x80;
    /* version, key type, vendor id: format */
    q[0] ^= 1;
    expect(q, size, SGX_QL_QUOTE_FORMAT_UNSUPPORTED, SGX_QL_QV_RESULT_UNSPECIFIED);
    q[0] ^= 1;
    q[20] ^= 1;
    expect(q, size, SGX_QL_QUOTE_FORMAT_UNSUPPORTED, SGX_QL_QV_RESULT_UNSPECIFIED);
    q[20] ^= 1;
    /* tee type: TDX is not for this API */
    q[4] = 0x81;
    expect(q, size, SGX_QL_ERROR_INVALID_PARAMETER, SGX_QL_QV_RESULT_UNSPECIFIED);
    q[4] = 0;
    expect(q, size, SGX_QL_SUCCESS, SGX_QL_QV_RESULT_OK);
    free(q);
}

static void test_flip_qe_report_and_key(void **s)
{
    uint32_t size;
    uint8_t *q = make_quote(&size, "qe");
    for (uint32_t i = 564; i < 948; i += 7) { /* QE report body */
        q[i] ^= 0x10;
        expect(q, size, SGX_QL_QE_REPORT_INVALID_SIGNATURE, SGX_QL_QV_RESULT_UNSPECIFIED);
        q[i] ^= 0x10;
    }
    q[948 + 3] ^= 1; /* QE report signature */
    expect(q, size, SGX_QL_QE_REPORT_INVALID_SIGNATURE, SGX_QL_QV_RESULT_UNSPECIFIED);
    q[948 + 3] ^= 1;
    /* attestation key: the QE report binding fails (INVALID_QE_REPORT_DATA
     * maps to Intel's default, UNEXPECTED) */
    for (uint32_t i = 500; i < 564; i += 9) {
        q[i] ^= 0x01;
        expect(q, size, SGX_QL_ERROR_UNEXPECTED, SGX_QL_QV_RESULT_UNSPECIFIED);
        q[i] ^= 0x01;
    }
    /* auth data is bound too */
    q[1020] ^= 1;
    expect(q, size, SGX_QL_ERROR_UNEXPECTED, SGX_QL_QV_RESULT_UNSPECIFIED);
    q[1020] ^= 1;
    /* certification data type */
    q[1046] = 4;
    expect(q, size, SGX_QL_QUOTE_CERTIFICATION_DATA_UNSUPPORTED, SGX_QL_QV_RESULT_UNSPECIFIED);
    q[1046] = 5;
    expect(q, size, SGX_QL_SUCCESS, SGX_QL_QV_RESULT_OK);
    free(q);
}

static void test_flip_cert_chain(void **s)
{
    uint32_t size;
    uint8_t *q = make_quote(&size, "chain");
    int failures = 0;
    /* any byte of the PEM chain: never success, never a crash */
    for (uint32_t i = 1052; i < size - 1; i += 5) {
        uint8_t old = q[i];
        q[i] = old == 'A' ? 'B' : 'A';
        uint32_t exp;
        sgx_ql_qv_result_t r;
        quote3_error_t e = verify_with(q, size, &coll, now, &exp, &r, NULL);
        if (e != SGX_QL_SUCCESS)
            failures++;
        else
            /* base64 of a byte the DER ignores cannot exist; but a flip in
             * PEM armor whitespace could: it must still be the same chain */
            assert_int_equal(r, SGX_QL_QV_RESULT_OK);
        if (e != SGX_QL_SUCCESS)
            assert_int_equal(r, SGX_QL_QV_RESULT_UNSPECIFIED);
        q[i] = old;
    }
    assert_true(failures > (int)((size - 1053) / 5) * 9 / 10);
    free(q);
}

static void test_wrong_root(void **s)
{
    uint32_t size, exp;
    sgx_ql_qv_result_t r;
    uint8_t *q = make_quote(&size, "root");
    /* Intel's root pinned: a simulated quote gives the chain error */
    assert_int_equal(sgx_verify_quote(q, size, &coll, sgx_intel_root_pub, now, &exp, &r, 0,
                                      NULL, NULL),
                     SGX_QL_PCK_CERT_CHAIN_ERROR);
    assert_int_equal(r, SGX_QL_QV_RESULT_UNSPECIFIED);
    assert_int_equal(exp, 1);
    /* another instance's root */
    struct sgx_platform *other;
    uint8_t other_pub[65];
    assert_int_equal(sgx_platform_open(NULL, &other), 0);
    sgx_platform_root_pub(other, other_pub);
    assert_int_equal(sgx_verify_quote(q, size, &coll, other_pub, now, &exp, &r, 0, NULL, NULL),
                     SGX_QL_PCK_CERT_CHAIN_ERROR);
    /* its collateral with our quote: chain fine, TCB info signed by a
     * stranger whose root is not ours */
    struct sgx_collateral oc;
    struct sgx_collateral_opts o = { .now = now };
    assert_int_equal(sgx_collateral_make(other, &o, &oc), 0);
    assert_int_not_equal(sgx_verify_quote(q, size, &oc, root_pub, now, &exp, &r, 0, NULL, NULL),
                         SGX_QL_SUCCESS);
    assert_int_equal(r, SGX_QL_QV_RESULT_UNSPECIFIED);
    sgx_collateral_free(&oc);
    sgx_platform_close(other);
    free(q);
}

static quote3_error_t verify_opts(const struct sgx_collateral_opts *o, int64_t date,
                                  uint32_t *exp, sgx_ql_qv_result_t *r)
{
    struct sgx_collateral c;
    assert_int_equal(sgx_collateral_make(plat, o, &c), 0);
    uint32_t size;
    uint8_t *q = make_quote(&size, "opts");
    quote3_error_t e = verify_with(q, size, &c, date, exp, r, NULL);
    free(q);
    sgx_collateral_free(&c);
    return e;
}

static void test_revoked(void **s)
{
    uint32_t exp;
    sgx_ql_qv_result_t r;
    struct sgx_collateral_opts o = { .now = now, .revoke_pck = true };
    assert_int_equal(verify_opts(&o, now, &exp, &r), SGX_QL_PCK_REVOKED);
    assert_int_equal(r, SGX_QL_QV_RESULT_UNSPECIFIED);
    o = (struct sgx_collateral_opts){ .now = now, .revoke_pck_ca = true };
    assert_int_equal(verify_opts(&o, now, &exp, &r), SGX_QL_PCK_REVOKED);
    o = (struct sgx_collateral_opts){ .now = now, .tcb_status = "Revoked" };
    assert_int_equal(verify_opts(&o, now, &exp, &r), SGX_QL_TCB_REVOKED);
    assert_int_equal(r, SGX_QL_QV_RESULT_UNSPECIFIED);
    o = (struct sgx_collateral_opts){ .now = now, .qe_status = "Revoked" };
    assert_int_equal(verify_opts(&o, now, &exp, &r), SGX_QL_TCB_REVOKED);
}

static void test_expired(void **s)
{
    uint32_t exp = 9;
    sgx_ql_qv_result_t r;
    struct sgx_collateral_opts o = { .now = now };
    /* checked 40 days later: collateral (30 days) has expired; the
     * verification still succeeds and says so */
    assert_int_equal(verify_opts(&o, now + 40 * 86400, &exp, &r), SGX_QL_SUCCESS);
    assert_int_equal(r, SGX_QL_QV_RESULT_OK);
    assert_int_equal(exp, 1);
    assert_int_equal(verify_opts(&o, now + 86400, &exp, &r), SGX_QL_SUCCESS);
    assert_int_equal(exp, 0);
}

static void test_tcb_statuses(void **s)
{
    static const struct {
        const char *st;
        quote3_error_t err;
        sgx_ql_qv_result_t res;
    } t[] = {
        { "UpToDate", SGX_QL_SUCCESS, SGX_QL_QV_RESULT_OK },
        { "SWHardeningNeeded", SGX_QL_SUCCESS, SGX_QL_QV_RESULT_SW_HARDENING_NEEDED },
        { "ConfigurationNeeded", SGX_QL_SUCCESS, SGX_QL_QV_RESULT_CONFIG_NEEDED },
        { "ConfigurationAndSWHardeningNeeded", SGX_QL_SUCCESS,
          SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED },
        { "OutOfDate", SGX_QL_SUCCESS, SGX_QL_QV_RESULT_OUT_OF_DATE },
        { "OutOfDateConfigurationNeeded", SGX_QL_SUCCESS,
          SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED },
        { "Revoked", SGX_QL_TCB_REVOKED, SGX_QL_QV_RESULT_UNSPECIFIED },
        { "NoSuchStatus", SGX_QL_ERROR_UNEXPECTED, SGX_QL_QV_RESULT_UNSPECIFIED },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint32_t exp;
        sgx_ql_qv_result_t r;
        struct sgx_collateral_opts o = { .now = now, .tcb_status = t[i].st };
        assert_int_equal(verify_opts(&o, now, &exp, &r), t[i].err);
        assert_int_equal(r, t[i].res);
    }
    /* QE out of date converges: UpToDate platform -> OUT_OF_DATE */
    uint32_t exp;
    sgx_ql_qv_result_t r;
    struct sgx_collateral_opts o = { .now = now, .qe_status = "OutOfDate" };
    assert_int_equal(verify_opts(&o, now, &exp, &r), SGX_QL_SUCCESS);
    assert_int_equal(r, SGX_QL_QV_RESULT_OUT_OF_DATE);
    o = (struct sgx_collateral_opts){ .now = now, .qe_status = "OutOfDate",
                                      .tcb_status = "ConfigurationNeeded" };
    assert_int_equal(verify_opts(&o, now, &exp, &r), SGX_QL_SUCCESS);
    assert_int_equal(r, SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED);
    o = (struct sgx_collateral_opts){ .now = now, .no_matching_tcb = true };
    assert_int_equal(verify_opts(&o, now, &exp, &r), SGX_QL_TCB_NOT_SUPPORTED);
    assert_int_equal(r, SGX_QL_QV_RESULT_UNSPECIFIED);
}

static void test_collateral_tamper(void **s)
{
    uint32_t size, exp;
    sgx_ql_qv_result_t r;
    uint8_t *q = make_quote(&size, "coll");
    struct sgx_collateral c;
    struct sgx_collateral_opts o = { .now = now };
    assert_int_equal(sgx_collateral_make(plat, &o, &c), 0);
    /* TCB info content changed after signing */
    char *p = strstr(c.tcb_info, "\"tcbEvaluationDataNumber\":17");
    assert_non_null(p);
    p[strlen("\"tcbEvaluationDataNumber\":1")] = '8';
    assert_int_equal(verify_with(q, size, &c, now, &exp, &r, NULL), SGX_QL_TCBINFO_CHAIN_ERROR);
    p[strlen("\"tcbEvaluationDataNumber\":1")] = '7';
    /* QE identity */
    p = strstr(c.qe_identity, "\"isvprodid\":1");
    p[strlen("\"isvprodid\":")] = '2';
    assert_int_equal(verify_with(q, size, &c, now, &exp, &r, NULL), SGX_QL_QEIDENTITY_CHAIN_ERROR);
    p[strlen("\"isvprodid\":")] = '1';
    /* CRL signature */
    c.pck_crl[c.pck_crl_len - 3] ^= 1;
    assert_int_equal(verify_with(q, size, &c, now, &exp, &r, NULL), SGX_QL_RESULT_INVALID_SIGNATURE);
    c.pck_crl[c.pck_crl_len - 3] ^= 1;
    /* not JSON */
    char saved = c.tcb_info[0];
    c.tcb_info[0] = 'x';
    assert_int_equal(verify_with(q, size, &c, now, &exp, &r, NULL), SGX_QL_TCBINFO_UNSUPPORTED_FORMAT);
    c.tcb_info[0] = saved;
    assert_int_equal(verify_with(q, size, &c, now, &exp, &r, NULL), SGX_QL_SUCCESS);
    sgx_collateral_free(&c);
    free(q);
}

static void test_malformed_never_crash(void **s)
{
    uint32_t size, exp;
    sgx_ql_qv_result_t r;
    uint8_t *q = make_quote(&size, "fuzz");
    /* truncations at every length below the full size */
    for (uint32_t n = 0; n < size; n += (n < 1100 ? 1 : 37)) {
        uint8_t *t = malloc(n ? n : 1);
        memcpy(t, q, n);
        quote3_error_t e = sgx_verify_quote(n ? t : NULL, n, &coll, root_pub, now, &exp, &r, 0,
                                            NULL, NULL);
        assert_int_not_equal(e, SGX_QL_SUCCESS);
        assert_int_equal(r, SGX_QL_QV_RESULT_UNSPECIFIED);
        free(t);
    }
    /* oversized: trailing bytes after the signature data are ignored */
    uint8_t *big = calloc(1, size + 4096);
    memcpy(big, q, size);
    assert_int_equal(sgx_verify_quote(big, size + 4096, &coll, root_pub, now, &exp, &r, 0, NULL,
                                      NULL), SGX_QL_SUCCESS);
    /* huge declared lengths */
    uint32_t bad = 0xFFFFFFF0u;
    memcpy(big + 432, &bad, 4);
    assert_int_equal(sgx_verify_quote(big, size + 4096, &coll, root_pub, now, &exp, &r, 0, NULL,
                                      NULL), SGX_QL_QUOTE_FORMAT_UNSUPPORTED);
    memcpy(big, q, size);
    memcpy(big + 1048, &bad, 4);
    assert_int_equal(sgx_verify_quote(big, size + 4096, &coll, root_pub, now, &exp, &r, 0, NULL,
                                      NULL), SGX_QL_QUOTE_FORMAT_UNSUPPORTED);
    memcpy(big, q, size);
    uint16_t bad16 = 0xFFFF;
    memcpy(big + 1012, &bad16, 2);
    assert_int_equal(sgx_verify_quote(big, size + 4096, &coll, root_pub, now, &exp, &r, 0, NULL,
                                      NULL), SGX_QL_QUOTE_FORMAT_UNSUPPORTED);
    /* random byte mutations (a small deterministic fuzz run) */
    srand(12345);
    for (int i = 0; i < 400; i++) {
        memcpy(big, q, size);
        int flips = 1 + rand() % 8;
        for (int k = 0; k < flips; k++)
            big[(uint32_t)rand() % size] = (uint8_t)rand();
        sgx_verify_quote(big, size, &coll, root_pub, now, &exp, &r, 0, NULL, NULL);
    }
    /* bad parameters */
    assert_int_equal(sgx_verify_quote(q, size, &coll, root_pub, 0, &exp, &r, 0, NULL, NULL),
                     SGX_QL_ERROR_INVALID_PARAMETER);
    uint8_t supp[SGX_SUPPLEMENTAL_SIZE];
    assert_int_equal(sgx_verify_quote(q, size, &coll, root_pub, now, &exp, &r, 100, supp, NULL),
                     SGX_QL_ERROR_INVALID_PARAMETER);
    assert_int_equal(sgx_verify_quote(q, size, NULL, root_pub, now, &exp, &r, 0, NULL, NULL),
                     SGX_QL_ERROR_INVALID_PARAMETER);
    free(big);
    free(q);
}

static void test_reports_and_keys(void **s)
{
    sgx_report_t rep;
    sgx_report_data_t rd = { { 1, 2, 3 } };
    assert_int_equal(sgx_create_report(plat, NULL, &rd, &rep), 0);
    assert_int_equal(sgx_verify_report(plat, &rep), 0);
    assert_memory_equal(rep.body.report_data.d, rd.d, 64);
    rep.body.isv_svn ^= 1;
    assert_int_equal(sgx_verify_report(plat, &rep), -EINVAL);
    /* targeted elsewhere: does not verify here */
    sgx_target_info_t ti;
    sgx_self_target(plat, &ti);
    ti.mr_enclave[0] ^= 1;
    assert_int_equal(sgx_create_report(plat, &ti, &rd, &rep), 0);
    assert_int_equal(sgx_verify_report(plat, &rep), -EINVAL);
    /* seal keys: stable, policy-dependent */
    sgx_key_request_t kr;
    memset(&kr, 0, sizeof kr);
    kr.key_name = SGX_KEYSELECT_SEAL;
    kr.key_policy = SGX_KEYPOLICY_MRENCLAVE;
    uint8_t k1[16], k2[16], k3[16];
    assert_int_equal(sgx_get_key(plat, &kr, k1), 0);
    assert_int_equal(sgx_get_key(plat, &kr, k2), 0);
    assert_memory_equal(k1, k2, 16);
    kr.key_policy = SGX_KEYPOLICY_MRSIGNER;
    assert_int_equal(sgx_get_key(plat, &kr, k3), 0);
    assert_memory_not_equal(k1, k3, 16);
    kr.key_name = SGX_KEYSELECT_PROVISION;
    assert_int_equal(sgx_get_key(plat, &kr, k3), -EINVAL);
    kr.key_name = SGX_KEYSELECT_SEAL;
    kr.isv_svn = 99;
    assert_int_equal(sgx_get_key(plat, &kr, k3), -EINVAL);
}

static void test_persisted_platform(void **s)
{
    char dir[] = "/tmp/sgx_test_XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct sgx_platform *a, *b;
    assert_int_equal(sgx_platform_open(dir, &a), 0);
    assert_int_equal(sgx_platform_open(dir, &b), 0);
    assert_string_equal(sgx_platform_root_pem(a), sgx_platform_root_pem(b));
    /* a quote from one open verifies with the collateral of the other */
    sgx_report_data_t rd = { { 0 } };
    uint32_t size = sgx_quote_size(a), exp;
    uint8_t *q = malloc(size), pub[65];
    assert_int_equal(sgx_quote_generate(a, &rd, q, size), (int)size);
    struct sgx_collateral c;
    struct sgx_collateral_opts o = { .now = now };
    assert_int_equal(sgx_collateral_make(b, &o, &c), 0);
    sgx_platform_root_pub(b, pub);
    sgx_ql_qv_result_t r;
    assert_int_equal(sgx_verify_quote(q, size, &c, pub, now, &exp, &r, 0, NULL, NULL),
                     SGX_QL_SUCCESS);
    sgx_collateral_free(&c);
    free(q);
    sgx_platform_close(a);
    sgx_platform_close(b);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_generate_verify_ok),
        cmocka_unit_test(test_flip_signed_region),
        cmocka_unit_test(test_flip_qe_report_and_key),
        cmocka_unit_test(test_flip_cert_chain),
        cmocka_unit_test(test_wrong_root),
        cmocka_unit_test(test_revoked),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_tcb_statuses),
        cmocka_unit_test(test_collateral_tamper),
        cmocka_unit_test(test_malformed_never_crash),
        cmocka_unit_test(test_reports_and_keys),
        cmocka_unit_test(test_persisted_platform),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
