import CLinuxIO
import Foundation
import Glibc
import Synchronization

// MARK: - Configuration

/// How a server listens, and the bounds it holds every client to.
public struct HTTPServerConfiguration: Sendable {
    /// The IPv4 address to listen on.
    public var host: String
    /// The port; 0 asks the kernel for a free one, which `HTTPServer.start()` returns.
    public var port: Int
    /// Event loop threads; connections are spread over them by the kernel (EPOLLEXCLUSIVE accept).
    public var loopCount: Int
    /// Request size limits (414, 431, 413).
    public var limits: HTTPLimits
    /// Open connections across all loops; beyond it a client gets 503 and is closed.
    public var maximumConnections: Int
    /// Requests parsed ahead of their responses on one connection; reading pauses beyond it.
    public var maximumPipelinedRequests: Int
    /// Time from a request's first byte to the end of its head: slow-loris clients get 408.
    public var headerReadTimeout: Duration
    /// Time without a byte in either direction (while not waiting on the application) before closing.
    public var idleTimeout: Duration
    /// The kernel's queue of connections not yet accepted.
    public var listenBacklog: Int32

    /// The defaults: loopback, ephemeral port, one loop, 10 000 connections, 32 pipelined
    /// requests, 10 s to send a head, 60 s idle.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        loopCount: Int = 1,
        limits: HTTPLimits = HTTPLimits(),
        maximumConnections: Int = 10_000,
        maximumPipelinedRequests: Int = 32,
        headerReadTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        listenBacklog: Int32 = 1024
    ) {
        precondition(loopCount > 0 && maximumConnections > 0 && maximumPipelinedRequests > 0)
        precondition((0...65535).contains(port) && listenBacklog > 0)
        self.host = host
        self.port = port
        self.loopCount = loopCount
        self.limits = limits
        self.maximumConnections = maximumConnections
        self.maximumPipelinedRequests = maximumPipelinedRequests
        self.headerReadTimeout = headerReadTimeout
        self.idleTimeout = idleTimeout
        self.listenBacklog = listenBacklog
    }

    var headerReadTimeoutNanoseconds: UInt64 { Self.nanoseconds(headerReadTimeout) }
    var idleTimeoutNanoseconds: UInt64 { Self.nanoseconds(idleTimeout) }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let parts = duration.components
        return UInt64(max(0, parts.seconds)) * 1_000_000_000 + UInt64(max(0, parts.attoseconds) / 1_000_000_000)
    }
}

// MARK: - State shared by every loop

/// What all loops of one server share; thread-safe.
final class ServerShared: Sendable {
    let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    private let activeConnections = Atomic<Int>(0)
    private let shuttingDown = Atomic<Bool>(false)
    /// Signalled when a connection closes during shutdown, so the wait for in-flight work is not a poll.
    let connectionsChanged = NSCondition()

    init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .acquiring) }
    var connectionCount: Int { activeConnections.load(ordering: .acquiring) }

    func beginShutdown() { shuttingDown.store(true, ordering: .releasing) }

    /// Takes one place under the connection cap; false when the cap is reached.
    func reserveConnection() -> Bool {
        let count = activeConnections.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
        if count <= configuration.maximumConnections { return true }
        activeConnections.wrappingSubtract(1, ordering: .acquiringAndReleasing)
        return false
    }

    func releaseConnection() {
        let count = activeConnections.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue
        precondition(count >= 0, "more connections released than reserved")
        if isShuttingDown {
            connectionsChanged.lock()
            connectionsChanged.broadcast()
            connectionsChanged.unlock()
        }
    }
}

// MARK: - Server

/// An HTTP/1.1 server on `loopCount` epoll threads, handing requests to an `HTTPHandler`.
/// Its threads run until `shutdown()`, which every started server must be given.
public final class HTTPServer: Sendable {
    /// The contexts are only read here to reach their loops; their state is touched on those loops.
    private struct Running: @unchecked Sendable {
        let listener: Int32
        let port: Int
        let contexts: [ServerLoopContext]
    }

    private let shared: ServerShared
    private let running = Mutex<Running?>(nil)

    /// A server with this configuration and application; nothing happens until `start()`.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), handler: any HTTPHandler) {
        shared = ServerShared(configuration: configuration, handler: handler)
    }

    /// The bound port while running, else nil.
    public var port: Int? { running.withLock { $0?.port } }

    /// Open connections right now (for metrics and tests).
    public var connectionCount: Int { shared.connectionCount }

    /// Binds, listens and starts the loops; returns the bound port (the ephemeral one for port 0).
    @discardableResult
    public func start() throws -> Int {
        _ = System.ignoreBrokenPipe
        let configuration = shared.configuration
        let listener = try Self.listen(host: configuration.host, port: configuration.port, backlog: configuration.listenBacklog)
        let port: Int
        var contexts: [ServerLoopContext] = []
        do {
            port = try System.localPort(listener)
            for index in 0..<configuration.loopCount {
                let loop = try EventLoop(name: "http-\(port)-\(index)")
                contexts.append(ServerLoopContext(loop: loop, shared: shared, listener: listener))
            }
        } catch {
            System.close(descriptor: listener)
            throw error
        }
        running.withLock { state in
            precondition(state == nil, "start() twice")
            state = Running(listener: listener, port: port, contexts: contexts)
        }
        for context in contexts {
            context.loop.start()
            let bound = LoopBound(value: context)
            context.loop.execute { bound.value.startListening() }
        }
        return port
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish for up to
    /// `gracePeriod`, then closes whatever remains and stops the loops. Blocks until done.
    public func shutdown(gracePeriod: Duration = .seconds(10)) {
        guard let state = running.withLock({ $0 }) else { return }
        shared.beginShutdown()
        for context in state.contexts {
            let bound = LoopBound(value: context)
            context.loop.execute { bound.value.beginShutdown() }
        }
        let deadline = Date().addingTimeInterval(Double(HTTPServerConfiguration.nanoseconds(gracePeriod)) / 1e9)
        shared.connectionsChanged.lock()
        while shared.connectionCount > 0 && shared.connectionsChanged.wait(until: deadline) {}
        shared.connectionsChanged.unlock()
        for context in state.contexts {
            let bound = LoopBound(value: context)
            context.loop.execute { bound.value.closeEverything() }
            context.loop.stop()
        }
        System.close(descriptor: state.listener)
        running.withLock { $0 = nil }
    }

    private static func listen(host: String, port: Int, backlog: Int32) throws -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw SystemError(call: "inet_pton(\(host))", code: EINVAL)
        }
        let descriptor = try System.socket(family: AF_INET)
        do {
            try System.setOption(descriptor, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
            try System.bind(descriptor, address)
            try System.listen(descriptor, backlog: backlog)
        } catch {
            System.close(descriptor: descriptor)
            throw error
        }
        return descriptor
    }
}
