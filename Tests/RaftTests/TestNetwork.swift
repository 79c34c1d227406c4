@testable import Raft

/// A small deterministic network of cores for tests: one FIFO of in-flight messages, link
/// filters for partitions, crashes that keep only what was persisted, and a safety checker that
/// runs after every Ready.
struct TestNetwork {
    struct Link: Hashable {
        var from: NodeID
        var to: NodeID
    }

    var options: RaftOptions
    var cores: [NodeID: RaftCore] = [:]
    var storages: [NodeID: MemoryLogStorage] = [:]
    var inFlight: [RaftMessage] = []
    var blockedLinks: Set<Link> = []
    var crashed: Set<NodeID> = []
    /// Returns true for a message that must be dropped.
    var dropFilter: ((RaftMessage) -> Bool)?
    /// Every message handed to the network, in order.
    var sent: [RaftMessage] = []
    var readStates: [NodeID: [ReadState]] = [:]
    var droppedReads: [NodeID: [UInt64]] = [:]
    var lastApplied: [NodeID: UInt64] = [:]
    var checker = SafetyChecker()
    var random: SplitMix64

    var nodes: [NodeID] { cores.keys.sorted() }

    init(voters: [NodeID], learners: [NodeID] = [], options: RaftOptions = RaftOptions(), seed: UInt64 = 1) {
        self.options = options
        random = SplitMix64(seed: seed)
        let configuration = ClusterConfiguration(voters: voters, learners: learners)
        for node in voters + learners {
            addNode(node, storage: MemoryLogStorage(configuration: configuration))
        }
    }

    /// Adds (or replaces) a node started from `storage`.
    mutating func addNode(_ node: NodeID, storage: MemoryLogStorage, options nodeOptions: RaftOptions? = nil) {
        storages[node] = storage
        cores[node] = RaftCore(id: node, options: nodeOptions ?? options, storage: storage,
                               random: SplitMix64(seed: random.next()))
        lastApplied[node] = storage.snapshot.metadata.index
    }

    // MARK: - Driving

    /// Carries out every pending Ready until none is left.
    mutating func processReadies() {
        for _ in 0..<100 {
            var progressed = false
            for node in nodes where !crashed.contains(node) && cores[node]!.hasReady {
                handleReady(of: node)
                progressed = true
            }
            if !progressed { return }
        }
    }

    private mutating func handleReady(of node: NodeID) {
        let ready = cores[node]!.ready()
        sendAll(ready.messages)
        storages[node]!.persist(ready)
        sendAll(ready.messagesAfterPersistence)
        if let snapshot = ready.snapshotToPersist { lastApplied[node] = snapshot.metadata.index }
        for entry in ready.committedEntries {
            checker.recordApplied(entry, by: node, after: lastApplied[node]!)
            lastApplied[node] = entry.index
        }
        readStates[node, default: []] += ready.readStates
        droppedReads[node, default: []] += ready.droppedReads
        cores[node]!.advance(ready)
        checker.check(cores: cores.filter { !crashed.contains($0.key) })
    }

    private mutating func sendAll(_ messages: [RaftMessage]) {
        sent += messages
        inFlight += messages
    }

    /// Delivers the oldest in-flight message (or drops it when a filter says so).
    mutating func deliverNext() {
        guard !inFlight.isEmpty else { return }
        deliver(inFlight.removeFirst())
    }

    mutating func deliver(_ message: RaftMessage) {
        if blockedLinks.contains(Link(from: message.from, to: message.to)) { return }
        if crashed.contains(message.to) || crashed.contains(message.from) { return }
        if dropFilter?(message) == true { return }
        guard cores[message.to] != nil else { return }
        cores[message.to]!.step(message)
        processReadies()
    }

    /// Delivers messages until the network is quiet (bounded).
    mutating func settle(maxMessages: Int = 100_000) {
        processReadies()
        var delivered = 0
        while !inFlight.isEmpty && delivered < maxMessages {
            deliverNext()
            delivered += 1
        }
    }

    mutating func tick(_ node: NodeID) {
        guard !crashed.contains(node) else { return }
        cores[node]!.tick()
        processReadies()
    }

    /// Ticks every live node once, then settles.
    mutating func tickAll(times: Int = 1) {
        for _ in 0..<times {
            for node in nodes { tick(node) }
            settle()
        }
    }

    /// Makes `node` campaign (by ticking it alone) and settles; returns whether it leads.
    @discardableResult
    mutating func elect(_ node: NodeID) -> Bool {
        for _ in 0..<(4 * options.electionTimeoutTicks) where cores[node]!.role != .leader {
            tick(node)
            settle()
        }
        return cores[node]!.role == .leader
    }

    var leaders: [NodeID] {
        nodes.filter { !crashed.contains($0) && cores[$0]!.role == .leader }
    }

    // MARK: - Faults

    mutating func isolate(_ node: NodeID) {
        for other in nodes where other != node {
            blockedLinks.insert(Link(from: node, to: other))
            blockedLinks.insert(Link(from: other, to: node))
        }
    }

    mutating func partition(_ groups: [[NodeID]]) {
        heal()
        for (first, group) in groups.enumerated() {
            for (second, other) in groups.enumerated() where first != second {
                for from in group { for to in other { blockedLinks.insert(Link(from: from, to: to)) } }
            }
        }
    }

    mutating func heal() {
        blockedLinks.removeAll()
    }

    /// Stops a node: its unpersisted state is lost, its storage kept.
    mutating func crash(_ node: NodeID) {
        crashed.insert(node)
    }

    /// Restarts a crashed node from its storage.
    mutating func restart(_ node: NodeID) {
        crashed.remove(node)
        addNode(node, storage: storages[node]!, options: cores[node]!.options)
        processReadies()
    }

    // MARK: - Client helpers

    @discardableResult
    mutating func propose(_ text: String, on node: NodeID) throws(RaftError) -> UInt64 {
        let index = try cores[node]!.propose(Array(text.utf8))
        processReadies()
        return index
    }

    func messages(from: NodeID? = nil, to: NodeID? = nil, where predicate: (RaftMessage) -> Bool = { _ in true }) -> [RaftMessage] {
        sent.filter { (from == nil || $0.from == from) && (to == nil || $0.to == to) && predicate($0) }
    }
}
