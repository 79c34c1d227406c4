import JSON

// MARK: - Schemas

/// `components.schemas`: the JSON shapes of requests and responses (API.md field names).
enum OpenAPISchemas {
    static func object(_ properties: [String: JSONValue], required: [String] = [], closed: Bool = false) -> JSONValue {
        var members: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { members["required"] = .array(required.map(JSONValue.string)) }
        if closed { members["additionalProperties"] = false }
        return .object(members)
    }

    static func reference(_ name: String) -> JSONValue { OpenAPI.reference(name) }
    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }
    static let string: JSONValue = ["type": "string"]
    static let identifier: JSONValue = ["type": "string", "pattern": "^[A-Za-z0-9._:@-]{1,128}$"]
    static let integer: JSONValue = ["type": "integer"]
    static let number: JSONValue = ["type": "number"]
    static let boolean: JSONValue = ["type": "boolean"]
    static let time: JSONValue = ["type": "string", "format": "date-time"]
    static let map: JSONValue = ["type": "object"]
    static let scopes: JSONValue = array(["type": "string", "pattern": "^[A-Za-z0-9._@-]+:([A-Za-z0-9._@-]+|\\*)$"])
    static let revision: JSONValue = integer

    static var all: [String: JSONValue] {
        entities.merging(requests) { first, _ in first }.merging(responses) { first, _ in first }
    }

    static let entities: [String: JSONValue] = [
        "Problem": object([
            "type": string, "title": string, "status": integer, "detail": string, "revision": revision,
            "errors": array(object(["field": string, "message": string])),
        ], required: ["type", "title", "status", "detail"]),
        "Agent": object([
            "id": identifier, "name": string, "owner": identifier, "kind": ["enum": ["agent", "service"]],
            "status": ["enum": ["active", "suspended", "killed"]], "scopes": scopes, "attributes": map,
            "risk_score": number, "valid_after": revision, "created_revision": revision, "updated_revision": revision,
        ]),
        "User": object(["id": identifier, "attributes": map, "cut": boolean, "delegation_valid_after": revision]),
        "Connection": object([
            "id": identifier, "caller": identifier, "callee": identifier, "scopes": scopes,
            "max_token_ttl_seconds": integer, "expires_at": time, "created_revision": revision,
        ]),
        "Tuple": object(["user": string, "relation": identifier, "object": string,
                         "condition": object(["name": identifier, "context": map])], required: ["user", "relation", "object"]),
        "AuditRecord": object([
            "seq": integer, "time": time, "revision": revision, "type": string, "actor": string, "subject": string,
            "detail": map, "chain": array(identifier), "prev_hash": string, "hash": string,
        ]),
        "Decision": object(["allowed": boolean, "reasons": array(map), "revision": revision, "decision_id": string]),
        "APIKey": object(["id": identifier, "name": string, "role": ["enum": ["admin", "security", "enforcer", "reader"]],
                          "created_revision": revision]),
    ]

    static let requests: [String: JSONValue] = [
        "AgentRegistration": object([
            "id": identifier, "name": string, "owner": identifier, "kind": ["enum": ["agent", "service"]],
            "scopes": scopes, "attributes": map,
        ], required: ["name", "owner"], closed: true),
        "AgentUpdate": object([
            "name": string, "owner": identifier, "scopes": scopes, "attributes": map,
            "status": ["enum": ["active", "suspended"]], "rotate_secret": boolean,
        ], closed: true),
        "UserAttributes": object(["attributes": map], required: ["attributes"], closed: true),
        "KillRequest": object(["reason": string, "wait_for_enforcers": boolean], required: ["reason"], closed: true),
        "ReasonRequest": object(["reason": string], required: ["reason"], closed: true),
        "RiskSignal": object([
            "agent": identifier, "type": identifier, "severity": ["type": "integer", "minimum": 0, "maximum": 100],
            "source": string, "detail": string,
        ], required: ["agent", "type", "severity", "source"], closed: true),
        "Settings": object([
            "risk_threshold": number, "risk_decay_per_hour": number, "enforcer_lease_ms": integer,
            "token_ttl_seconds": integer, "revision": revision,
        ], required: ["risk_threshold", "risk_decay_per_hour", "enforcer_lease_ms", "token_ttl_seconds"]),
        "ConnectionRequest": object([
            "id": identifier, "caller": identifier, "callee": identifier, "scopes": scopes,
            "max_token_ttl_seconds": integer, "expires_at": time,
        ], required: ["caller", "callee", "scopes", "max_token_ttl_seconds"], closed: true),
        "AuthorizationModel": object(["schema_version": string, "type_definitions": array(map), "conditions": map],
                                     required: ["schema_version", "type_definitions"]),
        "TupleWrite": object(["writes": array(reference("Tuple")), "deletes": array(reference("Tuple"))], closed: true),
        "CheckRequest": object([
            "agent": identifier, "token": string, "on_behalf_of": string, "action": identifier, "resource": string,
            "context": map, "consistency": string,
        ], required: ["agent", "action", "resource"], closed: true),
        "CheckBatchRequest": object(["checks": array(map), "consistency": string], required: ["checks"], closed: true),
        "KeyRequest": object(["name": string, "role": ["enum": ["admin", "security", "enforcer", "reader"]]],
                             required: ["name", "role"], closed: true),
        "DecisionBatch": object(["enforcer": identifier, "batch_seq": integer, "decisions": array(map)],
                                required: ["enforcer", "batch_seq", "decisions"], closed: true),
        "MemberRequest": object(["id": identifier, "address": string], required: ["id", "address"], closed: true),
        "LeadershipRequest": object(["to": identifier], required: ["to"], closed: true),
        "AckRequest": object(["revision": revision], required: ["revision"], closed: true),
        "TokenRequest": object([
            "grant_type": string, "scope": string, "on_behalf_of": string, "client_id": string, "client_secret": string,
            "subject_token": string, "subject_token_type": string, "actor_token": string, "actor_token_type": string,
            "audience": string,
        ], required: ["grant_type"]),
        "IntrospectionRequest": object(["token": string, "token_type_hint": string], required: ["token"]),
        "RevocationRequest": object(["token": string, "token_type_hint": string], required: ["token"]),
    ]

    static let responses: [String: JSONValue] = [
        "AgentCreated": object(["agent": reference("Agent"), "client_secret": string, "revision": revision]),
        "AgentEnvelope": object(["agent": reference("Agent"), "client_secret": string, "revision": revision]),
        "AgentList": object(["agents": array(reference("Agent")), "next": string, "revision": revision]),
        "Deleted": object(["deleted": object(["kind": string, "id": identifier]), "revision": revision]),
        "UserEnvelope": object(["user": reference("User"), "revision": revision]),
        "KillResult": object([
            "agent": reference("Agent"), "revision": revision,
            "enforcers": object(["acknowledged": integer, "total": integer, "fenced_by": time]),
        ]),
        "RiskResult": object(["agent": identifier, "risk_score": number, "killed": boolean, "revision": revision]),
        "ConnectionEnvelope": object(["connection": reference("Connection"), "revision": revision]),
        "ConnectionList": object(["connections": array(reference("Connection")), "next": string, "revision": revision]),
        "ModelWritten": object(["model_id": string, "revision": revision]),
        "ModelEnvelope": object(["model_id": string, "model": reference("AuthorizationModel"), "revision": revision]),
        "TuplesWritten": object(["written": integer, "deleted": integer, "revision": revision]),
        "TupleList": object(["tuples": array(reference("Tuple")), "next": string, "revision": revision]),
        "CheckResult": reference("Decision"),
        "CheckBatchResult": object(["results": ["type": "object", "additionalProperties": reference("Decision")], "revision": revision]),
        "KeyCreated": object(["id": identifier, "key": string, "name": string, "role": string, "revision": revision]),
        "KeyList": object(["keys": array(reference("APIKey")), "revision": revision]),
        "AuditPage": object(["records": array(reference("AuditRecord")), "next": integer, "revision": revision]),
        "AuditVerification": object(["ok": boolean, "records": integer, "head_hash": string, "revision": revision]),
        "DecisionBatchResult": object(["applied": boolean, "recorded": integer, "revision": revision]),
        "ClusterInfo": object([
            "id": string, "leader": string, "term": integer, "commit": revision, "applied": revision,
            "members": array(object(["id": string, "address": string, "role": string, "match": revision, "lag": integer])),
        ]),
        "FeedPage": object(["events": array(map), "revision": revision]),
        "Acknowledged": object(["enforcer": identifier, "revision": revision]),
        "EnforcerList": object(["enforcers": array(object(["id": identifier, "acknowledged": revision, "lag": integer])),
                                "revision": revision]),
        "TokenResponse": object(["access_token": string, "token_type": string, "expires_in": integer, "scope": string]),
        "IntrospectionResponse": object(["active": boolean, "scope": string, "client_id": string, "sub": string, "exp": integer]),
        "Empty": object([:]),
        "JWKS": object(["keys": array(map)], required: ["keys"]),
        "AuthorizationServerMetadata": object(["issuer": string, "token_endpoint": string, "jwks_uri": string]),
        "Health": object(["status": string]),
        "PrometheusText": string,
        "OpenAPIDocument": map,
    ]
}
