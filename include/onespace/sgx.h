/* /dev/sgx: Occlum's ioctl ABI (numbers and argument structs byte for byte,
 * so programs written for Occlum's /dev/sgx compile and run unchanged), the
 * SGX report/key structures, the ECDSA quote v3 layout and Intel's DCAP
 * result/error codes. Layouts and values: ../shared/reference/dcap.md (beside the repository).
 * Usable by guest programs (plain C11, no onespace internals). */
#ifndef ONESPACE_SGX_H
#define ONESPACE_SGX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define SGX_ASSERT_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t " size")
#define SGX_ASSERT_OFF(t, f, n) \
    _Static_assert(offsetof(t, f) == (n), #t "." #f " offset")

/* ---- SGX report, target info, key request (sgx_report.h, sgx_key.h) --- */

typedef struct { uint64_t flags, xfrm; } sgx_attributes_t;
SGX_ASSERT_SIZE(sgx_attributes_t, 16);

#define SGX_FLAGS_INITTED 0x1ull
#define SGX_FLAGS_DEBUG 0x2ull
#define SGX_FLAGS_MODE64BIT 0x4ull
#define SGX_FLAGS_PROVISION_KEY 0x10ull
#define SGX_FLAGS_EINITTOKEN_KEY 0x20ull
#define SGX_FLAGS_KSS 0x80ull

typedef struct { uint8_t d[64]; } sgx_report_data_t;
SGX_ASSERT_SIZE(sgx_report_data_t, 64);

#pragma pack(push, 1)
typedef struct {
    uint8_t cpu_svn[16];
    uint32_t misc_select;
    uint8_t reserved1[12];
    uint8_t isv_ext_prod_id[16];
    sgx_attributes_t attributes;
    uint8_t mr_enclave[32];
    uint8_t reserved2[32];
    uint8_t mr_signer[32];
    uint8_t reserved3[32];
    uint8_t config_id[64];
    uint16_t isv_prod_id;
    uint16_t isv_svn;
    uint16_t config_svn;
    uint8_t reserved4[42];
    uint8_t isv_family_id[16];
    sgx_report_data_t report_data;
} sgx_report_body_t;
#pragma pack(pop)
SGX_ASSERT_SIZE(sgx_report_body_t, 384);
SGX_ASSERT_OFF(sgx_report_body_t, misc_select, 16);
SGX_ASSERT_OFF(sgx_report_body_t, reserved1, 20);
SGX_ASSERT_OFF(sgx_report_body_t, isv_ext_prod_id, 32);
SGX_ASSERT_OFF(sgx_report_body_t, attributes, 48);
SGX_ASSERT_OFF(sgx_report_body_t, mr_enclave, 64);
SGX_ASSERT_OFF(sgx_report_body_t, reserved2, 96);
SGX_ASSERT_OFF(sgx_report_body_t, mr_signer, 128);
SGX_ASSERT_OFF(sgx_report_body_t, reserved3, 160);
SGX_ASSERT_OFF(sgx_report_body_t, config_id, 192);
SGX_ASSERT_OFF(sgx_report_body_t, isv_prod_id, 256);
SGX_ASSERT_OFF(sgx_report_body_t, isv_svn, 258);
SGX_ASSERT_OFF(sgx_report_body_t, config_svn, 260);
SGX_ASSERT_OFF(sgx_report_body_t, reserved4, 262);
SGX_ASSERT_OFF(sgx_report_body_t, isv_family_id, 304);
SGX_ASSERT_OFF(sgx_report_body_t, report_data, 320);

typedef struct {
    sgx_report_body_t body;
    uint8_t key_id[32];
    uint8_t mac[16];
} sgx_report_t;
SGX_ASSERT_SIZE(sgx_report_t, 432);
SGX_ASSERT_OFF(sgx_report_t, key_id, 384);
SGX_ASSERT_OFF(sgx_report_t, mac, 416);

typedef struct {
    uint8_t mr_enclave[32];
    sgx_attributes_t attributes;
    uint8_t reserved1[2];
    uint16_t config_svn;
    uint32_t misc_select;
    uint8_t reserved2[8];
    uint8_t config_id[64];
    uint8_t reserved3[384];
} sgx_target_info_t;
SGX_ASSERT_SIZE(sgx_target_info_t, 512);
SGX_ASSERT_OFF(sgx_target_info_t, attributes, 32);
SGX_ASSERT_OFF(sgx_target_info_t, reserved1, 48);
SGX_ASSERT_OFF(sgx_target_info_t, config_svn, 50);
SGX_ASSERT_OFF(sgx_target_info_t, misc_select, 52);
SGX_ASSERT_OFF(sgx_target_info_t, reserved2, 56);
SGX_ASSERT_OFF(sgx_target_info_t, config_id, 64);
SGX_ASSERT_OFF(sgx_target_info_t, reserved3, 128);

/* sgx_key.h */
#define SGX_KEYSELECT_EINITTOKEN 0x0000
#define SGX_KEYSELECT_PROVISION 0x0001
#define SGX_KEYSELECT_PROVISION_SEAL 0x0002
#define SGX_KEYSELECT_REPORT 0x0003
#define SGX_KEYSELECT_SEAL 0x0004
#define SGX_KEYPOLICY_MRENCLAVE 0x0001
#define SGX_KEYPOLICY_MRSIGNER 0x0002

typedef struct {
    uint16_t key_name;
    uint16_t key_policy;
    uint16_t isv_svn;
    uint16_t reserved1;
    uint8_t cpu_svn[16];
    sgx_attributes_t attribute_mask;
    uint8_t key_id[32];
    uint32_t misc_mask;
    uint16_t config_svn;
    uint8_t reserved2[434];
} sgx_key_request_t;
SGX_ASSERT_SIZE(sgx_key_request_t, 512);
SGX_ASSERT_OFF(sgx_key_request_t, cpu_svn, 8);
SGX_ASSERT_OFF(sgx_key_request_t, attribute_mask, 24);
SGX_ASSERT_OFF(sgx_key_request_t, key_id, 40);
SGX_ASSERT_OFF(sgx_key_request_t, misc_mask, 72);
SGX_ASSERT_OFF(sgx_key_request_t, config_svn, 76);
SGX_ASSERT_OFF(sgx_key_request_t, reserved2, 78);

typedef uint8_t sgx_key_128bit_t[16];

/* ---- ECDSA quote v3 (sgx_quote_3.h; packed) -------------------------- */

#pragma pack(push, 1)
typedef struct {
    uint16_t version;        /* 3 */
    uint16_t att_key_type;   /* 2 = ECDSA-P256 */
    uint32_t att_key_data_0; /* tee type: 0 = SGX */
    uint16_t qe_svn;
    uint16_t pce_svn;
    uint8_t vendor_id[16];
    uint8_t user_data[20];   /* QE_ID[16] || 0[4] */
} sgx_quote_header_t;

typedef struct {
    sgx_quote_header_t header;
    sgx_report_body_t report_body;
    uint32_t signature_data_len;
    uint8_t signature_data[];
} sgx_quote3_t;

typedef struct {
    uint8_t sig[64];            /* attestation key over quote bytes [0, 432) */
    uint8_t attest_pub_key[64]; /* raw x || y, big-endian */
    sgx_report_body_t qe_report;
    uint8_t qe_report_sig[64];  /* PCK over the 384-byte qe_report */
    uint8_t auth_certification_data[];
} sgx_ql_ecdsa_sig_data_t;

typedef struct {
    uint16_t size;
    uint8_t auth_data[];
} sgx_ql_auth_data_t;

typedef struct {
    uint16_t cert_key_type;
    uint32_t size;
    uint8_t certification_data[];
} sgx_ql_certification_data_t;
#pragma pack(pop)

SGX_ASSERT_SIZE(sgx_quote_header_t, 48);
SGX_ASSERT_OFF(sgx_quote_header_t, att_key_type, 2);
SGX_ASSERT_OFF(sgx_quote_header_t, att_key_data_0, 4);
SGX_ASSERT_OFF(sgx_quote_header_t, qe_svn, 8);
SGX_ASSERT_OFF(sgx_quote_header_t, pce_svn, 10);
SGX_ASSERT_OFF(sgx_quote_header_t, vendor_id, 12);
SGX_ASSERT_OFF(sgx_quote_header_t, user_data, 28);
SGX_ASSERT_SIZE(sgx_quote3_t, 436);
SGX_ASSERT_OFF(sgx_quote3_t, report_body, 48);
SGX_ASSERT_OFF(sgx_quote3_t, signature_data_len, 432);
SGX_ASSERT_OFF(sgx_quote3_t, signature_data, 436);
SGX_ASSERT_SIZE(sgx_ql_ecdsa_sig_data_t, 576);
SGX_ASSERT_OFF(sgx_ql_ecdsa_sig_data_t, attest_pub_key, 64);
SGX_ASSERT_OFF(sgx_ql_ecdsa_sig_data_t, qe_report, 128);
SGX_ASSERT_OFF(sgx_ql_ecdsa_sig_data_t, qe_report_sig, 512);
SGX_ASSERT_OFF(sgx_ql_ecdsa_sig_data_t, auth_certification_data, 576);
SGX_ASSERT_SIZE(sgx_ql_auth_data_t, 2);
SGX_ASSERT_SIZE(sgx_ql_certification_data_t, 6);
SGX_ASSERT_OFF(sgx_ql_certification_data_t, size, 2);

/* Absolute quote offsets (auth data of 32 bytes, as Intel's QE3 writes). */
#define SGX_QUOTE_REPORT_BODY_OFFSET 48
#define SGX_QUOTE_REPORT_DATA_OFFSET 368
#define SGX_QUOTE_SIGNED_SIZE 432
#define SGX_QUOTE_SIG_DATA_OFFSET 436
#define SGX_QUOTE_QE_REPORT_OFFSET 564
#define SGX_QUOTE_AUTH_OFFSET 1012
#define SGX_QUOTE_MIN_SIZE 1020
#define SGX_QL_ALG_ECDSA_P256 2
#define SGX_QL_AUTH_DATA_SIZE 32

typedef enum {
    PPID_CLEARTEXT = 1,
    PPID_RSA2048_ENCRYPTED = 2,
    PPID_RSA3072_ENCRYPTED = 3,
    PCK_CLEARTEXT = 4,
    PCK_CERT_CHAIN = 5,
    ECDSA_SIG_AUX_DATA = 6,
    QL_CERT_KEY_TYPE_MAX = 16,
} sgx_ql_cert_key_type_t;

/* ---- result and error codes (sgx_qve_header.h, sgx_ql_lib_common.h) ---- */

typedef enum {
    SGX_QL_QV_RESULT_OK = 0x0000,
    SGX_QL_QV_RESULT_MIN = 0xA001,
    SGX_QL_QV_RESULT_CONFIG_NEEDED = 0xA001,
    SGX_QL_QV_RESULT_OUT_OF_DATE = 0xA002,
    SGX_QL_QV_RESULT_OUT_OF_DATE_CONFIG_NEEDED = 0xA003,
    SGX_QL_QV_RESULT_INVALID_SIGNATURE = 0xA004,
    SGX_QL_QV_RESULT_REVOKED = 0xA005,
    SGX_QL_QV_RESULT_UNSPECIFIED = 0xA006,
    SGX_QL_QV_RESULT_SW_HARDENING_NEEDED = 0xA007,
    SGX_QL_QV_RESULT_CONFIG_AND_SW_HARDENING_NEEDED = 0xA008,
    SGX_QL_QV_RESULT_TD_RELAUNCH_ADVISED = 0xA009,
    SGX_QL_QV_RESULT_TD_RELAUNCH_ADVISED_CONFIG_NEEDED = 0xA00A,
    SGX_QL_QV_RESULT_MAX = 0xA0FF,
} sgx_ql_qv_result_t;
SGX_ASSERT_SIZE(sgx_ql_qv_result_t, 4);

typedef enum {
    SGX_QL_SUCCESS = 0x0000,
    SGX_QL_ERROR_UNEXPECTED = 0xE001,
    SGX_QL_ERROR_INVALID_PARAMETER = 0xE002,
    SGX_QL_ERROR_OUT_OF_MEMORY = 0xE003,
    SGX_QL_ERROR_ECDSA_ID_MISMATCH = 0xE004,
    SGX_QL_INVALID_REPORT = 0xE015,
    SGX_QL_NO_QUOTE_COLLATERAL_DATA = 0xE01B,
    SGX_QL_QUOTE_CERTIFICATION_DATA_UNSUPPORTED = 0xE01C,
    SGX_QL_QUOTE_FORMAT_UNSUPPORTED = 0xE01D,
    SGX_QL_UNABLE_TO_GENERATE_REPORT = 0xE01E,
    SGX_QL_QE_REPORT_INVALID_SIGNATURE = 0xE01F,
    SGX_QL_QE_REPORT_UNSUPPORTED_FORMAT = 0xE020,
    SGX_QL_PCK_CERT_UNSUPPORTED_FORMAT = 0xE021,
    SGX_QL_PCK_CERT_CHAIN_ERROR = 0xE022,
    SGX_QL_TCBINFO_UNSUPPORTED_FORMAT = 0xE023,
    SGX_QL_TCBINFO_MISMATCH = 0xE024,
    SGX_QL_QEIDENTITY_UNSUPPORTED_FORMAT = 0xE025,
    SGX_QL_QEIDENTITY_MISMATCH = 0xE026,
    SGX_QL_TCB_OUT_OF_DATE = 0xE027,
    SGX_QL_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED = 0xE028,
    SGX_QL_SGX_ENCLAVE_IDENTITY_OUT_OF_DATE = 0xE029,
    SGX_QL_SGX_ENCLAVE_REPORT_ISVSVN_OUT_OF_DATE = 0xE02A,
    SGX_QL_QE_IDENTITY_OUT_OF_DATE = 0xE02B,
    SGX_QL_SGX_TCB_INFO_EXPIRED = 0xE02C,
    SGX_QL_SGX_PCK_CERT_CHAIN_EXPIRED = 0xE02D,
    SGX_QL_SGX_CRL_EXPIRED = 0xE02E,
    SGX_QL_SGX_SIGNING_CERT_CHAIN_EXPIRED = 0xE02F,
    SGX_QL_SGX_ENCLAVE_IDENTITY_EXPIRED = 0xE030,
    SGX_QL_PCK_REVOKED = 0xE031,
    SGX_QL_TCB_REVOKED = 0xE032,
    SGX_QL_TCB_CONFIGURATION_NEEDED = 0xE033,
    SGX_QL_UNABLE_TO_GET_COLLATERAL = 0xE034,
    SGX_QL_CRL_UNSUPPORTED_FORMAT = 0xE038,
    SGX_QL_QEIDENTITY_CHAIN_ERROR = 0xE039,
    SGX_QL_TCBINFO_CHAIN_ERROR = 0xE03A,
    SGX_QL_TCB_SW_HARDENING_NEEDED = 0xE03C,
    SGX_QL_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED = 0xE03D,
    SGX_QL_ERROR_BUSY = 0xE043,
    SGX_QL_COLLATERAL_VERSION_NOT_SUPPORTED = 0xE053,
    SGX_QL_TCB_NOT_SUPPORTED = 0xE066,
    SGX_QL_RESULT_INVALID_SIGNATURE = 0xE068,
    SGX_QL_ERROR_MAX = 0xE0FF,
} quote3_error_t;
SGX_ASSERT_SIZE(quote3_error_t, 4);

/* ---- supplemental data, version 3 (536 bytes; not packed) ------------- */

typedef enum { PCK_FLAG_FALSE = 0, PCK_FLAG_TRUE = 1, PCK_FLAG_UNDEFINED = 2 } pck_cert_flag_enum_t;

#define SUPPLEMENTAL_DATA_VERSION 3
#define MAX_SA_LIST_SIZE 320

typedef struct {
    union {
        uint32_t version;
        struct { uint16_t major_version, minor_version; };
    };
    int64_t earliest_issue_date; /* time_t */
    int64_t latest_issue_date;
    int64_t earliest_expiration_date;
    int64_t tcb_level_date_tag;
    uint32_t pck_crl_num;
    uint32_t root_ca_crl_num;
    uint32_t tcb_eval_ref_num;
    uint8_t root_key_id[48];
    uint8_t pck_ppid[16];
    uint8_t tcb_cpusvn[16];
    uint16_t tcb_pce_isvsvn;
    uint16_t pce_id;
    uint32_t tee_type;
    uint8_t sgx_type;
    uint8_t platform_instance_id[16];
    pck_cert_flag_enum_t dynamic_platform;
    pck_cert_flag_enum_t cached_keys;
    pck_cert_flag_enum_t smt_enabled;
    char sa_list[MAX_SA_LIST_SIZE];
    int64_t qe_iden_earliest_issue_date;
    int64_t qe_iden_latest_issue_date;
    int64_t qe_iden_earliest_expiration_date;
    int64_t qe_iden_tcb_level_date_tag;
    uint32_t qe_iden_tcb_eval_ref_num;
    sgx_ql_qv_result_t qe_iden_status;
} sgx_ql_qv_supplemental_t;
SGX_ASSERT_SIZE(sgx_ql_qv_supplemental_t, 536);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, earliest_issue_date, 8);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, tcb_level_date_tag, 32);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, pck_crl_num, 40);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, tcb_eval_ref_num, 48);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, root_key_id, 52);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, pck_ppid, 100);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, tcb_cpusvn, 116);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, tcb_pce_isvsvn, 132);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, pce_id, 134);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, tee_type, 136);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, sgx_type, 140);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, platform_instance_id, 141);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, dynamic_platform, 160);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, sa_list, 172);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, qe_iden_earliest_issue_date, 496);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, qe_iden_tcb_eval_ref_num, 528);
SGX_ASSERT_OFF(sgx_ql_qv_supplemental_t, qe_iden_status, 532);

/* ---- Occlum's ioctl argument structs (x86-64) ------------------------- */

typedef struct {
    const sgx_report_data_t *report_data; /* in */
    uint32_t *quote_len;                  /* in: capacity; out: real size */
    uint8_t *quote_buf;                   /* out */
} sgxioc_gen_dcap_quote_arg_t;
SGX_ASSERT_SIZE(sgxioc_gen_dcap_quote_arg_t, 24);
SGX_ASSERT_OFF(sgxioc_gen_dcap_quote_arg_t, quote_len, 8);
SGX_ASSERT_OFF(sgxioc_gen_dcap_quote_arg_t, quote_buf, 16);

typedef struct {
    const uint8_t *quote_buf;                       /* in */
    uint32_t quote_size;                            /* in */
    uint32_t *collateral_expiration_status;         /* out */
    sgx_ql_qv_result_t *quote_verification_result;  /* out */
    uint32_t supplemental_data_size;                /* in, optional */
    uint8_t *supplemental_data;                     /* out, optional */
} sgxioc_ver_dcap_quote_arg_t;
SGX_ASSERT_SIZE(sgxioc_ver_dcap_quote_arg_t, 48);
SGX_ASSERT_OFF(sgxioc_ver_dcap_quote_arg_t, quote_size, 8);
SGX_ASSERT_OFF(sgxioc_ver_dcap_quote_arg_t, collateral_expiration_status, 16);
SGX_ASSERT_OFF(sgxioc_ver_dcap_quote_arg_t, quote_verification_result, 24);
SGX_ASSERT_OFF(sgxioc_ver_dcap_quote_arg_t, supplemental_data_size, 32);
SGX_ASSERT_OFF(sgxioc_ver_dcap_quote_arg_t, supplemental_data, 40);

typedef struct {
    const sgx_target_info_t *target_info; /* in, optional: NULL = self */
    const sgx_report_data_t *report_data; /* in, optional: NULL = zeros */
    sgx_report_t *report;                 /* out */
} sgxioc_create_report_arg_t;
SGX_ASSERT_SIZE(sgxioc_create_report_arg_t, 24);
SGX_ASSERT_OFF(sgxioc_create_report_arg_t, report_data, 8);
SGX_ASSERT_OFF(sgxioc_create_report_arg_t, report, 16);

typedef struct {
    const sgx_key_request_t *key_request; /* in */
    sgx_key_128bit_t *key;                /* out */
} sgxioc_get_key_arg_t;
SGX_ASSERT_SIZE(sgxioc_get_key_arg_t, 16);
SGX_ASSERT_OFF(sgxioc_get_key_arg_t, key, 8);

typedef uint8_t sgx_epid_group_id_t[4];
typedef struct {
    sgx_report_data_t report_data; /* in */
    uint32_t quote_type;           /* in */
    uint8_t spid[16];              /* in */
    uint8_t nonce[16];             /* in */
    const uint8_t *sigrl_ptr;      /* in, optional */
    uint32_t sigrl_len;            /* in */
    uint32_t quote_buf_len;        /* in */
    uint8_t *quote_buf;            /* out */
} sgxioc_gen_epid_quote_arg_t;
SGX_ASSERT_SIZE(sgxioc_gen_epid_quote_arg_t, 128);
SGX_ASSERT_OFF(sgxioc_gen_epid_quote_arg_t, quote_type, 64);
SGX_ASSERT_OFF(sgxioc_gen_epid_quote_arg_t, spid, 68);
SGX_ASSERT_OFF(sgxioc_gen_epid_quote_arg_t, nonce, 84);
SGX_ASSERT_OFF(sgxioc_gen_epid_quote_arg_t, sigrl_ptr, 104);
SGX_ASSERT_OFF(sgxioc_gen_epid_quote_arg_t, sigrl_len, 112);
SGX_ASSERT_OFF(sgxioc_gen_epid_quote_arg_t, quote_buf_len, 116);
SGX_ASSERT_OFF(sgxioc_gen_epid_quote_arg_t, quote_buf, 120);

#define SGXIOC_IS_EDMM_SUPPORTED _IOR('s', 0, int)
#define SGXIOC_GET_EPID_GROUP_ID _IOR('s', 1, sgx_epid_group_id_t)
#define SGXIOC_GEN_EPID_QUOTE _IOWR('s', 2, sgxioc_gen_epid_quote_arg_t)
#define SGXIOC_SELF_TARGET _IOR('s', 3, sgx_target_info_t)
#define SGXIOC_CREATE_REPORT _IOWR('s', 4, sgxioc_create_report_arg_t)
#define SGXIOC_VERIFY_REPORT _IOW('s', 5, sgx_report_t)
#define SGXIOC_DETECT_DCAP_DRIVER _IOR('s', 6, int)
#define SGXIOC_GET_DCAP_QUOTE_SIZE _IOR('s', 7, uint32_t)
#define SGXIOC_GEN_DCAP_QUOTE _IOWR('s', 8, sgxioc_gen_dcap_quote_arg_t)
#define SGXIOC_GET_DCAP_SUPPLEMENTAL_SIZE _IOR('s', 9, uint32_t)
#define SGXIOC_VER_DCAP_QUOTE _IOWR('s', 10, sgxioc_ver_dcap_quote_arg_t)
#define SGXIOC_GET_KEY _IOWR('s', 11, sgxioc_get_key_arg_t)

/* The values Occlum's Rust side dispatches on (reference table). */
_Static_assert(SGXIOC_IS_EDMM_SUPPORTED == 0x80047300u, "nr 0");
_Static_assert(SGXIOC_GET_EPID_GROUP_ID == 0x80047301u, "nr 1");
_Static_assert(SGXIOC_GEN_EPID_QUOTE == 0xc0807302u, "nr 2");
_Static_assert(SGXIOC_SELF_TARGET == 0x82007303u, "nr 3");
_Static_assert(SGXIOC_CREATE_REPORT == 0xc0187304u, "nr 4");
_Static_assert(SGXIOC_VERIFY_REPORT == 0x41b07305u, "nr 5");
_Static_assert(SGXIOC_DETECT_DCAP_DRIVER == 0x80047306u, "nr 6");
_Static_assert(SGXIOC_GET_DCAP_QUOTE_SIZE == 0x80047307u, "nr 7");
_Static_assert(SGXIOC_GEN_DCAP_QUOTE == 0xc0187308u, "nr 8");
_Static_assert(SGXIOC_GET_DCAP_SUPPLEMENTAL_SIZE == 0x80047309u, "nr 9");
_Static_assert(SGXIOC_VER_DCAP_QUOTE == 0xc030730au, "nr 10");
_Static_assert(SGXIOC_GET_KEY == 0xc010730bu, "nr 11");

#endif
