import COpenSSL

/// SHA-256 through OpenSSL. Deterministic, so the pure core may use it.
public enum SHA256 {
    /// Size of a digest in bytes.
    public static let digestByteCount = 32

    /// The digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: digestByteCount)
        let ok = bytes.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                warden_sha256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        precondition(ok == 1, "OpenSSL SHA-256 failed: the library is unusable")
        return digest
    }

    /// The digest of several byte sequences concatenated, without copying them together.
    public static func hash(_ parts: [[UInt8]]) -> [UInt8] {
        var hasher = Hasher()
        for part in parts { hasher.update(part) }
        return hasher.finish()
    }

    /// Incremental hashing for large inputs (snapshots, audit chains).
    public struct Hasher: ~Copyable {
        private var context: UnsafeMutableRawPointer?

        /// A fresh hasher.
        public init() {
            context = warden_sha256_begin()
            precondition(context != nil, "OpenSSL SHA-256 context allocation failed")
        }

        deinit { if let context { warden_sha256_abandon(context) } }

        /// Feeds `bytes` into the digest.
        public mutating func update(_ bytes: [UInt8]) {
            let ok = bytes.withUnsafeBufferPointer { warden_sha256_update(context, $0.baseAddress, $0.count) }
            precondition(ok == 1, "OpenSSL SHA-256 update failed")
        }

        /// Feeds raw bytes into the digest.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            let ok = warden_sha256_update(context, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
            precondition(ok == 1, "OpenSSL SHA-256 update failed")
        }

        /// The digest; the hasher is consumed.
        public consuming func finish() -> [UInt8] {
            var digest = [UInt8](repeating: 0, count: SHA256.digestByteCount)
            let ok = digest.withUnsafeMutableBufferPointer { warden_sha256_finish(context, $0.baseAddress) }
            context = nil
            precondition(ok == 1, "OpenSSL SHA-256 finish failed")
            return digest
        }
    }
}

/// HMAC-SHA-256, used to hash stored secrets with a per-cluster key.
public enum HMACSHA256 {
    /// The MAC of `bytes` under `key`.
    public static func authenticate(_ bytes: [UInt8], key: [UInt8]) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: SHA256.digestByteCount)
        let ok = key.withUnsafeBufferPointer { keyBuffer in
            bytes.withUnsafeBufferPointer { input in
                mac.withUnsafeMutableBufferPointer { output in
                    warden_hmac_sha256(keyBuffer.baseAddress, keyBuffer.count, input.baseAddress, input.count, output.baseAddress)
                }
            }
        }
        precondition(ok == 1, "OpenSSL HMAC-SHA-256 failed")
        return mac
    }
}

/// Comparison whose running time does not depend on where the inputs differ.
public func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
    guard left.count == right.count else { return false }
    if left.isEmpty { return true }
    return left.withUnsafeBufferPointer { l in
        right.withUnsafeBufferPointer { r in
            warden_constant_time_equal(l.baseAddress, r.baseAddress, l.count) == 1
        }
    }
}
