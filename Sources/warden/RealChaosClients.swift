#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - Clients

/// One client thread: keep-alive connections to every node, one operation at a time on a random
/// agent through a random node. Writes carry an idempotency key and are retried on other nodes
/// with the same key; a write whose every attempt was uncertain is recorded as ambiguous.
final class RealChaosClient: @unchecked Sendable {
    /// How one attempt ended.
    enum Attempt {
        case answered(RealChaosRecorder.Output, revision: UInt64?)
        case notApplied
        case uncertain
    }

    let index: Int
    let cluster: RealChaosCluster
    let recorder: RealChaosRecorder
    let agents: [String]
    let deadline: UInt64
    /// The least time between this client's invocations, so the bounded operations spread over
    /// the whole budget instead of running out while the nemesis is still at work.
    let pacingNanoseconds: UInt64
    private var random: SeededRandom
    private let http = RealChaosCluster.makeClient()
    private var sequence = 0
    let keyPrefix: String

    init(index: Int, clients: Int, seed: UInt64, cluster: RealChaosCluster, recorder: RealChaosRecorder, agents: [String], deadline: UInt64) {
        self.index = index
        self.cluster = cluster
        self.recorder = recorder
        self.agents = agents
        self.deadline = deadline
        let budget = deadline - RealChaosClock.nanoseconds()
        pacingNanoseconds = budget * UInt64(clients) / UInt64(agents.count * RealChaosBounds.maximumOperationsPerAgent)
        random = SeededRandom(seed: seed, stream: 100 + UInt64(index))
        keyPrefix = "chaos-real-\(seed)-\(index)"
    }

    /// Runs operations until the deadline or until every agent has its bounded share.
    func run() {
        var exhausted: Set<String> = []
        var nextInvocation = RealChaosClock.nanoseconds()
        while RealChaosClock.nanoseconds() < deadline && exhausted.count < agents.count {
            let now = RealChaosClock.nanoseconds()
            if now < nextInvocation { RealChaosClock.sleep(milliseconds: (nextInvocation - now) / 1_000_000) }
            nextInvocation = max(nextInvocation, now) + pacingNanoseconds
            guard let agent = random.pick(agents), !exhausted.contains(agent) else { continue }
            guard recorder.reserve(agent) else { exhausted.insert(agent); continue }
            switch random.uniform(in: 0..<4) {
            case 0: write(.kill(agent), path: "/v1/agents/\(agent)/kill")
            case 1: write(.reinstate(agent), path: "/v1/agents/\(agent)/reinstate")
            default: check(agent)
            }
        }
    }

    private func randomNode() -> Int { random.uniform(in: 0..<RealChaosCluster.nodeCount) }

    private func write(_ input: RealChaosRecorder.Input, path: String) {
        sequence += 1
        let key = "\(keyPrefix)-\(sequence)"
        let id = recorder.invoke(client: index, input)
        var node = randomNode()
        var uncertain = false
        for attempt in 0..<RealChaosBounds.writeAttempts {
            if attempt > 0 {
                RealChaosClock.sleep(milliseconds: RealChaosBounds.retryPauseMilliseconds)
                node = (node + 1 + random.uniform(in: 0..<(RealChaosCluster.nodeCount - 1))) % RealChaosCluster.nodeCount
            }
            let answer = cluster.send(http, to: node, "POST", path, json: #"{"reason":"chaos-real"}"#, idempotencyKey: key)
            switch Self.classifyWrite(answer) {
            case .answered(let output, let revision):
                recorder.complete(id, output, revision: revision)
                return
            case .notApplied:
                recorder.noteUnanswered("write", answer)
                if random.uniform(in: 0..<100) < RealChaosBounds.takeNotAppliedAtItsWordPercent { return finish(id, uncertain: uncertain) }
            case .uncertain: recorder.noteUnanswered("write", answer); uncertain = true
            }
        }
        finish(id, uncertain: uncertain)
    }

    /// Gives up on a write: ambiguous when an attempt may have applied, else definitely failed.
    private func finish(_ id: Int, uncertain: Bool) {
        if uncertain { recorder.markAmbiguous(id) } else { recorder.fail(id) }
    }

    /// 200 applied; 404/412 applied as a rejection (state unchanged); 503 definitely not
    /// applied (API contract); anything else (504, other 5xx, no answer) may have applied.
    static func classifyWrite(_ answer: RealChaosAnswer?) -> Attempt {
        guard let answer else { return .uncertain }
        switch answer.status {
        case 200:
            let revision = answer.body?["revision"]?.integerValue.map { UInt64($0) }
            return .answered(.done, revision: revision)
        case 404, 412: return .answered(.rejected, revision: nil)
        case 503: return .notApplied
        default: return .uncertain
        }
    }

    private func check(_ agent: String) {
        let id = recorder.invoke(client: index, .check(agent))
        var node = randomNode()
        for attempt in 0..<RealChaosBounds.checkAttempts {
            if attempt > 0 {
                RealChaosClock.sleep(milliseconds: RealChaosBounds.retryPauseMilliseconds)
                node = (node + 1) % RealChaosCluster.nodeCount
            }
            if let allowed = Self.linearizableCheck(cluster: cluster, http: http, node: node, agent: agent, recorder: recorder) {
                recorder.complete(id, .allowed(allowed))
                return
            }
        }
        recorder.fail(id)
    }

    /// `POST /v1/check` with `consistency: linearizable`; the decision, or nil without one.
    static func linearizableCheck(
        cluster: RealChaosCluster, http: HTTPClient, node: Int, agent: String, recorder: RealChaosRecorder? = nil
    ) -> Bool? {
        let body = #"{"agent":"\#(agent)","action":"approve","resource":"invoice:1","consistency":"linearizable"}"#
        let answer = cluster.send(http, to: node, "POST", "/v1/check", json: body)
        guard let answer, answer.status == 200, let allowed = answer.body?["allowed"]?.boolValue else {
            recorder?.noteUnanswered("check", answer)
            return nil
        }
        return allowed
    }
}
