import Governance
import Raft
import Replica

// MARK: - Errors

/// Why a simulated disk refused to load or to save.
public enum SimulatedDiskError: Error, Equatable, Sendable {
    /// A synced record failed its checksum (corruption, or a write that landed in the wrong
    /// place): the replica must refuse to start rather than serve it.
    case corruptRecord(index: UInt64)
    /// The stored snapshot failed its checksum.
    case corruptSnapshot
    /// The node crashed in the middle of this save; part of the batch may be on the platter.
    case crashedDuringSave
}

// MARK: - The disk

/// A node's disk as the replica sees it through `LogStore`: an image of what completed saves
/// made durable (a returned `save` is durable: crashes never take it back), every record with a
/// checksum over its content and its position, like a journal with per-sector checksums.
///
/// Faults: a save interrupted by a crash leaves a torn batch (a prefix, the last record cut
/// short) that `load` finds by its batch checksum and drops, which is allowed only because that
/// batch was never acknowledged; a misdirected write lands the batch's last record over an
/// older synced slot, and corruption flips bytes of a synced record — both caught by the
/// per-record checksum, so `load` throws and the node never serves the damaged record.
public final class SimulatedDisk: LogStore {
    // MARK: Stored image

    private var hardState = HardState()
    private var hardStateChecksum: UInt64
    private var snapshot: Snapshot?
    private var snapshotChecksum: UInt64 = 0
    private var entries: [Entry] = []
    private var entryChecksums: [UInt64] = []
    private var auditHeadSeq: UInt64 = 0
    /// A batch cut short by a crash: written without a valid batch checksum.
    private var tornBatch: (entries: [Entry], checksum: UInt64)?

    // MARK: Fault state

    /// When set, the next `save` is interrupted by a crash of this kind.
    public var armedCrash: CrashKind?
    /// Saves that completed (and so are durable).
    public private(set) var completedSaves = 0
    /// Torn batches found and dropped by `load`.
    public private(set) var droppedTornBatches = 0

    /// Creates an empty disk, as a brand-new node finds it.
    public init() {
        hardStateChecksum = Self.checksum(HardState())
    }

    // MARK: Views for checkers

    /// The durable hard state (what a restart would find, before checksum verification).
    public var durableHardState: HardState { hardState }
    /// The index of the last durable entry (or of the snapshot when no entry follows it).
    public var durableLastIndex: UInt64 { entries.last?.index ?? snapshot?.metadata.index ?? 0 }
    /// The term of the durable entry at `index`, if the disk holds it as an entry or snapshot.
    public func durableTerm(at index: UInt64) -> UInt64? {
        if let snapshot, snapshot.metadata.index == index { return snapshot.metadata.term }
        guard let position = position(of: index) else { return index == 0 ? 0 : nil }
        return entries[position].term
    }
    /// How many synced records a corruption may pick from.
    public var recordCount: Int { entries.count + (snapshot == nil ? 0 : 1) }

    private func position(of index: UInt64) -> Int? {
        guard let first = entries.first?.index, index >= first else { return nil }
        let position = Int(index - first)
        return position < entries.count ? position : nil
    }
}

// MARK: - LogStore

extension SimulatedDisk {
    /// Verifies every record and returns the stored log; drops a torn final batch.
    public func load() throws -> StoredLog {
        if let torn = tornBatch {
            // A batch whose checksum does not match was never acknowledged: drop it.
            if torn.checksum != Self.checksum(torn.entries) {
                droppedTornBatches += 1
            } else {
                appendEntries(torn.entries)
            }
            tornBatch = nil
        }
        if let snapshot, Self.checksum(snapshot) != snapshotChecksum { throw SimulatedDiskError.corruptSnapshot }
        let firstIndex = (snapshot?.metadata.index ?? 0) + 1
        for (position, entry) in entries.enumerated() {
            let slot = firstIndex + UInt64(position)
            if Self.checksum(entry, slot: slot) != entryChecksums[position] {
                throw SimulatedDiskError.corruptRecord(index: slot)
            }
        }
        precondition(Self.checksum(hardState) == hardStateChecksum, "hard state records are not corrupted by the fault model")
        return StoredLog(hardState: hardState, snapshot: snapshot, entries: entries, auditHeadSeq: auditHeadSeq)
    }

    /// Applies `batch` in the contract's order; an armed crash interrupts it instead.
    public func save(_ batch: DurableBatch) throws {
        if let crash = armedCrash {
            armedCrash = nil
            interrupt(batch, crash)
            throw SimulatedDiskError.crashedDuringSave
        }
        if let installed = batch.snapshotToInstall {
            setSnapshot(installed)
            entries = []
            entryChecksums = []
        }
        appendEntries(batch.entries)
        if let compaction = batch.compaction { compact(to: compaction) }
        if let newHardState = batch.hardState {
            hardState = newHardState
            hardStateChecksum = Self.checksum(newHardState)
        }
        if let last = batch.auditRecords.last { auditHeadSeq = max(auditHeadSeq, last.seq) }
        completedSaves += 1
    }

    private func setSnapshot(_ newSnapshot: Snapshot) {
        snapshot = newSnapshot
        snapshotChecksum = Self.checksum(newSnapshot)
    }

    private func appendEntries(_ batchEntries: [Entry]) {
        guard let first = batchEntries.first else { return }
        let base = (snapshot?.metadata.index ?? 0) + 1
        precondition(first.index >= base, "entries before the snapshot are not stored")
        let keep = min(entries.count, Int(first.index - base))
        precondition(keep == Int(first.index - base), "stored entries must stay contiguous")
        entries.removeSubrange(keep...)
        entryChecksums.removeSubrange(keep...)
        for entry in batchEntries {
            entryChecksums.append(Self.checksum(entry, slot: entry.index))
            entries.append(entry)
        }
    }

    private func compact(to compaction: Snapshot) {
        let oldBase = (snapshot?.metadata.index ?? 0) + 1
        guard compaction.metadata.index >= oldBase - 1 else { return }
        let drop = min(entries.count, Int(compaction.metadata.index + 1 - oldBase))
        entries.removeFirst(drop)
        entryChecksums.removeFirst(drop)
        setSnapshot(compaction)
    }
}

// MARK: - Faults

extension SimulatedDisk {
    /// A crash in the middle of writing `batch`: a torn write leaves a prefix of its entries with
    /// the last one cut short; a misdirected write puts its last entry over an older synced slot.
    private func interrupt(_ batch: DurableBatch, _ crash: CrashKind) {
        guard batch.snapshotToInstall == nil, let last = batch.entries.last else { return }
        switch crash {
        case .loseUnsyncedWrites:
            return
        case .tornLastWrite:
            var written = batch.entries
            written[written.count - 1].data = Array(last.data.prefix(last.data.count / 2))
            tornBatch = (written, Self.checksum(batch.entries))
        case .misdirectedLastWrite:
            guard !entries.isEmpty else { return }
            let victim = Int(last.index % UInt64(entries.count))
            entries[victim] = last
            entryChecksums[victim] = Self.checksum(last, slot: last.index)
        }
    }

    /// Flips a byte of one synced record picked by `selector`; returns the damaged index.
    @discardableResult
    public func corruptSyncedRecord(selector: UInt64) -> UInt64? {
        guard recordCount > 0 else { return nil }
        let pick = Int(selector % UInt64(recordCount))
        if pick == entries.count, var damaged = snapshot {
            damaged.data = Self.flippingOneByte(damaged.data, selector: selector)
            damaged.metadata.term ^= damaged.data.isEmpty ? 1 : 0
            snapshot = damaged
            return damaged.metadata.index
        }
        entries[pick].data = Self.flippingOneByte(entries[pick].data, selector: selector)
        if entries[pick].data.isEmpty { entries[pick].term ^= 1 }
        return entries[pick].index
    }

    /// The remedy for a disk that failed its checksums: throw the log away, keep the term and
    /// vote (a separate record the fault model never damages, so the node cannot vote twice in a
    /// term), and let the node catch up from its peers.
    public func wipeLogKeepingVote() {
        snapshot = nil
        entries = []
        entryChecksums = []
        tornBatch = nil
        auditHeadSeq = 0
        hardState = HardState(term: hardState.term, votedFor: hardState.votedFor, commitIndex: 0)
        hardStateChecksum = Self.checksum(hardState)
    }

    private static func flippingOneByte(_ bytes: [UInt8], selector: UInt64) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        var damaged = bytes
        let at = Int((selector >> 8) % UInt64(bytes.count))
        damaged[at] ^= UInt8(truncatingIfNeeded: (selector >> 32) | 1)
        return damaged
    }
}

// MARK: - Checksums

extension SimulatedDisk {
    static func checksum(_ entry: Entry, slot: UInt64) -> UInt64 {
        var hasher = TraceHasher()
        hasher.combine(slot)
        hasher.combine(entry.index)
        hasher.combine(entry.term)
        hasher.combine(UInt64(entry.kind.rawValue))
        hasher.combine(bytes: entry.data)
        return hasher.value
    }

    static func checksum(_ entries: [Entry]) -> UInt64 {
        var hasher = TraceHasher()
        for entry in entries { hasher.combine(checksum(entry, slot: entry.index)) }
        return hasher.value
    }

    static func checksum(_ snapshot: Snapshot) -> UInt64 {
        var hasher = TraceHasher()
        hasher.combine(snapshot.metadata.index)
        hasher.combine(snapshot.metadata.term)
        hasher.combine(bytes: snapshot.metadata.configuration.encoded())
        hasher.combine(bytes: snapshot.data)
        return hasher.value
    }

    static func checksum(_ state: HardState) -> UInt64 {
        var hasher = TraceHasher()
        hasher.combine(state.term)
        hasher.combine(state.votedFor ?? 0)
        hasher.combine(state.commitIndex)
        return hasher.value
    }
}
