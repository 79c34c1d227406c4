import Governance
import HTTP
import JSON
import Server
import Testing

@Suite("API under random input")
struct APIRandomInputTests {
    /// Valid bodies to mutate, per route template.
    static let samples: [String: String] = [
        "/v1/agents": #"{"id":"bot","name":"N","owner":"anne","kind":"agent","scopes":["invoice:*"],"attributes":{"a":[1,{"b":null}]}}"#,
        "/v1/signals": #"{"agent":"bot","type":"t","severity":10,"source":"s","detail":"d"}"#,
        "/v1/connections": #"{"caller":"bot","callee":"bot2","scopes":["invoice:read"],"max_token_ttl_seconds":60,"expires_at":"2027-01-01T00:00:00Z"}"#,
        "/v1/tuples": #"{"writes":[{"user":"user:anne","relation":"approve","object":"invoice:1","condition":{"name":"limit","context":{"x":1}}}]}"#,
        "/v1/check": #"{"agent":"bot","on_behalf_of":"user:anne","action":"approve","resource":"invoice:1","context":{"amount":1}}"#,
        "/v1/settings": #"{"risk_threshold":50,"risk_decay_per_hour":1,"enforcer_lease_ms":500,"token_ttl_seconds":60}"#,
        "/v1/model": invoiceModel,
    ]

    /// A random mutation of `bytes`: flip, insert, delete or truncate.
    static func mutate(_ bytes: [UInt8], _ random: SeededBytes) -> [UInt8] {
        var output = bytes
        for _ in 0..<(1 + Int(random.next() % 4)) {
            let position = output.isEmpty ? 0 : Int(random.next() % UInt64(output.count))
            switch random.next() % 4 {
            case 0 where !output.isEmpty: output[position] = UInt8(truncatingIfNeeded: random.next())
            case 1: output.insert(Array("{}[]\",:0e-\\u".utf8)[Int(random.next() % 12)], at: position)
            case 2 where !output.isEmpty: output.remove(at: position)
            default: output = Array(output.prefix(position))
            }
        }
        return output
    }

    @Test("random and mutated bodies on every route never trap, never 5xx, and a refused write changes nothing")
    func garbage() {
        var node = TestNode()
        node.setUp(.writeModel(json: Array(invoiceModel.utf8)))
        let random = SeededBytes(seed: 20_261_129)
        for round in 0..<3_000 {
            let route = APIRouter.routes[Int(random.next() % UInt64(APIRouter.routes.count))]
            let sample = Self.samples[route.template].map { Array($0.utf8) } ?? Array("{}".utf8)
            let bytes = round % 3 == 0 ? random.bytes(Int(random.next() % 64)) : Self.mutate(sample, random)
            let role = APIKeyRole.allCases[Int(random.next() % 4)]
            let path = route.template.split(separator: "/").map { $0.hasPrefix("{") ? "bot" : String($0) }.reduce("") { $0 + "/" + $1 }
            var request = node.request(route.method, path, as: role)
            request.body = bytes
            let appliedBefore = node.applied.count
            let response = node.send(request)
            #expect(response.status < 500, "\(route.name) \(bytes)")
            if response.status >= 400 {
                let unchanged = node.applied.count == appliedBefore || node.results.last?.isRejection == true
                #expect(unchanged, "\(route.name) changed state on \(response.status)")
            }
            if response.status >= 400 && response.status != 299 {
                let isOAuth = route.formEncoded
                #expect(isOAuth || response.headers["Content-Type"] == "application/problem+json", "\(route.name)")
            }
        }
    }

    @Test("random targets and methods are 404, 405 or a 4xx problem, never a trap")
    func randomTargets() {
        var node = TestNode()
        let random = SeededBytes(seed: 7)
        let alphabet = Array("/v1agentsck?=&%._:@-#{}x".utf8)
        for _ in 0..<2_000 {
            let target = "/" + String(decoding: (0..<Int(random.next() % 40)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self)
            let method = ["GET", "POST", "PUT", "PATCH", "DELETE", "BREW"][Int(random.next() % 6)]
            let response = node.send(method, target, json: "{}")
            #expect(response.status < 500, "\(method) \(target)")
        }
    }
}
