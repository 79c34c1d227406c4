// MARK: - Server-Sent Events, parsed incrementally

/// One dispatched Server-Sent Event.
public struct ServerSentEvent: Sendable, Hashable {
    /// The `id` field carried by this event itself (nil: it carried none).
    public var id: String?
    /// The `event` field (`message` when absent).
    public var type: String
    /// The `data` lines joined with newlines.
    public var data: String

    /// An event from its parts.
    public init(id: String?, type: String, data: String) {
        self.id = id
        self.type = type
        self.data = data
    }
}

/// Why a stream could not be parsed.
public struct ServerSentEventError: Error, Sendable, Equatable {
    /// What was wrong.
    public let message: String
}

/// Parses a `text/event-stream` body as bytes arrive, in any split (WHATWG HTML §9.2.6): lines
/// end in LF, CRLF or CR; `field: value` (one optional space); comments start with `:`; a blank
/// line dispatches. Bounded: one line or one event larger than `maximumEventBytes` is an error.
public struct ServerSentEventParser: Sendable {
    /// Largest event accepted (a feed snapshot of a large state fits).
    public static let defaultMaximumEventBytes = 64 * 1_024 * 1_024

    /// The bound in force.
    public let maximumEventBytes: Int
    /// The last `id` seen on the stream (what `Last-Event-ID` resumes from).
    public private(set) var lastEventID: String?
    private var line: [UInt8] = []
    private var afterCarriageReturn = false
    private var data: [UInt8] = []
    private var hasData = false
    private var type: String?
    private var id: String?

    /// A parser at the start of a stream.
    public init(maximumEventBytes: Int = defaultMaximumEventBytes) { self.maximumEventBytes = maximumEventBytes }

    /// Feeds bytes; returns the events they complete, in order.
    public mutating func append(_ bytes: some Sequence<UInt8>) throws(ServerSentEventError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == 0x0A && afterCarriageReturn {
                afterCarriageReturn = false
                continue
            }
            afterCarriageReturn = byte == 0x0D
            guard byte == 0x0A || byte == 0x0D else {
                line.append(byte)
                if line.count + data.count > maximumEventBytes { throw ServerSentEventError(message: "event larger than \(maximumEventBytes) bytes") }
                continue
            }
            if let event = endLine() { events.append(event) }
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty { return dispatch() }
        if line[0] == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.count
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var valueStart = min(colon + 1, line.count)
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = line[valueStart...]
        switch field {
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        case "event": type = String(decoding: value, as: UTF8.self)
        case "id" where !value.contains(0):
            id = String(decoding: value, as: UTF8.self)
            lastEventID = id
        default: break
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            type = nil
            id = nil
        }
        guard hasData else { return nil }
        return ServerSentEvent(id: id, type: type ?? "message", data: String(decoding: data, as: UTF8.self))
    }
}
