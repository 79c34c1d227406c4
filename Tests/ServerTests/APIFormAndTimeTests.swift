import HTTP
import JSON
import Server
import Testing

@Suite("form decoding, time and OAuth routes")
struct APIFormAndTimeTests {
    @Test("forms decode percent escapes and plus, skip empty segments and take a bare name as empty")
    func decodes() {
        #expect(FormURLEncoding.parse(Array("grant_type=client_credentials&scope=invoice%3Aread+invoice%3Aapprove".utf8))
                == ["grant_type": "client_credentials", "scope": "invoice:read invoice:approve"])
        #expect(FormURLEncoding.parse(Array("a=1&&b=&c".utf8)) == ["a": "1", "b": "", "c": ""])
        #expect(FormURLEncoding.parse(Array("name=%C3%A9".utf8)) == ["name": "é"])
        #expect(FormURLEncoding.parse([]) == [:])
    }

    @Test("forms refuse repeated parameters (RFC 6749 §3.2), bad escapes, invalid UTF-8 and too many parameters")
    func refuses() {
        #expect(FormURLEncoding.parse(Array("scope=a&scope=b".utf8)) == nil)
        for bad in ["a=%", "a=%4", "a=%zz", "a=%FF", "=value"] {
            #expect(FormURLEncoding.parse(Array(bad.utf8)) == nil, "\(bad)")
        }
        let many = (0...FormURLEncoding.maximumParameters).map { "p\($0)=1" }.joined(separator: "&")
        #expect(FormURLEncoding.parse(Array(many.utf8)) == nil)
    }

    @Test("the OAuth routes hand the runtime the parsed form and Authorization header; a bad form is invalid_request")
    func oauthRoutes() {
        let request = HTTPRequest(
            method: "POST", target: "/oauth/token",
            headers: HTTPHeaders([("Authorization", "Basic Ym90OnNlY3JldA=="), ("Content-Type", "application/x-www-form-urlencoded")]),
            body: Array("grant_type=client_credentials&scope=invoice%3Aread".utf8))
        guard case .oauthToken(let token) = APIRouter.route(request) else { Issue.record("not a token request"); return }
        #expect(token.form == ["grant_type": "client_credentials", "scope": "invoice:read"])
        #expect(token.authorization == "Basic Ym90OnNlY3JldA==")
        guard case .introspect = APIRouter.route(HTTPRequest(method: "POST", target: "/oauth/introspect", body: Array("token=x".utf8))),
            case .revoke = APIRouter.route(HTTPRequest(method: "POST", target: "/oauth/revoke", body: Array("token=x".utf8))),
            case .jwks = APIRouter.route(HTTPRequest(method: "GET", target: "/.well-known/jwks.json")),
            case .authorizationServerMetadata = APIRouter.route(HTTPRequest(method: "GET", target: "/.well-known/oauth-authorization-server"))
        else { Issue.record("OAuth routes"); return }
        let repeated = HTTPRequest(method: "POST", target: "/oauth/token", body: Array("scope=a&scope=b".utf8))
        guard case .respond(let refused) = APIRouter.route(repeated) else { Issue.record("accepted"); return }
        #expect(refused.status == 400 && body(refused)?["error"] == "invalid_request")
        #expect(refused.headers["Cache-Control"] == "no-store")
    }

    @Test("RFC 3339 times parse with fractions and offsets and format back in UTC")
    func times() {
        #expect(APITime.parse("1970-01-01T00:00:00Z") == 0)
        #expect(APITime.parse("2027-01-01T00:00:00Z") == 1_798_761_600_000)
        #expect(APITime.parse("2027-01-01T01:00:00.250+01:00") == 1_798_761_600_250)
        #expect(APITime.parse("2024-02-29T12:00:00.1234Z") == 1_709_208_000_123)
        #expect(APITime.parse("1969-12-31T23:59:59Z") == -1_000)
        for bad in ["2027-02-29T00:00:00Z", "2027-13-01T00:00:00Z", "2027-01-01 00:00:00Z", "2027-01-01T00:00:00", "tomorrow",
                    "2027-01-01T24:00:00Z", "2027-01-01T00:00:00.Z", "2027-01-01T00:00:00+0100"] {
            #expect(APITime.parse(bad) == nil, "\(bad)")
        }
        #expect(APITime.format(milliseconds: 1_798_761_600_000) == "2027-01-01T00:00:00Z")
        #expect(APITime.parse(APITime.format(milliseconds: 1_798_761_600_250)) == 1_798_761_600_250)
    }
}

@Suite("rendering runtime data")
struct APIRuntimeRenderingTests {
    @Test("enforcers and cluster status render with API.md's field names, sorted by id")
    func rendering() {
        let enforcers = APIRendering.enforcers([
            EnforcerStatus(id: "edge-2", acknowledgedRevision: 9, lastAckMilliseconds: 0, lag: 1),
            EnforcerStatus(id: "edge-1", acknowledgedRevision: 10, lastAckMilliseconds: 1_000, lag: 0),
        ])
        let response = APIResponses.json(200, enforcers, revision: 10)
        #expect(body(response)?["enforcers"]?[0] == ["id": "edge-1", "acknowledged": 10, "last_ack": "1970-01-01T00:00:01Z", "lag": 0])
        #expect(body(response)?["revision"] == 10 && response.headers["Warden-Revision"] == "10")
        let cluster = APIRendering.cluster(
            id: "n1", leader: nil, term: 3, commit: 10, applied: 9,
            members: [ClusterMemberStatus(id: "n1", address: "127.0.0.1:7001", role: "follower", match: 10, lag: 0)])
        #expect(cluster["leader"] == .null && cluster["members"]?[0]?["role"] == "follower" && cluster["term"] == 3)
    }
}
