import HTTP
@testable import Server
import Testing

@Suite("membership proxy failures")
struct MembershipProxyFailureTests {
    @Test("a request that never reached the leader is 503: not applied, retry")
    func neverSent() {
        for error: HTTPClientError in [.unresolvable(host: "leader"), .connectFailed(errno: 111), .connectTimedOut] {
            let response = NodeRuntime.proxyFailure(error)
            #expect(response.status == 503)
            #expect(response.headers.contains("Retry-After"))
        }
    }

    @Test("a request that may have reached the leader is 504 outcome_unknown, never 503")
    func maybeApplied() {
        for error: HTTPClientError in [.responseTimedOut, .connectionLost, .invalidResponse(HTTPParseError(.malformed, "garbage status line"))] {
            let response = NodeRuntime.proxyFailure(error)
            #expect(response.status == 504)
            #expect(String(decoding: response.body, as: UTF8.self).contains("outcome_unknown"))
        }
    }
}
