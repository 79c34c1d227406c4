import CLinuxIO
import Foundation
import Glibc
import Synchronization

// MARK: - Registration

/// Something registered on an event loop: told which epoll events fired for its descriptor.
protocol EventLoopHandler: AnyObject {
    /// Called on the loop thread with the epoll event mask.
    func handleEvents(_ events: UInt32)
}

/// Carries a value that is only touched on its loop's thread across a `@Sendable` boundary.
struct LoopBound<Value>: @unchecked Sendable {
    let value: Value
}

/// The epoll event bits used here, named once.
enum EpollEvents {
    static let readable = UInt32(EPOLLIN.rawValue)
    static let writable = UInt32(EPOLLOUT.rawValue)
    static let error = UInt32(EPOLLERR.rawValue)
    static let hangUp = UInt32(EPOLLHUP.rawValue)
    static let exclusive = UInt32(EPOLLEXCLUSIVE.rawValue)
}

// MARK: - Event loop

/// One thread running epoll: descriptors, cross-thread tasks (woken by an eventfd) and timers
/// (on a timerfd).
///
/// Each registration carries a generation number in its epoll tag, so an event still queued for
/// a descriptor that was closed and reused within the same wake-up is recognised and dropped.
public final class EventLoop: @unchecked Sendable {
    /// The most events taken from one epoll_wait; more wait for the next turn.
    private static let maximumEventsPerWait = 256
    /// The most task batches run in one turn, so tasks that enqueue tasks cannot starve I/O.
    private static let maximumTaskRoundsPerTurn = 4

    private struct Registration {
        let generation: UInt32
        let handler: any EventLoopHandler
    }

    private struct Timer {
        let deadline: UInt64
        let identifier: Int
        let work: () -> Void
    }

    /// The name of the loop's thread, for debuggers and logs.
    public let name: String
    private let epollDescriptor: Int32
    private let wakeDescriptor: Int32
    private let timerDescriptor: Int32
    private let tasks = Mutex<(queue: [@Sendable () -> Void], stopped: Bool)>(([], false))
    private let exited = DispatchSemaphore(value: 0)
    private let loopThread = Mutex<pthread_t?>(nil)
    private let started = Atomic<Bool>(false)

    // Touched only on the loop thread.
    private var registrations: [Int32: Registration] = [:]
    private var nextGeneration: UInt32 = 1
    private var timers: [Timer] = []
    private var nextTimerIdentifier = 0
    private var stopRequested = false

    /// Creates the loop's descriptors; `start()` runs it on its own thread.
    public init(name: String) throws {
        _ = System.ignoreBrokenPipe
        self.name = name
        epollDescriptor = try System.epollCreate()
        wakeDescriptor = try System.eventCreate()
        timerDescriptor = try System.timerCreate()
        try System.epollControl(epollDescriptor, EPOLL_CTL_ADD, wakeDescriptor, events: EpollEvents.readable, data: UInt64(UInt32(bitPattern: wakeDescriptor)))
        try System.epollControl(epollDescriptor, EPOLL_CTL_ADD, timerDescriptor, events: EpollEvents.readable, data: UInt64(UInt32(bitPattern: timerDescriptor)))
    }

    /// Starts the loop's thread. Call once.
    public func start() {
        precondition(!started.exchange(true, ordering: .acquiringAndReleasing), "start() twice")
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Whether the caller is running on this loop's thread.
    public var inLoop: Bool {
        guard let thread = loopThread.withLock({ $0 }) else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    /// Runs `work` on the loop thread, after work already queued; returns false if the loop has
    /// stopped and the work was dropped. From the loop thread itself no wake-up is needed: the
    /// loop drains the queue before it waits again.
    @discardableResult
    public func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        let onLoop = inLoop
        let (queued, wake) = tasks.withLock { state -> (Bool, Bool) in
            if state.stopped { return (false, false) }
            state.queue.append(work)
            return (true, !onLoop && state.queue.count == 1)
        }
        // Outside the lock: the woken loop thread takes it at once to drain the queue.
        if wake { System.eventSignal(wakeDescriptor) }
        return queued
    }

    /// Stops the loop after its current turn and waits for its thread to exit. Not from the loop.
    public func stop() {
        precondition(!inLoop, "stop() would wait for its own thread")
        precondition(started.load(ordering: .acquiring), "stop() before start() would wait forever")
        let queued = execute { [self] in stopRequested = true }
        if queued { exited.wait() }
    }

    // MARK: - Registrations (loop thread only)

    /// Registers a descriptor for `events`; returns its generation tag.
    @discardableResult
    func register(_ descriptor: Int32, events: UInt32, handler: any EventLoopHandler) throws(SystemError) -> UInt32 {
        precondition(inLoop && registrations[descriptor] == nil, "register off-loop or twice")
        let generation = nextGeneration
        nextGeneration = nextGeneration == UInt32.max ? 1 : nextGeneration + 1
        try System.epollControl(epollDescriptor, EPOLL_CTL_ADD, descriptor, events: events, data: Self.tag(descriptor, generation))
        registrations[descriptor] = Registration(generation: generation, handler: handler)
        return generation
    }

    /// Changes the events a registered descriptor waits for.
    func modify(_ descriptor: Int32, events: UInt32) {
        precondition(inLoop, "modify off-loop")
        guard let registration = registrations[descriptor] else { preconditionFailure("modify of unregistered \(descriptor)") }
        do {
            try System.epollControl(epollDescriptor, EPOLL_CTL_MOD, descriptor, events: events, data: Self.tag(descriptor, registration.generation))
        } catch {
            preconditionFailure("epoll_ctl(MOD) on a registered descriptor: \(error)")
        }
    }

    /// Removes a descriptor; call before closing it.
    func unregister(_ descriptor: Int32) {
        precondition(inLoop, "unregister off-loop")
        guard registrations.removeValue(forKey: descriptor) != nil else { return }
        // ENOENT/EBADF cannot happen for a registered, still-open descriptor; ignore ENOMEM-class failures.
        try? System.epollControl(epollDescriptor, EPOLL_CTL_DEL, descriptor, events: 0, data: 0)
    }

    private static func tag(_ descriptor: Int32, _ generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: descriptor))
    }

    // MARK: - Timers (loop thread only)

    /// Runs `work` on the loop once `delayNanoseconds` have passed; returns an id for `cancelTimer`.
    @discardableResult
    func scheduleTimer(afterNanoseconds delayNanoseconds: UInt64, _ work: @escaping () -> Void) -> Int {
        precondition(inLoop, "timers are scheduled on the loop")
        nextTimerIdentifier += 1
        let timer = Timer(deadline: System.monotonicNanoseconds() + delayNanoseconds, identifier: nextTimerIdentifier, work: work)
        let position = timers.firstIndex { $0.deadline > timer.deadline } ?? timers.count
        timers.insert(timer, at: position)
        if position == 0 { System.timerArm(timerDescriptor, deadlineNanoseconds: timer.deadline) }
        return timer.identifier
    }

    /// Cancels a timer that has not fired yet.
    func cancelTimer(_ identifier: Int) {
        precondition(inLoop, "timers are cancelled on the loop")
        timers.removeAll { $0.identifier == identifier }
    }

    private func runDueTimers() {
        System.drainCounter(timerDescriptor)
        let now = System.monotonicNanoseconds()
        let dueCount = timers.firstIndex { $0.deadline > now } ?? timers.count
        let due = timers.prefix(dueCount)
        timers.removeFirst(dueCount)
        for timer in due { timer.work() }
        System.timerArm(timerDescriptor, deadlineNanoseconds: timers.first?.deadline)
    }

    // MARK: - The loop

    private func run() {
        loopThread.withLock { $0 = pthread_self() }
        let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: Self.maximumEventsPerWait)
        defer { events.deallocate() }
        while !stopRequested {
            let timeout: Int32 = tasks.withLock { $0.queue.isEmpty } ? -1 : 0
            let count: Int
            do {
                count = try System.epollWait(epollDescriptor, events, timeoutMilliseconds: timeout)
            } catch {
                preconditionFailure("epoll_wait failed: \(error)")
            }
            for index in 0..<count { dispatch(events[index]) }
            runTasks()
        }
        shutDown()
    }

    private func dispatch(_ event: epoll_event) {
        let descriptor = Int32(bitPattern: UInt32(truncatingIfNeeded: event.data.u64))
        let generation = UInt32(truncatingIfNeeded: event.data.u64 >> 32)
        if descriptor == wakeDescriptor && generation == 0 {
            System.drainCounter(wakeDescriptor)
        } else if descriptor == timerDescriptor && generation == 0 {
            runDueTimers()
        } else if let registration = registrations[descriptor], registration.generation == generation {
            registration.handler.handleEvents(event.events)
        }
        // Otherwise the event belongs to an earlier registration of a reused descriptor: dropped.
    }

    private func runTasks() {
        for _ in 0..<Self.maximumTaskRoundsPerTurn {
            let batch = tasks.withLock { state -> [@Sendable () -> Void] in
                let batch = state.queue
                state.queue.removeAll(keepingCapacity: true)
                return batch
            }
            if batch.isEmpty { return }
            for work in batch { work() }
        }
    }

    /// Drops queued work, closes the loop's own descriptors and releases `stop()`.
    private func shutDown() {
        tasks.withLock { state in
            state.stopped = true
            state.queue.removeAll()
        }
        registrations.removeAll()
        timers.removeAll()
        System.close(descriptor: timerDescriptor)
        System.close(descriptor: wakeDescriptor)
        System.close(descriptor: epollDescriptor)
        loopThread.withLock { $0 = nil }
        exited.signal()
    }
}
