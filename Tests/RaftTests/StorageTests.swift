import Testing
@testable import Raft

@Suite("MemoryLogStorage")
struct StorageTests {
    static func entries(_ terms: [UInt64], from first: UInt64) -> [Entry] {
        terms.enumerated().map { Entry(term: $0.element, index: first + UInt64($0.offset), data: [UInt8($0.offset), 0, 0]) }
    }

    @Test("append replaces the suffix from the first new index; truncate removes it")
    func appendReplacesSuffix() {
        var storage = MemoryLogStorage(configuration: .init(voters: [1]))
        storage.append(Self.entries([1, 1, 1, 1], from: 1))
        storage.append(Self.entries([2, 2], from: 3))
        #expect(storage.lastIndex == 4)
        #expect((1...4).map { storage.term(at: $0) } == [1, 1, 2, 2])
        storage.truncateSuffix(from: 4)
        #expect(storage.lastIndex == 3)
        #expect(storage.term(at: 4) == nil)
    }

    @Test("entries(in:maxBytes:) stops at the byte bound but returns at least one entry")
    func entriesRespectByteBound() {
        var storage = MemoryLogStorage(configuration: .init(voters: [1]))
        storage.append(Self.entries([1, 1, 1, 1, 1], from: 1))
        #expect(storage.entries(in: 1..<6, maxBytes: 7).count == 2)
        #expect(storage.entries(in: 1..<6, maxBytes: 0).count == 1)
        #expect(storage.entries(in: 2..<4, maxBytes: .max).map(\.index) == [2, 3])
    }

    @Test("compaction keeps the suffix and the snapshot; installing a snapshot replaces the log")
    func compactionAndInstall() {
        var storage = MemoryLogStorage(configuration: .init(voters: [1]))
        storage.append(Self.entries([1, 1, 2, 2, 3], from: 1))
        let metadata = Snapshot.Metadata(index: 3, term: 2, configuration: .init(voters: [1]))
        storage.compact(with: Snapshot(metadata: metadata, data: [7]))
        #expect(storage.firstIndex == 4 && storage.lastIndex == 5)
        #expect(storage.term(at: 3) == 2 && storage.term(at: 2) == nil)
        #expect(storage.entries(in: 1..<6, maxBytes: .max).map(\.index) == [4, 5])
        let newer = Snapshot(metadata: .init(index: 9, term: 4, configuration: .init(voters: [1, 2])), data: [8])
        storage.installSnapshot(newer)
        #expect(storage.firstIndex == 10 && storage.lastIndex == 9)
        #expect(storage.snapshot == newer)
        storage.append(Self.entries([4], from: 10))
        #expect(storage.lastIndex == 10)
    }

    @Test("a core restarted from storage sees the persisted log, hard state and configuration")
    func restartFromStorage() {
        var storage = MemoryLogStorage(configuration: .init(voters: [1, 2, 3]))
        storage.append(Self.entries([1, 1, 2], from: 1))
        storage.setHardState(HardState(term: 2, votedFor: 3, commitIndex: 2))
        let core = RaftCore(id: 1, storage: storage, random: SplitMix64(seed: 1))
        #expect(core.term == 2 && core.votedFor == 3 && core.commitIndex == 2)
        #expect(core.lastIndex == 3 && core.term(at: 3) == 2)
        #expect(core.membership.voters == [1, 2, 3])
        #expect(core.appliedIndex == 0)
    }
}
