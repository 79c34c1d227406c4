import Glibc

// MARK: - A pipelined one-way connection

/// One keep-alive client connection that sends requests back to back without waiting for their
/// responses (HTTP/1.1 pipelining) and collects the responses as they arrive. Made for one-way
/// traffic whose answer only confirms delivery (peer messages): the sender never sleeps on an
/// answer, and a write that the socket takes at once costs one `send`.
///
/// Not thread-safe: one user at a time. Any error closes the connection; the requests whose
/// responses had not arrived are then of unknown fate.
public final class HTTPPipeline {
    /// Bytes read from the socket at once.
    private static let receiveBufferBytes = 16 * 1024

    /// Where the connection goes.
    public let host: String
    /// Its port.
    public let port: Int
    private let client: HTTPClient
    private var descriptor: Int32?
    private var parser: HTTPResponseParser
    /// The tail of a request the socket did not take yet; it goes out before anything else.
    private var unsent: [UInt8] = []
    private var receiveBuffer = [UInt8](repeating: 0, count: HTTPPipeline.receiveBufferBytes)
    /// Requests written (or being written) whose responses have not arrived.
    public private(set) var outstanding = 0

    /// A pipeline to `host:port` over `client`'s connect and timeouts; it connects on first use.
    public init(client: HTTPClient, host: String, port: Int) {
        self.client = client
        self.host = host
        self.port = port
        parser = HTTPResponseParser(requestMethod: "POST", maximumBodyBytes: client.configuration.maximumResponseBodyBytes)
    }

    deinit { close() }

    /// Whether a connection is open.
    public var isConnected: Bool { descriptor != nil }
    /// Whether part of a request still waits for room in the socket (`flush` sends it).
    public var hasUnsentBytes: Bool { !unsent.isEmpty }

    /// Opens the connection unless one is open (blocking, up to the connect timeout).
    public func connect() throws(HTTPClientError) {
        guard descriptor == nil else { return }
        descriptor = try client.connect(host: host, port: port)
    }

    /// Closes the connection; requests without a response are forgotten.
    public func close() {
        if let descriptor { System.close(descriptor: descriptor) }
        descriptor = nil
        unsent = []
        outstanding = 0
        parser = HTTPResponseParser(requestMethod: "POST", maximumBodyBytes: client.configuration.maximumResponseBodyBytes)
    }

    /// Writes `request` (after any unsent bytes) as far as the socket takes it now, never
    /// blocking; true when all of it went out, false when some waits for `flush`.
    @discardableResult
    public func sendWithoutBlocking(_ request: HTTPClientRequest) throws(HTTPClientError) -> Bool {
        guard descriptor != nil else { throw .connectionLost }
        unsent.append(contentsOf: HTTPClient.serialize(request, host: host, port: port))
        outstanding += 1
        return try writeUnsent(blockingUntil: nil)
    }

    /// Writes the unsent bytes, waiting for room up to the response timeout.
    public func flush() throws(HTTPClientError) {
        _ = try writeUnsent(blockingUntil: deadline())
    }

    /// The statuses of the responses that arrived, oldest first. With `waiting`, blocks up to the
    /// response timeout for at least one when any is outstanding; without, never blocks.
    public func collect(waiting: Bool) throws(HTTPClientError) -> [Int] {
        guard let descriptor else { return [] }
        var statuses: [Int] = []
        let until = waiting ? deadline() : nil
        do {
            while outstanding > 0 {
                let result: IOResult
                do {
                    result = try receiveBuffer.withUnsafeMutableBytes { bytes throws(SystemError) in try System.read(descriptor, into: bytes) }
                } catch {
                    throw HTTPClientError.connectionLost
                }
                switch result {
                case .processed(0):
                    throw HTTPClientError.connectionLost
                case .processed(let count):
                    receiveBuffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                    do {
                        while let response = try parser.next() {
                            outstanding -= 1
                            statuses.append(response.status)
                            if !response.keepAlive { throw HTTPClientError.connectionLost }
                        }
                    } catch let error as HTTPParseError {
                        throw HTTPClientError.invalidResponse(error)
                    }
                    parser.discardConsumed()
                case .wouldBlock:
                    guard let until, statuses.isEmpty else { return statuses }
                    try wait(descriptor, for: Int16(POLLIN), until: until)
                }
            }
        } catch let error as HTTPClientError {
            close()
            throw error
        } catch {
            close()
            throw .connectionLost
        }
        return statuses
    }

    // MARK: - Writing

    private func deadline() -> UInt64 {
        System.monotonicNanoseconds() + HTTPServerConfiguration.nanoseconds(client.configuration.responseTimeout)
    }

    private func writeUnsent(blockingUntil until: UInt64?) throws(HTTPClientError) -> Bool {
        guard let descriptor else { throw .connectionLost }
        var offset = 0
        defer { unsent.removeFirst(offset) }
        while offset < unsent.count {
            let result: IOResult
            do {
                result = try unsent.withUnsafeBytes { buffer throws(SystemError) in
                    try System.send(descriptor, UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                }
            } catch {
                offset = 0
                close()
                throw .connectionLost
            }
            switch result {
            case .processed(let count):
                offset += count
            case .wouldBlock:
                guard let until else { return false }
                do {
                    try wait(descriptor, for: Int16(POLLOUT), until: until)
                } catch {
                    offset = 0
                    close()
                    throw error
                }
            }
        }
        return true
    }

    private func wait(_ descriptor: Int32, for events: Int16, until deadline: UInt64) throws(HTTPClientError) {
        let now = System.monotonicNanoseconds()
        guard now < deadline else { throw .responseTimedOut }
        let milliseconds = Int32(min((deadline - now) / 1_000_000 + 1, UInt64(Int32.max)))
        let ready: Int16
        do { ready = try System.poll(descriptor, events: events, timeoutMilliseconds: milliseconds) } catch { throw .connectionLost }
        if ready == 0 { throw .responseTimedOut }
    }
}
