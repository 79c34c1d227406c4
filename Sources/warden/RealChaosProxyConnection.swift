#if canImport(Glibc)
import Glibc
#endif
import Foundation

// MARK: - One proxied connection

/// One connection a node opened to a peer's proxy: identified by its first request's headers,
/// then either forwarded to the peer byte for byte or held (a cut link). Only the thread that
/// serves it closes its sockets; `sever` (any thread) shuts them down, which wakes that thread.
final class RealChaosProxyConnection: @unchecked Sendable {
    /// The first request head is this long at most (a node's headers are a few hundred bytes).
    static let maximumHeadBytes = 64 * 1024
    /// A node writes its request as soon as it connects; a silent connection is dropped after this.
    static let identifySeconds = 10

    let client: Int32
    private let lock = NSLock()
    private var upstream: Int32 = -1
    private var severed = false

    init(client: Int32) {
        self.client = client
        RealChaosSocket.setNoDelay(client)
    }

    /// Reads the first request head and names the node that sent it (0-based) from
    /// `Warden-Node-ID` (Raft batches) or `Warden-Forwarded` (a write a follower forwards).
    /// Returns the bytes read so far, to forward first; nil when the head never came or names no node.
    func identify(nodeCount: Int) -> (head: [UInt8], from: Int)? {
        RealChaosSocket.setReceiveTimeout(client, seconds: Self.identifySeconds)
        defer { RealChaosSocket.setReceiveTimeout(client, seconds: 0) }
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while head.count < Self.maximumHeadBytes {
            let count = recv(client, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            head.append(contentsOf: buffer[0..<count])
            if let end = Self.headEnd(head) {
                guard let node = Self.sourceNode(String(decoding: head[0..<end], as: UTF8.self)),
                      (1...nodeCount).contains(node) else { return nil }
                return (head, node - 1)
            }
        }
        return nil
    }

    /// Where the header block ends (the blank line), if it has.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= terminator.count else { return nil }
        for start in 0...(bytes.count - terminator.count) where bytes[start..<(start + 4)].elementsEqual(terminator) {
            return start
        }
        return nil
    }

    /// The node id (1-based) a request head names as its sender.
    static func sourceNode(_ head: String) -> Int? {
        for line in head.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
            if name == "warden-node-id" || name == "warden-forwarded" {
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }

    /// Adopts the socket to the peer; false when the link was cut meanwhile (it is closed anyway).
    func attach(upstream descriptor: Int32) -> Bool {
        RealChaosSocket.setNoDelay(descriptor)
        return lock.withLock {
            upstream = descriptor
            if severed { Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
            return !severed
        }
    }

    /// Shuts both sockets down (once); true the first time.
    func sever() -> Bool {
        lock.withLock {
            guard !severed else { return false }
            severed = true
            Glibc.shutdown(client, Int32(SHUT_RDWR))
            if upstream >= 0 { Glibc.shutdown(upstream, Int32(SHUT_RDWR)) }
            return true
        }
    }

    /// A cut link: read and drop everything, answer nothing, until severed or closed.
    func discardUntilClosed() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = recv(client, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
        }
    }

    /// Copies bytes both ways until either side closes or the connection is severed, holding
    /// each chunk for `delay()` milliseconds first.
    func pump(delay: () -> UInt64) {
        let peer = lock.withLock { upstream }
        var descriptors = [pollfd(fd: client, events: Int16(POLLIN), revents: 0), pollfd(fd: peer, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if poll(&descriptors, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            for (index, entry) in descriptors.enumerated() where entry.revents != 0 {
                let count = recv(entry.fd, &buffer, buffer.count, 0)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                let wait = delay()
                if wait > 0 { RealChaosClock.sleep(milliseconds: wait) }
                guard RealChaosSocket.writeAll(index == 0 ? peer : client, buffer[0..<count]) else { return }
            }
        }
    }

    /// Closes both sockets: only the serving thread calls this, after it is unregistered.
    func closeSockets() {
        let peer = lock.withLock { upstream }
        close(client)
        if peer >= 0 { close(peer) }
    }
}

// MARK: - Loopback sockets

/// The few socket calls the proxies make, on IPv4 loopback.
enum RealChaosSocket {
    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return address
    }

    /// A listening socket on a free loopback port, and that port.
    static func listen() throws -> (descriptor: Int32, port: Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw RealChaosError("socket: errno \(errno)") }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && Glibc.listen(descriptor, 128) == 0
                    && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw RealChaosError("cannot listen on loopback: errno \(errno)")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A connected socket to `127.0.0.1:port`, or nil (the node is down).
    static func connect(port: Int) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        if !connected { close(descriptor) }
        return connected ? descriptor : nil
    }

    /// Writes every byte (a closed or severed peer: false; never SIGPIPE).
    static func writeAll<Bytes: Collection<UInt8>>(_ descriptor: Int32, _ bytes: Bytes) -> Bool {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let count = array.withUnsafeBytes { send(descriptor, $0.baseAddress! + offset, array.count - offset, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    static func setNoDelay(_ descriptor: Int32) {
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A blocking receive gives up after `seconds` (0: never).
    static func setReceiveTimeout(_ descriptor: Int32, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
}
