import CLinuxIO
import Glibc

// MARK: - System calls, each wrapped once
//
// Every wrapper retries EINTR, reports EAGAIN/EWOULDBLOCK as a value (`nil` or `.wouldBlock`),
// and treats EBADF/EFAULT as programmer errors: a bad descriptor or pointer means our own
// bookkeeping is wrong, and continuing would act on someone else's file.

/// An error from a system call, carrying the call's name and `errno`.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    /// The system call that failed.
    public let call: String
    /// The `errno` it reported.
    public let code: Int32

    /// A readable form: the call and the C library's message for the code.
    public var description: String { "\(call): \(String(cString: strerror(code))) (errno \(code))" }
}

/// The outcome of a non-blocking read or write.
enum IOResult: Equatable {
    /// This many bytes moved (0 on read means end of stream).
    case processed(Int)
    /// The socket buffer was empty (read) or full (write).
    case wouldBlock
}

enum System {
    /// Stops the process on a programmer error and otherwise builds the error to throw.
    private static func failure(_ call: String) -> SystemError {
        let code = warden_errno()
        precondition(code != EBADF && code != EFAULT, "\(call): programmer error, errno \(code)")
        return SystemError(call: call, code: code)
    }

    private static func isWouldBlock(_ code: Int32) -> Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// Ignores SIGPIPE for the whole process, once: a peer that hangs up must not kill the node.
    static let ignoreBrokenPipe: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    // MARK: - Descriptors

    static func close(descriptor: Int32) {
        // EINTR after close on Linux means the descriptor is already gone: never retry.
        let result = Glibc.close(descriptor)
        if result < 0 { precondition(warden_errno() != EBADF, "close: descriptor \(descriptor) not open") }
    }

    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return .processed(count) }
            let code = warden_errno()
            if code == EINTR { continue }
            if isWouldBlock(code) { return .wouldBlock }
            throw failure("read")
        }
    }

    /// Sends with MSG_NOSIGNAL so a closed peer yields EPIPE rather than a signal.
    static func send(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult {
        while true {
            let count = Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .processed(count) }
            let code = warden_errno()
            if code == EINTR { continue }
            if isWouldBlock(code) { return .wouldBlock }
            throw failure("send")
        }
    }

    static func shutdownWrite(_ descriptor: Int32) {
        // ENOTCONN when the peer is already gone is fine: the goal is only to send our FIN.
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    // MARK: - Sockets

    static func socket(family: Int32) throws(SystemError) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let descriptor = Glibc.socket(family, type, 0)
        if descriptor < 0 { throw failure("socket") }
        return descriptor
    }

    static func setOption(_ descriptor: Int32, level: Int32, name: Int32, value: Int32) throws(SystemError) {
        var value = value
        if setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) < 0 {
            throw failure("setsockopt(\(name))")
        }
    }

    static func bind(_ descriptor: Int32, _ address: sockaddr_in) throws(SystemError) {
        var address = address
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result < 0 { throw failure("bind") }
    }

    static func listen(_ descriptor: Int32, backlog: Int32) throws(SystemError) {
        if Glibc.listen(descriptor, backlog) < 0 { throw failure("listen") }
    }

    static func localPort(_ descriptor: Int32) throws(SystemError) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        if result < 0 { throw failure("getsockname") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts one connection and makes it non-blocking and close-on-exec; `nil` when none waits.
    /// (`accept4` would do it in one call, but the shim does not define `_GNU_SOURCE`.)
    static func accept(_ descriptor: Int32) throws(SystemError) -> Int32? {
        while true {
            let accepted = Glibc.accept(descriptor, nil, nil)
            if accepted >= 0 {
                let flags = fcntl(accepted, F_GETFL)
                if flags < 0 || fcntl(accepted, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(accepted, F_SETFD, FD_CLOEXEC) < 0 {
                    let error = failure("fcntl")
                    close(descriptor: accepted)
                    throw error
                }
                return accepted
            }
            let code = warden_errno()
            if code == EINTR || code == ECONNABORTED { continue }
            if isWouldBlock(code) { return nil }
            throw failure("accept")
        }
    }

    /// Starts a non-blocking connect; returns true when it completed at once.
    static func connect(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) throws(SystemError) -> Bool {
        if Glibc.connect(descriptor, address, length) == 0 { return true }
        let code = warden_errno()
        if code == EINPROGRESS || code == EINTR { return false }
        throw failure("connect")
    }

    static func pendingSocketError(_ descriptor: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) < 0 { return warden_errno() }
        return code
    }

    /// Waits for `events` on one descriptor; returns the revents, or 0 on timeout.
    static func poll(_ descriptor: Int32, events: Int16, timeoutMilliseconds: Int32) throws(SystemError) -> Int16 {
        var entry = pollfd(fd: descriptor, events: events, revents: 0)
        while true {
            let result = Glibc.poll(&entry, 1, timeoutMilliseconds)
            if result >= 0 { return result == 0 ? 0 : entry.revents }
            if warden_errno() == EINTR { continue }
            throw failure("poll")
        }
    }

    // MARK: - epoll, eventfd, timerfd

    static func epollCreate() throws(SystemError) -> Int32 {
        let descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        if descriptor < 0 { throw failure("epoll_create1") }
        return descriptor
    }

    static func epollControl(_ epoll: Int32, _ operation: Int32, _ descriptor: Int32, events: UInt32, data: UInt64) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = data
        if epoll_ctl(epoll, operation, descriptor, &event) < 0 { throw failure("epoll_ctl") }
    }

    static func epollWait(_ epoll: Int32, _ events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32) throws(SystemError) -> Int {
        while true {
            let count = epoll_wait(epoll, events.baseAddress, Int32(events.count), timeoutMilliseconds)
            if count >= 0 { return Int(count) }
            if warden_errno() == EINTR { continue }
            throw failure("epoll_wait")
        }
    }

    static func eventCreate() throws(SystemError) -> Int32 {
        let descriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        if descriptor < 0 { throw failure("eventfd") }
        return descriptor
    }

    /// Adds one to an eventfd counter; a full counter (EAGAIN) already means "wake up".
    static func eventSignal(_ descriptor: Int32) {
        var one: UInt64 = 1
        while Glibc.write(descriptor, &one, 8) < 0 {
            let code = warden_errno()
            if code == EINTR { continue }
            precondition(isWouldBlock(code), "eventfd write: errno \(code)")
            return
        }
    }

    /// Reads and resets an eventfd or timerfd counter; nothing pending is fine.
    static func drainCounter(_ descriptor: Int32) {
        var value: UInt64 = 0
        while Glibc.read(descriptor, &value, 8) < 0 {
            let code = warden_errno()
            if code == EINTR { continue }
            precondition(isWouldBlock(code), "counter read: errno \(code)")
            return
        }
    }

    static func timerCreate() throws(SystemError) -> Int32 {
        let descriptor = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        if descriptor < 0 { throw failure("timerfd_create") }
        return descriptor
    }

    /// Arms a one-shot timer at an absolute monotonic time, or disarms it when `nil`.
    static func timerArm(_ descriptor: Int32, deadlineNanoseconds: UInt64?) {
        var specification = itimerspec()
        if let deadline = deadlineNanoseconds {
            // A zero it_value disarms, so a deadline already due is armed one nanosecond in.
            let due = max(deadline, 1)
            specification.it_value.tv_sec = Int(due / 1_000_000_000)
            specification.it_value.tv_nsec = Int(due % 1_000_000_000)
        }
        let result = timerfd_settime(descriptor, Int32(TFD_TIMER_ABSTIME), &specification, nil)
        precondition(result == 0, "timerfd_settime: errno \(warden_errno())")
    }

    /// Monotonic time in nanoseconds, the clock every timeout here is measured on.
    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
