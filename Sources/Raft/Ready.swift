/// Everything the core asks its shell to do, handed out by `RaftCore.ready()`.
///
/// The shell carries it out in this order, then calls `RaftCore.advance(_:)`:
/// 1. send `messages` (they do not depend on local persistence; may overlap with step 2);
/// 2. persist `snapshotToPersist`, then `entriesToPersist` (replacing any stored entries from
///    the first one's index on), then `hardState` — durably (fsync);
/// 3. only then send `messagesAfterPersistence` (votes and append acknowledgements promise
///    durable state);
/// 4. restore the state machine from `snapshotToPersist` if any, apply `committedEntries` in
///    order, and serve `readStates` once their index is applied.
public struct Ready: Sendable {
    /// The new role or leader, when either changed since the previous Ready.
    public var softState: SoftState?
    /// The hard state to persist, when it changed since the previous Ready.
    public var hardState: HardState?
    /// A snapshot received from the leader, to persist and restore the state machine from.
    public var snapshotToPersist: Snapshot?
    /// Entries to persist, contiguous; stored entries at or after the first index are replaced.
    public var entriesToPersist: [Entry] = []
    /// Messages that may leave at once.
    public var messages: [RaftMessage] = []
    /// Messages that may leave only after this Ready's persistence is durable.
    public var messagesAfterPersistence: [RaftMessage] = []
    /// Committed entries to apply to the state machine, in order.
    public var committedEntries: [Entry] = []
    /// Completed linearizable reads.
    public var readStates: [ReadState] = []
    /// Reads that will never complete here (leadership lost); the caller may retry them.
    public var droppedReads: [UInt64] = []

    /// Creates an empty Ready.
    public init() {}

    /// Whether the shell has nothing to do.
    public var isEmpty: Bool {
        softState == nil && hardState == nil && snapshotToPersist == nil && entriesToPersist.isEmpty
            && messages.isEmpty && messagesAfterPersistence.isEmpty && committedEntries.isEmpty
            && readStates.isEmpty && droppedReads.isEmpty
    }
}
