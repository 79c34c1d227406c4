#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Server

// MARK: - Directed links

/// A directed peer link: the connections node `from` opens to node `to`'s peer address (its
/// Raft batches, and the writes it forwards to `to` as leader). Answers flow back on the same
/// connections, so cutting `from → to` silences what `from` sends to `to`; `to → from` is
/// another link. Nodes are 0-based.
struct RealChaosLink: Hashable, Comparable, CustomStringConvertible {
    let from: Int
    let to: Int

    var description: String { "\(from + 1)→\(to + 1)" }

    static func < (left: RealChaosLink, right: RealChaosLink) -> Bool { (left.from, left.to) < (right.from, right.to) }

    /// Every link of an `n`-node cluster.
    static func all(_ count: Int) -> [RealChaosLink] {
        (0..<count).flatMap { from in (0..<count).filter { $0 != from }.map { RealChaosLink(from: from, to: $0) } }
    }
}

// MARK: - The network of proxies

/// Loopback network partitions without privilege: every node reaches every peer through a TCP
/// proxy that this process owns, one listener per destination node. Nodes advertise the proxy
/// address and list it as their peers' addresses (the `--advertise` and `--peers` flags), so the
/// address a node learns from a peer's batches is the proxy too and no traffic bypasses it.
/// The proxy tells the source node of a connection from its first request's headers
/// (`Warden-Node-ID` on Raft batches, `Warden-Forwarded` on forwarded writes), which makes every
/// directed link separately cuttable. A cut link is a blackhole: its open connections are closed
/// at once (nothing in flight crosses the cut), new ones are accepted and their bytes discarded
/// unanswered; healing closes the held ones so senders reconnect at once. A slow link passes
/// bytes on late instead. Clients are never cut:
/// they talk to the nodes' own ports.
final class RealChaosNetwork: @unchecked Sendable {
    /// The nodes' own listening ports, where forwarded connections go.
    let upstreamPorts: [Int]
    /// The proxy port that stands for each node on the peer network.
    let proxyPorts: [Int]
    private let listeners: [Int32]
    private let lock = NSLock()
    private var cutLinks: Set<RealChaosLink> = []
    private var delays: [RealChaosLink: UInt64] = [:]
    private var open: [RealChaosLink: [ObjectIdentifier: RealChaosProxyConnection]] = [:]
    private var closed = false
    private var counters = RealChaosProxyCounters()

    init(upstreamPorts: [Int]) throws {
        self.upstreamPorts = upstreamPorts
        var listeners: [Int32] = []
        var ports: [Int] = []
        for _ in upstreamPorts {
            let (descriptor, port) = try RealChaosSocket.listen()
            listeners.append(descriptor)
            ports.append(port)
        }
        self.listeners = listeners
        proxyPorts = ports
    }

    /// `127.0.0.1:port` of the proxy that stands for `node`.
    func address(of node: Int) -> String { "127.0.0.1:\(proxyPorts[node])" }

    /// Starts one accepting thread per destination node.
    func start() {
        for (node, listener) in listeners.enumerated() {
            Thread { [self] in acceptLoop(listener, to: node) }.start()
        }
    }

    /// The links cut right now.
    var cut: Set<RealChaosLink> { lock.withLock { cutLinks } }

    /// Cuts `links` (on top of those already cut) and severs their open connections.
    func cut(_ links: [RealChaosLink]) {
        lock.withLock { cutLinks.formUnion(links) }
        for link in links { sever(link) }
    }

    /// Slows `links`: every chunk of bytes either way waits `milliseconds` before it is passed on
    /// (order kept, as in TCP), so heartbeats and answers arrive late.
    func slow(_ links: [RealChaosLink], milliseconds: UInt64) {
        lock.withLock { for link in links { delays[link] = milliseconds } }
    }

    /// The delay on `link` right now, in milliseconds.
    func delay(_ link: RealChaosLink) -> UInt64 { lock.withLock { delays[link] ?? 0 } }

    /// Heals every cut link (severing the connections it was holding) and every slow one.
    func healAll() {
        let healed = lock.withLock { () -> Set<RealChaosLink> in
            defer { cutLinks = []; delays = [:] }
            return cutLinks
        }
        for link in healed { sever(link) }
    }

    /// Stops accepting and severs every connection; the threads exit on their own.
    func shutdown() {
        let links = lock.withLock { () -> [RealChaosLink] in
            closed = true
            return Array(open.keys)
        }
        for listener in listeners { Glibc.shutdown(listener, Int32(SHUT_RDWR)) }
        for link in links { sever(link) }
    }

    /// What the proxies did so far, one line.
    var summary: String { lock.withLock { counters.description } }

    // MARK: Connections

    private func acceptLoop(_ listener: Int32, to node: Int) {
        while true {
            let descriptor = accept(listener, nil, nil)
            if descriptor < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            if lock.withLock({ closed }) { close(descriptor); return }
            Thread { [self] in serve(descriptor, to: node) }.start()
        }
    }

    /// One accepted connection, from identification to close; the only place its sockets close.
    private func serve(_ descriptor: Int32, to node: Int) {
        let connection = RealChaosProxyConnection(client: descriptor)
        defer { connection.closeSockets() }
        guard let (head, from) = connection.identify(nodeCount: upstreamPorts.count), from != node else {
            lock.withLock { counters.unidentified += 1 }
            return
        }
        let link = RealChaosLink(from: from, to: node)
        guard let isCut = register(connection, on: link) else { return }
        defer { unregister(connection, from: link) }
        if isCut { return connection.discardUntilClosed() }
        guard let upstream = RealChaosSocket.connect(port: upstreamPorts[node]) else {
            lock.withLock { counters.upstreamRefused += 1 }
            return
        }
        guard connection.attach(upstream: upstream), RealChaosSocket.writeAll(upstream, head) else { return }
        connection.pump { [self] in delay(link) }
    }

    /// Files the connection under its link; whether the link is cut, or nil once shut down.
    private func register(_ connection: RealChaosProxyConnection, on link: RealChaosLink) -> Bool? {
        lock.withLock {
            if closed { return nil }
            open[link, default: [:]][ObjectIdentifier(connection)] = connection
            let isCut = cutLinks.contains(link)
            if isCut { counters.held += 1 } else { counters.forwarded += 1 }
            return isCut
        }
    }

    private func unregister(_ connection: RealChaosProxyConnection, from link: RealChaosLink) {
        lock.withLock { open[link]?[ObjectIdentifier(connection)] = nil }
    }

    /// Shuts down every open connection of `link` (their threads then close them).
    private func sever(_ link: RealChaosLink) {
        lock.withLock {
            for connection in (open[link] ?? [:]).values where connection.sever() { counters.severed += 1 }
        }
    }
}

/// The proxies' counts, for the report.
struct RealChaosProxyCounters: CustomStringConvertible {
    var forwarded = 0
    var held = 0
    var severed = 0
    var unidentified = 0
    var upstreamRefused = 0

    var description: String {
        "\(forwarded) connections forwarded, \(held) held by a cut, \(severed) severed by a cut or heal, "
            + "\(unidentified) unidentified, \(upstreamRefused) refused by a down node"
    }
}
