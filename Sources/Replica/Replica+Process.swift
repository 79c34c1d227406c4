import Governance
import Raft

// MARK: - The loop iteration: Ready cycles, one group commit, completions

extension Replica {
    /// Runs the Raft Ready cycle and returns what completed. Per cycle: messages that need no
    /// persistence leave first; a leader's snapshot is installed and committed entries applied
    /// (in memory); what must be durable before anything that depends on it is saved — with
    /// the deferred audit records, commit index and compaction — in one `logStore.save`; only
    /// then do votes and acknowledgements leave. Completions leave only through the returned
    /// output, after that save. A throw means the store failed: discard this replica.
    public func process() throws -> ReplicaOutput {
        guard !storeFailed else { throw ReplicaError.storeFailedBefore }
        flushDecisionsIfDue()
        startReadBatch()
        var output = ReplicaOutput()
        var savedThisCall = false
        var cycles = 0
        while core.hasReady && cycles < Self.maximumReadyCyclesPerProcess {
            cycles += 1
            let softState = try runReadyCycle(savedThisCall: &savedThisCall)
            if let softState { output.softState = softState }
        }
        if !savedThisCall && !deferredBatch.isEmpty {
            try save()
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
    private func runReadyCycle(savedThisCall: inout Bool) throws -> SoftState? {
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
        if urgent {
            try save()
            savedThisCall = true
        }
        if !ready.messagesAfterPersistence.isEmpty {
            precondition(urgent, "messages promising durable state leave only after a save")
            transport.send(ready.messagesAfterPersistence.map(PeerMessage.init(raft:)))
        }
        core.advance(ready)
        scheduleSnapshot()
        return ready.softState
    }

    /// Adds the Ready's persistence to the batch; true when it must be saved before anything
    /// else happens (entries, a snapshot, a term or vote, or messages that promise them).
    private func mergeIntoBatch(_ ready: Ready) -> Bool {
        var urgent = !ready.entriesToPersist.isEmpty || !ready.messagesAfterPersistence.isEmpty
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

    /// Saves the batch (group commit). A failure poisons the replica.
    private func save() throws {
        let batch = deferredBatch
        deferredBatch = DurableBatch()
        do {
            try logStore.save(batch)
        } catch {
            storeFailed = true
            throw error
        }
        if let hardState = batch.hardState { lastSavedHardState = hardState }
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
