import Authorization
import Governance
import Raft
import Replica

// MARK: - What clients do

/// One client operation as planned, before it meets the cluster.
enum PlannedOperation {
    /// A write; `modelInput` is set for the kill-switch writes the linearizability check reads.
    case write(Command, modelInput: WardenKillSwitchModel.Input?)
    /// A linearizable check of `chain` (the last member acts; earlier ones delegated to it).
    case check(chain: [String])

    var isRead: Bool {
        if case .check = self { return true }
        return false
    }
}

/// A client's state between its invocation and its final outcome.
struct ClientState {
    var operation: PlannedOperation?
    /// Bumped on every attempt, so that a stale timeout or completion is recognised.
    var attempt = 0
    var attemptsUsed = 0
    var everUncertain = false
    var idempotencyKey = ""
    var historyIDs: [Int] = []
    var openRequest: (requestID: RequestID, node: Int)?
    var operationsDone = 0
}

/// An acknowledged write, to be found intact in the final log: its revision and the term and
/// content of the entry the acknowledging node applied there.
struct AcknowledgedWrite {
    let revision: UInt64
    let term: UInt64
    let contentHash: UInt64
    let node: Int
}

/// The workload's state: clients, the kill-switch history, acknowledged writes, counters.
struct Workload {
    /// History client ids per real client: a chain check records one observation per member.
    static let historySlotsPerClient = 2
    /// The most risk points signalled per agent, kept below the kill threshold (100) so that
    /// risk kills (which the model does not track) never happen.
    static let maximumRiskPointsPerAgent: Int64 = 60

    let agents: [String]
    var clients: [ClientState]
    var history = History<WardenKillSwitchModel.Input, WardenKillSwitchModel.Output>()
    var acknowledged: [AcknowledgedWrite] = []
    var openRequests: [RequestID: Int] = [:]
    var nextRequestID: RequestID = 1
    var riskPoints: [String: Int64] = [:]
    var operationCounter = 0
    /// Outcome counters for the report.
    var applied = 0, readsServed = 0, failed = 0, ambiguous = 0, retries = 0

    init(configuration: SimulationConfiguration) {
        agents = (0..<configuration.agentCount).map { "agent-\($0)" }
        clients = Array(repeating: ClientState(), count: configuration.clientCount)
    }

    /// Picks the next operation at random, weighted towards the kill switch.
    mutating func plan(_ random: inout SeededRandom, nowMilliseconds: Int64) -> PlannedOperation {
        operationCounter += 1
        let agent = random.pick(agents)!
        let other = random.pick(agents)!
        let roll = random.uniform(in: 0..<100)
        switch roll {
        case 0..<14:
            let registration = AgentRegistration(
                id: agent, name: agent, owner: "owner-1", kind: .agent, scopes: ["doc:read", "doc:write"], secretHash: [1, 2, 3, 4])
            return .write(.registerAgent(registration), modelInput: .register(agent))
        case 14..<28:
            return .write(.killAgent(id: agent, reason: "chaos"), modelInput: .kill(agent))
        case 28..<40:
            return .write(.reinstateAgent(id: agent, reason: "chaos"), modelInput: .reinstate(agent))
        case 40..<70:
            return .check(chain: other != agent && random.bernoulli(0.5) ? [other, agent] : [agent])
        case 70..<78 where (riskPoints[agent] ?? 0) < Self.maximumRiskPointsPerAgent:
            riskPoints[agent, default: 0] += 1
            return .write(.riskSignal(RiskSignal(agent: agent, type: "chaos", severity: 1, source: "chaos")), modelInput: nil)
        case 78..<86:
            let connection = Connection(id: "conn-\(agent)-\(other)", caller: agent, callee: other, scopes: ["doc:read"], maxTokenTTLSeconds: 300)
            return .write(.createConnection(connection), modelInput: nil)
        case 86..<93:
            let tuple = RelationshipTuple(user: "agent:\(agent)", relation: "reader", object: "doc:\(operationCounter % 17)")
            return .write(.writeTuples(writes: [tuple], deletes: []), modelInput: nil)
        default:
            let token = IssuedToken(
                jti: "jti-\(operationCounter)", subject: "user:owner-1", chain: [other, agent], scopes: ["doc:read"],
                expiresAtMilliseconds: nowMilliseconds + 600_000)
            return .write(.tokenIssued(token), modelInput: nil)
        }
    }

    /// The kill-switch observations a decision makes about each member of `chain`: a member is
    /// allowed unless the decision names it unknown, killed or suspended.
    static func observations(_ decision: Decision, chain: [String]) -> [(agent: String, allowed: Bool)] {
        var denied = Set<String>()
        for reason in decision.reasons {
            switch reason {
            case .agentUnknown(let id), .agentKilled(let id), .agentSuspended(let id),
                 .chainMemberUnknown(let id), .chainMemberKilled(let id), .chainMemberSuspended(let id):
                denied.insert(id)
            default:
                break
            }
        }
        return chain.map { ($0, !denied.contains($0)) }
    }

    /// The decision request for `chain`: the last member acts, with a delegation token naming
    /// the whole chain when there is more than one member.
    static func decisionRequest(chain: [String], nowMilliseconds: Int64, jti: String) -> DecisionRequest {
        let token = chain.count > 1 ? PresentedToken(
            jti: jti, subject: "user:owner-1", chain: chain, scopes: ["doc:read"], issuedAtRevision: UInt64.max / 2,
            expiresAtMilliseconds: nowMilliseconds + 600_000, issuedAtMilliseconds: nowMilliseconds) : nil
        return DecisionRequest(agent: chain.last!, token: token, action: "read", resource: "doc:1")
    }
}
