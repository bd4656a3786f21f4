/* /dev/sgx ioctls (Occlum's ABI, include/onespace/sgx.h) with real errnos:
 * EFAULT bad pointers, EINVAL too-small buffers and failed checks, EIO no
 * provider, ENOTTY unknown commands, EOPNOTSUPP for the retired EPID ones. */
#include "sgx/sgx_dev.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "host/host_misc.h"
#include "sgx/sgx.h"
#include "util/log.h"


/* Now, for collateral dates and the expiration check (host layer clock). */
static int64_t wall_clock_now(void)
{
    struct timespec ts = { 0 };
    host_clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sgx_platform *plat;
static struct sgx_dev_config cfg = { .provider = SGX_PROVIDER_AUTO };
static int configured;
static sgx_guest_check_fn guest_check;

#define MAX_QUOTE_SIZE (1u << 20)

void sgx_dev_set_guest_check(sgx_guest_check_fn fn) { guest_check = fn; }

int sgx_dev_dcap_compiled(void)
{
#ifdef ONESPACE_DISABLE_DCAP
    return 0;
#else
    return 1;
#endif
}

int sgx_dev_configure(const struct sgx_dev_config *c)
{
    pthread_mutex_lock(&lock);
    sgx_platform_close(plat);
    plat = NULL;
    cfg = *c;
    cfg.dir = NULL; /* only used now */
    configured = 1;
    int r = 0;
    if (c->provider == SGX_PROVIDER_INTEL || c->provider == SGX_PROVIDER_AUTO) {
        char msg[512];
        int found = sgx_intel_probe(msg, sizeof msg);
        log_info("sgx", "intel provider: %s", msg);
        if (c->provider == SGX_PROVIDER_INTEL) {
            /* Intel only, and it is not there (or not implemented yet):
             * no provider, so EIO and DETECT_DCAP_DRIVER 0 */
            (void)found;
            log_warn("sgx", "/dev/sgx: no DCAP provider: %s", msg);
            pthread_mutex_unlock(&lock);
            return 0;
        }
    }
    /* "off" keeps the simulated reports and keys (they are about this
     * instance, not DCAP) and removes only the DCAP ioctls, like the
     * ONESPACE_DISABLE_DCAP build. */
    if (c->provider != SGX_PROVIDER_INTEL) {
        r = sgx_platform_open(c->dir, &plat);
        if (!r) {
            struct sgx_identity id;
            memset(&id, 0, sizeof id);
            id.attr_flags = SGX_FLAGS_INITTED | SGX_FLAGS_MODE64BIT;
            id.attr_xfrm = 0x3;
            memcpy(id.mr_enclave, c->mr_enclave, 32);
            /* mr_signer stays the platform's instance signing identity */
            sgx_report_t rep;
            if (sgx_create_report(plat, NULL, NULL, &rep) == 0)
                memcpy(id.mr_signer, rep.body.mr_signer, 32);
            id.isv_prod_id = c->isv_prod_id;
            id.isv_svn = c->isv_svn;
            sgx_platform_set_identity(plat, &id);
        }
    }
    pthread_mutex_unlock(&lock);
    return r;
}

void sgx_dev_shutdown(void)
{
    pthread_mutex_lock(&lock);
    sgx_platform_close(plat);
    plat = NULL;
    configured = 0;
    pthread_mutex_unlock(&lock);
}

/* The platform, opened on first use when nobody configured one. Called
 * with the lock held. */
static struct sgx_platform *platform(void)
{
    if (!plat && !configured) {
        configured = 1;
        if (sgx_platform_open(NULL, &plat))
            plat = NULL;
    }
    return plat;
}

static int check(const void *p, size_t len, int prot)
{
    if (!p)
        return -EFAULT;
    if (!guest_check)
        return 0; /* unit tests drive the device with host memory */
    return guest_check((uintptr_t)p, len, prot);
}

static int create_report(struct sgx_platform *pl, sgxioc_create_report_arg_t *a)
{
    if (!a->report)
        return -EINVAL;
    int err;
    if ((a->target_info && (err = check(a->target_info, sizeof *a->target_info, PROT_READ))) ||
        (a->report_data && (err = check(a->report_data, sizeof *a->report_data, PROT_READ))) ||
        (err = check(a->report, sizeof *a->report, PROT_WRITE)))
        return err;
    sgx_target_info_t ti;
    sgx_report_data_t rd;
    if (a->target_info)
        memcpy(&ti, a->target_info, sizeof ti);
    if (a->report_data)
        memcpy(&rd, a->report_data, sizeof rd);
    sgx_report_t rep;
    err = sgx_create_report(pl, a->target_info ? &ti : NULL, a->report_data ? &rd : NULL, &rep);
    if (!err)
        memcpy(a->report, &rep, sizeof rep);
    return err;
}

static int get_key(struct sgx_platform *pl, sgxioc_get_key_arg_t *a)
{
    int err;
    if (!a->key_request || !a->key)
        return -EINVAL;
    if ((err = check(a->key_request, sizeof *a->key_request, PROT_READ)) ||
        (err = check(a->key, sizeof *a->key, PROT_WRITE)))
        return err;
    sgx_key_request_t req;
    memcpy(&req, a->key_request, sizeof req);
    uint8_t key[16];
    err = sgx_get_key(pl, &req, key);
    if (!err)
        memcpy(a->key, key, 16);
    memset(key, 0, sizeof key);
    return err;
}

#ifndef ONESPACE_DISABLE_DCAP
static int gen_quote(struct sgx_platform *pl, sgxioc_gen_dcap_quote_arg_t *a)
{
    int err;
    uint32_t cap, size = sgx_quote_size(pl);
    if ((err = check(a->report_data, sizeof *a->report_data, PROT_READ)) ||
        (err = check(a->quote_len, sizeof *a->quote_len, PROT_READ | PROT_WRITE)))
        return err;
    memcpy(&cap, a->quote_len, sizeof cap);
    if (cap < size) {
        memcpy(a->quote_len, &size, sizeof size); /* tell the caller what it takes */
        return -EINVAL;
    }
    if ((err = check(a->quote_buf, size, PROT_WRITE)))
        return err;
    sgx_report_data_t rd;
    memcpy(&rd, a->report_data, sizeof rd);
    uint8_t *q = malloc(size);
    if (!q)
        return -ENOMEM;
    err = sgx_quote_generate(pl, &rd, q, size);
    if (err >= 0) {
        memcpy(a->quote_buf, q, size);
        memcpy(a->quote_len, &size, sizeof size);
        err = 0;
    }
    free(q);
    return err;
}

static int ver_quote(struct sgx_platform *pl, sgxioc_ver_dcap_quote_arg_t *a)
{
    int err;
    if ((err = check(a->quote_buf, a->quote_size, PROT_READ)) ||
        (err = check(a->collateral_expiration_status, 4, PROT_WRITE)) ||
        (err = check(a->quote_verification_result, 4, PROT_WRITE)))
        return err;
    if (a->supplemental_data) {
        if ((err = check(a->supplemental_data, a->supplemental_data_size, PROT_WRITE)))
            return err;
        if (a->supplemental_data_size < SGX_SUPPLEMENTAL_SIZE)
            return -EINVAL;
    }
    if (a->quote_size > MAX_QUOTE_SIZE)
        return -EINVAL;
    /* Copy: another guest thread may change the buffer while we check it. */
    uint8_t *q = malloc(a->quote_size ? a->quote_size : 1);
    if (!q)
        return -ENOMEM;
    memcpy(q, a->quote_buf, a->quote_size);
    int64_t now = wall_clock_now();
    struct sgx_collateral c;
    struct sgx_collateral_opts o = { .now = now };
    err = sgx_collateral_make(pl, &o, &c);
    if (err) {
        free(q);
        return -EIO;
    }
    uint8_t pub[65];
    sgx_platform_root_pub(pl, pub);
    uint32_t exp = 1;
    sgx_ql_qv_result_t res = SGX_QL_QV_RESULT_UNSPECIFIED;
    uint8_t supp[sizeof(sgx_ql_qv_supplemental_t)];
    const char *why = NULL;
    quote3_error_t e = sgx_verify_quote(q, a->quote_size, &c, pub, now, &exp, &res,
                                        a->supplemental_data ? sizeof supp : 0,
                                        a->supplemental_data ? supp : NULL, &why);
    sgx_collateral_free(&c);
    free(q);
    if (e == SGX_QL_ERROR_BUSY)
        return -EBUSY;
    if (e != SGX_QL_SUCCESS) {
        log_debug("sgx", "quote verification failed: 0x%x (%s)", e, why ? why : "?");
        return -EINVAL; /* as Occlum: outputs untouched */
    }
    memcpy(a->collateral_expiration_status, &exp, 4);
    memcpy(a->quote_verification_result, &res, 4);
    if (a->supplemental_data)
        memcpy(a->supplemental_data, supp, sizeof supp);
    return 0;
}
#endif

static int dcap_ioctl(struct sgx_platform *pl, unsigned long cmd, void *arg)
{
#ifdef ONESPACE_DISABLE_DCAP
    return -ENOTTY;
#else
    if (cfg.provider == SGX_PROVIDER_OFF)
        return -ENOTTY;     /* feature.dcap "off": as if compiled out */
    if (!pl)
        return -EIO; /* "DCAP device not ready" */
    switch (cmd) {
    case SGXIOC_GET_DCAP_QUOTE_SIZE: {
        uint32_t n = sgx_quote_size(pl);
        memcpy(arg, &n, 4);
        return 0;
    }
    case SGXIOC_GEN_DCAP_QUOTE:
        return gen_quote(pl, arg);
    case SGXIOC_GET_DCAP_SUPPLEMENTAL_SIZE: {
        uint32_t n = SGX_SUPPLEMENTAL_SIZE;
        memcpy(arg, &n, 4);
        return 0;
    }
    case SGXIOC_VER_DCAP_QUOTE:
        return ver_quote(pl, arg);
    }
    return -ENOTTY;
#endif
}

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;
static void (*lazy_fn)(void *);
static void *lazy_arg;

void sgx_dev_set_lazy_configure(void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&lazy_lock);
    lazy_fn = fn;
    lazy_arg = arg;
    pthread_mutex_unlock(&lazy_lock);
}

/* Concurrent first ioctls wait here until the configuration is done. */
static void run_lazy_configure(void)
{
    pthread_mutex_lock(&lazy_lock);
    void (*fn)(void *) = lazy_fn;
    lazy_fn = NULL;
    if (fn)
        fn(lazy_arg);
    pthread_mutex_unlock(&lazy_lock);
}

int sgx_dev_ioctl(unsigned long cmd, void *arg)
{
    run_lazy_configure();
    if (!arg)
        return -EFAULT;
    int r;
    pthread_mutex_lock(&lock);
    struct sgx_platform *pl = platform();
    switch (cmd) {
    case SGXIOC_IS_EDMM_SUPPORTED: {
        int v = 0;
        memcpy(arg, &v, sizeof v);
        r = 0;
        break;
    }
    case SGXIOC_GET_EPID_GROUP_ID:
    case SGXIOC_GEN_EPID_QUOTE:
        r = -EOPNOTSUPP; /* EPID attestation is retired; use DCAP */
        break;
    case SGXIOC_DETECT_DCAP_DRIVER: {
        int v = sgx_dev_dcap_compiled() && pl && cfg.provider != SGX_PROVIDER_OFF ? 1 : 0;
        memcpy(arg, &v, sizeof v);
        r = 0;
        break;
    }
    case SGXIOC_SELF_TARGET:
        if (!pl) {
            r = -EIO;
            break;
        }
        sgx_self_target(pl, arg);
        r = 0;
        break;
    case SGXIOC_CREATE_REPORT:
        r = pl ? create_report(pl, arg) : -EIO;
        break;
    case SGXIOC_VERIFY_REPORT:
        r = pl ? sgx_verify_report(pl, arg) : -EIO;
        break;
    case SGXIOC_GET_KEY:
        r = pl ? get_key(pl, arg) : -EIO;
        break;
    case SGXIOC_GET_DCAP_QUOTE_SIZE:
    case SGXIOC_GEN_DCAP_QUOTE:
    case SGXIOC_GET_DCAP_SUPPLEMENTAL_SIZE:
    case SGXIOC_VER_DCAP_QUOTE:
        r = dcap_ioctl(pl, cmd, arg);
        break;
    default:
        r = -ENOTTY;
    }
    pthread_mutex_unlock(&lock);
    return r;
}
