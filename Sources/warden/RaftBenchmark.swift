import Raft

/// `warden bench raft`: commits entries through three in-memory Raft cores in one process and
/// prints entries/s. Messages are delivered in memory and persistence (into `MemoryLogStorage`)
/// is acknowledged at once, so the figure measures the core itself.
///
/// Options: `--entries N` (default 2,000,000), `--batch B` proposals per batch (default 1,000),
/// `--payload P` bytes per entry (default 64).
enum RaftBenchmark {
    static func run(_ arguments: [String]) -> Int32 {
        guard let settings = Settings(arguments) else {
            FileHandleOutput.standardError("usage: warden bench raft [--entries N] [--batch B] [--payload P]")
            return 2
        }
        var cluster = BenchmarkCluster(nodes: [1, 2, 3])
        guard cluster.electLeader(1) else {
            FileHandleOutput.standardError("bench: no leader elected")
            return 1
        }
        let payload = [UInt8](repeating: 0xAB, count: settings.payloadBytes)
        let batch = [[UInt8]](repeating: payload, count: settings.batchSize)
        let clock = ContinuousClock()
        let start = clock.now
        let committedBefore = cluster.committedOnLeader
        while cluster.committedOnLeader - committedBefore < settings.entries {
            _ = try? cluster.cores[1]!.propose(batch: batch)
            cluster.pump()
            cluster.compactIfLong()
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let committed = cluster.committedOnLeader - committedBefore
        let rate = Double(committed) / seconds
        let milliseconds = Int(seconds * 1_000)
        print("raft: \(committed) entries of \(settings.payloadBytes) B committed through 3 in-memory cores in \(milliseconds) ms, "
              + "batch \(settings.batchSize): \(Int(rate)) entries/s")
        return 0
    }

    struct Settings {
        var entries = 2_000_000
        var batchSize = 1_000
        var payloadBytes = 64

        init?(_ arguments: [String]) {
            var remaining = arguments[...]
            while let flag = remaining.popFirst() {
                guard let text = remaining.popFirst(), let value = Int(text), value > 0 else { return nil }
                switch flag {
                case "--entries": entries = value
                case "--batch": batchSize = value
                case "--payload": payloadBytes = value
                default: return nil
                }
            }
        }
    }
}

/// Three cores wired by an in-memory queue, with instant persistence.
struct BenchmarkCluster {
    var cores: [NodeID: RaftCore] = [:]
    var storages: [NodeID: MemoryLogStorage] = [:]
    var queue: [RaftMessage] = []
    var committedOnLeader = 0
    let nodes: [NodeID]
    /// Compact once this many applied entries sit in the log, to keep memory flat.
    let compactionThreshold: UInt64 = 200_000

    init(nodes: [NodeID]) {
        self.nodes = nodes
        var options = RaftOptions()
        options.maxEntriesPerAppend = 4_096
        options.maxInflightAppends = 256
        for node in nodes {
            let storage = MemoryLogStorage(configuration: ClusterConfiguration(voters: nodes))
            storages[node] = storage
            cores[node] = RaftCore(id: node, options: options, storage: storage, random: SplitMix64(seed: node))
        }
    }

    mutating func electLeader(_ node: NodeID) -> Bool {
        for _ in 0..<100 where cores[node]!.role != .leader {
            cores[node]!.tick()
            pump()
        }
        return cores[node]!.role == .leader
    }

    /// Carries out Readies and delivers messages until everything is quiet.
    mutating func pump() {
        var active = true
        while active {
            active = false
            for node in nodes where cores[node]!.hasReady {
                active = true
                let ready = cores[node]!.ready()
                storages[node]!.persist(ready)
                queue.append(contentsOf: ready.messages)
                queue.append(contentsOf: ready.messagesAfterPersistence)
                if cores[node]!.role == .leader {
                    committedOnLeader += ready.committedEntries.count
                }
                cores[node]!.advance(ready)
            }
            if !queue.isEmpty {
                active = true
                let delivering = queue
                queue.removeAll(keepingCapacity: true)
                for message in delivering { cores[message.to]!.step(message) }
            }
        }
    }

    mutating func compactIfLong() {
        for node in nodes {
            let core = cores[node]!
            guard core.appliedIndex >= core.firstIndex + compactionThreshold else { continue }
            let snapshot = cores[node]!.compact(through: core.appliedIndex, snapshotData: [])
            storages[node]!.compact(with: snapshot)
        }
    }
}
