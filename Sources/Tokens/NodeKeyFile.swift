import Crypto

/// Why node key file bytes were refused.
public enum NodeKeyFileError: Error, Sendable, Equatable {
    /// Not the length of a key file.
    case wrongLength
    /// The bytes do not start with the key file magic.
    case notAKeyFile
    /// A format version this build does not read.
    case unsupportedVersion(UInt8)
    /// A key algorithm this build does not read.
    case unsupportedAlgorithm(UInt8)
    /// The checksum does not match: the file is damaged.
    case checksumMismatch
    /// The stored public key is not the one the seed derives: damaged or tampered with.
    case publicKeyMismatch
}

/// The bytes of a node's private signing key file (the storage layer writes them to a 0600 file on
/// the node's own disk; they never enter the replicated log).
///
/// Layout, 102 bytes: magic `WDNK` (4) · version (1) · algorithm 1 = Ed25519 (1) · seed (32) ·
/// public key (32) · SHA-256 of everything before it (32). The public key lets a reader detect a
/// damaged seed even if the checksum was recomputed.
public enum NodeKeyFile {
    /// The format version written.
    public static let currentVersion: UInt8 = 1
    /// The algorithm byte for Ed25519.
    static let ed25519Algorithm: UInt8 = 1
    static let magic: [UInt8] = Array("WDNK".utf8)
    static let bodyByteCount = 4 + 1 + 1 + Ed25519.privateKeyByteCount + Ed25519.publicKeyByteCount
    /// The size of a key file in bytes.
    public static let byteCount = bodyByteCount + SHA256.digestByteCount

    /// The file bytes for `privateKey`. They contain the secret: write them, then drop them.
    public static func encode(_ privateKey: Ed25519.PrivateKey) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(byteCount)
        bytes.append(currentVersion)
        bytes.append(ed25519Algorithm)
        var seed = privateKey.exportSeed()
        bytes.append(contentsOf: seed)
        wipeSecret(&seed)
        bytes.append(contentsOf: privateKey.publicKey.rawRepresentation)
        bytes.append(contentsOf: SHA256.hash(bytes))
        return bytes
    }

    /// The private key in `bytes`, after checking magic, version, checksum and key consistency.
    public static func decode(_ bytes: [UInt8]) throws(NodeKeyFileError) -> Ed25519.PrivateKey {
        guard bytes.count >= magic.count + 1, bytes.starts(with: magic) else {
            throw bytes.count == byteCount ? .notAKeyFile : .wrongLength
        }
        guard bytes[4] == currentVersion else { throw .unsupportedVersion(bytes[4]) }
        guard bytes.count == byteCount else { throw .wrongLength }
        guard bytes[5] == ed25519Algorithm else { throw .unsupportedAlgorithm(bytes[5]) }
        let body = Array(bytes[0..<bodyByteCount])
        guard constantTimeEqual(SHA256.hash(body), Array(bytes[bodyByteCount...])) else { throw .checksumMismatch }
        let seedStart = 6
        var seed = Array(bytes[seedStart..<(seedStart + Ed25519.privateKeyByteCount)])
        defer { wipeSecret(&seed) }
        let storedPublicKey = Array(bytes[(seedStart + Ed25519.privateKeyByteCount)..<bodyByteCount])
        guard let privateKey = try? Ed25519.PrivateKey(seed: seed),
            privateKey.publicKey.rawRepresentation == storedPublicKey
        else { throw .publicKeyMismatch }
        return privateKey
    }

    /// Overwrites a secret copy before release (best effort: Swift may hold other copies).
    private static func wipeSecret(_ bytes: inout [UInt8]) {
        for index in bytes.indices { bytes[index] = 0 }
    }
}
