import COpenSSL

/// Ed25519 signatures (RFC 8032, "pure" EdDSA without prehash) through OpenSSL 3.
///
/// Keys are loaded into OpenSSL once and reused: signing then costs one signature, not a public-key
/// derivation plus a signature. Both key types are immutable and safe to share across threads.
public enum Ed25519 {
    /// Size of a public key in bytes.
    public static let publicKeyByteCount = 32
    /// Size of a private key (the RFC 8032 seed) in bytes.
    public static let privateKeyByteCount = 32
    /// Size of a signature in bytes.
    public static let signatureByteCount = 64

    /// Why key bytes were refused.
    public enum KeyError: Error, Sendable, Equatable {
        /// The bytes do not have the length of a key.
        case wrongLength(expected: Int, actual: Int)
        /// OpenSSL refused to load the key.
        case rejectedByOpenSSL
    }

    // MARK: - Public key

    /// An Ed25519 public key: verifies signatures. Equality and hashing follow the raw bytes.
    public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
        /// The 32 raw bytes (RFC 8032 encoding; the JWK `x` member).
        public let rawRepresentation: [UInt8]
        private let handle: LoadedKey

        /// A public key from its 32 raw bytes.
        public init(rawRepresentation bytes: [UInt8]) throws(KeyError) {
            guard bytes.count == Ed25519.publicKeyByteCount else {
                throw .wrongLength(expected: Ed25519.publicKeyByteCount, actual: bytes.count)
            }
            let pointer = bytes.withUnsafeBufferPointer { warden_ed25519_public_key_load($0.baseAddress) }
            guard let pointer else { throw .rejectedByOpenSSL }
            rawRepresentation = bytes
            handle = LoadedKey(pointer)
        }

        /// Whether `signature` is a valid signature of `message` under this key.
        public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            message.withUnsafeBytes { isValidSignature(signature, for: $0) }
        }

        /// Whether `signature` is a valid signature of the bytes in `message` under this key.
        public func isValidSignature(_ signature: [UInt8], for message: UnsafeRawBufferPointer) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            let result = signature.withUnsafeBufferPointer { signatureBuffer in
                warden_ed25519_verify_with_key(
                    handle.pointer, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                    signatureBuffer.baseAddress)
            }
            return result == 1
        }

        /// Two keys are equal when their bytes are.
        public static func == (left: PublicKey, right: PublicKey) -> Bool {
            left.rawRepresentation == right.rawRepresentation
        }

        /// Hashes the raw bytes.
        public func hash(into hasher: inout Hasher) { hasher.combine(rawRepresentation) }

        /// The key in hexadecimal (public material, safe to log).
        public var description: String {
            "Ed25519.PublicKey(" + rawRepresentation.map { byte in
                let digits = Array("0123456789abcdef")
                return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
            }.joined() + ")"
        }
    }

    // MARK: - Private key

    /// An Ed25519 private key: signs. Its description, debug description and mirror never show the
    /// secret, so logging or `dump`ing a value that holds one cannot leak it.
    public struct PrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
        /// The matching public key.
        public let publicKey: PublicKey
        private let handle: LoadedKey

        /// A fresh key pair from OpenSSL's CSPRNG. Stops the process if the CSPRNG fails: a node
        /// without a usable random source must not run.
        public static func generate() -> PrivateKey {
            var seed = [UInt8](repeating: 0, count: Ed25519.privateKeyByteCount)
            var publicBytes = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            let status = seed.withUnsafeMutableBufferPointer { seedBuffer in
                publicBytes.withUnsafeMutableBufferPointer { publicBuffer in
                    warden_ed25519_generate(seedBuffer.baseAddress, publicBuffer.baseAddress)
                }
            }
            precondition(status == 1, "OpenSSL Ed25519 key generation failed")
            defer { wipe(&seed) }
            do {
                return try PrivateKey(seed: seed)
            } catch {
                preconditionFailure("OpenSSL refused a key it generated")
            }
        }

        /// A private key from its 32-byte seed (RFC 8032 §5.1.5).
        public init(seed: [UInt8]) throws(KeyError) {
            guard seed.count == Ed25519.privateKeyByteCount else {
                throw .wrongLength(expected: Ed25519.privateKeyByteCount, actual: seed.count)
            }
            let pointer = seed.withUnsafeBufferPointer { warden_ed25519_private_key_load($0.baseAddress) }
            guard let pointer else { throw .rejectedByOpenSSL }
            let loaded = LoadedKey(pointer)
            var publicBytes = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            let status = publicBytes.withUnsafeMutableBufferPointer {
                warden_ed25519_key_public_bytes(loaded.pointer, $0.baseAddress)
            }
            guard status == 1 else { throw .rejectedByOpenSSL }
            handle = loaded
            publicKey = try PublicKey(rawRepresentation: publicBytes)
        }

        /// The 32-byte seed, for the node key file only. Callers should not keep the copy around.
        public func exportSeed() -> [UInt8] {
            var seed = [UInt8](repeating: 0, count: Ed25519.privateKeyByteCount)
            let status = seed.withUnsafeMutableBufferPointer {
                warden_ed25519_key_private_bytes(handle.pointer, $0.baseAddress)
            }
            precondition(status == 1, "OpenSSL could not export an Ed25519 private key it loaded")
            return seed
        }

        /// The signature of `message` (deterministic: the same key and message give the same bytes).
        public func signature(for message: [UInt8]) -> [UInt8] {
            message.withUnsafeBytes { signature(for: $0) }
        }

        /// The signature of the bytes in `message`.
        public func signature(for message: UnsafeRawBufferPointer) -> [UInt8] {
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            let status = signature.withUnsafeMutableBufferPointer { output in
                warden_ed25519_sign_with_key(
                    handle.pointer, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                    output.baseAddress)
            }
            precondition(status == 1, "OpenSSL Ed25519 signing failed with a loaded key")
            return signature
        }

        /// Names the public half only.
        public var description: String { "Ed25519.PrivateKey(public: \(publicKey), secret: redacted)" }

        /// Same as `description`: the secret never appears.
        public var debugDescription: String { description }

        /// A mirror without the secret, so `dump` and reflection-based loggers cannot reach it.
        public var customMirror: Mirror {
            Mirror(self, children: ["publicKey": publicKey, "secret": "redacted"], displayStyle: .struct)
        }
    }
}

// MARK: - Loaded OpenSSL keys

/// Owns one OpenSSL key handle and frees it once. Immutable after creation; OpenSSL allows a loaded
/// key to be used by several threads at once, each with its own signing context.
final class LoadedKey: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer

    init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }

    deinit { warden_ed25519_key_free(pointer) }
}

/// Overwrites a buffer of secret bytes before it is released (best effort: Swift may have copied it).
func wipe(_ bytes: inout [UInt8]) {
    for index in bytes.indices { bytes[index] = 0 }
}
