// MARK: - Response slots

/// One request's place in the connection's response order.
final class ResponseSlot {
    let writer: HTTPResponseWriter
    let channel: ResponseChannel
    /// Serialised bytes not yet moved into the connection's output.
    var pending: [UInt8] = []
    /// Stream payload bytes in `pending`, credited back to the responder when they move on.
    var pendingPayload = 0
    var finished = false
    /// Whether the connection closes once this response is out.
    var closeAfter: Bool

    init(writer: HTTPResponseWriter, channel: ResponseChannel) {
        self.writer = writer
        self.channel = channel
        closeAfter = !writer.keepAlive
    }
}

// MARK: - Connection

/// One accepted socket on one loop: parses requests, hands them to the application, writes
/// responses in request order, and enforces the timeouts and buffer bounds. Loop thread only.
final class HTTPConnection: EventLoopHandler {
    enum Phase: Equatable {
        /// Reading and answering requests.
        case open
        /// No more requests are read; the ones received are answered, then the connection closes.
        case closingAfterResponses
        /// Our side is shut down; the client's leftover bytes are read and dropped until it closes
        /// or the deadline, so a close never turns into a reset that destroys our last response.
        case lingering(deadline: UInt64)
        case closed
    }

    /// Bytes in the output buffer above which no more response bytes are moved into it.
    static let outputHighWater = 256 * 1024
    /// Output capacity kept between responses; a larger buffer is released once drained.
    static let retainedOutputCapacity = 64 * 1024
    /// Reads per readiness event, so one busy client cannot monopolise its loop.
    static let maximumReadsPerEvent = 4
    /// How long a closing connection waits for the client to finish sending.
    static let lingerNanoseconds: UInt64 = 2_000_000_000

    let descriptor: Int32
    private unowned let context: ServerLoopContext
    private var parser: HTTPRequestParser
    private var slots: [ResponseSlot] = []
    private var firstSequence = 0
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var interest = EpollEvents.readable
    private(set) var phase = Phase.open
    private var isProcessingInput = false
    /// When the current request's first byte arrived, for the header-read timeout.
    private var requestStartedAt: UInt64? = nil
    /// When bytes last moved in either direction, for the idle timeout.
    private var lastActivity: UInt64

    init(descriptor: Int32, context: ServerLoopContext) {
        self.descriptor = descriptor
        self.context = context
        parser = HTTPRequestParser(limits: context.configuration.limits)
        lastActivity = System.monotonicNanoseconds()
    }

    /// Whether nothing is in flight: no request partly read, no response owed or unsent.
    var isIdle: Bool { slots.isEmpty && output.count == outputOffset && !parser.isMidRequest }

    // MARK: - Events

    func handleEvents(_ events: UInt32) {
        // ERR, or HUP (both directions gone: a reset, or the client's FIN after ours): nothing
        // more can be delivered, and a level-triggered HUP would otherwise spin the loop.
        if events & (EpollEvents.error | EpollEvents.hangUp) != 0 {
            close()
            return
        }
        if events & EpollEvents.writable != 0 { pump() }
        if phase != .closed && events & EpollEvents.readable != 0 { readAvailable() }
        if phase != .closed { updateInterest() }
    }

    private func readAvailable() {
        for _ in 0..<Self.maximumReadsPerEvent {
            guard wantsToRead else { return }
            let result: IOResult
            do {
                result = try System.read(descriptor, into: context.readBuffer)
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else { return }
            if count == 0 {
                endOfInput()
                return
            }
            lastActivity = System.monotonicNanoseconds()
            if case .lingering = phase { continue }
            parser.append(UnsafeRawBufferPointer(rebasing: context.readBuffer[0..<count]))
            if requestStartedAt == nil { requestStartedAt = lastActivity }
            processInput()
            if count < context.readBuffer.count { return }
        }
    }

    /// Whether another request may be taken: few enough answers owed, and a client that reads
    /// its responses. A client that pipelines without reading stops being read from.
    private var hasPipelineRoom: Bool {
        slots.count < context.configuration.maximumPipelinedRequests && output.count - outputOffset < Self.outputHighWater
    }

    private var wantsToRead: Bool {
        switch phase {
        case .open: return hasPipelineRoom
        case .lingering: return true
        case .closingAfterResponses, .closed: return false
        }
    }

    /// The client closed its side: answer what was received, then close.
    private func endOfInput() {
        if case .lingering = phase {
            close()
            return
        }
        phase = .closingAfterResponses
        if slots.isEmpty && output.count == outputOffset { finishClosing() }
    }

    // MARK: - Requests

    /// Parses and dispatches buffered requests while the pipeline has room.
    private func processInput() {
        if isProcessingInput { return }
        isProcessingInput = true
        defer { isProcessingInput = false }
        while phase == .open && hasPipelineRoom {
            let event: HTTPParserEvent?
            do {
                event = try parser.next()
            } catch {
                refuse(status: error.status, reason: error.reason)
                return
            }
            guard let event else { return }
            switch event {
            case .continueExpected:
                // Only when nothing is owed before it, or the interim response would jump the queue;
                // otherwise the client sends its body after its own short wait.
                if slots.isEmpty { output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8) }
            case .request(let request):
                requestStartedAt = parser.isMidRequest ? System.monotonicNanoseconds() : nil
                dispatch(request)
            }
        }
    }

    private func dispatch(_ request: HTTPRequest) {
        let stopping = context.shared.isShuttingDown || !request.keepAlive
        let writer = HTTPResponseWriter(requestVersion: request.version, isHeadRequest: request.method == "HEAD", keepAlive: !stopping)
        let slot = ResponseSlot(writer: writer, channel: ResponseChannel())
        slots.append(slot)
        if stopping { phase = .closingAfterResponses }
        let responder = HTTPResponder(loop: context.loop, connection: self, sequence: firstSequence + slots.count - 1, channel: slot.channel)
        context.shared.handler.handle(request, responder)
    }

    /// Answers a request that cannot be parsed, then closes: what follows it cannot be framed.
    private func refuse(status: Int, reason: String) {
        let writer = HTTPResponseWriter(requestVersion: .http1_1, isHeadRequest: false, keepAlive: false)
        let slot = ResponseSlot(writer: writer, channel: ResponseChannel())
        writer.write(HTTPResponse(status: status, headers: ["Content-Type": "text/plain"], text: reason + "\n"), into: &slot.pending)
        slot.finished = true
        slot.channel.state.withLock { $0.phase = .done }
        slots.append(slot)
        phase = .closingAfterResponses
        pump()
    }

    /// Closes a connection whose client was too slow, telling it why when nothing else is owed.
    func timeOut() {
        if slots.isEmpty && output.count == outputOffset {
            refuse(status: 408, reason: "request timeout")
        } else {
            close()
        }
    }

    // MARK: - Responses (called through the responder, on the loop)

    private func slot(for sequence: Int) -> ResponseSlot? {
        let index = sequence - firstSequence
        guard phase != .closed, index >= 0, index < slots.count else { return nil }
        return slots[index]
    }

    func complete(sequence: Int, with response: HTTPResponse) {
        guard let slot = slot(for: sequence) else { return }
        if response.headers.hasToken("close", in: "Connection") && !slot.closeAfter {
            slot.closeAfter = true
            let writer = HTTPResponseWriter(requestVersion: slot.writer.requestVersion, isHeadRequest: slot.writer.isHeadRequest, keepAlive: false)
            writer.write(response, into: &slot.pending)
        } else {
            slot.writer.write(response, into: &slot.pending)
        }
        slot.finished = true
        pump()
    }

    func startStream(sequence: Int, head: HTTPResponseHead) {
        guard let slot = slot(for: sequence) else { return }
        if !slot.writer.streamKeepsAlive { slot.closeAfter = true }
        slot.writer.writeStreamHead(head, into: &slot.pending)
        pump()
    }

    func appendStream(sequence: Int, chunk: [UInt8]) {
        guard let slot = slot(for: sequence) else { return }
        slot.writer.writeStreamChunk(chunk, into: &slot.pending)
        slot.pendingPayload += chunk.count
        pump()
    }

    func finishStream(sequence: Int) {
        guard let slot = slot(for: sequence) else { return }
        slot.writer.writeStreamEnd(into: &slot.pending)
        slot.finished = true
        pump()
    }
}

// MARK: - Output

extension HTTPConnection {
    /// Moves answered responses into the output in request order, writes, and decides what next.
    private func pump() {
        while let slot = slots.first, phase != .closed {
            if !slot.pending.isEmpty && (slot.finished || output.count - outputOffset < Self.outputHighWater) {
                output.append(contentsOf: slot.pending)
                slot.pending.removeAll(keepingCapacity: !slot.finished)
                slot.channel.release(slot.pendingPayload)
                slot.pendingPayload = 0
            }
            guard slot.finished && slot.pending.isEmpty else { break }
            slots.removeFirst()
            firstSequence += 1
            // The header-read clock runs only while nothing is owed: restart it for a request
            // that waited behind answers.
            if slots.isEmpty && requestStartedAt != nil { requestStartedAt = System.monotonicNanoseconds() }
            if slot.closeAfter {
                phase = .closingAfterResponses
                for abandoned in slots { abandoned.channel.markClientGone() }
                slots.removeAll()
            }
        }
        flush()
        guard phase != .closed else { return }
        let drained = slots.isEmpty && output.count == outputOffset
        if drained && (phase == .closingAfterResponses || (phase == .open && context.shared.isShuttingDown && isIdle)) {
            finishClosing()
        } else if phase == .open && !isProcessingInput && parser.bufferedByteCount > 0 {
            processInput()
        }
        if phase != .closed { updateInterest() }
    }

    private func flush() {
        while outputOffset < output.count {
            let result: IOResult
            do {
                result = try output.withUnsafeBytes { bytes throws(SystemError) in
                    try System.send(descriptor, UnsafeRawBufferPointer(rebasing: bytes[outputOffset...]))
                }
            } catch {
                close()
                return
            }
            guard case .processed(let count) = result else { break }
            outputOffset += count
            lastActivity = System.monotonicNanoseconds()
        }
        if outputOffset == output.count {
            output.removeAll(keepingCapacity: output.capacity <= Self.retainedOutputCapacity)
            outputOffset = 0
        } else if outputOffset > Self.retainedOutputCapacity && outputOffset * 2 > output.count {
            // A stream whose client is always a little behind never drains fully: drop the sent
            // prefix so the buffer stays bounded by what is unsent.
            output.removeSubrange(0..<outputOffset)
            outputOffset = 0
        }
    }

    /// Everything owed is written: send our FIN and linger for the client's.
    private func finishClosing() {
        System.shutdownWrite(descriptor)
        phase = .lingering(deadline: System.monotonicNanoseconds() + Self.lingerNanoseconds)
        updateInterest()
    }

    private func updateInterest() {
        var wanted: UInt32 = wantsToRead ? EpollEvents.readable : 0
        if output.count > outputOffset { wanted |= EpollEvents.writable }
        if wanted != interest {
            interest = wanted
            context.loop.modify(descriptor, events: wanted)
        }
    }

    /// Closes the socket now and tells outstanding responders the client is gone.
    func close() {
        guard phase != .closed else { return }
        phase = .closed
        for slot in slots { slot.channel.markClientGone() }
        slots.removeAll()
        context.loop.unregister(descriptor)
        System.close(descriptor: descriptor)
        context.connectionClosed(self)
    }

    // MARK: - Timeouts

    /// Applies the timeouts at `now`; called by the loop's periodic sweep.
    func checkTimeouts(now: UInt64) {
        let configuration = context.configuration
        switch phase {
        case .closed:
            return
        case .lingering(let deadline):
            if now >= deadline { close() }
            return
        case .open, .closingAfterResponses:
            break
        }
        if context.shared.isShuttingDown && isIdle {
            close()
        } else if let started = requestStartedAt, !parser.isReadingBody, phase == .open, slots.isEmpty,
                  now - started > configuration.headerReadTimeoutNanoseconds {
            // Only while nothing is owed: with answers pending, the client is waiting on us and
            // its next request may sit unread because the pipeline is full.
            timeOut()
        } else if now - lastActivity > configuration.idleTimeoutNanoseconds && !isAwaitingApplication {
            // Between requests the close is silent: an unsolicited 408 on a keep-alive connection
            // could be read by the client as the answer to the request it is about to send.
            if parser.isMidRequest { timeOut() } else { close() }
        }
    }

    /// Whether the connection is quiet only because the application has not answered yet.
    private var isAwaitingApplication: Bool {
        output.count == outputOffset && slots.first.map { $0.pending.isEmpty } == true
    }
}
