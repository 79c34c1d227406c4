/// A deterministic priority queue of future events: a binary min-heap ordered by
/// (time, insertion sequence), so events due at the same instant come out in the order they
/// were scheduled and a run never depends on heap layout or hashing.
public struct EventQueue<Event> {
    /// The default bound on pending events. A 5-replica cluster under load keeps a few thousand
    /// messages and timers in flight; a million means a runaway feedback loop (for example a
    /// message storm from duplicated retries) that should stop the run loudly, not eat memory.
    public static var defaultCapacity: Int { 1_000_000 }

    /// One scheduled event with its due time and tie-breaking sequence number.
    public struct Entry {
        /// When the event is due.
        public let time: VirtualNanoseconds
        /// The insertion order, unique within this queue; breaks ties between equal times.
        public let sequence: UInt64
        /// The event itself.
        public let event: Event
    }

    /// The most events that may be pending at once.
    public let capacity: Int
    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    /// Creates an empty queue holding at most `capacity` pending events.
    public init(capacity: Int = EventQueue.defaultCapacity) {
        precondition(capacity > 0, "an event queue needs room for at least one event")
        self.capacity = capacity
    }

    /// The number of pending events.
    public var count: Int { heap.count }

    /// Whether no event is pending.
    public var isEmpty: Bool { heap.isEmpty }

    /// Whether another event can be scheduled without exceeding `capacity`.
    public var hasRoom: Bool { heap.count < capacity }

    /// The due time of the earliest pending event.
    public var nextTime: VirtualNanoseconds? { heap.first?.time }

    /// Schedules `event` at `time` and returns its sequence number. Scheduling beyond
    /// `capacity` is a bug in the caller (check `hasRoom` first when it can legitimately happen).
    @discardableResult
    public mutating func schedule(_ event: Event, at time: VirtualNanoseconds) -> UInt64 {
        precondition(heap.count < capacity, "event queue is full (\(capacity) pending events)")
        let sequence = nextSequence
        nextSequence += 1
        heap.append(Entry(time: time, sequence: sequence, event: event))
        siftUp(from: heap.count - 1)
        return sequence
    }

    /// Removes and returns the earliest pending event (lowest time, then lowest sequence).
    public mutating func popNext() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let earliest = heap.removeLast()
        if !heap.isEmpty {
            siftDown(from: 0)
        }
        return earliest
    }

    /// Removes the earliest pending event and advances `clock` to its time.
    public mutating func popNext(advancing clock: inout VirtualClock) -> Entry? {
        guard let entry = popNext() else { return nil }
        clock.advance(to: entry.time)
        return entry
    }

    private static func precedes(_ left: Entry, _ right: Entry) -> Bool {
        (left.time, left.sequence) < (right.time, right.sequence)
    }

    private mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && Self.precedes(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && Self.precedes(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
