import Governance
import Raft
import Replica

// MARK: - Replica lifecycle

extension Simulation {
    /// How long after an armed (torn or misdirected) crash the node is crashed anyway when it
    /// did not save in the meantime.
    static let armedCrashGrace = VirtualTime.milliseconds(20)
    /// How long a node whose disk was corrupted stays down before it restarts and finds it.
    static let corruptionRestartDelay = VirtualTime.milliseconds(100)
    /// Extra delivery delay per unit of slowdown of a slow node.
    static let slowNodeDelayPerFactor = VirtualTime.milliseconds(1)

    /// Starts (or restarts) the replica on `node` from its disk. A disk that fails its checksums
    /// makes the replica refuse to start: the node stays down for the rest of the run (it never
    /// serves the damaged record). Rejoining with a wiped log under the same id is not an option:
    /// the leader's match index for it would go backwards, which Raft does not allow.
    func start(_ node: SimulatedNode) {
        node.clock.trueTime = clock.now
        do {
            node.replica = try makeReplica(node)
            node.diskDamaged = false
        } catch {
            note("node \(node.index) refuses to start: \(error); it stays down")
            hasher.combine("refused")
            node.refusedDisk = true
            return
        }
        node.incarnation += 1
        node.isPaused = false
        node.pausedInbox = []
        if let replica = node.replica {
            safety.nodeStarted(node.index, view: replica.raft, durableCommit: node.disk.durableHardState.commitIndex) { self.violation($0, $1) }
        }
        scheduleTick(node)
    }

    private func makeReplica(_ node: SimulatedNode) throws -> Replica {
        var replicaConfiguration = ReplicaConfiguration(
            nodeID: node.raftID,
            initialMembers: ClusterConfiguration(voters: nodes.map(\.raftID)),
            randomSeed: replicaRandom.next()
        )
        replicaConfiguration.snapshotIntervalEntries = configuration.snapshotIntervalEntries
        replicaConfiguration.compactionMarginEntries = configuration.compactionMarginEntries
        if plan.hasFigure8Episode {
            replicaConfiguration.raftOptions.maxEntriesPerAppend = configuration.figure8MaxEntriesPerAppend
        }
        return try Replica(configuration: replicaConfiguration, logStore: node.disk, transport: node.transport, clock: node.clock)
    }

    func scheduleTick(_ node: SimulatedNode) {
        let local = configuration.tickInterval * node.slowdown
        let due = clock.now + node.clock.nodeClock.trueDuration(forLocal: local)
        queue.schedule(.tick(node: node.index, incarnation: node.incarnation), at: due)
    }

    /// Crashes `node`: the replica object and everything in its memory are gone; its disk keeps
    /// what completed saves made durable. Requests open on it are cut.
    func crash(_ node: SimulatedNode, reason: String) {
        guard node.isUp else { return }
        note("node \(node.index) crashes (\(reason))")
        hasher.combine("crash")
        hasher.combine(UInt64(node.index))
        node.replica = nil
        node.isPaused = false
        node.pausedInbox = []
        node.transport.outbox = []
        node.disk.armedCrash = nil
        safety.nodeCrashed(node.index)
        leaderQuorum.nodeCrashed(node.index)
        connectionsCut(at: node.index)
    }

    func restart(_ node: SimulatedNode) {
        guard !node.isUp, !node.refusedDisk else { return }
        node.restarts += 1
        note("node \(node.index) restarts")
        start(node)
    }

    // MARK: - The loop iteration of one replica

    /// Runs `process()` on `node` and carries out its output: messages onto the network,
    /// completions to the clients, role changes into the timeline. A throw crashes the node.
    func process(_ node: SimulatedNode) {
        guard let replica = node.replica, !node.isPaused else { return }
        node.clock.trueTime = clock.now
        let output: ReplicaOutput
        do {
            output = try replica.process()
        } catch {
            crash(node, reason: "\(error)")
            return
        }
        checkStep(node)
        figure8Nemesis(node, replica)
        for problem in node.transport.durabilityViolations { violation("nothing acknowledged before durable", problem) }
        node.transport.durabilityViolations = []
        ship(node)
        if let softState = output.softState { roleChanged(node, softState) }
        for requestID in output.completions.keys.sorted() {
            completed(requestID: requestID, outcome: output.completions[requestID]!, at: node)
        }
    }

    private func roleChanged(_ node: SimulatedNode, _ softState: SoftState) {
        guard lastRoles[node.index] != softState.role else { return }
        lastRoles[node.index] = softState.role
        hasher.combine(UInt64(softState.role.rawValue))
        if softState.role == .leader, let replica = node.replica {
            note("node \(node.index) leads term \(replica.term)")
        }
    }

    private func ship(_ node: SimulatedNode) {
        let outbox = node.transport.outbox
        node.transport.outbox = []
        for message in outbox {
            let from = Int(message.from) - 1
            let to = Int(message.to) - 1
            let extra = nodes[to].slowdown > 1 ? Self.slowNodeDelayPerFactor * nodes[to].slowdown : 0
            for delivery in network.send(from: from, to: to, message: message, at: clock.now) {
                queue.schedule(.delivery(slot: park(delivery)), at: delivery.deliverAt + extra)
            }
        }
    }

    func deliver(slot: Int) {
        let delivery = unpark(slot)
        guard network.arrive(delivery, at: clock.now) == .deliver else { return }
        let node = nodes[delivery.to]
        guard node.isUp else { return }
        hasher.combine(delivery.sendNumber)
        if node.isPaused {
            node.pausedInbox.append(delivery.message)
            return
        }
        node.clock.trueTime = clock.now
        receive(delivery.message, at: node)
        process(node)
    }

    func schedule(_ deliveries: [Delivery<PeerMessage>]) {
        for delivery in deliveries { queue.schedule(.delivery(slot: park(delivery)), at: delivery.deliverAt) }
    }

    /// Messages in flight live in a slab, so the event heap moves small values only.
    private func park(_ delivery: Delivery<PeerMessage>) -> Int {
        if let slot = freeSlots.popLast() {
            inFlight[slot] = delivery
            return slot
        }
        inFlight.append(delivery)
        return inFlight.count - 1
    }

    private func unpark(_ slot: Int) -> Delivery<PeerMessage> {
        let delivery = inFlight[slot]!
        inFlight[slot] = nil
        freeSlots.append(slot)
        return delivery
    }
}
