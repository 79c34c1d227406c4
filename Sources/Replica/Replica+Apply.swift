import Governance
import Raft

// MARK: - Applying committed entries, installing and taking snapshots

extension Replica {
    /// Applies one committed entry to Governance and resolves the write proposed at its index.
    func applyCommitted(_ entry: Entry) {
        precondition(entry.index == lastAppliedIndex + 1, "entries apply in order, without gaps: \(entry.index) after \(lastAppliedIndex)")
        precondition(entry.index <= core.commitIndex, "never apply beyond the commit index")
        var result: CommandResult?
        if entry.kind == .normal {
            result = applyNormal(entry)
        }
        lastAppliedIndex = entry.index
        appliedBytesSinceSnapshot += entry.data.count
        if let result { recentResults.remember(result, at: entry.index) }
        guard let proposal = proposals.removeValue(forKey: entry.index) else { return }
        if proposal.term == entry.term, let result {
            finishApplied(proposal.requester, revision: entry.index, result: result, waitForEnforcers: proposal.waitForEnforcers)
        } else {
            // Another term's entry holds our index and it is committed: ours is gone for good.
            finishWrite(proposal.requester, .failed(.entryOverwritten))
        }
    }

    /// Applies a normal entry; an undecodable one is skipped alike on every replica (they all
    /// hold the same bytes), counted, and answered as a rejection.
    private func applyNormal(_ entry: Entry) -> CommandResult {
        guard let payload = try? LogEntryPayload.decode(entry.data) else {
            undecodableEntryCount += 1
            return .rejected(.invalidArgument(field: "entry", message: "the committed entry does not decode"))
        }
        lastAppliedTimestamp = max(lastAppliedTimestamp, payload.timestampMilliseconds)
        let outcome = state.apply(payload, revision: entry.index)
        for record in outcome.auditRecords where record.seq == nextAuditSeqToSave {
            // Lower: re-applied after a restart, already stored. Higher: behind an audit gap
            // (see `auditGap`), the shell backfills it from a peer.
            deferredBatch.auditRecords.append(record)
        }
        for event in outcome.feedEvents {
            let item = FeedItem(revision: entry.index, event: event)
            feedRing.append(item)
            feedOutput.append(item)
        }
        return outcome.result
    }

    /// Replaces Governance with a snapshot the leader sent. Writes proposed at indexes it
    /// covers cannot be told apart from others any more: they become ambiguous.
    func installSnapshot(_ snapshot: Snapshot) throws {
        let image = try ReplicaSnapshot.decode(snapshot.data)
        precondition(snapshot.metadata.index > lastAppliedIndex, "a snapshot must not move the applied revision back")
        state = image.governance
        lastAppliedIndex = snapshot.metadata.index
        lastAppliedTimestamp = max(lastAppliedTimestamp, image.lastAppliedTimestampMilliseconds)
        feedRing.reset(horizon: snapshot.metadata.index)
        recentResults.removeAll()
        pendingSnapshot = nil
        lastSnapshotByteCount = snapshot.data.count
        appliedBytesSinceSnapshot = 0
        snapshotInstalledThisCall = true
        for index in proposals.keys.sorted() where index <= snapshot.metadata.index {
            finishWrite(proposals.removeValue(forKey: index)!.requester, .ambiguous(.leadershipLost))
        }
    }

    /// Serializes Governance once `snapshotDue`; compacts the log through that point once
    /// `compactionMarginEntries` more have applied. Call after `advance`.
    func scheduleSnapshot() {
        let snapshotIndex = core.snapshot.metadata.index
        if let pending = pendingSnapshot, pending.index <= snapshotIndex { pendingSnapshot = nil }
        if pendingSnapshot == nil && snapshotDue(since: snapshotIndex) {
            let image = ReplicaSnapshot(governance: state, lastAppliedTimestampMilliseconds: lastAppliedTimestamp)
            let data = image.encode()
            pendingSnapshot = (lastAppliedIndex, data)
            lastSnapshotByteCount = data.count
            appliedBytesSinceSnapshot = 0
        }
        guard let pending = pendingSnapshot,
              lastAppliedIndex >= pending.index + UInt64(configuration.compactionMarginEntries),
              pending.index <= core.appliedIndex else { return }
        pendingSnapshot = nil
        deferredBatch.compaction = core.compact(through: pending.index, snapshotData: pending.data)
    }

    /// Whether a snapshot is due: `snapshotIntervalEntries` entries applied since the last one
    /// and, once snapshots are large, entries holding `snapshotLogBytesPercent` of its bytes, so
    /// that the encode work per applied byte stays bounded as the state grows. A pure function
    /// of the applied log and the last snapshot (after a restart, the stored one: re-applying
    /// the tail after it counts its bytes again).
    func snapshotDue(since snapshotIndex: UInt64) -> Bool {
        guard lastAppliedIndex >= snapshotIndex + UInt64(configuration.snapshotIntervalEntries) else { return false }
        guard lastSnapshotByteCount >= configuration.snapshotAmortizationFloorBytes else { return true }
        return appliedBytesSinceSnapshot * 100 >= lastSnapshotByteCount * configuration.snapshotLogBytesPercent
    }

    /// When this node becomes leader, it has not applied its whole log yet: the highest
    /// timestamp in the unapplied tail bounds what it may stamp next.
    func noteLogTimestamps() {
        guard lastAppliedIndex < core.lastIndex else { return }
        for index in (lastAppliedIndex + 1)...core.lastIndex {
            guard let entry = core.entry(at: index), entry.kind == .normal,
                  let payload = try? LogEntryPayload.decode(entry.data) else { continue }
            highestStampedTimestamp = max(highestStampedTimestamp, payload.timestampMilliseconds)
        }
    }
}
