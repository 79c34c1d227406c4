/// The leader's batched ReadIndex bookkeeping (Raft thesis §6.4).
///
/// Reads wait in rounds. At most one quorum round is in flight; every read that arrives while
/// it is out joins the next round, so one round of heartbeats serves all reads queued behind it.
/// A read's index is the commit index when it was accepted, and reads are accepted only once
/// the leader has committed an entry of its own term (before that they are deferred).
struct ReadIndexQueue: Sendable {
    /// One read waiting for a round.
    struct Request: Sendable {
        var requestID: UInt64
        /// Who asked: the leader itself or the follower that forwarded it.
        var origin: NodeID
        var index: UInt64
        var round: UInt64
    }

    /// Reads waiting for the leader's first commit in its term.
    private(set) var deferred: [(requestID: UInt64, origin: NodeID)] = []
    private var waiting: [Request] = []
    private var waitingHead = 0
    /// The latest round started; heartbeats carry it.
    private(set) var round: UInt64 = 0
    private(set) var roundInFlight = false

    var count: Int { deferred.count + waiting.count - waitingHead }

    mutating func deferUntilCommit(requestID: UInt64, origin: NodeID) {
        deferred.append((requestID, origin))
    }

    mutating func takeDeferred() -> [(requestID: UInt64, origin: NodeID)] {
        defer { deferred.removeAll() }
        return deferred
    }

    /// Queues a read for the next round; true when the caller must start that round now.
    mutating func enqueue(requestID: UInt64, origin: NodeID, index: UInt64) -> Bool {
        waiting.append(Request(requestID: requestID, origin: origin, index: index, round: round + 1))
        return !roundInFlight
    }

    /// Starts the next round and returns its number.
    mutating func startRound() -> UInt64 {
        precondition(!roundInFlight, "one read round at a time")
        round += 1
        roundInFlight = true
        return round
    }

    /// The in-flight round was confirmed by a quorum: returns every read it serves, and whether
    /// more reads wait for a new round.
    mutating func completeRound() -> (served: [Request], moreWaiting: Bool) {
        precondition(roundInFlight, "no read round in flight")
        roundInFlight = false
        var served: [Request] = []
        while waitingHead < waiting.count && waiting[waitingHead].round <= round {
            served.append(waiting[waitingHead])
            waitingHead += 1
        }
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        }
        return (served, waitingHead < waiting.count)
    }

    /// Leadership is lost: forgets every read and returns them so callers can be told.
    mutating func dropAll() -> [(requestID: UInt64, origin: NodeID)] {
        var dropped = deferred
        for request in waiting[waitingHead...] { dropped.append((request.requestID, request.origin)) }
        deferred.removeAll()
        waiting.removeAll()
        waitingHead = 0
        roundInFlight = false
        return dropped
    }
}
