/// What a leader knows about one follower's log and how it replicates to it (etcd's model).
struct Progress: Sendable {
    /// How the leader sends to this follower.
    enum State: Sendable {
        /// One append at a time until a response tells where the logs match.
        case probe
        /// Optimistic pipelining: up to `maxInflightAppends` appends in flight.
        case replicate
        /// A snapshot is being streamed; appends wait.
        case snapshot
    }

    /// The highest index known to match the leader's log.
    var match: UInt64 = 0
    /// The next index to send.
    var next: UInt64
    var state = State.probe
    /// In probe state: an append is out and unanswered.
    var probeSent = false
    /// Heard from since the last CheckQuorum round.
    var recentActive = false
    /// The last index of each unacknowledged append, oldest first (replicate state).
    private var inflight: [UInt64] = []
    private var inflightHead = 0
    let maxInflight: Int
    /// In snapshot state: the snapshot being streamed and the next byte offset to send.
    var snapshotIndex: UInt64 = 0
    var snapshotOffset: UInt64 = 0
    /// The highest read round this follower acknowledged.
    var readRoundAcknowledged: UInt64 = 0

    init(next: UInt64, maxInflight: Int) {
        self.next = next
        self.maxInflight = max(1, maxInflight)
    }

    var inflightCount: Int { inflight.count - inflightHead }

    /// Whether the leader must not send more appends now.
    var isPaused: Bool {
        switch state {
        case .probe: return probeSent
        case .replicate: return inflightCount >= maxInflight
        case .snapshot: return true
        }
    }

    mutating func becomeProbe() {
        if state == .snapshot {
            next = max(match + 1, snapshotIndex + 1)
        } else {
            next = match + 1
        }
        state = .probe
        probeSent = false
        resetInflight()
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        resetInflight()
    }

    mutating func becomeSnapshot(index: UInt64) {
        state = .snapshot
        snapshotIndex = index
        snapshotOffset = 0
        resetInflight()
    }

    /// Records an append sent with entries up to `lastIndex` (or none, when nil).
    mutating func recordSent(lastIndex: UInt64?) {
        switch state {
        case .replicate:
            if let lastIndex {
                next = lastIndex + 1
                inflight.append(lastIndex)
            }
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("no appends while streaming a snapshot")
        }
    }

    /// Records a successful append response; false when it tells nothing new.
    mutating func acknowledge(_ index: UInt64) -> Bool {
        var updated = false
        if index > match {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index + 1)
        while inflightHead < inflight.count && inflight[inflightHead] <= index { inflightHead += 1 }
        if inflightHead > 64 && inflightHead * 2 > inflight.count {
            inflight.removeFirst(inflightHead)
            inflightHead = 0
        }
        return updated
    }

    /// Handles a rejected append of `rejected` (its previousIndex) with a backtracking `hint`:
    /// the follower may match at most at `hint`. False when the rejection is stale.
    mutating func rejected(_ rejected: UInt64, hint: UInt64) -> Bool {
        if state == .replicate {
            guard rejected > match else { return false }
            becomeProbe()
            return true
        }
        guard next - 1 == rejected else { return false }
        next = max(min(rejected, hint + 1), match + 1)
        probeSent = false
        return true
    }

    private mutating func resetInflight() {
        inflight.removeAll(keepingCapacity: true)
        inflightHead = 0
    }
}
