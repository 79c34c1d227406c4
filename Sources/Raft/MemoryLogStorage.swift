/// A `LogStorage` in memory, for tests, benchmarks and the simulator (whose faulty disk wraps it).
public struct MemoryLogStorage: LogStorage, Sendable {
    /// The persisted hard state.
    public private(set) var hardState = HardState()
    /// The latest snapshot.
    public private(set) var snapshot: Snapshot
    private var entries: [Entry] = []

    /// Creates empty storage for a server of a new group whose initial members are `configuration`.
    /// A server that will join later starts with an empty configuration.
    public init(configuration: ClusterConfiguration) {
        snapshot = .initial(configuration)
    }

    /// The index of the first stored entry.
    public var firstIndex: UInt64 { snapshot.metadata.index + 1 }

    /// The index of the last stored entry, or the snapshot index.
    public var lastIndex: UInt64 { snapshot.metadata.index + UInt64(entries.count) }

    /// The term at `index`, if stored or covered exactly by the snapshot.
    public func term(at index: UInt64) -> UInt64? {
        if index == snapshot.metadata.index { return snapshot.metadata.term }
        guard index >= firstIndex, index <= lastIndex else { return nil }
        return entries[position(of: index)].term
    }

    /// Entries in `range` (clamped to what is stored), bounded by `maxBytes` of payload.
    public func entries(in range: Range<UInt64>, maxBytes: Int) -> [Entry] {
        let lower = max(range.lowerBound, firstIndex)
        let upper = min(range.upperBound, lastIndex + 1)
        guard lower < upper else { return [] }
        var result: [Entry] = []
        var bytes = 0
        for entry in entries[position(of: lower)..<position(of: upper)] {
            bytes += entry.data.count
            if !result.isEmpty && bytes > maxBytes { break }
            result.append(entry)
        }
        return result
    }

    /// Appends entries, replacing stored entries at or after the first new index.
    public mutating func append(_ newEntries: [Entry]) {
        guard let first = newEntries.first else { return }
        precondition(first.index <= lastIndex + 1, "append would leave a gap in the log")
        let skipped = first.index < firstIndex ? Int(firstIndex - first.index) : 0
        guard skipped < newEntries.count else { return }
        truncateSuffix(from: max(first.index, firstIndex))
        entries.append(contentsOf: newEntries[skipped...])
    }

    /// Removes entries at or after `index`.
    public mutating func truncateSuffix(from index: UInt64) {
        guard index <= lastIndex else { return }
        precondition(index > snapshot.metadata.index, "cannot truncate into the snapshot")
        entries.removeSubrange(position(of: index)...)
    }

    /// Replaces the hard state.
    public mutating func setHardState(_ newHardState: HardState) {
        hardState = newHardState
    }

    /// Replaces the log with `newSnapshot`.
    public mutating func installSnapshot(_ newSnapshot: Snapshot) {
        guard newSnapshot.metadata.index > snapshot.metadata.index else { return }
        snapshot = newSnapshot
        entries.removeAll()
    }

    /// Drops entries covered by a locally taken snapshot and keeps the snapshot.
    public mutating func compact(with newSnapshot: Snapshot) {
        let index = newSnapshot.metadata.index
        guard index > snapshot.metadata.index else { return }
        precondition(index <= lastIndex, "cannot compact beyond the last stored entry")
        entries.removeFirst(position(of: index) + 1)
        snapshot = newSnapshot
    }

    private func position(of index: UInt64) -> Int {
        Int(index - firstIndex)
    }
}
