#include "warden_openssl.h"
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <limits.h>

int warden_sha256(const uint8_t *bytes, size_t count, uint8_t *digest) {
    unsigned int length = 0;
    if (EVP_Digest(bytes, count, digest, &length, EVP_sha256(), NULL) != 1) return 0;
    return length == WARDEN_SHA256_BYTES;
}

void *warden_sha256_begin(void) {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) return NULL;
    if (EVP_DigestInit_ex(context, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(context);
        return NULL;
    }
    return context;
}

int warden_sha256_update(void *context, const uint8_t *bytes, size_t count) {
    if (context == NULL) return 0;
    return EVP_DigestUpdate((EVP_MD_CTX *)context, bytes, count) == 1;
}

int warden_sha256_finish(void *context, uint8_t *digest) {
    if (context == NULL) return 0;
    unsigned int length = 0;
    int ok = EVP_DigestFinal_ex((EVP_MD_CTX *)context, digest, &length) == 1;
    EVP_MD_CTX_free((EVP_MD_CTX *)context);
    return ok && length == WARDEN_SHA256_BYTES;
}

void warden_sha256_abandon(void *context) {
    EVP_MD_CTX_free((EVP_MD_CTX *)context);
}

int warden_random_bytes(uint8_t *bytes, size_t count) {
    if (count > INT_MAX) return 0;
    return RAND_bytes(bytes, (int)count) == 1;
}

int warden_ed25519_generate(uint8_t *private_key, uint8_t *public_key) {
    if (RAND_priv_bytes(private_key, WARDEN_ED25519_PRIVATE_KEY_BYTES) != 1) return 0;
    return warden_ed25519_public_from_private(private_key, public_key);
}

int warden_ed25519_public_from_private(const uint8_t *private_key, uint8_t *public_key) {
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, private_key, WARDEN_ED25519_PRIVATE_KEY_BYTES);
    if (key == NULL) return 0;
    size_t length = WARDEN_ED25519_PUBLIC_KEY_BYTES;
    int ok = EVP_PKEY_get_raw_public_key(key, public_key, &length) == 1 && length == WARDEN_ED25519_PUBLIC_KEY_BYTES;
    EVP_PKEY_free(key);
    return ok;
}

int warden_ed25519_sign(const uint8_t *private_key, const uint8_t *message, size_t count, uint8_t *signature) {
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, private_key, WARDEN_ED25519_PRIVATE_KEY_BYTES);
    if (key == NULL) return 0;
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    int ok = 0;
    if (context != NULL && EVP_DigestSignInit(context, NULL, NULL, NULL, key) == 1) {
        size_t length = WARDEN_ED25519_SIGNATURE_BYTES;
        ok = EVP_DigestSign(context, signature, &length, message, count) == 1 && length == WARDEN_ED25519_SIGNATURE_BYTES;
    }
    EVP_MD_CTX_free(context);
    EVP_PKEY_free(key);
    return ok;
}

int warden_ed25519_verify(const uint8_t *public_key, const uint8_t *message, size_t count, const uint8_t *signature) {
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, WARDEN_ED25519_PUBLIC_KEY_BYTES);
    if (key == NULL) return -1;
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    int result = -1;
    if (context != NULL && EVP_DigestVerifyInit(context, NULL, NULL, NULL, key) == 1) {
        int verified = EVP_DigestVerify(context, signature, WARDEN_ED25519_SIGNATURE_BYTES, message, count);
        result = verified == 1 ? 1 : 0;
    }
    EVP_MD_CTX_free(context);
    EVP_PKEY_free(key);
    if (result != 1) ERR_clear_error();
    return result;
}

int warden_constant_time_equal(const uint8_t *left, const uint8_t *right, size_t count) {
    return CRYPTO_memcmp(left, right, count) == 0;
}

int warden_hmac_sha256(const uint8_t *key, size_t key_count, const uint8_t *bytes, size_t count, uint8_t *mac) {
    if (key_count > INT_MAX) return 0;
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key, (int)key_count, bytes, count, mac, &length) == NULL) return 0;
    return length == WARDEN_SHA256_BYTES;
}
