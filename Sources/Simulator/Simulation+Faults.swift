import Raft
import Replica

// MARK: - The nemesis, applied

extension Simulation {
    /// Carries out one fault event on the network, a node, its disk or its clock.
    func apply(_ fault: FaultEvent) {
        switch fault {
        case .partition, .partitionOneWay, .isolate, .isolateLeader, .isolateNextLeader, .rotateIsolatedLeaders,
             .rotateAtNextCommit, .healPartitions, .clogLink, .unclogLink, .startFlapping, .stopFlapping, .degradeLinks, .restoreLinks:
            applyNetworkFault(fault)
        case .crash, .restart, .pause, .resume, .slow, .restoreSpeed:
            applyProcessFault(fault)
        case .corruptSyncedRecord(let index, let selector):
            corrupt(nodes[index], selector: selector)
        case .clockSkew(let index, let offset):
            note("node \(index) clock skewed by \(offset / 1_000_000) ms")
            nodes[index].clock.nodeClock.setSkew(offset, at: clock.now)
        case .clockDrift(let index, let partsPerMillion):
            note("node \(index) timers drift by \(partsPerMillion) ppm")
            nodes[index].clock.nodeClock.setDrift(partsPerMillion, at: clock.now)
        }
    }

    private func applyNetworkFault(_ fault: FaultEvent) {
        switch fault {
        case .partition(let groups): network.partition(groups); note("partition \(groups)")
        case .partitionOneWay(let from, let to): network.blockOneWay(from: from, to: to); note("one-way partition \(from) -> \(to) cut")
        case .isolate(let index): network.isolate(index); note("node \(index) isolated")
        case .isolateLeader:
            let leader = nodes.filter { $0.replica?.role == .leader }.max { $0.replica!.term < $1.replica!.term }
            if let leader {
                network.isolate(leader.index)
                isolatedLeaders.append(leader.index)
                note("leader node \(leader.index) isolated")
            }
        case .isolateNextLeader:
            isolatesNextLeader = true
            note("the next node to win an election will be isolated as it wins")
        case .rotateIsolatedLeaders:
            network.healPartitions()
            isolatesNextLeader = false
            if let last = isolatedLeaders.last {
                network.isolate(last)
                note("partitions healed but for node \(last), the last isolated leader")
                isolatedLeaders = [last]
            } else {
                note("partitions healed")
            }
        case .rotateAtNextCommit:
            commitsSeen = nodes.map { $0.replica?.commitIndex ?? 0 }
            rotatesAtNextCommit = true
            note("the next leader to commit will be isolated as it commits, the other isolated nodes rejoin")
        case .healPartitions:
            network.healPartitions()
            isolatesNextLeader = false
            rotatesAtNextCommit = false
            isolatedLeaders = []
            note("partitions healed")
        case .clogLink(let from, let to): network.clog(from: from, to: to); note("link \(from)->\(to) clogged")
        case .unclogLink(let from, let to): schedule(network.unclog(from: from, to: to, at: clock.now))
        case .startFlapping(let from, let to, let period):
            network.startFlapping(from: from, to: to, period: period, at: clock.now); note("link \(from)->\(to) flapping")
        case .stopFlapping(let from, let to): network.stopFlapping(from: from, to: to)
        case .degradeLinks(let faults): network.setFaultsOnAllLinks(faults); note("links degraded: \(faults)")
        case .restoreLinks: network.setFaultsOnAllLinks(.healthy); note("links restored")
        default: preconditionFailure("not a network fault: \(fault)")
        }
    }

    private func applyProcessFault(_ fault: FaultEvent) {
        switch fault {
        case .crash(let index, let kind):
            let node = nodes[index]
            guard node.isUp else { return }
            if kind == .loseUnsyncedWrites || !mayLoseSyncedData(besides: index) {
                crash(node, reason: "crash")
            } else {
                // The crash strikes during the node's next save.
                note("node \(index) will crash during its next save (\(kind))")
                node.disk.armedCrash = kind
                node.diskDamaged = true
                queue.schedule(.forceCrash(node: index), at: clock.now + Self.armedCrashGrace)
            }
        case .restart(let index): restart(nodes[index])
        case .pause(let index):
            guard nodes[index].isUp else { return }
            nodes[index].isPaused = true
            note("node \(index) paused")
        case .resume(let index): resume(nodes[index])
        case .slow(let index, let factor): nodes[index].slowdown = factor; note("node \(index) slowed \(factor)x")
        case .restoreSpeed(let index): nodes[index].slowdown = 1
        default: preconditionFailure("not a process fault: \(fault)")
        }
    }

    /// The figure-8 nemesis, after `node`'s step and before what it sent leaves: a node that has
    /// just won an election is cut off when `isolateNextLeader` armed it; a leader whose commit
    /// index just moved is cut off, and everyone else reconnected, when `rotateAtNextCommit` did.
    func figure8Nemesis(_ node: SimulatedNode, _ replica: Replica) {
        if isolatesNextLeader && replica.role == .leader && lastRoles[node.index] != .leader {
            isolatesNextLeader = false
            network.isolate(node.index)
            isolatedLeaders.append(node.index)
            hasher.combine("isolateNextLeader")
            hasher.combine(UInt64(node.index))
            note("node \(node.index) isolated as it wins an election")
        }
        guard rotatesAtNextCommit else { return }
        let committed = replica.commitIndex
        defer { commitsSeen[node.index] = committed }
        guard replica.role == .leader, committed > commitsSeen[node.index] else { return }
        rotatesAtNextCommit = false
        network.healPartitions()
        network.isolate(node.index)
        isolatedLeaders = [node.index]
        hasher.combine("rotateAtNextCommit")
        hasher.combine(UInt64(node.index))
        note("leader node \(node.index) isolated as it commits index \(committed) (term \(replica.raft.term(at: committed) ?? 0)); the others rejoin")
    }

    private func resume(_ node: SimulatedNode) {
        guard node.isPaused, node.replica != nil else { return }
        node.isPaused = false
        note("node \(node.index) resumes")
        let inbox = node.pausedInbox
        node.pausedInbox = []
        node.clock.trueTime = clock.now
        for message in inbox { receive(message, at: node) }
        process(node)
    }

    /// Corrupts one synced record of `node`'s disk; a running node is restarted so that it finds
    /// the damage (a node that never reads its disk again would never notice).
    private func corrupt(_ node: SimulatedNode, selector: UInt64) {
        guard mayLoseSyncedData(besides: node.index),
              let damaged = node.disk.corruptSyncedRecord(selector: selector) else { return }
        node.diskDamaged = true
        note("node \(node.index) disk: synced record at index \(damaged) corrupted")
        if node.isUp {
            crash(node, reason: "restart to find its corrupt disk")
            queue.schedule(.restartAfterCorruption(node: node.index), at: clock.now + Self.corruptionRestartDelay)
        }
    }

    /// Whether `index` may lose synced records: only while every other node's disk is whole, so
    /// a majority always keeps every acknowledged entry (beyond that no protocol can recover);
    /// a node that refused its disk stays damaged, so over a run only one node ever is.
    private func mayLoseSyncedData(besides index: Int) -> Bool {
        nodes.allSatisfy { $0.index == index || !$0.diskDamaged }
    }
}
