import Governance
import Raft

// MARK: - The loop iteration: Ready cycles, one group commit, completions

extension Replica {
    /// Runs the Raft Ready cycle and returns what completed. Per cycle: messages that need no
    /// persistence leave first; a leader's snapshot is installed and committed entries applied
    /// (in memory); what must be durable before anything that depends on it (entries, a term or
    /// vote, a leader's snapshot) is saved — with everything deferred so far — in one
    /// `logStore.save`; only then do votes and acknowledgements leave.
    ///
    /// What nothing waits for — audit records of applied entries, the commit index, a local
    /// compaction — stays deferred: it rides along with the next save, or is saved at the end of
    /// the call once it has waited `maximumDeferredSaveTicks`, or when the shell calls
    /// `saveDeferred()`. Completions therefore never wait for it. That is safe because all of it
    /// is a function of the committed log, which is durable: after a crash the replica re-applies
    /// the log tail and regenerates the audit records the store lacks; and since every save takes
    /// the whole deferred batch (compaction and audit records together, in that order), the store
    /// never drops entries whose audit records it does not hold. A shell that serves the audit
    /// history from the store calls `saveDeferred()` before reading it.
    /// A throw means the store failed: discard this replica.
    public func process() throws -> ReplicaOutput {
        guard !storeFailed else { throw ReplicaError.storeFailedBefore }
        flushDecisionsIfDue()
        startReadBatch()
        var output = ReplicaOutput()
        var cycles = 0
        while core.hasReady && cycles < Self.maximumReadyCyclesPerProcess {
            cycles += 1
            let softState = try runReadyCycle()
            if let softState { output.softState = softState }
        }
        if deferredBatch.isEmpty {
            deferredSinceTick = nil
        } else if let since = deferredSinceTick {
            if tickCount >= since + Self.maximumDeferredSaveTicks { try save() }
        } else {
            deferredSinceTick = tickCount
        }
        completeForwardsApplied()
        completeServableReads()
        completeEnforcerWaiters()
        sendOutgoing()
        output.completions = completions
        output.feed = feedOutput
        output.appliedRevision = lastAppliedIndex
        output.commitIndex = core.commitIndex
        output.snapshotInstalled = snapshotInstalledThisCall
        completions = [:]
        feedOutput = []
        snapshotInstalledThisCall = false
        return output
    }

    /// One Ready: send, install, apply, persist, send after persistence, advance.
    private func runReadyCycle() throws -> SoftState? {
        let ready = core.ready()
        sendOutgoing()
        if !ready.messages.isEmpty { transport.send(ready.messages.map(PeerMessage.init(raft:))) }
        if let snapshot = ready.snapshotToPersist {
            do { try installSnapshot(snapshot) } catch { storeFailed = true; throw error }
        }
        for entry in ready.committedEntries { applyCommitted(entry) }
        if let softState = ready.softState { leadershipChanged(softState) }
        acceptReadStates(ready.readStates, dropped: ready.droppedReads)
        let urgent = mergeIntoBatch(ready)
        if urgent { try save() }
        if !ready.messagesAfterPersistence.isEmpty {
            // What they promise is durable: this cycle's save made it so, or — when the cycle
            // had nothing new to persist (an acknowledgement of an append without entries, a
            // repeated vote) — the save of the cycle that handed it out did.
            for message in ready.messagesAfterPersistence { assertDurable(message) }
            transport.send(ready.messagesAfterPersistence.map(PeerMessage.init(raft:)))
        }
        core.advance(ready)
        scheduleSnapshot()
        return ready.softState
    }

    /// Adds the Ready's persistence to the batch; true when it must be saved before anything
    /// else happens: new entries, a snapshot, a new term or vote. Every Ready's urgent parts
    /// are saved in its own cycle, so a Ready without them promises only durable state: its
    /// acknowledgements (say, of a leader's commit-only append) need no save of their own.
    private func mergeIntoBatch(_ ready: Ready) -> Bool {
        var urgent = !ready.entriesToPersist.isEmpty
        if let snapshot = ready.snapshotToPersist {
            urgent = true
            deferredBatch.snapshotToInstall = snapshot
            if let compaction = deferredBatch.compaction, compaction.metadata.index <= snapshot.metadata.index {
                deferredBatch.compaction = nil
            }
        }
        if !ready.entriesToPersist.isEmpty { deferredBatch.entries = ready.entriesToPersist }
        if let hardState = ready.hardState {
            deferredBatch.hardState = hardState
            if hardState.term != lastSavedHardState.term || hardState.votedFor != lastSavedHardState.votedFor { urgent = true }
        }
        return urgent
    }

    /// A message that promises durable state may leave: its term, a granted vote (or a later
    /// term, which rules out another vote in the vote's term) and the entries an
    /// acknowledgement covers are in the store.
    private func assertDurable(_ message: RaftMessage) {
        precondition(message.term <= lastSavedHardState.term, "a message of term \(message.term) before the term was durable")
        switch message.body {
        case .voteResponse(isPreVote: false, granted: true):
            precondition(lastSavedHardState.term > message.term || lastSavedHardState.votedFor == message.to,
                         "a term-\(message.term) vote granted before it was durable")
        case .appendResponse(let response) where response.success:
            precondition(response.index <= durableLastIndex,
                         "acknowledging entry \(response.index) with only \(durableLastIndex) durable")
        default:
            break
        }
    }

    /// Whether state is waiting to be saved (audit records, the commit index, a compaction):
    /// the store's audit table lacks records of applied entries until it is.
    public var hasDeferredState: Bool { !deferredBatch.isEmpty }

    /// Saves what `process()` left deferred now, in one `logStore.save`; nothing when nothing
    /// is. Call before reading the audit history from the store, and before a clean shutdown.
    /// A throw means the store failed: discard this replica.
    public func saveDeferred() throws {
        guard !storeFailed else { throw ReplicaError.storeFailedBefore }
        guard !deferredBatch.isEmpty else { return }
        try save()
    }

    /// Saves the batch (group commit): everything deferred so far goes with it. A failure
    /// poisons the replica.
    private func save() throws {
        let batch = deferredBatch
        deferredBatch = DurableBatch()
        deferredSinceTick = nil
        do {
            try logStore.save(batch)
        } catch {
            storeFailed = true
            throw error
        }
        if let hardState = batch.hardState { lastSavedHardState = hardState }
        if let snapshot = batch.snapshotToInstall { durableLastIndex = snapshot.metadata.index }
        if let last = batch.entries.last { durableLastIndex = last.index }
        if let last = batch.auditRecords.last { storedAuditHeadSeq = max(storedAuditHeadSeq, last.seq) }
    }

    /// The role or leader changed.
    private func leadershipChanged(_ softState: SoftState) {
        if softState.role == .leader {
            highestStampedTimestamp = max(highestStampedTimestamp, lastAppliedTimestamp)
            noteLogTimestamps()
        }
        abandonWritesAfterLeaderChange()
    }

    func sendOutgoing() {
        guard !outgoing.isEmpty else { return }
        let messages = outgoing
        outgoing.removeAll()
        transport.send(messages)
    }
}
