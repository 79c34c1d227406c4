/// The core's view of its log: the uncompacted tail in memory, plus the indices that say how far
/// it is committed, handed to the shell, persisted and applied.
///
/// Invariants: snapshotIndex ≤ appliedIndex ≤ commitIndex ≤ lastIndex (appliedIndex may trail
/// snapshotIndex only while a received snapshot waits to be installed), and committed entries
/// are never truncated.
struct RaftLog: Sendable {
    private(set) var snapshotIndex: UInt64
    private(set) var snapshotTerm: UInt64
    private(set) var entries: [Entry]
    private(set) var commitIndex: UInt64
    /// The last index the state machine has applied (as told by `advance`).
    var appliedIndex: UInt64
    /// The last index known durable on local storage; a leader counts itself only up to here.
    var persistedIndex: UInt64
    /// The last index handed to the shell in a Ready for persistence.
    var handedOutIndex: UInt64

    init(snapshot: Snapshot.Metadata, entries: [Entry], commitIndex: UInt64, appliedIndex: UInt64) {
        snapshotIndex = snapshot.index
        snapshotTerm = snapshot.term
        self.entries = entries
        self.commitIndex = commitIndex
        self.appliedIndex = appliedIndex
        let last = snapshot.index + UInt64(entries.count)
        persistedIndex = last
        handedOutIndex = last
        precondition(entries.first.map { $0.index == snapshot.index + 1 } ?? true, "stored log does not follow its snapshot")
        precondition(commitIndex <= last, "stored commit index is beyond the stored log")
        precondition(appliedIndex >= snapshot.index && appliedIndex <= commitIndex, "applied index out of range")
    }

    // MARK: - Queries

    var firstIndex: UInt64 { snapshotIndex + 1 }
    var lastIndex: UInt64 { snapshotIndex + UInt64(entries.count) }
    var lastTerm: UInt64 { entries.last?.term ?? snapshotTerm }

    /// The term at `index`, or nil when compacted away (except the snapshot index) or beyond.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshotTerm }
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)].term
    }

    func entry(at index: UInt64) -> Entry? {
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)]
    }

    /// Entries from `index` through `lastIndex`, at most `maxCount` and about `maxBytes` of
    /// payload (always at least one entry when any exists).
    func entries(from index: UInt64, through last: UInt64, maxCount: Int = .max, maxBytes: Int = .max) -> [Entry] {
        guard index > snapshotIndex, index <= last, last <= lastIndex else { return [] }
        let start = Int(index - snapshotIndex - 1)
        var end = min(Int(last - snapshotIndex), start + min(maxCount, entries.count))
        if maxBytes != .max {
            var bytes = 0
            for position in start..<end {
                bytes += entries[position].data.count
                if bytes > maxBytes && position > start {
                    end = position
                    break
                }
            }
        }
        return Array(entries[start..<end])
    }

    /// Whether a candidate whose log ends at (`index`, `term`) is at least as up to date (§5.4.1).
    func isUpToDate(lastIndex index: UInt64, lastTerm term: UInt64) -> Bool {
        term > lastTerm || (term == lastTerm && index >= lastIndex)
    }

    /// The largest index at or below `index` whose term is at most `term` (fast backtracking).
    func lastIndex(atOrBelow index: UInt64, withTermAtMost term: UInt64) -> UInt64 {
        var candidate = min(index, lastIndex)
        while candidate > snapshotIndex, let found = self.term(at: candidate), found > term {
            candidate -= 1
        }
        return candidate
    }

    // MARK: - Changes

    /// Appends entries created by this server as leader.
    mutating func appendAsLeader(_ entry: Entry) {
        precondition(entry.index == lastIndex + 1, "leader entries must extend the log")
        entries.append(entry)
    }

    /// The follower side of AppendEntries: nil when the consistency check fails, otherwise the
    /// index of the last entry now known to match the leader.
    mutating func tryAppend(_ request: RaftMessage.AppendRequest) -> UInt64? {
        guard term(at: request.previousIndex) == request.previousTerm else { return nil }
        let lastNew = request.previousIndex + UInt64(request.entries.count)
        if let conflict = request.entries.firstIndex(where: { term(at: $0.index) != $0.term }) {
            let conflictIndex = request.entries[conflict].index
            precondition(conflictIndex > commitIndex, "a leader asked to overwrite a committed entry")
            truncate(from: conflictIndex)
            entries.append(contentsOf: request.entries[conflict...])
        }
        return lastNew
    }

    private mutating func truncate(from index: UInt64) {
        guard index <= lastIndex else { return }
        entries.removeSubrange(Int(index - snapshotIndex - 1)...)
        persistedIndex = min(persistedIndex, index - 1)
        handedOutIndex = min(handedOutIndex, index - 1)
    }

    mutating func commit(to index: UInt64) {
        precondition(index >= commitIndex, "commit index must never regress")
        precondition(index <= lastIndex, "cannot commit beyond the log")
        commitIndex = index
    }

    /// Drops entries up to `index`, which the state machine has applied and snapshotted.
    mutating func compact(through index: UInt64) {
        precondition(index > snapshotIndex && index <= appliedIndex, "compaction only covers applied entries")
        let newSnapshotTerm = term(at: index)!
        entries.removeFirst(Int(index - snapshotIndex))
        snapshotIndex = index
        snapshotTerm = newSnapshotTerm
    }

    /// Replaces the log with a snapshot received from the leader.
    mutating func restore(_ snapshot: Snapshot.Metadata) {
        precondition(snapshot.index > commitIndex, "a snapshot must move the log forward")
        entries.removeAll()
        snapshotIndex = snapshot.index
        snapshotTerm = snapshot.term
        commitIndex = snapshot.index
        handedOutIndex = snapshot.index
        // Entries persisted beyond the snapshot were discarded with the old log.
        persistedIndex = min(persistedIndex, snapshot.index)
    }
}
