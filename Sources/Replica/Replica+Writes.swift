import Governance
import Raft

// MARK: - Writes: propose on the leader, forward from a follower

extension Replica {
    /// Submits a write; it completes in a later `process()` (see the outcome rules in the contract).
    /// With `waitForEnforcers` the completion also waits for enforcer acknowledgements or their lease.
    public func submitWrite(requestID: RequestID, command: Command, actor: Actor, idempotencyKey: String?,
                            waitForEnforcers: Bool = false) {
        guard admit(requestID) else { return }
        let payload = LogEntryPayload(timestampMilliseconds: 0, idempotencyKey: idempotencyKey, actor: actor, command: command)
        startWrite(payload, requester: .client(requestID), waitForEnforcers: waitForEnforcers)
    }

    /// Opens a request id; false (and a completion) when it is refused.
    func admit(_ requestID: RequestID) -> Bool {
        if openRequests.contains(requestID) {
            completions[requestID] = .failed(.duplicateRequestID)
            return false
        }
        if openRequests.count >= configuration.maximumPendingRequests {
            completions[requestID] = .failed(.tooManyPendingRequests)
            return false
        }
        openRequests.insert(requestID)
        return true
    }

    /// Proposes (leader) or forwards (follower) a write for `requester`.
    func startWrite(_ payload: LogEntryPayload, requester: Requester, waitForEnforcers: Bool) {
        if core.role == .leader {
            propose(payload, requester: requester, waitForEnforcers: waitForEnforcers)
            return
        }
        guard let leader = core.leaderID, leader != nodeID else {
            finishWrite(requester, .failed(.noLeader))
            return
        }
        guard forwards.count < configuration.maximumInflightForwards else {
            finishWrite(requester, .failed(.tooManyForwards))
            return
        }
        let forwardID = nextForwardID
        nextForwardID &+= 1
        forwards[forwardID] = Forward(requester: requester, leader: leader, deadlineTick: tickCount + UInt64(configuration.writeTimeoutTicks),
                                      waitForEnforcers: waitForEnforcers, committedRevision: nil)
        outgoing.append(PeerMessage(from: nodeID, to: leader, body: .forwardWrite(requestID: forwardID, payload: payload.encode())))
    }

    /// Stamps the leader's timestamp (never below one already stamped or applied) and proposes.
    func propose(_ payload: LogEntryPayload, requester: Requester, waitForEnforcers: Bool) {
        var stamped = payload
        stamped.timestampMilliseconds = max(clock.nowMilliseconds, highestStampedTimestamp, lastAppliedTimestamp)
        do {
            let index = try core.propose(stamped.encode())
            highestStampedTimestamp = stamped.timestampMilliseconds
            proposals[index] = Proposal(requester: requester, term: core.term,
                                        deadlineTick: tickCount + UInt64(configuration.writeTimeoutTicks), waitForEnforcers: waitForEnforcers)
        } catch {
            finishWrite(requester, .failed(Self.failureReason(for: error)))
        }
    }

    static func failureReason(for error: RaftError) -> FailureReason {
        switch error {
        case .tooManyUncommitted: return .tooManyUncommitted
        case .transferInProgress: return .transferInProgress
        case .tooManyPendingReads: return .tooManyPendingReads
        default: return .noLeader
        }
    }

    // MARK: - The leader's side of forwarding

    /// A follower forwarded a write: propose it once (duplicated deliveries are dropped).
    func acceptForwardedWrite(from follower: NodeID, forwardID: UInt64, payload bytes: [UInt8]) {
        let key = ForwardKey(node: follower, forwardID: forwardID)
        guard !recentForwardKeys.contains(key) else { return }
        guard core.role == .leader else {
            outgoing.append(PeerMessage(from: nodeID, to: follower, body: .forwardResult(requestID: forwardID, outcome: .failed(.noLeader))))
            return
        }
        rememberForwardKey(key)
        let requester = Requester.peer(node: follower, forwardID: forwardID)
        guard let payload = try? LogEntryPayload.decode(bytes) else {
            finishWrite(requester, .failed(.invalidPayload))
            return
        }
        guard proposals.count < configuration.maximumPendingRequests else {
            finishWrite(requester, .failed(.tooManyPendingRequests))
            return
        }
        propose(payload, requester: requester, waitForEnforcers: false)
    }

    private func rememberForwardKey(_ key: ForwardKey) {
        recentForwardKeys.insert(key)
        recentForwardOrder.append(key)
        let capacity = configuration.maximumInflightForwards * Self.recentForwardKeyFactor
        if recentForwardOrder.count > capacity {
            let evicted = recentForwardOrder.count - capacity
            for old in recentForwardOrder.prefix(evicted) { recentForwardKeys.remove(old) }
            recentForwardOrder.removeFirst(evicted)
        }
    }

    /// Forward ids remembered per allowed in-flight forward: duplicates arrive within a few
    /// round trips, long after which the id is forgotten.
    static let recentForwardKeyFactor = 4

    // MARK: - The follower's side of forwarding

    /// The leader answered a forwarded write.
    func acceptForwardResult(from leader: NodeID, forwardID: UInt64, outcome: ForwardedOutcome) {
        guard var forward = forwards[forwardID], forward.leader == leader, forward.committedRevision == nil else { return }
        switch outcome {
        case .committed(let revision):
            forward.committedRevision = revision
            forwards[forwardID] = forward
            completeForwardsApplied()
        case .failed(let reason):
            forwards[forwardID] = nil
            finishWrite(forward.requester, .failed(reason))
        case .ambiguous(let reason):
            forwards[forwardID] = nil
            finishWrite(forward.requester, .ambiguous(reason))
        }
    }

    /// Completes forwarded writes whose committed revision this node has applied, with the
    /// result its own apply produced (read-your-writes at the node the client talks to).
    func completeForwardsApplied() {
        for forwardID in forwards.keys.sorted() {
            guard let forward = forwards[forwardID], let revision = forward.committedRevision, revision <= lastAppliedIndex else { continue }
            forwards[forwardID] = nil
            if let result = recentResults.result(at: revision) {
                finishApplied(forward.requester, revision: revision, result: result, waitForEnforcers: forward.waitForEnforcers)
            } else {
                finishWrite(forward.requester, .ambiguous(.resultUnavailable))
            }
        }
    }

    // MARK: - Losing leadership, timeouts

    /// Leadership (or the leader) changed: proposals and forwards to the old leader are ambiguous.
    func abandonWritesAfterLeaderChange() {
        if core.role != .leader {
            for index in proposals.keys.sorted() {
                let proposal = proposals.removeValue(forKey: index)!
                finishWrite(proposal.requester, .ambiguous(.leadershipLost))
            }
        }
        for forwardID in forwards.keys.sorted() {
            guard let forward = forwards[forwardID], forward.committedRevision == nil, forward.leader != core.leaderID else { continue }
            forwards[forwardID] = nil
            finishWrite(forward.requester, .ambiguous(.leadershipLost))
        }
    }

    /// Writes past their deadline become ambiguous: they may still commit.
    func expireWrites() {
        for index in proposals.keys.sorted() where proposals[index]!.deadlineTick <= tickCount {
            let proposal = proposals.removeValue(forKey: index)!
            finishWrite(proposal.requester, .ambiguous(.timedOut))
        }
        for forwardID in forwards.keys.sorted() where forwards[forwardID]!.deadlineTick <= tickCount {
            let forward = forwards.removeValue(forKey: forwardID)!
            finishWrite(forward.requester, .ambiguous(.timedOut))
        }
    }

    // MARK: - Finishing

    /// Routes a write's outcome to whoever waits for it.
    func finishWrite(_ requester: Requester, _ outcome: RequestOutcome) {
        switch requester {
        case .client(let requestID):
            complete(requestID, outcome)
        case .peer(let follower, let forwardID):
            let forwarded: ForwardedOutcome
            switch outcome {
            case .applied(let revision, _, _), .readReady(let revision): forwarded = .committed(revision: revision)
            case .failed(let reason): forwarded = .failed(reason)
            case .ambiguous(let reason): forwarded = .ambiguous(reason)
            }
            outgoing.append(PeerMessage(from: nodeID, to: follower, body: .forwardResult(requestID: forwardID, outcome: forwarded)))
        case .decisionBatch:
            decisionBatchFinished(outcome)
        }
    }

    /// A write applied here: complete it, or make it wait for enforcers first.
    func finishApplied(_ requester: Requester, revision: UInt64, result: CommandResult, waitForEnforcers: Bool) {
        precondition(revision <= lastAppliedIndex, "a write is acknowledged only once applied locally")
        if waitForEnforcers, case .client(let requestID) = requester {
            let lease = state.settings.enforcerLeaseMilliseconds
            enforcerWaiters.append(EnforcerWaiter(requestID: requestID, revision: revision, result: result,
                                                  fencedByMilliseconds: clock.nowMilliseconds + lease))
            return
        }
        finishWrite(requester, .applied(revision: revision, result: result, enforcers: nil))
    }
}
