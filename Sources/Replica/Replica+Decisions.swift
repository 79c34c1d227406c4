import Governance

// MARK: - Decision records: buffered, proposed in batches

extension Replica {
    /// Buffers one of this node's own decision records; false when the buffer is full (the
    /// record is dropped and counted). Batches are proposed by `process()`.
    public func recordDecision(_ record: DecisionRecord) -> Bool {
        decisionBuffer.append(record, now: clock.nowMilliseconds)
    }

    /// Decision records dropped because the buffer was full.
    public var droppedDecisionCount: Int { decisionBuffer.droppedCount }

    /// Decision records buffered and not yet in a batch.
    public var bufferedDecisionCount: Int { decisionBuffer.records.count }

    /// Proposes a batch when enough records wait or the oldest waited long enough; one batch is
    /// in flight at a time and a failed one is retried with the same sequence number (applied once).
    func flushDecisionsIfDue() {
        if let batch = decisionBuffer.inFlight {
            guard !decisionBatchSubmitted else { return }
            submitDecisionBatch(batch)
            return
        }
        let buffered = decisionBuffer.records.count
        guard buffered > 0 else { return }
        let now = clock.nowMilliseconds
        let due = buffered >= configuration.decisionBatchRecords
            || now - decisionBuffer.oldestMilliseconds >= configuration.decisionBatchDelayMilliseconds
        guard due else { return }
        let size = min(configuration.decisionBatchRecords, GovernanceLimits.maximumDecisionsPerBatch)
        let source = configuration.decisionSource
        let sequence = max(state.decisionBatches[source] ?? 0, decisionBuffer.lastProposedSeq) + 1
        let batch = DecisionBatch(source: source, batchSeq: sequence, decisions: decisionBuffer.take(size, now: now))
        decisionBuffer.lastProposedSeq = sequence
        decisionBuffer.inFlight = batch
        submitDecisionBatch(batch)
    }

    private func submitDecisionBatch(_ batch: DecisionBatch) {
        decisionBatchSubmitted = true
        let payload = LogEntryPayload(timestampMilliseconds: 0, actor: .system, command: .decisionBatch(batch))
        startWrite(payload, requester: .decisionBatch, waitForEnforcers: false)
    }

    /// The in-flight batch resolved: applied (or a duplicate of an applied one) ends it;
    /// anything else leaves it to be retried by the next `process()`.
    func decisionBatchFinished(_ outcome: RequestOutcome) {
        decisionBatchSubmitted = false
        if case .applied = outcome { decisionBuffer.inFlight = nil }
    }
}
