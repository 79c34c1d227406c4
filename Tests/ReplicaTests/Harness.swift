import Governance
import Raft
import Testing
@testable import Replica

// MARK: - A deterministic in-test world: fake clocks, a recording store, a message queue

/// What happened, in order, across the whole test world.
enum JournalEntry {
    case saved(node: NodeID, batch: DurableBatch)
    case sent(PeerMessage)
}

/// Shared, ordered record of saves and sends.
final class Journal {
    var entries: [JournalEntry] = []
}

/// A clock the test moves by hand.
final class TestClock: Clock {
    var nowMilliseconds: Int64
    init(_ now: Int64) { nowMilliseconds = now }
}

/// Thrown by a store told to fail.
struct DiskFailure: Error {}

/// An in-memory durable store that keeps what was saved and journals every save.
final class RecordingStore: LogStore {
    let node: NodeID
    let journal: Journal
    var storage: MemoryLogStorage
    var auditRecords: [AuditRecord] = []
    var saves: [DurableBatch] = []
    var failSaves = false
    var auditGaps = 0
    /// Saves after which the stored snapshot covered entries whose audit records the store
    /// did not hold (those entries could no longer regenerate them).
    var compactionsAheadOfAudit = 0

    init(node: NodeID, configuration: ClusterConfiguration, journal: Journal) {
        self.node = node
        self.journal = journal
        storage = MemoryLogStorage(configuration: configuration)
    }

    func load() throws -> StoredLog {
        let snapshot = storage.snapshot.metadata.index > 0 ? storage.snapshot : nil
        let entries = storage.entries(in: storage.firstIndex..<(storage.lastIndex + 1), maxBytes: .max)
        return StoredLog(hardState: storage.hardState, snapshot: snapshot, entries: entries,
                         auditHeadSeq: auditRecords.last?.seq ?? 0)
    }

    func save(_ batch: DurableBatch) throws {
        if failSaves { throw DiskFailure() }
        if let snapshot = batch.snapshotToInstall { storage.installSnapshot(snapshot) }
        storage.append(batch.entries)
        if let compaction = batch.compaction { storage.compact(with: compaction) }
        if let hardState = batch.hardState { storage.setHardState(hardState) }
        for record in batch.auditRecords {
            if record.seq != (auditRecords.last?.seq ?? 0) + 1 { auditGaps += 1 }
            auditRecords.append(record)
        }
        if let compaction = batch.compaction, let image = try? ReplicaSnapshot.decode(compaction.data),
           image.governance.auditHead.seq > (auditRecords.last?.seq ?? 0) {
            compactionsAheadOfAudit += 1
        }
        saves.append(batch)
        journal.entries.append(.saved(node: node, batch: batch))
    }
}

/// The network: every node's sends land in one queue the test delivers from.
final class QueueTransport: Transport {
    let journal: Journal
    var inFlight: [PeerMessage] = []

    init(journal: Journal) { self.journal = journal }

    func send(_ messages: [PeerMessage]) {
        for message in messages {
            journal.entries.append(.sent(message))
            inFlight.append(message)
        }
    }
}

/// Three (or more) replicas wired together, driven step by step.
final class TestCluster {
    let members: [NodeID]
    let journal = Journal()
    let network: QueueTransport
    var stores: [NodeID: RecordingStore] = [:]
    var clocks: [NodeID: TestClock] = [:]
    var replicas: [NodeID: Replica] = [:]
    var outcomes: [NodeID: [RequestID: RequestOutcome]] = [:]
    var feeds: [NodeID: [FeedItem]] = [:]
    var isolated: Set<NodeID> = []
    let tune: (inout ReplicaConfiguration) -> Void

    init(size: Int = 3, tune: @escaping (inout ReplicaConfiguration) -> Void = { _ in }) throws {
        members = (1...NodeID(size)).map { $0 }
        network = QueueTransport(journal: journal)
        self.tune = tune
        for node in members {
            stores[node] = RecordingStore(node: node, configuration: ClusterConfiguration(voters: members), journal: journal)
            clocks[node] = TestClock(1_000_000)
            try start(node)
        }
    }

    func configuration(for node: NodeID) -> ReplicaConfiguration {
        var configuration = ReplicaConfiguration(nodeID: node, initialMembers: ClusterConfiguration(voters: members), randomSeed: node * 7919)
        tune(&configuration)
        return configuration
    }

    func start(_ node: NodeID) throws {
        replicas[node] = try Replica(configuration: configuration(for: node), logStore: stores[node]!, transport: network, clock: clocks[node]!)
    }

    subscript(node: NodeID) -> Replica { replicas[node]! }

    /// Every replica processes once, then every message in flight is delivered (or dropped
    /// when either end is isolated).
    func step() throws {
        for node in members {
            guard let replica = replicas[node] else { continue }
            let output = try replica.process()
            outcomes[node, default: [:]].merge(output.completions) { _, new in new }
            feeds[node, default: []].append(contentsOf: output.feed)
        }
        let messages = network.inFlight
        network.inFlight.removeAll()
        for message in messages where !isolated.contains(message.from) && !isolated.contains(message.to) {
            replicas[message.to]?.receive(message)
        }
    }

    /// Every replica saves what it deferred, as a shell does before reading its audit table.
    func saveDeferred() throws {
        for node in members { try replicas[node]?.saveDeferred() }
    }

    /// `node` crashes: its replica and everything only in its memory are gone; its store keeps
    /// what completed saves wrote.
    func crash(_ node: NodeID) {
        replicas[node] = nil
    }

    func tick(advancingMilliseconds milliseconds: Int64 = 10) throws {
        for node in members {
            clocks[node]!.nowMilliseconds += milliseconds
            replicas[node]?.tick()
        }
        try step()
    }

    /// Steps (without ticks) until nothing is in flight.
    func settle() throws {
        for _ in 0..<50 {
            try step()
            if network.inFlight.isEmpty { try step(); return }
        }
    }

    /// Ticks until a leader that all connected nodes know is elected; returns it.
    @discardableResult
    func electLeader(maximumTicks: Int = 300) throws -> NodeID {
        for _ in 0..<maximumTicks {
            try tick()
            if let leader = leader(), members.allSatisfy({ isolated.contains($0) || replicas[$0]?.leaderID == leader }) {
                try settle()
                return leader
            }
        }
        Issue.record("no leader elected")
        return 0
    }

    /// The node that is leader in the highest term, if any.
    func leader() -> NodeID? {
        members.filter { replicas[$0]?.role == .leader && !isolated.contains($0) }.max { replicas[$0]!.term < replicas[$1]!.term }
    }

    func followers() -> [NodeID] { members.filter { $0 != leader() } }

    func outcome(_ requestID: RequestID, at node: NodeID) -> RequestOutcome? { outcomes[node]?[requestID] }

    /// Ticks until `requestID` completes at `node`.
    @discardableResult
    func await(_ requestID: RequestID, at node: NodeID, maximumTicks: Int = 200) throws -> RequestOutcome? {
        try step()
        for _ in 0..<maximumTicks where outcome(requestID, at: node) == nil { try tick() }
        return outcome(requestID, at: node)
    }
}

// MARK: - Commands used by the tests

enum Fixture {
    static func user(_ id: String, level: Int64 = 1) -> Command {
        .setUserAttributes(userID: id, attributes: ["level": .int(level)])
    }

    static func agent(_ id: String) -> Command {
        .registerAgent(AgentRegistration(id: id, name: "Agent \(id)", owner: "anne", kind: .agent, scopes: ["invoice:*"],
                                         secretHash: [UInt8](repeating: 7, count: 32)))
    }

    static let operatorActor = Actor.apiKey(id: "admin-key", role: .admin)
}

extension RequestOutcome {
    /// The revision of an applied write, or nil.
    var appliedRevision: UInt64? {
        if case .applied(let revision, _, _) = self { return revision }
        return nil
    }

    var isAmbiguous: Bool {
        if case .ambiguous = self { return true }
        return false
    }
}
