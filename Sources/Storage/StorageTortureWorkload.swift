import Raft

/// The deterministic workload `warden storage-torture` writes and its crash tests check: every
/// entry's term and payload, every audit record and every snapshot follow from their index alone,
/// so a reader knows exactly what each acknowledged record must contain.
public enum StorageTortureWorkload {
    /// Bytes of payload per entry, the "small entry" of the benchmarks.
    public static let payloadBytes = 100
    /// Entries per term: terms grow as the log grows, as after elections.
    public static let entriesPerTerm: UInt64 = 1_000
    /// Entries kept after the snapshot when the writer compacts.
    public static let entriesKeptAfterCompaction: UInt64 = 100
    /// The writer compacts once this many entries follow the snapshot.
    public static let compactionThreshold: UInt64 = 1_500
    /// A batch installs a leader's snapshot each time the log crosses a multiple of this.
    public static let snapshotInstallInterval: UInt64 = 2_500
    /// Stored entries each batch sends again, replacing them.
    public static let rewrittenEntries: UInt64 = 2
    /// Batch sizes, cycled by position so a restarted writer continues the same pattern.
    public static let batchSizes = [1, 3, 17, 64, 200]
    /// The one-voter configuration the workload's snapshots record.
    public static let configuration = ClusterConfiguration(voters: [1])
    /// The metadata key holding the last index the writer saved, 8 bytes little-endian.
    public static let lastIndexKey = "torture.last_index"

    /// The term of the entry at `index`.
    public static func term(forIndex index: UInt64) -> UInt64 {
        (index - 1) / entriesPerTerm + 1
    }

    /// The entry the workload stores at `index`.
    public static func entry(at index: UInt64) -> Entry {
        Entry(term: term(forIndex: index), index: index, kind: .normal, data: bytes(seed: index, count: payloadBytes))
    }

    /// The audit record the workload stores at `seq`.
    public static func auditRecord(seq: UInt64) -> AuditRecord {
        AuditRecord(seq: seq, bytes: bytes(seed: seq ^ 0xA0D1_7000_0000_0000, count: 32))
    }

    /// The snapshot the workload takes at `index`.
    public static func snapshot(at index: UInt64) -> Snapshot {
        Snapshot(metadata: .init(index: index, term: term(forIndex: index), configuration: configuration),
                 data: bytes(seed: index ^ 0x5AA9_5A07_0000_0000, count: 256))
    }

    /// The batch that follows a store whose log ends at `lastIndex`, with audit head `auditHead` and
    /// snapshot at `snapshotIndex`: the hard state committing its last index, one audit record and
    /// the last-index metadata, plus either
    /// - a leader's snapshot at the new last index, once per `snapshotInstallInterval` entries
    ///   (as a lagging follower receives), or
    /// - the new entries, first re-sending the last `rewrittenEntries` stored ones (a follower's
    ///   replaced suffix, identical here so the expected contents stay fixed), and a compaction
    ///   when the log has grown long.
    public static func batch(afterIndex lastIndex: UInt64, auditHead: UInt64, snapshotIndex: UInt64) -> PersistBatch {
        let newLast = lastIndex + batchSize(afterIndex: lastIndex)
        var batch = PersistBatch(
            hardState: HardState(term: term(forIndex: newLast), votedFor: 1, commitIndex: newLast),
            auditRecords: [auditRecord(seq: auditHead + 1)],
            metadata: [lastIndexKey: littleEndianBytes(newLast)])
        if newLast / snapshotInstallInterval != lastIndex / snapshotInstallInterval {
            batch.snapshotToInstall = snapshot(at: newLast)
            return batch
        }
        let resent = min(rewrittenEntries, lastIndex - snapshotIndex)
        batch.entries = (lastIndex + 1 - resent...newLast).map { entry(at: $0) }
        if newLast - snapshotIndex > compactionThreshold {
            batch.compaction = snapshot(at: newLast - entriesKeptAfterCompaction)
        }
        return batch
    }

    /// How many entries the batch after `lastIndex` appends; a reader replays the sequence of
    /// batches from index 0 to know how many saves (audit records) led to a given last index.
    public static func batchSize(afterIndex lastIndex: UInt64) -> UInt64 {
        UInt64(batchSizes[Int((lastIndex / 7) % UInt64(batchSizes.count))])
    }

    /// The eight little-endian bytes of `value`.
    public static func littleEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// `count` pseudo-random bytes determined by `seed` (SplitMix64).
    static func bytes(seed: UInt64, count: Int) -> [UInt8] {
        var state = seed
        var result: [UInt8] = []
        result.reserveCapacity(count + 8)
        while result.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            mixed ^= mixed >> 31
            result.append(contentsOf: littleEndianBytes(mixed))
        }
        return Array(result.prefix(count))
    }
}
