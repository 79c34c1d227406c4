import Synchronization

// MARK: - The application interface

/// The application: called on a loop thread once per request, in the order requests arrive on a
/// connection. It must not block; it answers through the responder, now or later, from any thread.
public protocol HTTPHandler: Sendable {
    /// Handles one request; exactly one of `send` or `startStream`…`finish` must follow.
    func handle(_ request: HTTPRequest, _ responder: HTTPResponder)
}

/// A handler made of a closure, for small servers and tests.
public struct HTTPHandlerFunction: HTTPHandler {
    private let body: @Sendable (HTTPRequest, HTTPResponder) -> Void

    /// Wraps a closure as a handler.
    public init(_ body: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) { self.body = body }

    /// Calls the closure.
    public func handle(_ request: HTTPRequest, _ responder: HTTPResponder) { body(request, responder) }
}

// MARK: - Shared state between a responder and its response slot

/// The state a responder and its connection share, under a lock because they live on different threads.
final class ResponseChannel: Sendable {
    enum Phase { case fresh, streaming, done }

    struct State {
        var phase = Phase.fresh
        /// Stream bytes handed over by the application but not yet taken into the socket's output.
        var queuedBytes = 0
        /// Set once the connection is closed: nothing more will be delivered.
        var clientGone = false
    }

    let state = Mutex(State())

    /// Called by the connection when queued stream bytes move towards the socket.
    func release(_ count: Int) {
        state.withLock { $0.queuedBytes -= count }
    }

    /// Called by the connection when it closes.
    func markClientGone() {
        state.withLock { $0.clientGone = true }
    }
}

// MARK: - Responder

/// The handle a handler answers a request with; safe to use from any thread.
///
/// Responses leave in request order even when completed out of order: a pipelined response waits
/// for the ones before it. A responder dropped without an answer sends 500 (or ends its stream),
/// so a forgotten request cannot hang its connection.
public final class HTTPResponder: Sendable {
    /// Stream bytes that may wait for a slow client before `write` refuses more: 1 MiB holds
    /// thousands of feed events, and a client further behind than that must reconnect and resume.
    public static let maximumQueuedStreamBytes = 1024 * 1024

    private let loop: EventLoop
    private let connection: LoopBound<HTTPConnection>
    private let sequence: Int
    let channel: ResponseChannel

    init(loop: EventLoop, connection: HTTPConnection, sequence: Int, channel: ResponseChannel) {
        self.loop = loop
        self.connection = LoopBound(value: connection)
        self.sequence = sequence
        self.channel = channel
    }

    /// Whether the client has gone away; later sends are dropped.
    public var isClientGone: Bool { channel.state.withLock { $0.clientGone } }

    /// Sends a complete response. Calling it twice, or after `startStream`, is a programmer error.
    public func send(_ response: HTTPResponse) {
        channel.state.withLock { state in
            precondition(state.phase == .fresh, "a response was already sent for this request")
            state.phase = .done
        }
        let connection = self.connection, sequence = self.sequence
        loop.execute { connection.value.complete(sequence: sequence, with: response) }
    }

    /// Starts a streamed response (chunked on HTTP/1.1) with this head.
    public func startStream(_ head: HTTPResponseHead) {
        channel.state.withLock { state in
            precondition(state.phase == .fresh, "a response was already sent for this request")
            state.phase = .streaming
        }
        let connection = self.connection, sequence = self.sequence
        loop.execute { connection.value.startStream(sequence: sequence, head: head) }
    }

    /// Queues one chunk of a streamed body. Returns false, queuing nothing, when the client is
    /// gone or more than `maximumQueuedStreamBytes` already wait for it.
    @discardableResult
    public func write(_ chunk: [UInt8]) -> Bool {
        let accepted = channel.state.withLock { state -> Bool in
            precondition(state.phase == .streaming, "write outside a started stream")
            if state.clientGone || state.queuedBytes + chunk.count > Self.maximumQueuedStreamBytes { return false }
            state.queuedBytes += chunk.count
            return true
        }
        guard accepted else { return false }
        let connection = self.connection, sequence = self.sequence
        loop.execute { connection.value.appendStream(sequence: sequence, chunk: chunk) }
        return true
    }

    /// Ends a streamed response.
    public func finish() {
        channel.state.withLock { state in
            precondition(state.phase == .streaming, "finish outside a started stream")
            state.phase = .done
        }
        let connection = self.connection, sequence = self.sequence
        loop.execute { connection.value.finishStream(sequence: sequence) }
    }

    deinit {
        let phase = channel.state.withLock { $0.phase }
        let connection = self.connection, sequence = self.sequence
        switch phase {
        case .fresh:
            let response = HTTPResponse(status: 500, text: "no response was produced")
            loop.execute { connection.value.complete(sequence: sequence, with: response) }
        case .streaming:
            loop.execute { connection.value.finishStream(sequence: sequence) }
        case .done:
            break
        }
    }
}
