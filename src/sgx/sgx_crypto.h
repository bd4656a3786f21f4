/* OpenSSL libcrypto helpers for the SGX layer: P-256 keys and raw r||s
 * signatures, SHA-256/384, AES-128-CMAC, PEM in/out. All return 0 or a
 * negative errno-style code (-EINVAL bad input, -EIO crypto failure). */
#ifndef ONESPACE_SGX_CRYPTO_H
#define ONESPACE_SGX_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

EVP_PKEY *sgxc_p256_keygen(void);
/* Raw public key x||y (64 bytes, big-endian). */
int sgxc_pub_raw(EVP_PKEY *k, uint8_t out[64]);
/* A public key from raw x||y; NULL if not a valid P-256 point. */
EVP_PKEY *sgxc_pub_from_raw(const uint8_t xy[64]);
/* ECDSA-P256-SHA256 over msg, raw r||s out. */
int sgxc_sign_raw(EVP_PKEY *k, const void *msg, size_t len, uint8_t sig[64]);
/* 1 valid, 0 not. */
int sgxc_verify_raw(EVP_PKEY *k, const void *msg, size_t len, const uint8_t sig[64]);
void sgxc_sha256(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32]);
void sgxc_sha384(const void *a, size_t len, uint8_t out[48]);
int sgxc_cmac(const uint8_t key[16], const void *msg, size_t len, uint8_t mac[16]);

/* PEM text of a key / cert (malloc'd, NUL-terminated). */
char *sgxc_key_pem(EVP_PKEY *k);
char *sgxc_cert_pem(X509 *x);
EVP_PKEY *sgxc_key_from_pem(const char *pem);
X509 *sgxc_cert_from_pem(const char *pem, size_t len);
/* The 65-byte uncompressed SEC1 public key of a certificate; 0 or -EINVAL. */
int sgxc_cert_pub65(X509 *x, uint8_t out[65]);

#endif
