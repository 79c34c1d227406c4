import Dispatch
import Foundation
import Glibc
import Governance
import HTTP
import JSON
import Server
import Synchronization

// MARK: - Clocks

/// The shell's clocks: monotonic for the lease (only elapsed time matters), wall for tokens.
enum EdgeClock {
    static func monotonicMilliseconds() -> Int64 { milliseconds(CLOCK_MONOTONIC) }
    static func wallMilliseconds() -> Int64 { milliseconds(CLOCK_REALTIME) }

    private static func milliseconds(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }
}

// MARK: - Shared state

/// What the feed thread, the shipper and the HTTP handlers share, behind one lock.
struct EdgeShared: Sendable {
    var state = EdgeState()
    var records: DecisionRecordBuffer
    var connectedTo: NodeAddress?
    var acknowledgedRevision: UInt64 = 0
    var issuer: String?
    var stopping = false
    var checksAllowed = 0
    var checksDenied = 0
    var staleDenials = 0
    var feedConnections = 0
    var nextDecision: UInt64 = 0
}

// MARK: - The process

/// `warden enforcer`: a thin shell around `EdgeState` — one feed reader thread with failover
/// over `--cluster`, one acknowledger thread per node, one decision-batch shipper, and the local HTTP API
/// (`/v1/check`, `/v1/status`, `/metrics`, and the proxy when `--proxy-to` is given).
public final class EdgeEnforcer: Sendable {
    /// Receive timeout of a feed connection: ten heartbeat periods of silence means failover.
    static let feedSilenceMilliseconds = 1_000
    /// Pause after every node refused, before trying the list again.
    static let retryPauseMilliseconds: UInt32 = 50
    /// How often the shipper and the acknowledgers look for work without being woken.
    static let shipperPeriodMilliseconds = 20
    /// Timeouts of the shipper's and the proxy's HTTP calls.
    static let clientTimeout: Duration = .seconds(2)

    /// The configuration in force.
    public let configuration: EnforcerConfiguration
    let shared: Mutex<EdgeShared>
    let wake = DispatchSemaphore(value: 0)
    /// One wake-up per node's acknowledger, signalled when the applied revision moves.
    let ackWakes: [DispatchSemaphore]
    let client = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .milliseconds(500), responseTimeout: clientTimeout))
    /// Largest tool-server response the proxy relays (it is held whole: bounded, not streamed).
    static let maximumProxiedResponseBytes = 8 * 1_024 * 1_024
    /// The proxy's upstream client: longer responses than the cluster calls, bounded bodies.
    let proxyClient = HTTPClient(configuration: HTTPClientConfiguration(
        connectTimeout: .seconds(1), responseTimeout: .seconds(30), maximumResponseBodyBytes: maximumProxiedResponseBytes))
    let decisionPrefix: String
    private let server = Mutex<HTTPServer?>(nil)

    /// An enforcer that has not started.
    public init(configuration: EnforcerConfiguration) {
        self.configuration = configuration
        ackWakes = configuration.cluster.map { _ in DispatchSemaphore(value: 0) }
        let start = EdgeClock.wallMilliseconds()
        decisionPrefix = "\(configuration.id)-\(start)-"
        shared = Mutex(EdgeShared(
            records: DecisionRecordBuffer(
                capacity: configuration.auditBufferRecords, fullPolicy: configuration.auditFullPolicy, firstBatchSeq: UInt64(start)),
            issuer: configuration.issuer))
    }

    /// Starts the threads and the local API; returns the local port.
    public func start() throws -> Int {
        let httpServer = HTTPServer(
            configuration: HTTPServerConfiguration(host: configuration.listenHost, port: configuration.listenPort, loopCount: 2),
            handler: HTTPHandlerFunction { [self] request, responder in handle(request, responder) })
        let port = try httpServer.start()
        server.withLock { $0 = httpServer }
        let feed = Thread { [self] in runFeed() }
        feed.name = "feed"
        feed.start()
        let shipper = Thread { [self] in runShipper() }
        shipper.name = "shipper"
        shipper.start()
        for (node, nodeWake) in zip(configuration.cluster, ackWakes) {
            let acknowledger = Thread { [self] in runAcknowledger(node, wake: nodeWake) }
            acknowledger.name = "ack \(node)"
            acknowledger.start()
        }
        return port
    }

    /// Stops the threads and the local API.
    public func stop() {
        shared.withLock { $0.stopping = true }
        wake.signal()
        for nodeWake in ackWakes { nodeWake.signal() }
        server.withLock { $0 }?.shutdown(gracePeriod: .milliseconds(200))
    }

    var isStopping: Bool { shared.withLock { $0.stopping } }

    // MARK: Feed reader

    /// Reads the feed from one node after another: the current one until it fails or falls
    /// silent, then the next, resuming after the last applied revision.
    private func runFeed() {
        var nodeIndex = 0
        var failuresInRow = 0
        while !isStopping {
            let node = configuration.cluster[nodeIndex % configuration.cluster.count]
            if follow(node) { failuresInRow = 0 } else { failuresInRow += 1 }
            shared.withLock {
                $0.state.connectionLost()
                $0.connectedTo = nil
            }
            nodeIndex += 1
            if failuresInRow >= configuration.cluster.count {
                usleep(Self.retryPauseMilliseconds * 1_000)
                failuresInRow = 0
            }
        }
    }

    /// Follows one node's feed until it fails; true when it connected at all.
    private func follow(_ node: NodeAddress) -> Bool {
        if shared.withLock({ $0.issuer }) == nil { fetchIssuer(node) }
        let resume = shared.withLock { $0.state.resumeRevision }
        var headers = [("Authorization", "Bearer " + configuration.apiKey)]
        if let resume { headers.append(("Last-Event-ID", String(resume))) }
        guard let connection = try? FeedConnection.open(
            node, target: "/v1/feed", headers: headers, timeoutMilliseconds: Self.feedSilenceMilliseconds)
        else { return false }
        shared.withLock {
            $0.connectedTo = node
            $0.feedConnections += 1
        }
        var events = connection.leftoverEvents
        while !isStopping {
            if !events.isEmpty, !apply(events) { return true }
            guard let next = try? connection.nextEvents() else { return true }
            events = next
        }
        return true
    }

    /// Applies events under the lock; false when one is refused (drop the connection).
    private func apply(_ events: [ServerSentEvent]) -> Bool {
        let now = EdgeClock.monotonicMilliseconds()
        let (ok, advanced) = shared.withLock { shared -> (Bool, Bool) in
            let before = shared.state.appliedRevision
            for event in events {
                do {
                    try shared.state.receive(event, nowMilliseconds: now)
                } catch {
                    return (false, shared.state.appliedRevision > before)
                }
            }
            return (true, shared.state.appliedRevision > before)
        }
        if advanced { for nodeWake in ackWakes { nodeWake.signal() } }
        return ok
    }

    /// Reads `issuer` from the node's RFC 8414 metadata.
    private func fetchIssuer(_ node: NodeAddress) {
        let request = HTTPClientRequest(target: "/.well-known/oauth-authorization-server")
        guard let response = try? client.send(request, host: node.host, port: node.port), response.status == 200,
            let issuer = (try? JSONParser.parse(response.body))?["issuer"]?.stringValue
        else { return }
        shared.withLock { $0.issuer = issuer }
    }
}
