#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Simulator

// MARK: - Faults

/// One kind of fault the nemesis injects; each lasts a while, then is undone.
enum RealChaosFault: CaseIterable {
    case killNode, pauseNode, killLeader
    case partitionNode, isolateLeader, cutPair, oneWayLink, leaderCannotSend, flapNode, slowNode, partitionAll

    /// The name in the timeline and the summary.
    var name: String {
        switch self {
        case .killNode: "kill -9 node"
        case .pauseNode: "SIGSTOP node"
        case .killLeader: "kill -9 leader"
        case .partitionNode: "partition node"
        case .isolateLeader: "partition leader"
        case .cutPair: "cut pair (third node bridges)"
        case .oneWayLink: "one-way cut"
        case .leaderCannotSend: "leader cannot send"
        case .flapNode: "flap node"
        case .slowNode: "slow node"
        case .partitionAll: "partition every node (no quorum)"
        }
    }

    /// Whether it needs the proxies (a run without them injects process faults only).
    var isNetwork: Bool {
        switch self {
        case .killNode, .pauseNode, .killLeader: false
        default: true
        }
    }

    /// Whether it aims at whoever leads when it starts (else at a random node).
    var targetsLeader: Bool { [.killLeader, .isolateLeader, .leaderCannotSend].contains(self) }

    /// The links a network fault cuts, around `node` (`other`: a second node, for pair and one-way cuts).
    func links(node: Int, other: Int, nodeCount: Int) -> [RealChaosLink] {
        let all = RealChaosLink.all(nodeCount)
        switch self {
        case .partitionNode, .isolateLeader, .flapNode, .slowNode: return all.filter { $0.from == node || $0.to == node }
        case .cutPair: return [RealChaosLink(from: node, to: other), RealChaosLink(from: other, to: node)]
        case .oneWayLink: return [RealChaosLink(from: node, to: other)]
        case .leaderCannotSend: return all.filter { $0.from == node }
        case .partitionAll: return all
        case .killNode, .pauseNode, .killLeader: return []
        }
    }
}

// MARK: - Nemesis

/// The seeded nemesis: every 1–3 s one fault for 0.5–2 s, one at a time (so never more than one
/// node down): kill -9 a node or the leader and restart it, SIGSTOP then SIGCONT one, and with
/// the proxies, partition a node or the leader, cut two nodes apart (the third still reaches
/// both), cut one link one way, cut everything the leader sends, flap a node's links, slow
/// them, or cut every link (no quorum anywhere: writes time out, reads are refused).
final class RealChaosNemesis: @unchecked Sendable {
    private var random: SeededRandom
    let cluster: RealChaosCluster
    let deadline: UInt64
    let faults: [RealChaosFault]
    private(set) var actions: [String: Int] = [:]
    private(set) var timeline: [String] = []
    private let origin = RealChaosClock.nanoseconds()

    init(seed: UInt64, cluster: RealChaosCluster, deadline: UInt64) {
        random = SeededRandom(seed: seed, stream: 1)
        self.cluster = cluster
        self.deadline = deadline
        faults = RealChaosFault.allCases.filter { !$0.isNetwork || cluster.network != nil }
    }

    func run() {
        while true {
            let gap = random.uniform(in: RealChaosBounds.faultGapMilliseconds)
            let length = random.uniform(in: RealChaosBounds.faultLengthMilliseconds)
            guard RealChaosClock.nanoseconds() + (gap + length) * 1_000_000 < deadline else { return }
            RealChaosClock.sleep(milliseconds: gap)
            guard let fault = random.pick(faults) else { return }
            var node = random.uniform(in: 0..<RealChaosCluster.nodeCount)
            let offset = 1 + random.uniform(in: 0..<(RealChaosCluster.nodeCount - 1))
            if fault.targetsLeader, let leader = cluster.leader() { node = leader }
            actions[fault.name, default: 0] += 1
            inject(fault, node: node, other: (node + offset) % RealChaosCluster.nodeCount, length: length)
        }
    }

    /// Injects one fault, waits `length` ms, undoes it.
    private func inject(_ fault: RealChaosFault, node: Int, other: Int, length: UInt64) {
        switch fault {
        case .killNode, .killLeader:
            note("\(fault.name) \(node + 1) for \(length) ms")
            cluster.crash(node)
            RealChaosClock.sleep(milliseconds: length)
            do { try cluster.start(node) } catch { note("restart of node \(node + 1) failed: \(error)") }
        case .pauseNode:
            note("\(fault.name) \(node + 1) for \(length) ms")
            cluster.pause(node, true)
            RealChaosClock.sleep(milliseconds: length)
            cluster.pause(node, false)
        default:
            guard let network = cluster.network else { return }
            let links = fault.links(node: node, other: other, nodeCount: RealChaosCluster.nodeCount)
            let names = links.sorted().map(\.description).joined(separator: " ")
            switch fault {
            case .flapNode:
                note("\(fault.name) \(node + 1) for \(length) ms: cut and heal \(names)")
                flap(links, network: network, length: length)
            case .slowNode:
                let milliseconds = random.uniform(in: RealChaosBounds.slowLinkMilliseconds)
                note("\(fault.name) \(node + 1) for \(length) ms: every chunk on \(names) waits \(milliseconds) ms")
                network.slow(links, milliseconds: milliseconds)
                RealChaosClock.sleep(milliseconds: length)
            default:
                note("\(fault.name) \(node + 1) for \(length) ms: cut \(names)")
                network.cut(links)
                RealChaosClock.sleep(milliseconds: length)
            }
            network.healAll()
        }
    }

    /// Cuts and heals `links` in turn, each state lasting 50–300 ms, for about `length` ms:
    /// connections die mid-batch and senders reconnect over and over. The steps are drawn first,
    /// so the schedule after it does not depend on timing.
    private func flap(_ links: [RealChaosLink], network: RealChaosNetwork, length: UInt64) {
        var steps: [UInt64] = []
        while steps.reduce(0, +) < length { steps.append(random.uniform(in: RealChaosBounds.flapStepMilliseconds)) }
        for (index, step) in steps.enumerated() {
            if index % 2 == 0 { network.cut(links) } else { network.healAll() }
            RealChaosClock.sleep(milliseconds: step)
        }
    }

    private func note(_ text: String) {
        let milliseconds = (RealChaosClock.nanoseconds() - origin) / 1_000_000
        timeline.append("  +\(milliseconds) ms \(text)")
    }
}
