import CLinuxIO
import Glibc

/// One loop's share of a server: its listener registration, its connections, its read buffer
/// and its timeout sweep. Touched only on its loop's thread (apart from construction).
final class ServerLoopContext: EventLoopHandler {
    /// Connections accepted per readiness event, so a connection storm cannot starve open ones.
    static let maximumAcceptsPerEvent = 64
    /// One read's worth of buffer, shared by every connection on the loop (reads never overlap).
    static let readBufferBytes = 64 * 1024
    /// Bounds on how often timeouts are checked: a quarter of the shortest timeout, within these.
    static let minimumSweepNanoseconds: UInt64 = 10_000_000
    static let maximumSweepNanoseconds: UInt64 = 1_000_000_000
    /// How long accepting pauses when the process is out of descriptors or memory.
    static let acceptPauseNanoseconds: UInt64 = 100_000_000
    /// What a client past the connection cap is told before it is closed.
    static let overloadResponse: [UInt8] = {
        var bytes: [UInt8] = []
        let writer = HTTPResponseWriter(requestVersion: .http1_1, isHeadRequest: false, keepAlive: false)
        writer.write(HTTPResponse(status: 503, headers: ["Retry-After": "1"], text: "too many connections\n"), into: &bytes)
        return bytes
    }()

    let loop: EventLoop
    let shared: ServerShared
    let configuration: HTTPServerConfiguration
    let readBuffer: UnsafeMutableRawBufferPointer
    private let listener: Int32
    private var listening = false
    private var connections: [Int32: HTTPConnection] = [:]
    private var sweepTimer: Int? = nil

    init(loop: EventLoop, shared: ServerShared, listener: Int32) {
        self.loop = loop
        self.shared = shared
        self.configuration = shared.configuration
        self.listener = listener
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readBufferBytes, alignment: 16)
    }

    deinit { readBuffer.deallocate() }

    // MARK: - Lifecycle

    func startListening() {
        do {
            // EXCLUSIVE: one waiting loop is woken per incoming connection, not all of them.
            try loop.register(listener, events: EpollEvents.readable | EpollEvents.exclusive, handler: self)
            listening = true
        } catch {
            preconditionFailure("registering the listener: \(error)")
        }
        scheduleSweep()
    }

    func beginShutdown() {
        if listening {
            loop.unregister(listener)
            listening = false
        }
        for connection in Array(connections.values) where connection.isIdle { connection.close() }
    }

    func closeEverything() {
        beginShutdown()
        for connection in Array(connections.values) { connection.close() }
        if let timer = sweepTimer { loop.cancelTimer(timer) }
        sweepTimer = nil
    }

    func connectionClosed(_ connection: HTTPConnection) {
        precondition(connections.removeValue(forKey: connection.descriptor) === connection, "closed an unknown connection")
        shared.releaseConnection()
    }

    // MARK: - Accepting

    func handleEvents(_ events: UInt32) {
        for _ in 0..<Self.maximumAcceptsPerEvent {
            let accepted: Int32?
            do {
                accepted = try System.accept(listener)
            } catch {
                // EMFILE/ENFILE/ENOBUFS: the pending connection stays queued and the listener
                // stays readable, so listening pauses briefly instead of spinning on the error.
                pauseListening()
                return
            }
            guard let descriptor = accepted else { return }
            admit(descriptor)
        }
    }

    private func admit(_ descriptor: Int32) {
        guard !shared.isShuttingDown, shared.reserveConnection() else {
            Self.overloadResponse.withUnsafeBytes { _ = try? System.send(descriptor, $0) }
            System.close(descriptor: descriptor)
            return
        }
        // Small responses must not wait for Nagle's algorithm.
        try? System.setOption(descriptor, level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1)
        let connection = HTTPConnection(descriptor: descriptor, context: self)
        do {
            try loop.register(descriptor, events: EpollEvents.readable, handler: connection)
        } catch {
            System.close(descriptor: descriptor)
            shared.releaseConnection()
            return
        }
        connections[descriptor] = connection
    }

    private func pauseListening() {
        guard listening else { return }
        loop.unregister(listener)
        listening = false
        scheduleResume()
    }

    private func scheduleResume() {
        loop.scheduleTimer(afterNanoseconds: Self.acceptPauseNanoseconds) { [unowned self] in
            guard !listening, !shared.isShuttingDown else { return }
            do {
                try loop.register(listener, events: EpollEvents.readable | EpollEvents.exclusive, handler: self)
                listening = true
            } catch {
                scheduleResume()
            }
        }
    }

    // MARK: - Timeouts

    private func scheduleSweep() {
        let shortest = min(configuration.headerReadTimeoutNanoseconds, configuration.idleTimeoutNanoseconds, HTTPConnection.lingerNanoseconds)
        let interval = min(max(shortest / 4, Self.minimumSweepNanoseconds), Self.maximumSweepNanoseconds)
        sweepTimer = loop.scheduleTimer(afterNanoseconds: interval) { [unowned self] in
            let now = System.monotonicNanoseconds()
            for connection in Array(connections.values) { connection.checkTimeouts(now: now) }
            scheduleSweep()
        }
    }
}
