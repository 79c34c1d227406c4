// MARK: - One subscriber

/// One feed subscription: its resume cursor, its phase and its bounded outbox of whole events.
///
/// The outbox holds pieces not yet accepted by the sink. Small events are coalesced into one
/// piece (one `write`, one syscall for many events); an event larger than a piece (a big
/// snapshot) is split, and the subscriber is "mid-event" until its last piece is accepted, so a
/// final `lagging` event is only ever written on an event boundary.
final class FeedSubscriber {
    /// How the client reads.
    enum Mode: Equatable {
        /// Server-Sent Events: one long response.
        case stream
        /// JSON long poll: one response by this time.
        case longPoll(deadlineMilliseconds: Int64)
    }

    /// Where the subscription is.
    enum Phase: Equatable {
        /// A snapshot is due (after a `reset` event when `reset` is set).
        case needsSnapshot(reset: Bool)
        /// Reading the ring page by page until it is exhausted.
        case catchingUp
        /// Caught up: receives each publish directly.
        case live
    }

    /// One queued chunk.
    struct Piece {
        var bytes: [UInt8]
        var endsEvent: Bool
    }

    /// Written pieces kept before the array is compacted.
    static let compactAfterPieces = 32

    let id: Int
    let sink: any FeedSink
    let onlyRevocations: Bool
    let mode: Mode
    /// Every event at or below it has been queued (or, for `needsSnapshot`, is covered by the
    /// snapshot to come).
    var cursor: UInt64
    var phase: Phase
    /// When the sink last accepted bytes (or the subscription started).
    var lastProgressMilliseconds: Int64
    private var pieces: [Piece] = []
    private var head = 0
    private(set) var pendingBytes = 0
    private(set) var isMidEvent = false

    init(id: Int, sink: any FeedSink, onlyRevocations: Bool, mode: Mode, cursor: UInt64, phase: Phase, nowMilliseconds: Int64) {
        self.id = id
        self.sink = sink
        self.onlyRevocations = onlyRevocations
        self.mode = mode
        self.cursor = cursor
        self.phase = phase
        self.lastProgressMilliseconds = nowMilliseconds
    }

    // MARK: Outbox

    /// Queues one whole event (or several, already concatenated).
    func enqueue(_ event: [UInt8], pieceBytes: Int) {
        guard !event.isEmpty else { return }
        pendingBytes += event.count
        if event.count > pieceBytes {
            var start = 0
            while start < event.count {
                let end = min(start + pieceBytes, event.count)
                pieces.append(Piece(bytes: Array(event[start..<end]), endsEvent: end == event.count))
                start = end
            }
            return
        }
        if pieces.count > head, pieces[pieces.count - 1].endsEvent, pieces[pieces.count - 1].bytes.count + event.count <= pieceBytes {
            pieces[pieces.count - 1].bytes.append(contentsOf: event)
        } else {
            pieces.append(Piece(bytes: event, endsEvent: true))
        }
    }

    /// Writes queued pieces until the sink refuses one; returns whether everything went out.
    @discardableResult
    func flush(nowMilliseconds: Int64) -> Bool {
        while head < pieces.count {
            let piece = pieces[head]
            guard sink.write(piece.bytes) else {
                if head >= Self.compactAfterPieces {
                    pieces.removeFirst(head)
                    head = 0
                }
                return false
            }
            pendingBytes -= piece.bytes.count
            isMidEvent = !piece.endsEvent
            lastProgressMilliseconds = nowMilliseconds
            head += 1
        }
        pieces.removeAll(keepingCapacity: pieces.capacity <= 16)
        head = 0
        return true
    }

    /// Drops everything not yet written (the subscriber is being disconnected).
    func discardOutbox() {
        pieces.removeAll()
        head = 0
        pendingBytes = 0
    }
}
