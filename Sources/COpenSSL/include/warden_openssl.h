#ifndef WARDEN_OPENSSL_H
#define WARDEN_OPENSSL_H
#include <stddef.h>
#include <stdint.h>

/* Small, prefixed wrappers over OpenSSL 3. Every function returns 1 on success and 0 on
 * failure (or, for verify, 1 valid / 0 invalid / -1 error); every context is freed on every path
 * and OpenSSL's thread-local error queue is cleared whenever a call fails, so one failure never
 * leaks into the diagnostics of an unrelated later call. */

#define WARDEN_ED25519_PUBLIC_KEY_BYTES 32
#define WARDEN_ED25519_PRIVATE_KEY_BYTES 32
#define WARDEN_ED25519_SIGNATURE_BYTES 64
#define WARDEN_SHA256_BYTES 32

/// SHA-256 of `count` bytes into `digest` (32 bytes).
int warden_sha256(const uint8_t *bytes, size_t count, uint8_t *digest);

/// Incremental SHA-256: an opaque context created, fed and finished (finishing frees it).
void *warden_sha256_begin(void);
int warden_sha256_update(void *context, const uint8_t *bytes, size_t count);
int warden_sha256_finish(void *context, uint8_t *digest);
void warden_sha256_abandon(void *context);

/// `count` bytes from OpenSSL's CSPRNG.
int warden_random_bytes(uint8_t *bytes, size_t count);

/// Generates an Ed25519 key pair: 32-byte private seed and 32-byte public key.
int warden_ed25519_generate(uint8_t *private_key, uint8_t *public_key);

/// Derives the public key from a 32-byte private seed.
int warden_ed25519_public_from_private(const uint8_t *private_key, uint8_t *public_key);

/// Signs `count` bytes with a 32-byte private seed into a 64-byte signature.
int warden_ed25519_sign(const uint8_t *private_key, const uint8_t *message, size_t count, uint8_t *signature);

/// Verifies a 64-byte signature: 1 valid, 0 invalid, -1 error.
int warden_ed25519_verify(const uint8_t *public_key, const uint8_t *message, size_t count, const uint8_t *signature);

/* Loaded keys: an opaque EVP_PKEY handle built once and reused, so signing does not re-derive the
 * public key (a scalar multiplication as costly as the signature itself) and verifying does not
 * re-import the key through the provider on every call. A handle is read-only after loading and may
 * be used from several threads at once; free it exactly once with warden_ed25519_key_free. */

/// Loads a 32-byte private seed; NULL on failure.
void *warden_ed25519_private_key_load(const uint8_t *private_key);

/// Loads a 32-byte public key; NULL on failure.
void *warden_ed25519_public_key_load(const uint8_t *public_key);

/// Frees a handle from either loader (NULL is accepted and ignored).
void warden_ed25519_key_free(void *key);

/// The 32-byte public key of a loaded (private or public) key.
int warden_ed25519_key_public_bytes(void *key, uint8_t *public_key);

/// The 32-byte private seed of a loaded private key.
int warden_ed25519_key_private_bytes(void *key, uint8_t *private_key);

/// Signs `count` bytes with a loaded private key into a 64-byte signature.
int warden_ed25519_sign_with_key(void *key, const uint8_t *message, size_t count, uint8_t *signature);

/// Verifies a 64-byte signature with a loaded key: 1 valid, 0 invalid, -1 error.
int warden_ed25519_verify_with_key(void *key, const uint8_t *message, size_t count, const uint8_t *signature);

/// Constant-time comparison of two equal-length buffers: 1 equal, 0 different.
int warden_constant_time_equal(const uint8_t *left, const uint8_t *right, size_t count);

/// HMAC-SHA-256 (used for API-key and secret hashing with a cluster pepper).
int warden_hmac_sha256(const uint8_t *key, size_t key_count, const uint8_t *bytes, size_t count, uint8_t *mac);
#endif
