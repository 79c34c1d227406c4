import Governance
import HTTP
import JSON
import Server

// MARK: - Deterministic randomness

/// SplitMix64: a fixed-seed byte source so generated ids and secrets replay exactly.
final class SeededBytes: @unchecked Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

// MARK: - Audit reader

/// An in-memory audit log fed with every applied entry's records.
final class MemoryAuditLog: AuditReader, @unchecked Sendable {
    var stored: [AuditRecord] = []

    func records(after: UInt64, agent: String?, type: String?, limit: Int) -> [AuditRecord] {
        Array(stored.filter { record in
            record.seq > after && (agent.map { record.subject == "agent:" + $0 } ?? true) && (type.map { record.type == $0 } ?? true)
        }.prefix(limit))
    }

    func verify() -> AuditVerification { AuditRecord.verifyChain(stored) }
}

// MARK: - A node without sockets

/// Executes operations the way the runtime does, against an in-memory state: authorize,
/// prepare, apply, render. Records the commands it applied.
struct TestNode {
    static let clientSecretKey: [UInt8] = Array(repeating: 7, count: 32)
    static let nowMilliseconds: Int64 = 1_790_000_000_000

    var state = GovernanceState()
    var keys: [APIKeyRole: String] = [:]
    var applied: [LogEntryPayload] = []
    /// The result of each applied entry, in order.
    var results: [CommandResult] = []
    let random = SeededBytes(seed: 42)
    let audit = MemoryAuditLog()
    /// What the runtime reports for kills.
    var enforcers: EnforcerAcknowledgement? = EnforcerAcknowledgement(acknowledged: 1, total: 2, fencedByMilliseconds: 1_790_000_000_500)
    /// When set, writes end this way instead of applying.
    var failure: WriteCompletion?
    /// The last runtime-owned operation handed on.
    var lastRuntimeOperation: APIOperation?

    /// A node with one key per role.
    init() {
        for role in APIKeyRole.allCases {
            let random = self.random
            let (key, plaintext) = APIKeys.generate(name: role.name, role: role, randomBytes: { random.bytes($0) })
            apply(LogEntryPayload(timestampMilliseconds: Self.nowMilliseconds, actor: .system, command: .createAPIKey(key)))
            keys[role] = plaintext
        }
        applied.removeAll()
        results.removeAll()
    }

    @discardableResult
    mutating func apply(_ payload: LogEntryPayload) -> ApplyOutcome {
        let outcome = state.apply(payload, revision: state.appliedRevision + 1)
        audit.stored += outcome.auditRecords
        applied.append(payload)
        results.append(outcome.result)
        return outcome
    }

    /// Applies a command directly (fixtures).
    mutating func setUp(_ command: Command) {
        let outcome = apply(LogEntryPayload(timestampMilliseconds: Self.nowMilliseconds, actor: .system, command: command))
        precondition(!outcome.result.isRejection, "fixture rejected: \(outcome.result)")
    }

    /// A request with the key of `role` (nil: no Authorization header).
    func request(
        _ method: String, _ target: String, as role: APIKeyRole? = .admin, json: String? = nil, headers: [(String, String)] = []
    ) -> HTTPRequest {
        var fields = headers
        if let role, let key = keys[role] { fields.append(("Authorization", "Bearer " + key)) }
        if json != nil { fields.append(("Content-Type", "application/json")) }
        return HTTPRequest(method: method, target: target, headers: HTTPHeaders(fields), body: Array((json ?? "").utf8))
    }

    /// Routes and executes; runtime-owned operations are remembered and answered 299.
    mutating func send(_ request: HTTPRequest) -> HTTPResponse {
        switch APIRouter.route(request) {
        case .respond(let response): return response
        case .write(let operation): return execute(operation)
        case .read(let operation): return execute(operation)
        case let other:
            lastRuntimeOperation = other
            return HTTPResponse(status: 299)
        }
    }

    mutating func send(
        _ method: String, _ target: String, as role: APIKeyRole? = .admin, json: String? = nil, headers: [(String, String)] = []
    ) -> HTTPResponse {
        send(request(method, target, as: role, json: json, headers: headers))
    }

    mutating func execute(_ operation: WriteOperation) -> HTTPResponse {
        let caller: AuthenticatedCaller
        switch Authentication.authorize(
            credentials: operation.credentials, requiredRoles: operation.requiredRoles, routeName: operation.routeName, state: state)
        {
        case .failure(let refusal): return refusal.response
        case .success(let authenticated): caller = authenticated
        }
        let random = self.random
        let context = WriteContext(
            state: state, caller: caller, secrets: ServerSecrets(clientSecretKey: Self.clientSecretKey),
            randomBytes: { random.bytes($0) })
        switch operation.makeCommand(context) {
        case .failure(let refusal): return refusal.response
        case .success(let prepared):
            if let failure { return prepared.render(failure) }
            let outcome = apply(LogEntryPayload(
                timestampMilliseconds: Self.nowMilliseconds, idempotencyKey: operation.idempotencyKey, actor: prepared.actor,
                command: prepared.command))
            let acknowledgement = prepared.command.name == "agent_killed" ? enforcers : nil
            return prepared.render(.applied(AppliedWrite(
                revision: outcome.revision, result: outcome.result, replayed: outcome.replayed, enforcers: acknowledgement)))
        }
    }

    mutating func execute(_ operation: ReadOperation) -> HTTPResponse {
        switch Authentication.authorize(
            credentials: operation.credentials, requiredRoles: operation.requiredRoles, routeName: operation.routeName, state: state)
        {
        case .failure(let refusal): return refusal.response
        case .success(let caller):
            let random = self.random
            let context = ReadContext(
                state: state, caller: caller, nowMilliseconds: Self.nowMilliseconds, randomBytes: { random.bytes($0) },
                audit: audit, verifyToken: { _ in .failure(TokenRefusal(message: "signature does not verify")) })
            return operation.evaluate(context).response
        }
    }

    /// Registers an agent through the API and returns its client secret.
    @discardableResult
    mutating func register(_ id: String, scopes: [String] = ["invoice:*"], owner: String = "anne") -> String? {
        let scopeList = scopes.map { "\"\($0)\"" }.joined(separator: ",")
        let response = send("POST", "/v1/agents", json: #"{"id":"\#(id)","name":"Bot \#(id)","owner":"\#(owner)","scopes":[\#(scopeList)]}"#)
        return body(response)?["client_secret"]?.stringValue
    }
}

// MARK: - Response helpers

/// The JSON body of a response, if it has one.
func body(_ response: HTTPResponse) -> JSONValue? { try? JSONParser.parse(response.body) }

/// The `field` values of a problem's `errors`.
func errorFields(_ response: HTTPResponse) -> [String] {
    body(response)?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []
}

/// Whether a response is an RFC 9457 problem with this status.
func isProblem(_ response: HTTPResponse, _ status: Int) -> Bool {
    response.status == status && response.headers["Content-Type"] == "application/problem+json"
        && body(response)?["status"]?.integerValue == Int64(status) && body(response)?["type"]?.stringValue != nil
}

/// An invoice model: users (or agents) approve invoices directly; conditions may read `subject`.
let invoiceModel = """
    {"schema_version":"1.1","type_definitions":[
      {"type":"user"},{"type":"agent"},
      {"type":"invoice","relations":{"approve":{"this":{}}},
       "metadata":{"relations":{"approve":{"directly_related_user_types":[{"type":"user"},{"type":"agent"},{"type":"user","condition":"limit"}]}}}}],
     "conditions":{"limit":{"name":"limit","expression":"amount <= subject.approval_limit",
       "parameters":{"amount":{"type_name":"TYPE_NAME_INT"},
                     "subject":{"type_name":"TYPE_NAME_MAP","generic_types":[{"type_name":"TYPE_NAME_ANY"}]}}}}}
    """

extension JSONValue {
    /// Element `index` when this is an array that long.
    subscript(index: Int) -> JSONValue? {
        guard let elements = arrayValue, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
