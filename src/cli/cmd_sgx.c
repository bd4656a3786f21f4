/* `onespace sgx ...` and `onespace quote verify`: the relying party's side
 * of /dev/sgx (docs/sgx.md).
 *
 *   onespace sgx export-root [-C DIR] FILE     the simulated root CA (PEM)
 *   onespace sgx mrenclave IMAGE GUEST_PATH    the measurement a run reports
 *   onespace quote verify [-C DIR] [--root-cert PEM] QUOTE_FILE
 *
 * DIR is the instance folder holding sgx_platform.pem (default "."). */
#include "cli/cli_sgx.h"

#include <errno.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/host_instance_fs.h"
#include "host/host_misc.h"
#include "sgx/sgx.h"
#include "sgx/sgx_crypto.h"


/* Now, for collateral dates and the expiration check (host layer clock). */
static int64_t wall_clock_now(void)
{
    struct timespec ts = { 0 };
    host_clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static const char usage[] =
    "usage: onespace sgx export-root [-C DIR] FILE\n"
    "       onespace sgx mrenclave IMAGE GUEST_PATH\n"
    "       onespace quote verify [-C DIR] [--root-cert PEM] QUOTE_FILE\n";

static void hex(FILE *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02x", b[i]);
    fputc('\n', out);
}

static int export_root(const char *dir, const char *file, FILE *out, FILE *errf)
{
    struct sgx_platform *p;
    int r = sgx_platform_open(dir, &p);
    if (r) {
        fprintf(errf, "onespace: sgx: %s: %s\n", dir, strerror(-r));
        return CLI_EXIT_FAILURE;
    }
    const char *pem = sgx_platform_root_pem(p);
    if (!strcmp(file, "-"))
        fputs(pem, out);
    else if ((r = host_instance_create_file(file, pem, strlen(pem))) < 0)
        fprintf(errf, "onespace: sgx export-root: %s: %s\n", file, strerror(-r));
    sgx_platform_close(p);
    return r < 0 ? CLI_EXIT_FAILURE : 0;
}

static int mrenclave(const char *image, const char *guest, FILE *out, FILE *errf)
{
    char path[4096];
    char *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", image, guest);
    int r = host_instance_read_file(path, 256u << 20, &data, &len);
    if (r < 0) {
        fprintf(errf, "onespace: sgx mrenclave: %s: %s\n", path, strerror(-r));
        return CLI_EXIT_FAILURE;
    }
    uint8_t m[32];
    sgx_measure(data, len, guest, strlen(guest), m);
    free(data);
    hex(out, m, 32);
    return 0;
}

static int verify(const char *dir, const char *root_cert, const char *file, FILE *out,
                  FILE *errf)
{
    char *q = NULL, *pem = NULL;
    size_t qlen = 0, plen = 0;
    int r = host_instance_read_file(file, 1u << 20, &q, &qlen);
    if (r < 0) {
        fprintf(errf, "onespace: quote verify: %s: %s\n", file, strerror(-r));
        return CLI_EXIT_FAILURE;
    }
    struct sgx_platform *p = NULL;
    r = sgx_platform_open(dir, &p);
    if (r) {
        fprintf(errf, "onespace: quote verify: no simulated platform in %s: %s\n", dir,
                strerror(-r));
        free(q);
        return CLI_EXIT_FAILURE;
    }
    uint8_t pub[65];
    sgx_platform_root_pub(p, pub);
    if (root_cert) {
        /* pin the key of the root the relying party exported earlier */
        X509 *x = NULL;
        if (host_instance_read_file(root_cert, 1u << 16, &pem, &plen) == 0)
            x = sgxc_cert_from_pem(pem, plen);
        if (!x || sgxc_cert_pub65(x, pub)) {
            fprintf(errf, "onespace: quote verify: %s: not a PEM certificate\n", root_cert);
            X509_free(x);
            free(pem);
            free(q);
            sgx_platform_close(p);
            return CLI_EXIT_FAILURE;
        }
        X509_free(x);
        free(pem);
    }
    int64_t now = wall_clock_now();
    struct sgx_collateral c;
    struct sgx_collateral_opts o = { .now = now };
    r = sgx_collateral_make(p, &o, &c);
    int status = CLI_EXIT_FAILURE;
    if (r == 0) {
        uint32_t exp = 1;
        sgx_ql_qv_result_t res;
        const char *why = NULL;
        quote3_error_t e = sgx_verify_quote((const uint8_t *)q, (uint32_t)qlen, &c, pub, now,
                                            &exp, &res, 0, NULL, &why);
        fprintf(out, "quote3_error 0x%04x, result 0x%04x, collateral expired %u (%s)\n", e, res,
                exp, why ? why : "-");
        if (e == SGX_QL_SUCCESS && qlen >= SGX_QUOTE_MIN_SIZE) {
            const sgx_quote3_t *h = (const sgx_quote3_t *)q;
            fprintf(out, "mr_enclave  ");
            hex(out, h->report_body.mr_enclave, 32);
            fprintf(out, "mr_signer   ");
            hex(out, h->report_body.mr_signer, 32);
            fprintf(out, "report_data ");
            hex(out, h->report_body.report_data.d, 64);
            status = 0;
        }
        sgx_collateral_free(&c);
    }
    sgx_platform_close(p);
    free(q);
    return status;
}

int cli_sgx_main(int argc, char **argv, FILE *out, FILE *errf)
{
    const char *dir = ".", *root_cert = NULL;
    int i = 2;
    bool is_quote = !strcmp(argv[1], "quote");
    if (argc < 3)
        goto bad;
    const char *sub = argv[i++];
    while (i < argc && argv[i][0] == '-' && argv[i][1]) {
        if (!strcmp(argv[i], "-C") && i + 1 < argc)
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--root-cert") && i + 1 < argc && is_quote)
            root_cert = argv[i + 1];
        else
            goto bad;
        i += 2;
    }
    if (!is_quote && !strcmp(sub, "export-root") && argc - i == 1)
        return export_root(dir, argv[i], out, errf);
    if (!is_quote && !strcmp(sub, "mrenclave") && argc - i == 2)
        return mrenclave(argv[i], argv[i + 1], out, errf);
    if (is_quote && !strcmp(sub, "verify") && argc - i == 1)
        return verify(dir, root_cert, argv[i], out, errf);
bad:
    fputs(usage, errf);
    return CLI_EXIT_USAGE;
}
