import Governance
import Raft
import Replica

// MARK: - Checks after every step

extension Simulation {
    /// Raft safety after `node`'s state changed (Raft state changes only inside `process()`).
    func checkStep(_ node: SimulatedNode) {
        guard let replica = node.replica else { return }
        safety.check(node: node.index, view: replica.raft, views: { self.nodes.map { $0.replica?.raft } }) { self.violation($0, $1) }
        leaderQuorum.observe(node: node.index, role: replica.role, term: replica.term)
    }

    /// No leading without a quorum, after `node`'s own timer ticked.
    func checkTick(_ node: SimulatedNode) {
        guard let replica = node.replica else { return }
        guard replica.role == .leader else {
            leaderQuorum.observe(node: node.index, role: replica.role, term: replica.term)
            return
        }
        let raft = replica.raft
        leaderQuorum.ticked(node: node.index, role: raft.role, term: raft.term,
                            voters: raft.membership.voters.map { Int($0) - 1 }, quorum: raft.membership.quorum,
                            electionTimeoutTicks: raft.options.electionTimeoutTicks) { self.violation($0, $1) }
    }

    /// Hands `message` to `node`'s replica, noting first whom a leader hears from.
    func receive(_ message: PeerMessage, at node: SimulatedNode) {
        guard let replica = node.replica else { return }
        if case .raft(let raft) = message.body, LeaderQuorumChecker.isQuorumContact(raft.body) {
            leaderQuorum.heard(node: node.index, from: Int(raft.from) - 1, term: raft.term)
        }
        replica.receive(message)
    }

    /// A client write applied: after healing began, that proves a leader and a commit.
    func livenessWitness() {
        if livenessReachedAt == nil && clock.now >= plan.healingStartsAt {
            livenessReachedAt = clock.now
            note("liveness: a write applied \(FaultPlan.render(clock.now - plan.healingStartsAt)) after healing began")
        }
    }
}

// MARK: - Checks at the end

extension Simulation {
    /// Liveness, convergence, no acknowledged write lost, and the kill-switch safety rule.
    /// (Linearizability is separate: `checkLinearizability()`, timed on its own by the CLI.)
    public func checkFinalState() {
        checkLiveness()
        checkConvergence()
        checkAcknowledgedWrites()
        checkKillSwitchSafety()
    }

    private func checkLiveness() {
        let deadline = plan.healingStartsAt + configuration.livenessBound
        guard let reached = livenessReachedAt, reached <= deadline else {
            violation("liveness", "no leader committed a client write within \(FaultPlan.render(configuration.livenessBound)) of healing")
            return
        }
    }

    private func checkConvergence() {
        let down = nodes.filter { !$0.isUp && !$0.refusedDisk }.map(\.index)
        if !down.isEmpty { violation("convergence", "nodes \(down) are still down at the end") }
        let up = nodes.compactMap(\.replica)
        guard let first = up.first else { return }
        let digest = first.governance.digest()
        for replica in up.dropFirst() {
            if replica.appliedRevision != first.appliedRevision {
                violation("convergence", "node \(replica.nodeID - 1) applied \(replica.appliedRevision), node \(first.nodeID - 1) applied \(first.appliedRevision)")
            } else if replica.governance.digest() != digest {
                violation("convergence", "nodes \(first.nodeID - 1) and \(replica.nodeID - 1) applied \(first.appliedRevision) but their state digests differ")
            } else if replica.governance.auditHead != first.governance.auditHead {
                violation("convergence", "nodes \(first.nodeID - 1) and \(replica.nodeID - 1) have different audit heads")
            }
        }
    }

    private func checkAcknowledgedWrites() {
        let finalApplied = nodes.compactMap(\.replica).map(\.appliedRevision).min() ?? 0
        for write in workload.acknowledged {
            guard let committed = safety.committed(at: write.revision) else {
                if write.revision > safety.highestCommitted || finalApplied < write.revision {
                    violation("no acknowledged write lost", "revision \(write.revision) acknowledged by node \(write.node) is not committed at the end")
                }
                continue
            }
            if committed.term != write.term || committed.hash != write.contentHash {
                violation("no acknowledged write lost",
                          "revision \(write.revision) acknowledged by node \(write.node) as term \(write.term), committed as term \(committed.term)")
            }
        }
    }

    private func checkKillSwitchSafety() {
        if let problem = KillSwitchSafety.firstViolation(in: workload.history.operations) {
            violation("kill-switch safety", problem)
        }
    }

    /// Checks the kill-switch history for linearizability, one agent at a time; a search that
    /// runs out of budget is reported as a violation of kind `linearizability unknown`.
    @discardableResult
    public func checkLinearizability() -> LinearizabilityResult<WardenKillSwitchModel.Input, WardenKillSwitchModel.Output> {
        let checker = LinearizabilityChecker(model: WardenKillSwitchModel(), stepBudgetPerPartition: configuration.linearizabilityStepBudget)
        let result = checker.check(workload.history)
        switch result {
        case .linearizable: break
        case .notLinearizable(let witness): violation("linearizability", witness.description)
        case .unknown(let exhausted): violation("linearizability unknown", exhausted.description)
        }
        return result
    }
}

// MARK: - The kill-switch rule, directly

/// The kill-switch guarantee checked directly on a history, without search: it cannot run out
/// of budget, and it names the offending check in plain words.
public enum KillSwitchSafety {
    /// The first check that allowed an agent after a kill of it was acknowledged, unless a
    /// reinstate of it might have been applied in between (acknowledged or uncertain,
    /// overlapping that span); nil when there is none. An uncertain reinstate (ambiguous or
    /// pending) may take effect at any point after its invocation, long after the client gave
    /// up on it (as `History.markAmbiguous` and the linearizability checker have it): a write
    /// held in a clogged link can reach a leader seconds later and commit, so it overlaps
    /// every span that ends after its invocation.
    public static func firstViolation(
        in operations: [HistoryOperation<WardenKillSwitchModel.Input, WardenKillSwitchModel.Output>]
    ) -> String? {
        var killsByAgent: [String: [HistoryOperation<WardenKillSwitchModel.Input, WardenKillSwitchModel.Output>]] = [:]
        var reinstatesByAgent = killsByAgent
        for operation in operations {
            switch (operation.input, operation.outcome) {
            case (.kill(let agent), .ok(.done)): killsByAgent[agent, default: []].append(operation)
            case (.reinstate(let agent), .ok(.done)), (.reinstate(let agent), .ambiguous), (.reinstate(let agent), .pending):
                reinstatesByAgent[agent, default: []].append(operation)
            default: break
            }
        }
        for check in operations {
            guard case .check(let agent) = check.input, case .ok(.allowed(true)) = check.outcome,
                  let checkEnd = check.completedAt else { continue }
            // The acknowledged kill invoked last before the check is the binding one: a reinstate
            // that excuses it excuses every earlier kill too.
            let binding = (killsByAgent[agent] ?? []).filter { $0.completedAt! < check.invokedAt }.max { $0.invokedAt < $1.invokedAt }
            guard let kill = binding else { continue }
            let excused = (reinstatesByAgent[agent] ?? []).contains { reinstate in
                let mayTakeEffectUntil: VirtualNanoseconds = reinstate.isUncertain ? .max : reinstate.completedAt!
                return reinstate.invokedAt < checkEnd && mayTakeEffectUntil > kill.invokedAt
            }
            if !excused {
                return "check of \(agent) invoked at \(FaultPlan.render(check.invokedAt)) allowed it after its kill was acknowledged at \(FaultPlan.render(kill.completedAt!)) with no reinstate in between"
            }
        }
        return nil
    }
}
