import Raft

// MARK: - Reads: serializable, at-least, linearizable (batched ReadIndex)

extension Replica {
    /// Submits a read; it completes with `.readReady(revision)` once local state may serve it,
    /// then the shell evaluates it against `governance` right away.
    public func submitRead(requestID: RequestID, consistency: ReadConsistency) {
        guard admit(requestID) else { return }
        let deadline = tickCount + UInt64(configuration.readTimeoutTicks)
        switch consistency {
        case .serializable:
            complete(requestID, .readReady(revision: lastAppliedIndex))
        case .atLeast(let revision):
            readWaiters[requestID] = ReadWaiter(requestID: requestID, index: revision, deadlineTick: deadline)
            completeServableReads()
        case .linearizable:
            readWaiters[requestID] = ReadWaiter(requestID: requestID, index: nil, deadlineTick: deadline)
            unbatchedReads.append(requestID)
        }
    }

    /// All linearizable reads submitted since the last call share one ReadIndex round.
    func startReadBatch() {
        guard !unbatchedReads.isEmpty else { return }
        let batch = unbatchedReads
        unbatchedReads.removeAll()
        let batchID = nextReadBatchID
        nextReadBatchID &+= 1
        do {
            try core.readIndex(batchID)
            readBatches[batchID] = batch
        } catch {
            let reason: FailureReason = error == .tooManyPendingReads ? .tooManyPendingReads : .noLeader
            failReads(batch, reason)
        }
    }

    /// Raft confirmed read batches, or dropped them because leadership changed.
    func acceptReadStates(_ readStates: [ReadState], dropped: [UInt64]) {
        for readState in readStates {
            guard let batch = readBatches.removeValue(forKey: readState.requestID) else { continue }
            for requestID in batch { readWaiters[requestID]?.index = readState.index }
        }
        for batchID in dropped {
            guard let batch = readBatches.removeValue(forKey: batchID) else { continue }
            failReads(batch, .leadershipChanged)
        }
    }

    private func failReads(_ requestIDs: [RequestID], _ reason: FailureReason) {
        for requestID in requestIDs where readWaiters.removeValue(forKey: requestID) != nil {
            complete(requestID, .failed(reason))
        }
    }

    /// Completes every read whose index is applied here.
    func completeServableReads() {
        for requestID in readWaiters.keys.sorted() {
            guard let index = readWaiters[requestID]?.index, index <= lastAppliedIndex else { continue }
            readWaiters[requestID] = nil
            complete(requestID, .readReady(revision: lastAppliedIndex))
        }
    }

    /// Reads past their deadline fail (a late ReadIndex answer is then ignored).
    func expireReads() {
        for requestID in readWaiters.keys.sorted() where readWaiters[requestID]!.deadlineTick <= tickCount {
            readWaiters[requestID] = nil
            unbatchedReads.removeAll { $0 == requestID }
            complete(requestID, .failed(.readTimedOut))
        }
    }
}
