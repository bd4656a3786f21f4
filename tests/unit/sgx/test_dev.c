/* /dev/sgx ioctls (src/sgx/sgx_dev.c) driven directly: the ABI values, the
 * errnos, and ONESPACE_DISABLE_DCAP (this file is also built in a build
 * with the option on, where the DCAP commands must give ENOTTY). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sgx/sgx.h"
#include "sgx/sgx_dev.h"

static void test_abi_values(void **s)
{
    /* the reference table (dcap.md 4.1) and the layouts (1.x, 3.7, 4.2) */
    assert_int_equal(SGXIOC_SELF_TARGET, 0x82007303u);
    assert_int_equal(SGXIOC_VER_DCAP_QUOTE, 0xc030730au);
    assert_int_equal(sizeof(sgx_quote3_t), 436);
    assert_int_equal(offsetof(sgx_quote3_t, report_body) +
                         offsetof(sgx_report_body_t, report_data), 368);
    assert_int_equal(sizeof(sgx_ql_qv_supplemental_t), 536);
    assert_int_equal(offsetof(sgx_ql_qv_supplemental_t, qe_iden_status), 532);
    assert_int_equal(sizeof(sgxioc_ver_dcap_quote_arg_t), 48);
    assert_int_equal(_IOC_SIZE(SGXIOC_VERIFY_REPORT), sizeof(sgx_report_t));
}

static void test_unknown_and_epid(void **s)
{
    int v;
    assert_int_equal(sgx_dev_ioctl(_IOR('s', 42, int), &v), -ENOTTY);
    assert_int_equal(sgx_dev_ioctl(_IOR('x', 0, int), &v), -ENOTTY);
    uint8_t gid[4];
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_EPID_GROUP_ID, gid), -EOPNOTSUPP);
    v = -1;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_IS_EDMM_SUPPORTED, &v), 0);
    assert_int_equal(v, 0);
}

static void test_dcap(void **s)
{
    int dcap = -1;
    uint32_t n = 0;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_DETECT_DCAP_DRIVER, &dcap), 0);
    if (!sgx_dev_dcap_compiled()) {
        assert_int_equal(dcap, 0);
        assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_DCAP_QUOTE_SIZE, &n), -ENOTTY);
        assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_DCAP_SUPPLEMENTAL_SIZE, &n), -ENOTTY);
        sgxioc_gen_dcap_quote_arg_t g = { 0 };
        assert_int_equal(sgx_dev_ioctl(SGXIOC_GEN_DCAP_QUOTE, &g), -ENOTTY);
        sgxioc_ver_dcap_quote_arg_t v = { 0 };
        assert_int_equal(sgx_dev_ioctl(SGXIOC_VER_DCAP_QUOTE, &v), -ENOTTY);
        return;
    }
    assert_int_equal(dcap, 1);
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_DCAP_QUOTE_SIZE, &n), 0);
    uint8_t *q = malloc(n);
    sgx_report_data_t rd = { { 7 } };
    uint32_t len = n - 1;
    sgxioc_gen_dcap_quote_arg_t g = { &rd, &len, q };
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GEN_DCAP_QUOTE, &g), -EINVAL);
    assert_int_equal(len, n);
    g.report_data = NULL;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GEN_DCAP_QUOTE, &g), -EFAULT);
    g.report_data = &rd;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GEN_DCAP_QUOTE, &g), 0);
    assert_int_equal(q[368], 7);
    uint32_t ss = 0, exp = 5;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_DCAP_SUPPLEMENTAL_SIZE, &ss), 0);
    assert_int_equal(ss, 536);
    uint8_t supp[536];
    sgx_ql_qv_result_t r = 0x55;
    sgxioc_ver_dcap_quote_arg_t v = { q, n, &exp, &r, 0, NULL };
    assert_int_equal(sgx_dev_ioctl(SGXIOC_VER_DCAP_QUOTE, &v), 0);
    assert_int_equal(r, SGX_QL_QV_RESULT_OK);
    assert_int_equal(exp, 0);
    v.supplemental_data = supp;
    v.supplemental_data_size = 535;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_VER_DCAP_QUOTE, &v), -EINVAL);
    v.supplemental_data_size = 536;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_VER_DCAP_QUOTE, &v), 0);
    v.quote_verification_result = NULL;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_VER_DCAP_QUOTE, &v), -EFAULT);
    v.quote_verification_result = &r;
    q[200] ^= 1;
    r = 0x55;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_VER_DCAP_QUOTE, &v), -EINVAL);
    assert_int_equal(r, 0x55); /* untouched, as Occlum */
    v.quote_size = 10;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_VER_DCAP_QUOTE, &v), -EINVAL);
    free(q);
    /* provider off (feature.dcap "off"): the DCAP ioctls are gone as in the
     * ONESPACE_DISABLE_DCAP build; reports still work */
    struct sgx_dev_config c = { .provider = SGX_PROVIDER_OFF };
    assert_int_equal(sgx_dev_configure(&c), 0);
    assert_int_equal(sgx_dev_ioctl(SGXIOC_DETECT_DCAP_DRIVER, &dcap), 0);
    assert_int_equal(dcap, 0);
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_DCAP_QUOTE_SIZE, &n), -ENOTTY);
    sgx_target_info_t self_ti;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_SELF_TARGET, &self_ti), 0);
    sgx_dev_shutdown();
}

static void test_reports(void **s)
{
    struct sgx_dev_config c = { .provider = SGX_PROVIDER_SIM, .mr_enclave = { 0xAB } };
    assert_int_equal(sgx_dev_configure(&c), 0);
    sgx_target_info_t ti;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_SELF_TARGET, &ti), 0);
    assert_int_equal(ti.mr_enclave[0], 0xAB);
    sgx_report_t rep;
    sgxioc_create_report_arg_t a = { NULL, NULL, &rep };
    assert_int_equal(sgx_dev_ioctl(SGXIOC_CREATE_REPORT, &a), 0);
    assert_int_equal(rep.body.mr_enclave[0], 0xAB);
    assert_int_equal(sgx_dev_ioctl(SGXIOC_VERIFY_REPORT, &rep), 0);
    rep.mac[0] ^= 1;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_VERIFY_REPORT, &rep), -EINVAL);
    a.report = NULL;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_CREATE_REPORT, &a), -EINVAL);
    sgx_key_request_t kr;
    memset(&kr, 0, sizeof kr);
    kr.key_name = SGX_KEYSELECT_SEAL;
    uint8_t key[16];
    sgxioc_get_key_arg_t k = { &kr, (sgx_key_128bit_t *)key };
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_KEY, &k), 0);
    k.key = NULL;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_KEY, &k), -EINVAL);
    sgx_dev_shutdown();
}

static void test_intel_provider(void **s)
{
    char msg[512] = "";
    int r = sgx_intel_probe(msg, sizeof msg);
    assert_true(r == 0 || r == -ENOENT || r == -ENOSYS);
    assert_true(strlen(msg) > 0);
    if (r == -ENOENT)
        assert_non_null(strstr(msg, "not present"));
    /* asked for Intel only: no provider here */
    struct sgx_dev_config c = { .provider = SGX_PROVIDER_INTEL };
    assert_int_equal(sgx_dev_configure(&c), 0);
    int dcap = -1;
    uint32_t n;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_DETECT_DCAP_DRIVER, &dcap), 0);
    assert_int_equal(dcap, 0);
    if (sgx_dev_dcap_compiled())
        assert_int_equal(sgx_dev_ioctl(SGXIOC_GET_DCAP_QUOTE_SIZE, &n), -EIO);
    sgx_target_info_t ti;
    assert_int_equal(sgx_dev_ioctl(SGXIOC_SELF_TARGET, &ti), -EIO);
    /* auto: the simulated one when Intel's is not usable */
    c.provider = SGX_PROVIDER_AUTO;
    assert_int_equal(sgx_dev_configure(&c), 0);
    assert_int_equal(sgx_dev_ioctl(SGXIOC_DETECT_DCAP_DRIVER, &dcap), 0);
    assert_int_equal(dcap, sgx_dev_dcap_compiled());
    sgx_dev_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abi_values),
        cmocka_unit_test(test_unknown_and_epid),
        cmocka_unit_test(test_dcap),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_intel_provider),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
