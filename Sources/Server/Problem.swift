import Governance
import HTTP
import JSON

// MARK: - Problem details

/// One field at fault in a validation error.
public struct FieldError: Sendable, Hashable {
    /// The JSON path of the field (`scopes[2]`, `writes[0].user`).
    public var field: String
    /// What is wrong with it.
    public var message: String

    /// A field error from its parts.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// An RFC 9457 problem (`application/problem+json`).
public struct Problem: Error, Sendable, Hashable {
    /// The HTTP status.
    public var status: Int
    /// A short machine-friendly code; the `type` URI is `urn:warden:problem:<code>`.
    public var code: String
    /// The human explanation of this occurrence.
    public var detail: String
    /// Validation errors, one per field at fault.
    public var errors: [FieldError]

    /// A problem from its parts.
    public init(status: Int, code: String, detail: String, errors: [FieldError] = []) {
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = errors
    }

    /// The problem as JSON, with `revision` when known.
    public func json(revision: UInt64?) -> JSONValue {
        var members: [String: JSONValue] = [
            "type": .string("urn:warden:problem:" + code),
            "title": .string(HTTPResponseWriter.reasonPhrase(status)),
            "status": .integer(Int64(status)),
            "detail": .string(detail),
        ]
        if !errors.isEmpty {
            members["errors"] = .array(errors.map { .object(["field": .string($0.field), "message": .string($0.message)]) })
        }
        if let revision { members["revision"] = .integer(Int64(clamping: revision)) }
        return .object(members)
    }

    /// The problem as a response, with any extra headers.
    public func response(revision: UInt64? = nil, headers extra: [(String, String)] = []) -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "application/problem+json")] + extra)
        if let revision { headers.add(name: APIResponses.revisionHeader, value: String(revision)) }
        return HTTPResponse(status: status, headers: headers, body: JSONWriter().bytes(json(revision: revision)))
    }
}

// MARK: - Common problems

extension Problem {
    /// 400 with field errors.
    public static func validation(_ errors: [FieldError]) -> Problem {
        let first = errors.first.map { "\($0.field): \($0.message)" } ?? "invalid request"
        return Problem(status: 400, code: "invalid_argument", detail: first, errors: errors)
    }

    /// 400 for one field.
    public static func invalid(_ field: String, _ message: String) -> Problem {
        validation([FieldError(field: field, message: message)])
    }

    /// 401: missing or bad credentials.
    public static func unauthenticated(_ detail: String) -> Problem {
        Problem(status: 401, code: "unauthenticated", detail: detail)
    }

    /// 403: the key's role may not do this.
    public static func forbidden(role: APIKeyRole, route: String) -> Problem {
        Problem(status: 403, code: "forbidden", detail: "role '\(role.name)' may not call \(route)")
    }

    /// 404 for an unknown object.
    public static func notFound(_ detail: String) -> Problem {
        Problem(status: 404, code: "not_found", detail: detail)
    }

    /// 500: the state machine answered a command with a result of another kind (a bug, never input).
    static func unexpected(_ command: Command) -> Problem {
        Problem(status: 500, code: "internal", detail: "unexpected result for \(command.name)")
    }

    /// The problem for a command the state machine refused.
    public static func rejection(_ rejection: Rejection) -> Problem {
        switch rejection {
        case .notFound: return Problem(status: 404, code: rejection.code, detail: rejection.message)
        case .alreadyExists, .conflict: return Problem(status: 409, code: rejection.code, detail: rejection.message)
        case .preconditionFailed: return Problem(status: 412, code: rejection.code, detail: rejection.message)
        case .invalidArgument(let field, let message):
            return Problem(
                status: 400, code: rejection.code, detail: rejection.message,
                errors: [FieldError(field: field, message: message)])
        }
    }
}

// MARK: - Responses

/// Building JSON responses that carry the revision in body and header.
public enum APIResponses {
    /// The header carrying the applied revision a response reflects.
    public static let revisionHeader = "Warden-Revision"
    /// Seconds a client should wait before retrying a write that was definitely not applied.
    public static let defaultRetryAfterSeconds = 1

    /// A JSON response; `revision` is added to the object and to the header.
    public static func json(_ status: Int, _ members: [String: JSONValue], revision: UInt64, headers extra: [(String, String)] = []) -> HTTPResponse {
        var members = members
        members["revision"] = .integer(Int64(clamping: revision))
        let headers = HTTPHeaders([("Content-Type", "application/json"), (revisionHeader, String(revision))] + extra)
        return HTTPResponse(status: status, headers: headers, body: JSONWriter().bytes(.object(members)))
    }

    /// `response` with a `Warden-Revision` header when it has none: the runtime stamps answers the
    /// router gave alone (404, 405, 400, `/healthz`) with the revision applied when it sends them.
    public static func stamped(_ response: HTTPResponse, revision: UInt64) -> HTTPResponse {
        guard response.headers[revisionHeader] == nil else { return response }
        var headers = response.headers
        headers.add(name: revisionHeader, value: String(revision))
        return HTTPResponse(status: response.status, headers: headers, body: response.body)
    }

    /// A JSON response without revision (public documents such as `/openapi.json`).
    public static func document(_ value: JSONValue, contentType: String = "application/json") -> HTTPResponse {
        HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", contentType)]), body: JSONWriter().bytes(value))
    }

    /// The answer for a write that did not end in an applied entry, or whose entry was refused.
    public static func failure(_ completion: WriteCompletion) -> HTTPResponse? {
        switch completion {
        case .applied(let applied):
            guard case .rejected(let rejection) = applied.result else { return nil }
            return Problem.rejection(rejection).response(revision: applied.revision)
        case .unavailable(let detail, let retryAfterSeconds):
            return Problem(status: 503, code: "unavailable", detail: detail + "; the write was not applied, retry")
                .response(headers: [("Retry-After", String(max(retryAfterSeconds, 0)))])
        case .ambiguous(let detail):
            return Problem(
                status: 504, code: "outcome_unknown",
                detail: detail + "; the write may have applied: retry with the same Idempotency-Key")
                .response()
        }
    }
}

// MARK: - Refusal

/// A request refused before or instead of doing its work: the complete answer to send.
public struct APIRefusal: Error, Sendable, Equatable {
    /// The response (a problem, with any challenge headers).
    public var response: HTTPResponse

    /// A refusal carrying its response.
    public init(_ response: HTTPResponse) { self.response = response }
}
