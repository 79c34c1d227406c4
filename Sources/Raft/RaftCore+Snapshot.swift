// MARK: - Snapshots: compaction, chunked streaming to lagging followers, restore

extension RaftCore {
    /// The state machine has serialized itself at `index` (already applied): the core keeps the
    /// snapshot to send to lagging followers and drops the log entries it covers. The shell
    /// stores the returned snapshot with `LogStorage.compact(with:)`.
    @discardableResult
    public mutating func compact(through index: UInt64, snapshotData: [UInt8]) -> Snapshot {
        precondition(index <= log.appliedIndex, "a snapshot can only cover applied entries")
        precondition(index > log.snapshotIndex, "the log is already compacted there")
        let metadata = Snapshot.Metadata(index: index, term: log.term(at: index)!, configuration: configuration(at: index).configuration)
        let snapshot = Snapshot(metadata: metadata, data: snapshotData)
        log.compact(through: index)
        latestSnapshot = snapshot
        return snapshot
    }

    /// The configuration committed at `index` (not before the snapshot) and the index of its
    /// entry (0 when it comes from the snapshot).
    func configuration(at index: UInt64) -> (configuration: ClusterConfiguration, entryIndex: UInt64) {
        var found = (latestSnapshot.metadata.configuration, UInt64(0))
        guard index > log.snapshotIndex else { return found }
        for position in stride(from: log.snapshotIndex + 1, through: index, by: 1) {
            if let entry = log.entry(at: position), entry.kind == .configuration {
                found = (Self.decodeConfiguration(entry), position)
            }
        }
        return found
    }

    /// Configuration entries are written only by `proposeMembershipChange`; one that does not
    /// decode means a corrupt log, and serving on would be worse than stopping.
    static func decodeConfiguration(_ entry: Entry) -> ClusterConfiguration {
        guard let configuration = ClusterConfiguration(decoding: entry.data) else {
            preconditionFailure("configuration entry \(entry.index) does not decode: the log is corrupt")
        }
        return configuration
    }

    // MARK: - Leader side

    /// The follower needs entries the log no longer has: stream the latest snapshot.
    mutating func sendSnapshot(to peer: NodeID) {
        guard var peerProgress = progress[peer], latestSnapshot.metadata.index > 0 else { return }
        peerProgress.becomeSnapshot(index: latestSnapshot.metadata.index)
        progress[peer] = peerProgress
        sendSnapshotChunk(to: peer)
    }

    /// Sends the chunk at the follower's offset; one chunk is in flight at a time, so memory per
    /// follower is bounded by `maxSnapshotChunkBytes`. A newer snapshot restarts the stream.
    mutating func sendSnapshotChunk(to peer: NodeID) {
        guard var peerProgress = progress[peer], peerProgress.state == .snapshot else { return }
        if peerProgress.snapshotIndex != latestSnapshot.metadata.index {
            peerProgress.becomeSnapshot(index: latestSnapshot.metadata.index)
            progress[peer] = peerProgress
        }
        let total = UInt64(latestSnapshot.data.count)
        let start = min(peerProgress.snapshotOffset, total)
        let end = min(total, start + UInt64(max(1, options.maxSnapshotChunkBytes)))
        let chunk = RaftMessage.SnapshotChunk(metadata: latestSnapshot.metadata, offset: start, totalBytes: total,
                                              data: Array(latestSnapshot.data[Int(start)..<Int(end)]))
        outbox.append(message(.snapshotChunk(chunk), to: peer))
    }

    mutating func handleSnapshotResponse(snapshotIndex: UInt64, nextOffset: UInt64, done: Bool, from peer: NodeID) {
        guard var peerProgress = progress[peer] else { return }
        peerProgress.recentActive = true
        guard peerProgress.state == .snapshot, peerProgress.snapshotIndex == snapshotIndex else {
            progress[peer] = peerProgress
            return
        }
        if done {
            _ = peerProgress.acknowledge(snapshotIndex)
            peerProgress.becomeProbe()
            progress[peer] = peerProgress
            sendAppend(to: peer, allowEmpty: true)
        } else {
            peerProgress.snapshotOffset = nextOffset
            progress[peer] = peerProgress
            sendSnapshotChunk(to: peer)
        }
    }

    // MARK: - Follower side

    mutating func handleSnapshotChunk(_ chunk: RaftMessage.SnapshotChunk, from leader: NodeID) {
        precondition(role != .leader, "two leaders in one term")
        if role != .follower || leaderID != leader { becomeFollower(term: term, leader: leader) }
        electionElapsed = 0
        let metadata = chunk.metadata
        if metadata.index <= log.commitIndex {
            // Already covered (the snapshot arrived before, or the log caught up): stop the stream.
            incomingSnapshot = nil
            let response = message(.snapshotResponse(snapshotIndex: metadata.index, nextOffset: chunk.totalBytes, done: true), to: leader)
            outboxAfterPersistence.append(response)
            return
        }
        guard chunk.totalBytes <= UInt64(options.maxSnapshotBytes) else { return }
        if chunk.offset == 0 {
            incomingSnapshot = Snapshot(metadata: metadata, data: [])
            incomingSnapshotTotalBytes = chunk.totalBytes
        }
        guard var assembling = incomingSnapshot, assembling.metadata == metadata,
              incomingSnapshotTotalBytes == chunk.totalBytes,
              UInt64(assembling.data.count) == chunk.offset,
              chunk.offset + UInt64(chunk.data.count) <= chunk.totalBytes else {
            let resumeAt = incomingSnapshot?.metadata == metadata ? UInt64(incomingSnapshot?.data.count ?? 0) : 0
            outbox.append(message(.snapshotResponse(snapshotIndex: metadata.index, nextOffset: resumeAt, done: false), to: leader))
            return
        }
        assembling.data.append(contentsOf: chunk.data)
        guard UInt64(assembling.data.count) == chunk.totalBytes else {
            incomingSnapshot = assembling
            let offset = UInt64(assembling.data.count)
            outbox.append(message(.snapshotResponse(snapshotIndex: metadata.index, nextOffset: offset, done: false), to: leader))
            return
        }
        incomingSnapshot = nil
        restore(assembling)
        let response = message(.snapshotResponse(snapshotIndex: metadata.index, nextOffset: chunk.totalBytes, done: true), to: leader)
        outboxAfterPersistence.append(response)
    }

    /// Installs a complete snapshot unless the log already holds what it covers.
    mutating func restore(_ snapshot: Snapshot) {
        let metadata = snapshot.metadata
        guard metadata.index > log.commitIndex else { return }
        if log.term(at: metadata.index) == metadata.term {
            commit(to: metadata.index)
            return
        }
        log.restore(metadata)
        membership = metadata.configuration
        committedConfigurationIndex = 0
        latestSnapshot = snapshot
        snapshotToInstall = snapshot
    }
}
