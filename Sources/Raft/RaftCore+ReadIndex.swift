// MARK: - ReadIndex: batched linearizable reads

extension RaftCore {
    /// Asks for a linearizable read identified by `requestID` (chosen by the caller).
    ///
    /// On the leader the read joins the next quorum round; on a follower it is forwarded to the
    /// leader. A `ReadState` with the same id comes back in a later `Ready`; serve the read once
    /// the state machine has applied its index. If leadership changes first, the id comes back
    /// in `Ready.droppedReads` instead. Reads are never answered from a lease.
    public mutating func readIndex(_ requestID: UInt64) throws(RaftError) {
        guard reads.count + forwardedReads.count < options.maxPendingReads else { throw .tooManyPendingReads }
        if role == .leader {
            acceptRead(requestID: requestID, origin: id)
        } else if let leader = leaderID {
            forwardedReads.insert(requestID)
            outbox.append(message(.readIndexRequest(requestID: requestID), to: leader))
        } else {
            throw .notLeader(hint: nil)
        }
    }

    /// A read reached the leader. Until the leader has committed an entry of its term it may not
    /// know the latest commit index (§6.4), so the read waits.
    mutating func acceptRead(requestID: UInt64, origin: NodeID) {
        guard log.term(at: log.commitIndex) == term else {
            reads.deferUntilCommit(requestID: requestID, origin: origin)
            return
        }
        if membership.voters == [id] {
            finishRead(requestID: requestID, origin: origin, index: log.commitIndex)
            return
        }
        if reads.enqueue(requestID: requestID, origin: origin, index: log.commitIndex) {
            startReadRound()
        }
    }

    mutating func releaseDeferredReads() {
        for read in reads.takeDeferred() { acceptRead(requestID: read.requestID, origin: read.origin) }
    }

    private mutating func startReadRound() {
        _ = reads.startRound()
        broadcastHeartbeat()
    }

    /// Completes the in-flight round once a quorum of voters acknowledged it.
    mutating func checkReadRound() {
        guard role == .leader, reads.roundInFlight else { return }
        var acknowledged = 0
        for voter in membership.voters {
            if voter == id || (progress[voter]?.readRoundAcknowledged ?? 0) >= reads.round { acknowledged += 1 }
        }
        guard acknowledged >= membership.quorum else { return }
        let (served, moreWaiting) = reads.completeRound()
        for read in served { finishRead(requestID: read.requestID, origin: read.origin, index: read.index) }
        if moreWaiting { startReadRound() }
    }

    private mutating func finishRead(requestID: UInt64, origin: NodeID, index: UInt64) {
        if origin == id {
            completedReads.append(ReadState(requestID: requestID, index: index))
        } else {
            outbox.append(message(.readIndexResponse(requestID: requestID, index: index), to: origin))
        }
    }
}
