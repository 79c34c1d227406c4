/// How a client operation ended, as far as the client could tell.
public enum OperationOutcome<Output> {
    /// Invoked and not yet answered; a check treats it like `ambiguous`.
    case pending
    /// Acknowledged with this result: it took effect exactly once.
    case ok(Output)
    /// Definitely did not take effect (for example, rejected before it was proposed).
    case failed
    /// May or may not have taken effect (timeout, lost leadership, connection cut).
    case ambiguous
}

/// One client operation as recorded by the simulator's clients.
public struct HistoryOperation<Input, Output> {
    /// The operation's index in its history, unique within it.
    public let id: Int
    /// The client that issued it; one client has at most one operation outstanding.
    public let client: Int
    /// What the client asked for.
    public let input: Input
    /// When the client invoked it.
    public let invokedAt: VirtualNanoseconds
    /// How it ended so far.
    public internal(set) var outcome: OperationOutcome<Output>
    /// When the client learned the outcome; `nil` while pending.
    public internal(set) var completedAt: VirtualNanoseconds?

    /// Creates an operation record; histories normally build these through `History`.
    public init(
        id: Int,
        client: Int,
        input: Input,
        invokedAt: VirtualNanoseconds,
        outcome: OperationOutcome<Output>,
        completedAt: VirtualNanoseconds?
    ) {
        if let completedAt {
            precondition(completedAt >= invokedAt, "an operation cannot complete before it is invoked")
        }
        if case .pending = outcome {
            precondition(completedAt == nil, "a pending operation has no completion time")
        } else {
            precondition(completedAt != nil, "a completed operation needs its completion time")
        }
        self.id = id
        self.client = client
        self.input = input
        self.invokedAt = invokedAt
        self.outcome = outcome
        self.completedAt = completedAt
    }

    /// The result the client saw, or `nil` when it saw none (pending, failed, ambiguous).
    public var output: Output? {
        if case .ok(let output) = outcome { return output }
        return nil
    }

    /// Whether the operation may or may not have taken effect (ambiguous or still pending).
    public var isUncertain: Bool {
        switch outcome {
        case .pending, .ambiguous: return true
        case .ok, .failed: return false
        }
    }
}

/// The record of every client operation of a run, in invocation order, for the checkers.
public struct History<Input, Output> {
    /// The bound on recorded operations: a simulated run issues tens of thousands at most, and
    /// the linearizability check is the limit long before this.
    public static var maximumOperations: Int { 10_000_000 }

    /// Every operation invoked so far, indexed by its `id`.
    public private(set) var operations: [HistoryOperation<Input, Output>] = []
    private var outstandingByClient: [Int: Int] = [:]

    /// Creates an empty history.
    public init() {}

    /// Records that `client` invoked `input` at `time` and returns the operation's id.
    /// A client issues one operation at a time, as the linearizability model assumes.
    public mutating func invoke(client: Int, input: Input, at time: VirtualNanoseconds) -> Int {
        precondition(outstandingByClient[client] == nil, "client \(client) already has an operation outstanding")
        precondition(operations.count < Self.maximumOperations, "history is full")
        if let last = operations.last {
            precondition(time >= last.invokedAt, "invocations are recorded in time order")
        }
        let id = operations.count
        operations.append(HistoryOperation(
            id: id, client: client, input: input, invokedAt: time, outcome: .pending, completedAt: nil
        ))
        outstandingByClient[client] = id
        return id
    }

    /// Records that operation `id` was acknowledged with `output` at `time`.
    public mutating func complete(_ id: Int, output: Output, at time: VirtualNanoseconds) {
        finish(id, outcome: .ok(output), at: time)
    }

    /// Records that operation `id` definitely did not take effect, learned at `time`.
    public mutating func fail(_ id: Int, at time: VirtualNanoseconds) {
        finish(id, outcome: .failed, at: time)
    }

    /// Records that the client gave up on operation `id` at `time` without knowing whether it
    /// took effect; the checker lets it take effect at any point after its invocation, or never.
    public mutating func markAmbiguous(_ id: Int, at time: VirtualNanoseconds) {
        finish(id, outcome: .ambiguous, at: time)
    }

    /// The operation ids of clients still waiting for an answer.
    public var pendingOperationIDs: [Int] {
        outstandingByClient.values.sorted()
    }

    private mutating func finish(_ id: Int, outcome: OperationOutcome<Output>, at time: VirtualNanoseconds) {
        precondition(operations.indices.contains(id), "unknown operation \(id)")
        precondition(operations[id].completedAt == nil, "operation \(id) already completed")
        precondition(time >= operations[id].invokedAt, "operation \(id) completes before its invocation")
        operations[id].outcome = outcome
        operations[id].completedAt = time
        outstandingByClient[operations[id].client] = nil
    }
}
