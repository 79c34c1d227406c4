import Crypto
import Testing
import Tokens

@Test("a node key file round-trips to the same private key")
func nodeKeyFileRoundTrip() throws {
    let key = Ed25519.PrivateKey.generate()
    let bytes = NodeKeyFile.encode(key)
    #expect(bytes.count == NodeKeyFile.byteCount)
    #expect(Array(bytes[0..<4]) == Array("WDNK".utf8))
    #expect(bytes[4] == NodeKeyFile.currentVersion)
    let decoded = try NodeKeyFile.decode(bytes)
    #expect(decoded.publicKey == key.publicKey)
    #expect(decoded.signature(for: [1, 2, 3]) == key.signature(for: [1, 2, 3]))
}

@Test("flipping any bit of a key file is detected, never yielding a different key")
func nodeKeyFileDetectsEveryBitFlip() {
    let bytes = NodeKeyFile.encode(Fixture.nodeOneKey)
    for index in bytes.indices {
        for bit in 0..<8 {
            var damaged = bytes
            damaged[index] ^= UInt8(1) << UInt8(bit)
            #expect(throws: NodeKeyFileError.self) { try NodeKeyFile.decode(damaged) }
        }
    }
}

@Test("a key file with a recomputed checksum but a swapped public key is refused")
func nodeKeyFileDetectsPublicKeyMismatch() {
    var bytes = NodeKeyFile.encode(Fixture.nodeOneKey)
    let body = 6 + 32 + 32
    bytes.replaceSubrange(38..<body, with: Fixture.nodeTwoKey.publicKey.rawRepresentation)
    bytes.replaceSubrange(body..<bytes.count, with: SHA256.hash(Array(bytes[0..<body])))
    #expect(throws: NodeKeyFileError.publicKeyMismatch) { try NodeKeyFile.decode(bytes) }
}

@Test("truncated, foreign, future-version and other-algorithm key files are refused with their reason")
func nodeKeyFileRefusals() {
    let bytes = NodeKeyFile.encode(Fixture.nodeOneKey)
    #expect(throws: NodeKeyFileError.wrongLength) { try NodeKeyFile.decode(Array(bytes.dropLast())) }
    #expect(throws: NodeKeyFileError.wrongLength) { try NodeKeyFile.decode([]) }
    #expect(throws: NodeKeyFileError.notAKeyFile) { try NodeKeyFile.decode([UInt8](repeating: 0, count: NodeKeyFile.byteCount)) }
    var future = bytes
    future[4] = 2
    #expect(throws: NodeKeyFileError.unsupportedVersion(2)) { try NodeKeyFile.decode(future) }
    var otherAlgorithm = bytes
    otherAlgorithm[5] = 2
    #expect(throws: NodeKeyFileError.unsupportedAlgorithm(2)) { try NodeKeyFile.decode(otherAlgorithm) }
    var damaged = bytes
    damaged[10] ^= 0xFF
    #expect(throws: NodeKeyFileError.checksumMismatch) { try NodeKeyFile.decode(damaged) }
}

@Test("a signer's description and dump never reveal the private key")
func signerIsRedacted() {
    let signer = TokenSigner(privateKey: Fixture.nodeOneKey)
    let seed = Fixture.nodeOneKey.exportSeed()
    var dumped = ""
    dump(signer, to: &dumped)
    let seedBase64 = Base64URL.encode(seed)
    for text in [String(describing: signer), String(reflecting: signer), dumped] {
        #expect(!text.contains(seedBase64))
        #expect(!text.contains("1, 1, 1, 1, 1, 1, 1, 1"))
    }
}
