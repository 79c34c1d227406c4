// MARK: - Ready and advance: the hand-off to the shell

extension RaftCore {
    /// Whether `ready()` would hand out anything.
    public var hasReady: Bool {
        guard !readyOutstanding else { return false }
        return softState != reportedSoftState || hardState != reportedHardState || snapshotToInstall != nil
            || log.handedOutIndex < log.lastIndex || !outbox.isEmpty || !outboxAfterPersistence.isEmpty
            || log.commitIndex > max(log.appliedIndex, log.snapshotIndex)
            || !completedReads.isEmpty || !droppedReads.isEmpty
    }

    /// Takes everything the shell must do now. Call `advance(_:)` with it before the next call.
    public mutating func ready() -> Ready {
        precondition(!readyOutstanding, "advance(_:) the previous Ready before taking another")
        readyOutstanding = true
        var ready = Ready()
        if softState != reportedSoftState {
            ready.softState = softState
            reportedSoftState = softState
        }
        if hardState != reportedHardState {
            ready.hardState = hardState
            reportedHardState = hardState
        }
        ready.snapshotToPersist = snapshotToInstall
        snapshotToInstall = nil
        if log.handedOutIndex < log.lastIndex {
            ready.entriesToPersist = log.entries(from: log.handedOutIndex + 1, through: log.lastIndex)
            log.handedOutIndex = log.lastIndex
        }
        let firstToApply = max(log.appliedIndex, log.snapshotIndex) + 1
        if firstToApply <= log.commitIndex {
            ready.committedEntries = log.entries(from: firstToApply, through: log.commitIndex,
                                                 maxBytes: options.maxCommittedBytesPerReady)
        }
        swap(&ready.messages, &outbox)
        swap(&ready.messagesAfterPersistence, &outboxAfterPersistence)
        swap(&ready.readStates, &completedReads)
        swap(&ready.droppedReads, &droppedReads)
        return ready
    }

    /// Tells the core that `ready` was carried out: its persistence is durable, its messages
    /// handed to the transport and its committed entries applied.
    public mutating func advance(_ ready: Ready) {
        precondition(readyOutstanding, "advance(_:) without a Ready outstanding")
        readyOutstanding = false
        if let snapshot = ready.snapshotToPersist {
            log.persistedIndex = max(log.persistedIndex, snapshot.metadata.index)
            log.appliedIndex = max(log.appliedIndex, snapshot.metadata.index)
        }
        // Entries truncated since the Ready was taken are no longer the ones persisted.
        if let last = ready.entriesToPersist.last, log.term(at: last.index) == last.term {
            log.persistedIndex = max(log.persistedIndex, last.index)
        }
        if let last = ready.committedEntries.last {
            precondition(last.index <= log.commitIndex, "applied beyond the commit index")
            log.appliedIndex = max(log.appliedIndex, last.index)
        }
        if role == .leader && maybeCommit() { broadcastAppend(allowEmpty: true) }
    }
}
