// MARK: - Replication: proposals, appends, heartbeats and commit

extension RaftCore {
    /// Proposes one application command; returns the index it will have if committed.
    @discardableResult
    public mutating func propose(_ data: [UInt8]) throws(RaftError) -> UInt64 {
        try checkAcceptsProposal(bytes: data.count)
        let index = appendAsLeader(kind: .normal, data: data)
        broadcastAppend(allowEmpty: false)
        return index
    }

    /// Proposes several commands at once (one replication round for all); returns their indices.
    @discardableResult
    public mutating func propose(batch: [[UInt8]]) throws(RaftError) -> ClosedRange<UInt64> {
        precondition(!batch.isEmpty, "an empty batch proposes nothing")
        try checkAcceptsProposal(bytes: batch.reduce(0) { $0 + $1.count })
        let first = log.lastIndex + 1
        for data in batch { appendAsLeader(kind: .normal, data: data) }
        broadcastAppend(allowEmpty: false)
        return first...log.lastIndex
    }

    func checkAcceptsProposal(bytes: Int) throws(RaftError) {
        guard role == .leader else { throw .notLeader(hint: leaderID) }
        guard transferTarget == nil else { throw .transferInProgress }
        // One proposal larger than the bound still goes through when nothing is pending.
        if uncommittedBytes > 0 && uncommittedBytes + bytes > options.maxUncommittedBytes {
            throw .tooManyUncommitted
        }
    }

    @discardableResult
    mutating func appendAsLeader(kind: Entry.Kind, data: [UInt8]) -> UInt64 {
        let index = log.lastIndex + 1
        log.appendAsLeader(Entry(term: term, index: index, kind: kind, data: data))
        uncommittedBytes += data.count
        return index
    }

    // MARK: - Leader side

    /// Sends what each follower lacks; with `allowEmpty`, also a bare commit update.
    mutating func broadcastAppend(allowEmpty: Bool) {
        for member in membership.members where member != id {
            var sentAny = false
            while sendAppend(to: member, allowEmpty: allowEmpty && !sentAny) {
                sentAny = true
            }
        }
    }

    /// Sends one append to `peer` unless it is paused; true when one was sent.
    @discardableResult
    mutating func sendAppend(to peer: NodeID, allowEmpty: Bool) -> Bool {
        guard var peerProgress = progress[peer], !peerProgress.isPaused else { return false }
        let previousIndex = peerProgress.next - 1
        guard let previousTerm = log.term(at: previousIndex) else {
            sendSnapshot(to: peer)
            return false
        }
        let entries = log.entries(from: peerProgress.next, through: log.lastIndex,
                                  maxCount: options.maxEntriesPerAppend, maxBytes: options.maxBytesPerAppend)
        if entries.isEmpty && !allowEmpty { return false }
        peerProgress.recordSent(lastIndex: entries.last?.index)
        progress[peer] = peerProgress
        let request = RaftMessage.AppendRequest(previousIndex: previousIndex, previousTerm: previousTerm,
                                                entries: entries, commitIndex: log.commitIndex)
        outbox.append(message(.append(request), to: peer))
        return !entries.isEmpty
    }

    mutating func broadcastHeartbeat() {
        for member in membership.members where member != id {
            let match = progress[member]?.match ?? 0
            // Capped at the follower's match: it may not yet hold the leader's committed entries.
            let commit = min(match, log.commitIndex)
            outbox.append(message(.heartbeat(commitIndex: commit, readRound: reads.round), to: member))
        }
    }

    mutating func handleAppendResponse(_ response: RaftMessage.AppendResponse, from peer: NodeID) {
        guard var peerProgress = progress[peer], response.index <= log.lastIndex else { return }
        peerProgress.recentActive = true
        if response.success {
            let updated = peerProgress.acknowledge(response.index)
            if updated && peerProgress.state == .snapshot && peerProgress.match >= peerProgress.snapshotIndex {
                peerProgress.becomeProbe()
            }
            if updated && peerProgress.state == .probe { peerProgress.becomeReplicate() }
            progress[peer] = peerProgress
            if updated && maybeCommit() {
                broadcastAppend(allowEmpty: true)
            } else {
                while sendAppend(to: peer, allowEmpty: false) {}
            }
            if transferTarget == peer && peerProgress.match == log.lastIndex {
                outbox.append(message(.timeoutNow, to: peer))
            }
        } else {
            let hint = response.rejectHintTerm > 0
                ? log.lastIndex(atOrBelow: response.rejectHintIndex, withTermAtMost: response.rejectHintTerm)
                : min(response.rejectHintIndex, log.lastIndex)
            let changed = peerProgress.rejected(response.index, hint: hint)
            progress[peer] = peerProgress
            if changed { sendAppend(to: peer, allowEmpty: true) }
        }
    }

    mutating func handleHeartbeatResponse(readRound: UInt64, from peer: NodeID) {
        guard var peerProgress = progress[peer] else { return }
        peerProgress.recentActive = true
        peerProgress.probeSent = false
        peerProgress.readRoundAcknowledged = max(peerProgress.readRoundAcknowledged, readRound)
        progress[peer] = peerProgress
        if peerProgress.state == .snapshot {
            sendSnapshotChunk(to: peer)
        } else if peerProgress.match < log.lastIndex || peerProgress.state == .probe {
            sendRecoveryAppend(to: peer)
        }
        checkReadRound()
    }

    /// The follower answers heartbeats but may have lost appends: send what it lacks, or an
    /// empty append whose rejection puts it back into probe state. This goes out even when the
    /// in-flight window is full, since every append filling it may have been lost (etcd does
    /// the same).
    private mutating func sendRecoveryAppend(to peer: NodeID) {
        guard let peerProgress = progress[peer] else { return }
        if peerProgress.state == .replicate && peerProgress.isPaused {
            let previousIndex = peerProgress.next - 1
            guard let previousTerm = log.term(at: previousIndex) else {
                progress[peer]?.becomeProbe()
                sendAppend(to: peer, allowEmpty: true)
                return
            }
            let request = RaftMessage.AppendRequest(previousIndex: previousIndex, previousTerm: previousTerm,
                                                    entries: [], commitIndex: log.commitIndex)
            outbox.append(message(.append(request), to: peer))
        } else {
            sendAppend(to: peer, allowEmpty: true)
        }
    }

    /// Advances the commit index to the highest index a quorum of voters holds durably, if that
    /// entry is of the current term (Raft §5.4.2, Figure 8). The leader counts itself only up to
    /// its persisted index, so nothing commits before it is durable on a quorum.
    @discardableResult
    mutating func maybeCommit() -> Bool {
        guard role == .leader, !membership.voters.isEmpty else { return false }
        var matches: [UInt64] = []
        matches.reserveCapacity(membership.voters.count)
        for voter in membership.voters {
            matches.append(voter == id ? log.persistedIndex : progress[voter]?.match ?? 0)
        }
        matches.sort(by: >)
        let candidate = matches[membership.quorum - 1]
        guard candidate > log.commitIndex, log.term(at: candidate) == term else { return false }
        commit(to: candidate)
        return true
    }

    /// Moves the commit index forward and applies what commit means to the core itself:
    /// configurations take effect, flow-control bytes are released, deferred reads may start.
    mutating func commit(to index: UInt64) {
        let previous = log.commitIndex
        guard index > previous else { return }
        log.commit(to: index)
        var newConfiguration: ClusterConfiguration?
        for position in stride(from: previous + 1, through: index, by: 1) {
            guard let entry = log.entry(at: position) else { continue }
            if role == .leader { uncommittedBytes = max(0, uncommittedBytes - entry.data.count) }
            if entry.kind == .configuration {
                newConfiguration = Self.decodeConfiguration(entry)
                committedConfigurationIndex = position
            }
        }
        if let newConfiguration { applyConfiguration(newConfiguration) }
        if role == .leader && log.term(at: previous) != term && log.term(at: index) == term {
            releaseDeferredReads()
        }
    }

    // MARK: - Follower side

    mutating func handleAppend(_ request: RaftMessage.AppendRequest, from leader: NodeID) {
        precondition(role != .leader, "two leaders in one term")
        if role != .follower || leaderID != leader { becomeFollower(term: term, leader: leader) }
        electionElapsed = 0
        if request.previousIndex < log.commitIndex {
            reply(.appendResponse(.init(success: true, index: log.commitIndex)), to: leader)
            return
        }
        if let lastNew = log.tryAppend(request) {
            commit(to: min(request.commitIndex, lastNew))
            reply(.appendResponse(.init(success: true, index: lastNew)), to: leader)
            return
        }
        let hintIndex = log.lastIndex(atOrBelow: min(request.previousIndex, log.lastIndex),
                                      withTermAtMost: request.previousTerm)
        let hintTerm = log.term(at: hintIndex) ?? 0
        let response = RaftMessage.AppendResponse(success: false, index: request.previousIndex,
                                                  rejectHintIndex: hintIndex, rejectHintTerm: hintTerm)
        reply(.appendResponse(response), to: leader)
    }

    /// Append acknowledgements promise durable entries: they wait for persistence.
    private mutating func reply(_ body: RaftMessage.Body, to leader: NodeID) {
        outboxAfterPersistence.append(message(body, to: leader))
    }

    mutating func handleHeartbeat(commitIndex: UInt64, readRound: UInt64, from leader: NodeID) {
        precondition(role != .leader, "two leaders in one term")
        if role != .follower || leaderID != leader { becomeFollower(term: term, leader: leader) }
        electionElapsed = 0
        commit(to: min(commitIndex, log.lastIndex))
        outbox.append(message(.heartbeatResponse(readRound: readRound), to: leader))
    }
}
