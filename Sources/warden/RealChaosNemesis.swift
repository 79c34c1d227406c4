#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HTTP
import JSON
import Server
import Simulator

// MARK: - Nemesis

/// The seeded nemesis: every 1–3 s one fault, never more than one node down at a time —
/// kill -9 a random node and restart it, pause one with SIGSTOP then SIGCONT, or kill -9 the leader.
final class RealChaosNemesis: @unchecked Sendable {
    private var random: SeededRandom
    let cluster: RealChaosCluster
    let deadline: UInt64
    private(set) var actions: [String: Int] = [:]
    private(set) var timeline: [String] = []
    private let origin = RealChaosClock.nanoseconds()

    init(seed: UInt64, cluster: RealChaosCluster, deadline: UInt64) {
        random = SeededRandom(seed: seed, stream: 1)
        self.cluster = cluster
        self.deadline = deadline
    }

    func run() {
        while true {
            let gap = random.uniform(in: RealChaosBounds.faultGapMilliseconds)
            let length = random.uniform(in: RealChaosBounds.faultLengthMilliseconds)
            guard RealChaosClock.nanoseconds() + (gap + length) * 1_000_000 < deadline else { return }
            RealChaosClock.sleep(milliseconds: gap)
            let choice = random.uniform(in: 0..<3)
            var node = random.uniform(in: 0..<RealChaosCluster.nodeCount)
            if choice == 2, let leader = cluster.leader() { node = leader }
            let name = ["kill -9 node", "SIGSTOP node", "kill -9 leader"][choice]
            note("\(name) \(node + 1) for \(length) ms")
            actions[name, default: 0] += 1
            if choice == 1 {
                cluster.pause(node, true)
                RealChaosClock.sleep(milliseconds: length)
                cluster.pause(node, false)
            } else {
                cluster.crash(node)
                RealChaosClock.sleep(milliseconds: length)
                do { try cluster.start(node) } catch { note("restart of node \(node + 1) failed: \(error)") }
            }
        }
    }

    private func note(_ text: String) {
        let milliseconds = (RealChaosClock.nanoseconds() - origin) / 1_000_000
        timeline.append("  +\(milliseconds) ms \(text)")
    }
}
