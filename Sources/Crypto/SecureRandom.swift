import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's CSPRNG (`RAND_bytes`).
///
/// For key material, token ids and secrets only; the pure core takes a seeded generator instead.
public enum SecureRandom {
    /// `count` random bytes. Stops the process if the CSPRNG fails: continuing with predictable
    /// "random" values would be worse than stopping.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "a negative byte count")
        var output = [UInt8](repeating: 0, count: count)
        output.withUnsafeMutableBytes { fill($0) }
        return output
    }

    /// Fills `buffer` with random bytes (same failure policy as `bytes(count:)`).
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count > 0 else { return }
        let status = warden_random_bytes(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count)
        precondition(status == 1, "OpenSSL RAND_bytes failed")
    }
}

/// A `RandomNumberGenerator` over `SecureRandom`, for `Int.random(in:using:)` and shuffles that must
/// be unpredictable (never in the deterministic core).
public struct SecureRandomNumberGenerator: RandomNumberGenerator, Sendable {
    /// A generator; it holds no state.
    public init() {}

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { SecureRandom.fill($0) }
        return value
    }
}
