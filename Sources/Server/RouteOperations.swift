import Governance
import HTTP
import JSON

// MARK: - Kill switch, signals, settings

/// Kill and reinstate (agents and users), risk signals, settings.
enum OperationRoutes {
    static let routes: [RouteDefinition] = [
        RouteDefinition("POST", "/v1/agents/{id}/kill", roles: RouteRoles.security, summary: "Kill an agent everywhere",
            request: "KillRequest", response: "KillResult", handler: killAgent),
        RouteDefinition("POST", "/v1/agents/{id}/reinstate", roles: RouteRoles.security,
            summary: "Make a killed or suspended agent active again, raising valid_after",
            request: "ReasonRequest", response: "AgentEnvelope", handler: reinstateAgent),
        RouteDefinition("POST", "/v1/users/{id}/kill", roles: RouteRoles.security,
            summary: "Cut every delegated access acting for a user", request: "ReasonRequest", response: "UserEnvelope",
            handler: killUser),
        RouteDefinition("POST", "/v1/users/{id}/reinstate", roles: RouteRoles.security,
            summary: "Restore a user's delegated access (earlier tokens stay dead)", request: "ReasonRequest",
            response: "UserEnvelope", handler: reinstateUser),
        RouteDefinition("POST", "/v1/signals", roles: RouteRoles.security, summary: "Report a risk signal about an agent",
            request: "RiskSignal", response: "RiskResult", handler: signal),
        RouteDefinition("GET", "/v1/settings", roles: RouteRoles.readers, summary: "Settings in force",
            query: ["consistency"], response: "Settings", handler: getSettings),
        RouteDefinition("PUT", "/v1/settings", roles: RouteRoles.admin, summary: "Replace the settings",
            request: "Settings", response: "Settings", handler: putSettings),
    ]

    struct KillBody: Sendable {
        var reason: String
        var waitForEnforcers: Bool
    }

    static func killAgent(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.write(waitsForEnforcers: \.waitForEnforcers) { reader -> KillBody? in
            let reason = reader.string("reason", required: true)
            let wait = reader.bool("wait_for_enforcers", required: false) ?? false
            return reason.map { KillBody(reason: $0, waitForEnforcers: wait) }
        } make: { body, context in
            RouteRequest.prepared(.killAgent(id: id, reason: body.reason), context) { applied in
                let result = applied.result, enforcers = applied.enforcers
                guard case .agentKilled(let agent) = result else { return nil }
                var members: [String: JSONValue] = ["agent": APIRendering.agent(agent)]
                if let enforcers {
                    members["enforcers"] = .object([
                        "acknowledged": .integer(Int64(enforcers.acknowledged)), "total": .integer(Int64(enforcers.total)),
                        "fenced_by": .string(APITime.format(milliseconds: enforcers.fencedByMilliseconds)),
                    ])
                }
                return members
            }
        }
    }

    /// Parses `{reason}`.
    static func reason(_ reader: inout JSONObjectReader) -> String? {
        reader.string("reason", required: true)
    }

    static func reinstateAgent(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.write(parse: reason) { reason, context in
            RouteRequest.prepared(.reinstateAgent(id: id, reason: reason), context) { applied in
                let result = applied.result
                guard case .agent(let agent) = result else { return nil }
                return ["agent": APIRendering.agent(agent)]
            }
        }
    }

    static func killUser(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.write(parse: reason) { reason, context in
            RouteRequest.prepared(.killUser(id: id, reason: reason), context, render: RegistryRoutes.renderUser)
        }
    }

    static func reinstateUser(_ request: RouteRequest) -> APIOperation {
        let id = request.parameter("id")
        return request.write(parse: reason) { reason, context in
            RouteRequest.prepared(.reinstateUser(id: id, reason: reason), context, render: RegistryRoutes.renderUser)
        }
    }

    static func signal(_ request: RouteRequest) -> APIOperation {
        request.write { reader -> RiskSignal? in
            let agent = reader.identifier("agent", required: true)
            let type = reader.identifier("type", required: true)
            let severity = reader.integer("severity", required: true, range: 0...Int64(GovernanceLimits.maximumSeverity))
            let source = reader.string("source", required: true)
            let detail = reader.string("detail", required: false, allowEmpty: true)
            guard let agent, let type, let severity, let source else { return nil }
            return RiskSignal(agent: agent, type: type, severity: severity, source: source, detail: detail)
        } make: { signal, context in
            RouteRequest.prepared(.riskSignal(signal), context) { applied in
                let result = applied.result
                guard case .risk(let score, let killed) = result else { return nil }
                return ["agent": .string(signal.agent), "risk_score": .double(score), "killed": .bool(killed)]
            }
        }
    }

    static func getSettings(_ request: RouteRequest) -> APIOperation {
        request.readJSON { context in .success(APIRendering.settings(context.state.settings)) }
    }

    static func putSettings(_ request: RouteRequest) -> APIOperation {
        request.write { reader -> Settings? in
            let threshold = reader.number("risk_threshold", required: true, range: 0...GovernanceLimits.maximumRiskSetting)
            let decay = reader.number("risk_decay_per_hour", required: true, range: 0...GovernanceLimits.maximumRiskSetting)
            let lease = reader.integer(
                "enforcer_lease_ms", required: true, range: 1...GovernanceLimits.maximumEnforcerLeaseMilliseconds)
            let ttl = reader.integer("token_ttl_seconds", required: true, range: 1...GovernanceLimits.maximumTokenTTLSeconds)
            guard let threshold, let decay, let lease, let ttl else { return nil }
            return Settings(riskThreshold: threshold, riskDecayPerHour: decay, enforcerLeaseMilliseconds: lease, tokenTTLSeconds: ttl)
        } make: { settings, context in
            RouteRequest.prepared(.setSettings(settings), context) { applied in
                let result = applied.result
                guard case .settings(let applied) = result else { return nil }
                return APIRendering.settings(applied)
            }
        }
    }
}
