import Governance
import Raft

// MARK: - Bookkeeping of writes in flight

/// Who waits for a write's outcome.
enum Requester: Hashable {
    /// A client of this node's shell.
    case client(RequestID)
    /// A follower that forwarded the write, under its forward id.
    case peer(node: NodeID, forwardID: UInt64)
    /// This node's own decision batch.
    case decisionBatch
}

/// A write this node (as leader) proposed at `index` in `term`.
struct Proposal {
    var requester: Requester
    var term: UInt64
    var deadlineTick: UInt64
    var waitForEnforcers: Bool
}

/// A write this node (as follower) forwarded to `leader` and that is unanswered so far, or
/// answered as committed at `committedRevision` and waiting to apply here.
struct Forward {
    var requester: Requester
    var leader: NodeID
    var deadlineTick: UInt64
    var waitForEnforcers: Bool
    var committedRevision: UInt64?
}

/// A read waiting until the applied revision reaches `index` (nil: its ReadIndex round has not
/// answered yet).
struct ReadWaiter {
    var requestID: RequestID
    var index: UInt64?
    var deadlineTick: UInt64
}

/// An applied write that waits for enforcer acknowledgements or their lease.
struct EnforcerWaiter {
    var requestID: RequestID
    var revision: UInt64
    var result: CommandResult
    var fencedByMilliseconds: Int64
}
