/* /dev/sgx DCAP quotes, in the style of Occlum's test/ioctl DCAP test:
 * detect, get the quote size, generate with report data, find the report
 * data at offset 368, get the supplemental size, verify; plus the report
 * ioctls and the errnos of bad arguments. Runs only inside onespace (the
 * host has no Occlum-style /dev/sgx): see docs/guest-tests.md. Skips (exit
 * 0, "dcap skip") when DETECT_DCAP_DRIVER says 0, e.g. in a build with
 * ONESPACE_DISABLE_DCAP. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_check.h"
#include "onespace/sgx.h"

static int nonterminal(sgx_ql_qv_result_t r)
{
    return r == SGX_QL_QV_RESULT_OK || r == SGX_QL_QV_RESULT_CONFIG_NEEDED ||
           r == SGX_QL_QV_RESULT_OUT_OF_DATE || r == SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED ||
           r == SGX_QL_QV_RESULT_SW_HARDENING_NEEDED ||
           r == SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED;
}

static void reports(int fd)
{
    sgx_target_info_t ti;
    CHECK(ioctl(fd, SGXIOC_SELF_TARGET, &ti) == 0, "SELF_TARGET");
    sgx_report_data_t rd = { { 'r', 'e', 'p', 'o', 'r', 't' } };
    sgx_report_t rep;
    sgxioc_create_report_arg_t ca = { &ti, &rd, &rep };
    CHECK(ioctl(fd, SGXIOC_CREATE_REPORT, &ca) == 0, "CREATE_REPORT");
    CHECK(!memcmp(rep.body.report_data.d, rd.d, 64), "report data");
    CHECK(!memcmp(rep.body.mr_enclave, ti.mr_enclave, 32), "mr_enclave");
    CHECK(ioctl(fd, SGXIOC_VERIFY_REPORT, &rep) == 0, "VERIFY_REPORT");
    rep.body.report_data.d[0] ^= 1;
    CHECK_ERR(ioctl(fd, SGXIOC_VERIFY_REPORT, &rep), EINVAL);
    ca = (sgxioc_create_report_arg_t){ NULL, NULL, &rep }; /* self, zeros */
    CHECK(ioctl(fd, SGXIOC_CREATE_REPORT, &ca) == 0, "CREATE_REPORT self");
    CHECK(ioctl(fd, SGXIOC_VERIFY_REPORT, &rep) == 0, "VERIFY_REPORT self");
    ca.report = NULL;
    CHECK_ERR(ioctl(fd, SGXIOC_CREATE_REPORT, &ca), EINVAL);
    ca.report = (sgx_report_t *)8;
    CHECK_ERR(ioctl(fd, SGXIOC_CREATE_REPORT, &ca), EFAULT);
    OUT("report ok");

    sgx_key_request_t kr;
    memset(&kr, 0, sizeof kr);
    kr.key_name = SGX_KEYSELECT_SEAL;
    kr.key_policy = SGX_KEYPOLICY_MRENCLAVE;
    sgx_key_128bit_t k1, k2;
    sgxioc_get_key_arg_t ka = { &kr, &k1 };
    CHECK(ioctl(fd, SGXIOC_GET_KEY, &ka) == 0, "GET_KEY");
    ka.key = &k2;
    CHECK(ioctl(fd, SGXIOC_GET_KEY, &ka) == 0, "GET_KEY again");
    CHECK(!memcmp(k1, k2, 16), "seal key is stable");
    OUT("key ok");
}

int main(void)
{
    int fd = open("/dev/sgx", O_RDONLY);
    CHECK(fd >= 0, "open /dev/sgx");
    int edmm = -1;
    CHECK(ioctl(fd, SGXIOC_IS_EDMM_SUPPORTED, &edmm) == 0 && edmm == 0, "EDMM");
    CHECK_ERR(ioctl(fd, _IOR('s', 99, int), &edmm), ENOTTY);
    uint8_t gid[4];
    CHECK_ERR(ioctl(fd, SGXIOC_GET_EPID_GROUP_ID, gid), EOPNOTSUPP);
    reports(fd);

    int dcap = -1;
    CHECK(ioctl(fd, SGXIOC_DETECT_DCAP_DRIVER, &dcap) == 0, "DETECT_DCAP_DRIVER");
    if (!dcap) {
        uint32_t n;
        CHECK_ERR(ioctl(fd, SGXIOC_GET_DCAP_QUOTE_SIZE, &n), ENOTTY);
        OUT("dcap skip: no DCAP driver");
        return 0;
    }
    uint32_t quote_size = 0;
    CHECK(ioctl(fd, SGXIOC_GET_DCAP_QUOTE_SIZE, &quote_size) == 0, "GET_DCAP_QUOTE_SIZE");
    CHECK(quote_size > 1020 && quote_size < 65536, "quote size %u", quote_size);
    uint8_t *quote = calloc(1, quote_size);
    CHECK(quote != NULL, "malloc");

    sgx_report_data_t rd = { { 0 } };
    const char *msg = "ioctl DCAP report data example";
    memcpy(rd.d, msg, strlen(msg));
    /* too small: EINVAL, and the real size comes back */
    uint32_t len = 100;
    sgxioc_gen_dcap_quote_arg_t ga = { &rd, &len, quote };
    CHECK_ERR(ioctl(fd, SGXIOC_GEN_DCAP_QUOTE, &ga), EINVAL);
    CHECK(len == quote_size, "quote_len written back: %u", len);
    /* bad pointers: EFAULT */
    ga.quote_buf = (uint8_t *)16;
    CHECK_ERR(ioctl(fd, SGXIOC_GEN_DCAP_QUOTE, &ga), EFAULT);
    ga.quote_buf = quote;
    ga.quote_len = NULL;
    CHECK_ERR(ioctl(fd, SGXIOC_GEN_DCAP_QUOTE, &ga), EFAULT);
    CHECK_ERR(ioctl(fd, SGXIOC_GEN_DCAP_QUOTE, (void *)32), EFAULT);

    len = quote_size + 100; /* larger is fine: the real size comes back */
    ga.quote_len = &len;
    CHECK(ioctl(fd, SGXIOC_GEN_DCAP_QUOTE, &ga) == 0, "GEN_DCAP_QUOTE");
    CHECK(len == quote_size, "quote_len %u", len);
    CHECK(!memcmp(quote + 368, rd.d, 64), "report data at offset 368");
    const sgx_quote3_t *q = (const sgx_quote3_t *)quote;
    CHECK(q->header.version == 3 && q->header.att_key_type == 2, "header");
    OUT("quote ok: version 3, ECDSA-P256, report data at 368");

    uint32_t supp_size = 0;
    CHECK(ioctl(fd, SGXIOC_GET_DCAP_SUPPLEMENTAL_SIZE, &supp_size) == 0, "SUPPLEMENTAL_SIZE");
    CHECK(supp_size == 536, "supplemental size %u", supp_size);
    uint8_t *supp = calloc(1, supp_size);
    uint32_t exp = 1;
    sgx_ql_qv_result_t result = SGX_QL_QV_RESULT_UNSPECIFIED;
    sgxioc_ver_dcap_quote_arg_t va = { quote, quote_size, &exp, &result, supp_size, supp };
    CHECK(ioctl(fd, SGXIOC_VER_DCAP_QUOTE, &va) == 0, "VER_DCAP_QUOTE");
    CHECK(nonterminal(result), "result 0x%x", result);
    CHECK(exp == 0, "collateral expiration status %u", exp);
    sgx_ql_qv_supplemental_t s;
    memcpy(&s, supp, sizeof s);
    CHECK(s.version == 3, "supplemental version %u", s.version);
    OUT("verify ok: result 0x%x", result);

    /* tampered: EINVAL, outputs untouched */
    quote[100] ^= 1;
    result = 0x77;
    CHECK_ERR(ioctl(fd, SGXIOC_VER_DCAP_QUOTE, &va), EINVAL);
    CHECK(result == 0x77, "result untouched");
    quote[100] ^= 1;
    va.supplemental_data_size = 100;
    CHECK_ERR(ioctl(fd, SGXIOC_VER_DCAP_QUOTE, &va), EINVAL);
    va.supplemental_data_size = supp_size;
    va.quote_verification_result = (sgx_ql_qv_result_t *)24;
    CHECK_ERR(ioctl(fd, SGXIOC_VER_DCAP_QUOTE, &va), EFAULT);
    OUT("errors ok");
    /* write the quote out for a relying party, if asked */
    const char *out = getenv("DCAP_QUOTE_OUT");
    if (out) {
        int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        CHECK(ofd >= 0 && write(ofd, quote, quote_size) == (ssize_t)quote_size, "write quote");
        close(ofd);
    }
    free(supp);
    free(quote);
    close(fd);
    OUT("dcap ok");
    return 0;
}
