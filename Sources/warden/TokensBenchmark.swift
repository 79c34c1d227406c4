import Crypto
import Tokens

/// `warden bench tokens [--iterations N]`: single-thread Ed25519 and access-token throughput.
///
/// Four loops on one core: raw Ed25519 sign and verify over a token-sized message, then the full
/// token paths (claims → canonical JSON → base64url → sign; and split → decode → parse header →
/// verify → parse and check claims). The difference is what the JWT layer adds to OpenSSL.
enum TokensBenchmark {
    /// Default loop length: long enough to smooth out a shared, noisy machine.
    static let defaultIterations = 20_000
    /// Upper bound on `--iterations`, so a typo cannot run for hours.
    static let maximumIterations = 10_000_000

    static func run(_ arguments: [String]) -> Int32 {
        guard let iterations = parseIterations(arguments) else {
            FileHandleOutput.standardError("usage: warden bench tokens [--iterations N]  (1 ≤ N ≤ \(maximumIterations))")
            return 2
        }
        let privateKey = Ed25519.PrivateKey.generate()
        let signer = TokenSigner(privateKey: privateKey)
        var ring = KeyRing()
        do {
            try ring.add(publicKey: privateKey.publicKey, nodeID: "bench", nowSeconds: 0)
        } catch {
            FileHandleOutput.standardError("bench: key ring refused the key: \(error)")
            return 1
        }
        let now: Int64 = 1_800_000_000
        let claims = AccessTokenClaims(
            issuer: "https://warden.example", subject: "user:alice", audience: "tool:search", expiresAt: now + 300,
            issuedAt: now, jwtID: "0f8e7d6c5b4a39281706f5e4d3c2b1a0", scopes: ["search:read", "docs:read"],
            clientID: "agent:fetch", actorChain: ["agent:planner", "agent:search", "agent:fetch"], wardenRevision: 123_456)
        let verifier = TokenVerifier(keyRing: ring, expectedIssuer: claims.issuer, expectedAudience: claims.audience)
        guard let token = try? signer.sign(claims), (try? verifier.verify(token, nowSeconds: now)) != nil else {
            FileHandleOutput.standardError("bench: the sample token does not round-trip")
            return 1
        }
        let message = Array(token.utf8.prefix(token.utf8.count - 87))
        let signature = privateKey.signature(for: message)

        print("tokens benchmark: \(iterations) iterations per loop, one thread, token \(token.utf8.count) bytes")
        var sink = 0
        let rawSign = measure(iterations) { sink &+= Int(privateKey.signature(for: message)[0]) }
        let rawVerify = measure(iterations) { sink &+= privateKey.publicKey.isValidSignature(signature, for: message) ? 1 : 0 }
        let tokenSign = measure(iterations) { sink &+= ((try? signer.sign(claims))?.utf8.count ?? 0) }
        let tokenVerify = measure(iterations) {
            sink &+= ((try? verifier.verify(token, nowSeconds: now))?.claims.actorChain.count ?? 0)
        }
        report("ed25519 sign (raw)", rawSign)
        report("ed25519 verify (raw)", rawVerify)
        report("jwt sign (encode+sign)", tokenSign)
        report("jwt verify (parse+verify+claims)", tokenVerify)
        print("jwt overhead: sign +\(format(tokenSign - rawSign)) µs, verify +\(format(tokenVerify - rawVerify)) µs per token")
        return sink == 0 ? 1 : 0
    }

    /// Microseconds per iteration of `body`, after a short warm-up.
    private static func measure(_ iterations: Int, _ body: () -> Void) -> Double {
        for _ in 0..<min(iterations, 500) { body() }
        let clock = ContinuousClock()
        let elapsed = clock.measure { for _ in 0..<iterations { body() } }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds * 1e6 / Double(iterations)
    }

    private static func report(_ name: String, _ microseconds: Double) {
        let padded = name + String(repeating: " ", count: max(0, 34 - name.count))
        print("\(padded) \(format(microseconds)) µs/op  \(Int((1e6 / microseconds).rounded())) ops/s")
    }

    private static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = abs(hundredths % 100)
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    private static func parseIterations(_ arguments: [String]) -> Int? {
        if arguments.isEmpty { return defaultIterations }
        guard arguments.count == 2, arguments[0] == "--iterations", let value = Int(arguments[1]),
            (1...maximumIterations).contains(value)
        else { return nil }
        return value
    }
}
