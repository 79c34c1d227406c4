import Raft
import Replica

// MARK: - The nemesis, applied

extension Simulation {
    /// Carries out one fault event on the network, a node, its disk or its clock.
    func apply(_ fault: FaultEvent) {
        switch fault {
        case .partition, .partitionOneWay, .isolate, .isolateLeader, .healPartitions, .clogLink, .unclogLink,
             .startFlapping, .stopFlapping, .degradeLinks, .restoreLinks:
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
                note("leader node \(leader.index) isolated")
            }
        case .healPartitions: network.healPartitions(); note("partitions healed")
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

    private func resume(_ node: SimulatedNode) {
        guard node.isPaused, let replica = node.replica else { return }
        node.isPaused = false
        note("node \(node.index) resumes")
        let inbox = node.pausedInbox
        node.pausedInbox = []
        for message in inbox { replica.receive(message) }
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
    /// a majority always keeps every acknowledged entry (beyond that no protocol can recover).
    private func mayLoseSyncedData(besides index: Int) -> Bool {
        nodes.allSatisfy { $0.index == index || ($0.mustCatchUpTo == nil && !$0.diskDamaged) }
    }
}
