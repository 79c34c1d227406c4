import Crypto

/// Agent client secrets: generated once at registration, shown once, stored only as an
/// HMAC-SHA-256 under the cluster's secret key.
public enum ClientSecret {
    /// Random bytes in a secret: 256 bits, beyond any guessing.
    public static let randomByteCount = 32

    /// A new secret: `randomByteCount` bytes from the CSPRNG, base64url without padding.
    public static func generate() -> String {
        Base64URL.encode(SecureRandom.bytes(count: randomByteCount))
    }

    /// The stored form of `secret`: HMAC-SHA-256 of its UTF-8 bytes under `key`.
    public static func hash(_ secret: String, key: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(Array(secret.utf8), key: key)
    }

    /// Whether `secret` matches `storedHash`, compared in constant time. An empty stored hash
    /// (an agent registered without a secret) never matches.
    public static func matches(_ secret: String, storedHash: [UInt8], key: [UInt8]) -> Bool {
        let candidate = hash(secret, key: key)
        return !storedHash.isEmpty && constantTimeEqual(candidate, storedHash)
    }
}
