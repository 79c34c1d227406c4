import Governance

// MARK: - What becomes of a request

/// How a read must relate to the writes before it (API.md "Revisions").
public enum ReadConsistency: Sendable, Hashable {
    /// Sees every write that completed before the read began: ReadIndex (batched), then the
    /// local applied revision must reach the read index.
    case linearizable
    /// Local state as it is now.
    case serializable
    /// Local state once it has applied at least this revision (bounded wait).
    case atLeast(UInt64)
}

/// The one completion every submitted request gets.
public enum RequestOutcome: Sendable, Hashable {
    /// The write applied at this node at `revision`; `result` may be a rejection. `enforcers` is
    /// set only for writes submitted with `waitForEnforcers`.
    case applied(revision: UInt64, result: CommandResult, enforcers: EnforcerAcknowledgement?)
    /// The read may be evaluated against `Replica.governance` now, at `revision`.
    case readReady(revision: UInt64)
    /// Definitely not applied (a write) or not served (a read); safe to retry.
    case failed(FailureReason)
    /// A write that may or may not commit; retry with the same idempotency key.
    case ambiguous(AmbiguityReason)
}

/// Why a request definitely failed.
public enum FailureReason: UInt8, Sendable, Hashable, CaseIterable {
    /// No leader is known, so nothing was proposed or forwarded.
    case noLeader = 1
    /// This node holds `maximumPendingRequests` open requests already.
    case tooManyPendingRequests = 2
    /// This node has `maximumInflightForwards` writes forwarded and unanswered already.
    case tooManyForwards = 3
    /// The leader holds too many uncommitted bytes (Raft flow control).
    case tooManyUncommitted = 4
    /// A leadership transfer is under way; proposals wait for it.
    case transferInProgress = 5
    /// The index the write was proposed at applied with an entry of another term: it is gone.
    case entryOverwritten = 6
    /// A read's leader changed before the read was confirmed.
    case leadershipChanged = 7
    /// A read waited `readTimeoutTicks` without becoming servable.
    case readTimedOut = 8
    /// Raft holds too many pending reads.
    case tooManyPendingReads = 9
    /// The request id is already open on this node.
    case duplicateRequestID = 10
    /// A forwarded payload did not decode at the leader.
    case invalidPayload = 11
}

/// Why a write's fate is unknown.
public enum AmbiguityReason: UInt8, Sendable, Hashable, CaseIterable {
    /// Leadership or the term changed after the write was proposed or forwarded.
    case leadershipLost = 1
    /// `writeTimeoutTicks` passed before the write applied here.
    case timedOut = 2
    /// A forwarded write committed, but its result left the bounded recent-results ring here.
    case resultUnavailable = 3
}

/// How far a kill has reached the edge when its response is sent (API.md kill `enforcers`).
public struct EnforcerAcknowledgement: Sendable, Hashable {
    /// Live enforcers known to this node that acknowledged a revision at or after the kill.
    public var acknowledged: Int
    /// Live enforcers known to this node (heard within their lease).
    public var total: Int
    /// When every enforcer lease has run out: the kill's local apply time plus the lease.
    public var fencedByMilliseconds: Int64

    /// Creates an acknowledgement summary.
    public init(acknowledged: Int, total: Int, fencedByMilliseconds: Int64) {
        self.acknowledged = acknowledged
        self.total = total
        self.fencedByMilliseconds = fencedByMilliseconds
    }
}
