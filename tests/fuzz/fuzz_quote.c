/* libFuzzer target: the DCAP quote verifier on arbitrary bytes, with the
 * collateral of a simulated platform (so inputs that keep the structure get
 * deep into the checks). Not part of ctest; run by hand (docs/sgx.md):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc -Iinclude \
 *     tests/fuzz/fuzz_quote.c src/sgx/sgx_[a-ce-z]*.c src/sgx/sgx_der.c \
 *     src/host/host_instance_fs.c src/host/host_fs.c src/host/host_misc.c \
 *     -lcrypto -ljson-c -o /tmp/fuzz_quote
 *   /tmp/fuzz_quote -max_total_time=120 -max_len=8192 CORPUS_DIR
 *
 * With FUZZ_SEED_OUT=file set, the first call writes a valid quote there
 * (a seed for the corpus). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sgx/sgx.h"

static struct sgx_platform *plat;
static struct sgx_collateral coll;
static uint8_t root[65];
static int64_t now;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!plat) {
        now = (int64_t)time(NULL);
        if (sgx_platform_open(NULL, &plat))
            abort();
        sgx_platform_root_pub(plat, root);
        struct sgx_collateral_opts o = { .now = now };
        if (sgx_collateral_make(plat, &o, &coll))
            abort();
        const char *seed = getenv("FUZZ_SEED_OUT");
        if (seed) {
            sgx_report_data_t rd = { { 0 } };
            uint32_t n = sgx_quote_size(plat);
            uint8_t *q = malloc(n);
            sgx_quote_generate(plat, &rd, q, n);
            FILE *f = fopen(seed, "wb");
            fwrite(q, 1, n, f);
            fclose(f);
            free(q);
        }
    }
    if (size > (1u << 20))
        return 0;
    uint32_t exp;
    sgx_ql_qv_result_t r;
    uint8_t supp[SGX_SUPPLEMENTAL_SIZE];
    quote3_error_t e = sgx_verify_quote(data, (uint32_t)size, &coll, root, now, &exp, &r,
                                        sizeof supp, supp, NULL);
    if (e != SGX_QL_SUCCESS && r != SGX_QL_QV_RESULT_UNSPECIFIED)
        abort(); /* Intel's rule: any error forces UNSPECIFIED */
    return 0;
}
