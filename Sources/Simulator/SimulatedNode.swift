import Raft
import Replica

// MARK: - The world one replica sees

/// A replica's wall clock: true virtual time through the node's skew and drift, in
/// milliseconds since the Unix epoch (offset so timestamps look like real ones).
public final class SimulatedClock: Clock {
    /// Virtual time zero as Unix milliseconds: 2026-01-01T00:00:00Z.
    public static let epochMilliseconds: Int64 = 1_767_225_600_000

    /// True virtual time, set by the driver before every call into the replica.
    public var trueTime: VirtualNanoseconds = 0
    /// The node's clock faults.
    public var nodeClock = NodeClock()

    /// Creates a clock that agrees with true time.
    public init() {}

    /// The node's local reading, in milliseconds since the epoch.
    public var nowMilliseconds: Int64 {
        Self.epochMilliseconds + nodeClock.localTime(at: trueTime) / Int64(VirtualTime.nanosecondsPerMillisecond)
    }
}

/// Collects what a replica sends during one call; the driver ships it over the network.
/// It also checks, at the moment of sending, that every message promising durable state
/// (a granted vote, an append acknowledgement) is backed by the node's disk.
public final class SimulatedTransport: Transport {
    /// Messages handed over and not yet collected by the driver.
    public var outbox: [PeerMessage] = []
    /// The disk whose contents acknowledgements must match.
    let disk: SimulatedDisk
    /// Promises sent before the state they promise was durable, described for the report.
    public var durabilityViolations: [String] = []

    /// Creates a transport for the node that owns `disk`.
    init(disk: SimulatedDisk) {
        self.disk = disk
    }

    /// Queues `messages` and checks their durability promises.
    public func send(_ messages: [PeerMessage]) {
        for message in messages {
            if case .raft(let raft) = message.body { checkDurable(raft) }
        }
        outbox.append(contentsOf: messages)
    }

    private func checkDurable(_ message: RaftMessage) {
        switch message.body {
        case .voteResponse(let isPreVote, let granted) where granted && !isPreVote:
            let stored = disk.durableHardState
            if stored.term < message.term || (stored.term == message.term && stored.votedFor != message.to) {
                durabilityViolations.append(
                    "replica id \(message.from) granted its term-\(message.term) vote to \(message.to) before the vote was durable")
            }
        case .appendResponse(let response) where response.success:
            if disk.durableLastIndex < response.index || disk.durableHardState.term < message.term {
                durabilityViolations.append(
                    "replica id \(message.from) acknowledged index \(response.index) (term \(message.term)) with only \(disk.durableLastIndex) durable")
            }
        default:
            break
        }
    }
}

// MARK: - One node of the cluster

/// Everything the driver keeps about one replica slot: its disk outlives crashes, the replica
/// object does not.
final class SimulatedNode {
    /// The slot number (the network's node id); the Raft id is `index + 1`.
    let index: Int
    let disk = SimulatedDisk()
    let clock = SimulatedClock()
    let transport: SimulatedTransport
    /// The running replica; nil while crashed (or refusing its disk).
    var replica: Replica?
    /// Frozen: events wait in `pausedInbox` until resumed.
    var isPaused = false
    var pausedInbox: [PeerMessage] = []
    /// Processing slowdown factor (1: normal speed).
    var slowdown: UInt64 = 1
    /// Bumped on every restart, so that stale tick events of an earlier life are ignored.
    var incarnation: UInt64 = 0
    /// Restarts so far, to vary the replica's random seed between lives.
    var restarts: UInt64 = 0
    /// Set after a disk wipe: the node may not vote until it has applied this index, so that a
    /// node which lost acknowledged entries cannot help elect a leader without them.
    var mustCatchUpTo: UInt64?
    /// The disk may hold a damaged synced record (corruption or a misdirected write) that a
    /// restart has not found yet.
    var diskDamaged = false

    init(index: Int) {
        self.index = index
        transport = SimulatedTransport(disk: disk)
    }

    var raftID: Raft.NodeID { Raft.NodeID(index + 1) }
    var isUp: Bool { replica != nil }
    var isServing: Bool { replica != nil && !isPaused }
}
