// MARK: - Risk

/// How risk signals move an agent's score.
///
/// The score first decays linearly by `riskDecayPerHour × elapsed hours` from
/// `riskUpdatedAtMilliseconds` to the entry timestamp (floored at 0; a timestamp before the last
/// update counts as no time), then rises by `severity × severityWeight`. At or above
/// `riskThreshold` the agent is killed in the same entry, reason `risk`, initiator `policy`.
public enum RiskPolicy {
    /// Points per unit of severity: 1, so with the default threshold of 100 one severity-100
    /// signal, or two of severity 50 within the decay, kill.
    public static let severityWeight: Double = 1
    /// The kill reason of a risk kill.
    public static let killReason = "risk"
    /// Milliseconds per hour.
    static let millisecondsPerHour: Double = 3_600_000

    /// The score `score` last updated at `updatedAt` has decayed to at `now`.
    public static func decayed(
        score: Double, updatedAtMilliseconds updatedAt: Int64, nowMilliseconds now: Int64, decayPerHour: Double
    ) -> Double {
        let elapsedMilliseconds = now > updatedAt ? Double(now) - Double(updatedAt) : 0
        return max(0, score - decayPerHour * elapsedMilliseconds / millisecondsPerHour)
    }

    /// The score after a signal of `severity` on top of the decayed score.
    public static func raised(decayedScore: Double, severity: Int64) -> Double {
        decayedScore + Double(severity) * severityWeight
    }
}

extension GovernanceState {
    mutating func applyRiskSignal(
        _ signal: RiskSignal, _ context: ApplyContext, _ effects: inout ApplyEffects
    ) throws(Rejection) -> CommandResult {
        try Validation.identifier(signal.type, "type")
        try Validation.identifier(signal.source, "source")
        if let detail = signal.detail { try Validation.text(detail, "detail", allowEmpty: true) }
        guard (0...Int64(GovernanceLimits.maximumSeverity)).contains(signal.severity) else {
            throw .invalidArgument(field: "severity", message: "must be 0 to \(GovernanceLimits.maximumSeverity)")
        }
        guard var agent = agents[signal.agent] else { throw .notFound(kind: "agent", id: signal.agent) }
        let decayed = RiskPolicy.decayed(
            score: agent.riskScore, updatedAtMilliseconds: agent.riskUpdatedAtMilliseconds,
            nowMilliseconds: context.timestampMilliseconds, decayPerHour: settings.riskDecayPerHour)
        agent.riskScore = RiskPolicy.raised(decayedScore: decayed, severity: signal.severity)
        agent.riskUpdatedAtMilliseconds = max(agent.riskUpdatedAtMilliseconds, context.timestampMilliseconds)
        agent.updatedRevision = context.revision
        agents[agent.id] = agent
        var detail = [
            "type": signal.type, "severity": String(signal.severity), "source": signal.source,
            "risk_score": String(agent.riskScore),
        ]
        if let text = signal.detail { detail["detail"] = text }
        effects.record("risk_signal", subject: "agent:" + agent.id, detail: detail)
        if agent.status != .killed && agent.riskScore >= settings.riskThreshold {
            agent = kill(agent.id, reason: RiskPolicy.killReason, initiator: .policy, context, &effects)
        }
        return .risk(score: agent.riskScore, killed: agent.status == .killed)
    }
}
