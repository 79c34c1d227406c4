import Governance
import HTTP
import JSON

// MARK: - Matched request

/// A request matched to a route: path parameters and query decoded, credentials parsed.
public struct RouteRequest: Sendable {
    /// The request as parsed by the HTTP layer.
    public var request: HTTPRequest
    /// The route's name (`POST /v1/agents`).
    public var routeName: String
    /// The route's roles.
    public var requiredRoles: Set<APIKeyRole>
    /// Path parameters by name (already checked to be ids).
    public var parameters: [String: String]
    /// Query parameters (already checked against the route's list).
    public var query: [String: String]
    /// The bearer key, when sent and well formed.
    public var credentials: APICredentials?

    /// Path parameter `name` (the router guarantees it exists).
    public func parameter(_ name: String) -> String {
        guard let value = parameters[name] else { preconditionFailure("route has no path parameter \(name)") }
        return value
    }

    /// The runtime-owned form of this request.
    public func runtime(consistency: ReadConsistency = .linearizable) -> RuntimeRequest {
        RuntimeRequest(credentials: credentials, requiredRoles: requiredRoles, consistency: consistency)
    }
}

// MARK: - Building writes

extension RouteRequest {
    /// A write whose body is parsed now by `parse`; a parse failure (or a bad `Idempotency-Key`)
    /// is returned by `makeCommand` after authentication, so unauthenticated callers learn nothing
    /// and a malformed write never yields a command.
    func write<Body: Sendable>(
        waitsForEnforcers: (Body) -> Bool = { _ in false },
        parse: (inout JSONObjectReader) -> Body?,
        make: @escaping @Sendable (Body, WriteContext) -> Result<PreparedWrite, APIRefusal>
    ) -> APIOperation {
        let parsed: Result<Body, Problem>
        switch JSONObjectReader.body(request.body) {
        case .failure(let problem): parsed = .failure(problem)
        case .success(var reader):
            let body = parse(&reader)
            let errors = reader.finish()
            if let body, errors.isEmpty { parsed = .success(body) } else { parsed = .failure(.validation(errors)) }
        }
        let waits = (try? parsed.get()).map(waitsForEnforcers) ?? false
        return writeParsed(parsed, waitForEnforcers: waits, make: make)
    }

    /// A write without a body (DELETE, kill without fields).
    func writeWithoutBody(
        make: @escaping @Sendable (WriteContext) -> Result<PreparedWrite, APIRefusal>
    ) -> APIOperation {
        let parsed: Result<Void, Problem> = request.body.isEmpty ? .success(()) : .failure(.invalid("body", "this request takes no body"))
        return writeParsed(parsed, waitForEnforcers: false) { _, context in make(context) }
    }

    /// Wraps a parsed (or refused) body into a write operation.
    func writeParsed<Body: Sendable>(
        _ parsed: Result<Body, Problem>, waitForEnforcers: Bool,
        make: @escaping @Sendable (Body, WriteContext) -> Result<PreparedWrite, APIRefusal>
    ) -> APIOperation {
        guard let credentials else { return .respond(Authentication.unauthenticated("missing or malformed bearer API key")) }
        var parsed = parsed
        let idempotencyKey = request.headers["Idempotency-Key"]
        if let idempotencyKey, !APIValidation.isIdentifier(idempotencyKey) {
            parsed = .failure(.invalid("Idempotency-Key", APIValidation.identifierMessage))
        }
        let outcome = parsed
        return .write(
            WriteOperation(
                routeName: routeName, requiredRoles: requiredRoles, credentials: credentials, idempotencyKey: idempotencyKey,
                waitForEnforcers: waitForEnforcers
            ) { context in
                switch outcome {
                case .failure(let problem): return .failure(APIRefusal(problem.response(revision: context.state.appliedRevision)))
                case .success(let body): return make(body, context)
                }
            })
    }

    /// A command prepared for the caller, rendered by `render` when applied (failures are shared).
    static func prepared(
        _ command: Command, _ context: WriteContext, status: Int = 200,
        render: @escaping @Sendable (AppliedWrite) -> [String: JSONValue]?
    ) -> Result<PreparedWrite, APIRefusal> {
        .success(PreparedWrite(actor: context.caller.actor, command: command) { completion in
            if let failure = APIResponses.failure(completion) { return failure }
            guard case .applied(let applied) = completion else { return Problem.unexpected(command).response() }
            guard let members = render(applied) else {
                // A replay returns the first result under this key; a different kind means the key was reused.
                guard applied.replayed else { return Problem.unexpected(command).response(revision: applied.revision) }
                return Problem(
                    status: 422, code: "idempotency_key_reused",
                    detail: "this Idempotency-Key was first used for a different request; use a new key")
                    .response(revision: applied.revision)
            }
            return APIResponses.json(status, members, revision: applied.revision)
        })
    }
}

// MARK: - Building reads

extension RouteRequest {
    /// A read at the consistency the query asks for; `evaluate` renders the answer.
    func read(_ evaluate: @escaping @Sendable (ReadContext) -> ReadResult) -> APIOperation {
        switch ConsistencyParsing.parse(query["consistency"]) {
        case .success(let consistency): return readWith(consistency: consistency, evaluate)
        case .failure(let problem): return .respond(problem.response())
        }
    }

    /// A read at an explicit consistency (`/v1/check` takes it from the body).
    func readWith(consistency: ReadConsistency, _ evaluate: @escaping @Sendable (ReadContext) -> ReadResult) -> APIOperation {
        guard let credentials else { return .respond(Authentication.unauthenticated("missing or malformed bearer API key")) }
        return .read(ReadOperation(
            routeName: routeName, requiredRoles: requiredRoles, credentials: credentials, consistency: consistency,
            evaluate: evaluate))
    }

    /// A read that renders a JSON object with the state's revision.
    func readJSON(_ render: @escaping @Sendable (ReadContext) -> Result<[String: JSONValue], Problem>) -> APIOperation {
        read { context in
            let revision = context.state.appliedRevision
            switch render(context) {
            case .success(let members): return ReadResult(response: APIResponses.json(200, members, revision: revision))
            case .failure(let problem): return ReadResult(response: problem.response(revision: revision))
            }
        }
    }
}

// MARK: - Consistency

/// `consistency=linearizable | serializable | at_least:<revision>`.
public enum ConsistencyParsing {
    /// The consistency named by `text` (nil: the default, linearizable), or a 400 on `consistency`.
    public static func parse(_ text: String?) -> Result<ReadConsistency, Problem> {
        guard let text else { return .success(.linearizable) }
        switch text {
        case "linearizable": return .success(.linearizable)
        case "serializable": return .success(.serializable)
        default:
            if text.hasPrefix("at_least:"), let revision = UInt64(text.dropFirst("at_least:".count)) {
                return .success(.atLeast(revision))
            }
            return .failure(.invalid("consistency", "must be linearizable, serializable or at_least:<revision>"))
        }
    }
}
