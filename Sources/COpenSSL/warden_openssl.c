#include "warden_openssl.h"
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <limits.h>

/* A valid address for empty inputs: callers may pass NULL with a zero count, which some OpenSSL
 * entry points reject even though nothing is read. */
static const uint8_t warden_empty_input[1] = {0};

static const uint8_t *warden_nonnull(const uint8_t *bytes, size_t count) {
    return (bytes == NULL && count == 0) ? warden_empty_input : bytes;
}

/* Returns `ok` after clearing the error queue when it reports failure. */
static int warden_finish(int ok) {
    if (ok != 1) ERR_clear_error();
    return ok;
}

// MARK: - SHA-256 and HMAC

int warden_sha256(const uint8_t *bytes, size_t count, uint8_t *digest) {
    if (digest == NULL || (bytes == NULL && count != 0)) return 0;
    unsigned int length = 0;
    int ok = EVP_Digest(warden_nonnull(bytes, count), count, digest, &length, EVP_sha256(), NULL) == 1;
    return warden_finish(ok && length == WARDEN_SHA256_BYTES);
}

void *warden_sha256_begin(void) {
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) {
        ERR_clear_error();
        return NULL;
    }
    if (EVP_DigestInit_ex(context, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(context);
        ERR_clear_error();
        return NULL;
    }
    return context;
}

int warden_sha256_update(void *context, const uint8_t *bytes, size_t count) {
    if (context == NULL || (bytes == NULL && count != 0)) return 0;
    if (count == 0) return 1;
    return warden_finish(EVP_DigestUpdate((EVP_MD_CTX *)context, bytes, count) == 1);
}

int warden_sha256_finish(void *context, uint8_t *digest) {
    if (context == NULL) return 0;
    unsigned int length = 0;
    int ok = digest != NULL && EVP_DigestFinal_ex((EVP_MD_CTX *)context, digest, &length) == 1;
    EVP_MD_CTX_free((EVP_MD_CTX *)context);
    return warden_finish(ok && length == WARDEN_SHA256_BYTES);
}

void warden_sha256_abandon(void *context) {
    EVP_MD_CTX_free((EVP_MD_CTX *)context);
}

int warden_hmac_sha256(const uint8_t *key, size_t key_count, const uint8_t *bytes, size_t count, uint8_t *mac) {
    if (mac == NULL || key_count > INT_MAX) return 0;
    if ((key == NULL && key_count != 0) || (bytes == NULL && count != 0)) return 0;
    unsigned int length = 0;
    int ok = HMAC(EVP_sha256(), warden_nonnull(key, key_count), (int)key_count, warden_nonnull(bytes, count), count,
                  mac, &length) != NULL;
    return warden_finish(ok && length == WARDEN_SHA256_BYTES);
}

// MARK: - Randomness and comparison

int warden_random_bytes(uint8_t *bytes, size_t count) {
    if (count == 0) return 1;
    if (bytes == NULL || count > INT_MAX) return 0;
    return warden_finish(RAND_bytes(bytes, (int)count) == 1);
}

int warden_constant_time_equal(const uint8_t *left, const uint8_t *right, size_t count) {
    if (count == 0) return 1;
    if (left == NULL || right == NULL) return 0;
    return CRYPTO_memcmp(left, right, count) == 0;
}

// MARK: - Ed25519 loaded keys

void *warden_ed25519_private_key_load(const uint8_t *private_key) {
    if (private_key == NULL) return NULL;
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, private_key, WARDEN_ED25519_PRIVATE_KEY_BYTES);
    if (key == NULL) ERR_clear_error();
    return key;
}

void *warden_ed25519_public_key_load(const uint8_t *public_key) {
    if (public_key == NULL) return NULL;
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public_key, WARDEN_ED25519_PUBLIC_KEY_BYTES);
    if (key == NULL) ERR_clear_error();
    return key;
}

void warden_ed25519_key_free(void *key) {
    EVP_PKEY_free((EVP_PKEY *)key);
}

int warden_ed25519_key_public_bytes(void *key, uint8_t *public_key) {
    if (key == NULL || public_key == NULL) return 0;
    size_t length = WARDEN_ED25519_PUBLIC_KEY_BYTES;
    int ok = EVP_PKEY_get_raw_public_key((EVP_PKEY *)key, public_key, &length) == 1;
    return warden_finish(ok && length == WARDEN_ED25519_PUBLIC_KEY_BYTES);
}

int warden_ed25519_key_private_bytes(void *key, uint8_t *private_key) {
    if (key == NULL || private_key == NULL) return 0;
    size_t length = WARDEN_ED25519_PRIVATE_KEY_BYTES;
    int ok = EVP_PKEY_get_raw_private_key((EVP_PKEY *)key, private_key, &length) == 1;
    if (!ok || length != WARDEN_ED25519_PRIVATE_KEY_BYTES) {
        OPENSSL_cleanse(private_key, WARDEN_ED25519_PRIVATE_KEY_BYTES);
        return warden_finish(0);
    }
    return 1;
}

int warden_ed25519_sign_with_key(void *key, const uint8_t *message, size_t count, uint8_t *signature) {
    if (key == NULL || signature == NULL || (message == NULL && count != 0)) return 0;
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) return warden_finish(0);
    int ok = 0;
    /* Ed25519 is a one-shot scheme: a NULL digest, then a single EVP_DigestSign over the message. */
    if (EVP_DigestSignInit(context, NULL, NULL, NULL, (EVP_PKEY *)key) == 1) {
        size_t length = WARDEN_ED25519_SIGNATURE_BYTES;
        ok = EVP_DigestSign(context, signature, &length, warden_nonnull(message, count), count) == 1
            && length == WARDEN_ED25519_SIGNATURE_BYTES;
    }
    EVP_MD_CTX_free(context);
    return warden_finish(ok);
}

int warden_ed25519_verify_with_key(void *key, const uint8_t *message, size_t count, const uint8_t *signature) {
    if (key == NULL || signature == NULL || (message == NULL && count != 0)) return -1;
    EVP_MD_CTX *context = EVP_MD_CTX_new();
    if (context == NULL) {
        ERR_clear_error();
        return -1;
    }
    int result = -1;
    if (EVP_DigestVerifyInit(context, NULL, NULL, NULL, (EVP_PKEY *)key) == 1) {
        /* 1 is the only success; 0 (mismatch) and negative values (malformed) are both "invalid". */
        int verified = EVP_DigestVerify(context, signature, WARDEN_ED25519_SIGNATURE_BYTES,
                                        warden_nonnull(message, count), count);
        result = verified == 1 ? 1 : 0;
    }
    EVP_MD_CTX_free(context);
    if (result != 1) ERR_clear_error();
    return result;
}

// MARK: - Ed25519 from raw bytes

int warden_ed25519_generate(uint8_t *private_key, uint8_t *public_key) {
    if (private_key == NULL || public_key == NULL) return 0;
    if (RAND_priv_bytes(private_key, WARDEN_ED25519_PRIVATE_KEY_BYTES) != 1) {
        OPENSSL_cleanse(private_key, WARDEN_ED25519_PRIVATE_KEY_BYTES);
        return warden_finish(0);
    }
    if (warden_ed25519_public_from_private(private_key, public_key) != 1) {
        OPENSSL_cleanse(private_key, WARDEN_ED25519_PRIVATE_KEY_BYTES);
        return 0;
    }
    return 1;
}

int warden_ed25519_public_from_private(const uint8_t *private_key, uint8_t *public_key) {
    void *key = warden_ed25519_private_key_load(private_key);
    if (key == NULL) return 0;
    int ok = warden_ed25519_key_public_bytes(key, public_key);
    warden_ed25519_key_free(key);
    return ok;
}

int warden_ed25519_sign(const uint8_t *private_key, const uint8_t *message, size_t count, uint8_t *signature) {
    void *key = warden_ed25519_private_key_load(private_key);
    if (key == NULL) return 0;
    int ok = warden_ed25519_sign_with_key(key, message, count, signature);
    warden_ed25519_key_free(key);
    return ok;
}

int warden_ed25519_verify(const uint8_t *public_key, const uint8_t *message, size_t count, const uint8_t *signature) {
    void *key = warden_ed25519_public_key_load(public_key);
    if (key == NULL) return -1;
    int result = warden_ed25519_verify_with_key(key, message, count, signature);
    warden_ed25519_key_free(key);
    return result;
}
