import Governance
import HTTP
import JSON
import Replica

// MARK: - Bounds

/// The hub's bounds, each with its reason.
public struct FeedHubLimits: Sendable {
    /// Concurrent subscriptions (SSE and long poll) per node: ≥ 1,000 enforcers with room.
    public var maximumSubscribers = 4_096
    /// Heartbeat period: half the promised 100 ms, so a late tick still keeps the promise.
    public var heartbeatIntervalMilliseconds: Int64 = 50
    /// Events read from the ring per page while a subscriber catches up.
    public var pageEvents = 1_024
    /// Pages one subscriber may read per call: catching up never monopolises the replica thread.
    public var pagesPerService = 8
    /// Largest chunk handed to the sink at once; many small events are coalesced up to it.
    public var pieceBytes = 64 * 1_024
    /// Unsent bytes a live subscriber may hold before it counts as fallen behind.
    public var liveBacklogBytes = 512 * 1_024
    /// Unsent bytes below which a catching-up subscriber reads its next page.
    public var catchUpHighWaterBytes = 256 * 1_024
    /// Time without any byte accepted, with bytes waiting, before a subscriber is dropped.
    public var stallMilliseconds: Int64 = 10_000

    /// The defaults above.
    public init() {}
}

// MARK: - The hub

/// Fans the replica's feed out to every subscriber of this node without ever blocking: each
/// subscriber has a bounded outbox; one that falls behind gets a final `lagging` event and is
/// disconnected, and resumes from its last event id. Single-threaded: every call on the replica
/// thread (it reads the replica's ring and state). See `/work/contracts/feed-api.md`.
public final class FeedHub {
    /// The route name used to authorize subscriptions.
    public static let routeName = "GET /v1/feed"

    /// The bounds in force.
    public let limits: FeedHubLimits
    /// The applied revision at the last `publish`: heartbeats carry it as `commit`.
    public private(set) var publishedRevision: UInt64 = 0
    /// Subscribers disconnected for falling behind, since start.
    public private(set) var laggingDisconnects = 0
    /// Current subscriptions.
    public var subscriberCount: Int { subscribers.count }

    private var subscribers: [Int: FeedSubscriber] = [:]
    private var nextSubscriberID = 1
    private var lastHeartbeatMilliseconds: Int64?

    /// An empty hub.
    public init(limits: FeedHubLimits = FeedHubLimits()) { self.limits = limits }

    // MARK: Subscribe

    /// Starts a subscription for a routed `GET /v1/feed` (authorizing its key against `source`'s
    /// state): an SSE stream, or a long poll answered now or by its `wait`.
    public func subscribe(_ request: FeedRequest, sink: any FeedSink, source: any FeedSource, nowMilliseconds: Int64) {
        let state = source.governance
        if case .failure(let refusal) = Authentication.authorize(
            credentials: request.credentials, requiredRoles: RouteRoles.enforcers, routeName: Self.routeName, state: state)
        {
            sink.send(refusal.response)
            return
        }
        guard subscribers.count < limits.maximumSubscribers else {
            let problem = Problem(status: 503, code: "feed_full", detail: "this node serves \(limits.maximumSubscribers) subscribers; try another")
            sink.send(problem.response(revision: state.appliedRevision, headers: [("Retry-After", "1")]))
            return
        }
        let mode: FeedSubscriber.Mode = request.serverSentEvents
            ? .stream : .longPoll(deadlineMilliseconds: nowMilliseconds + Int64(request.waitSeconds ?? 0) * 1_000)
        let subscriber = FeedSubscriber(
            id: nextSubscriberID, sink: sink, onlyRevocations: request.onlyRevocations, mode: mode,
            cursor: request.since ?? 0, phase: request.since == nil ? .needsSnapshot(reset: false) : .catchingUp,
            nowMilliseconds: nowMilliseconds)
        nextSubscriberID += 1
        subscribers[subscriber.id] = subscriber
        if mode == .stream {
            sink.startStream(FeedRendering.streamHead)
            subscriber.enqueue(FeedRendering.prelude, pieceBytes: limits.pieceBytes)
        }
        // A long poll without `wait` answers at once, with or without events.
        service(subscriber, source: source, nowMilliseconds: nowMilliseconds, deadlinePassed: (request.waitSeconds ?? 0) == 0)
    }

    // MARK: Publish

    /// Hands out what one `process()` applied (`output.feed`, in revision order); call it after
    /// every `process()`, with `output.snapshotInstalled` (every stream then restarts from a
    /// snapshot, since the ring may skip what the snapshot covered).
    public func publish(_ items: [FeedItem], snapshotInstalled: Bool, source: any FeedSource, nowMilliseconds: Int64) {
        let applied = source.appliedRevision
        publishedRevision = applied
        var rendered: [Bool: [UInt8]] = [:]
        for subscriber in Array(subscribers.values) {
            if snapshotInstalled, subscriber.mode == .stream { subscriber.phase = .needsSnapshot(reset: true) }
            if subscriber.mode == .stream, subscriber.phase == .live {
                if let first = items.first, first.revision <= subscriber.cursor {
                    let fresh = items.filter { $0.revision > subscriber.cursor }
                    subscriber.enqueue(FeedRendering.serverSentEvents(fresh, onlyRevocations: subscriber.onlyRevocations), pieceBytes: limits.pieceBytes)
                } else if !items.isEmpty {
                    let key = subscriber.onlyRevocations
                    let bytes = rendered[key] ?? FeedRendering.serverSentEvents(items, onlyRevocations: key)
                    rendered[key] = bytes
                    subscriber.enqueue(bytes, pieceBytes: limits.pieceBytes)
                }
                subscriber.cursor = max(subscriber.cursor, applied)
            }
            service(subscriber, source: source, nowMilliseconds: nowMilliseconds, deadlinePassed: false)
        }
    }

    // MARK: Tick

    /// Heartbeats (every `heartbeatIntervalMilliseconds`, only while `view` names a leader),
    /// catch-up paging, long-poll deadlines and departed clients. Call it at least every 50 ms.
    public func tick(view: FeedClusterView, source: any FeedSource, nowMilliseconds: Int64) {
        var heartbeat: [UInt8]?
        if view.leader != nil, nowMilliseconds - (lastHeartbeatMilliseconds ?? .min / 2) >= limits.heartbeatIntervalMilliseconds {
            lastHeartbeatMilliseconds = nowMilliseconds
            let data = FeedRendering.heartbeatData(
                commit: publishedRevision, view: view, leaseMilliseconds: source.governance.settings.enforcerLeaseMilliseconds)
            heartbeat = FeedRendering.serverSentEvent(id: nil, type: FeedRendering.heartbeatType, data: data)
        }
        for subscriber in Array(subscribers.values) {
            if subscriber.sink.isClientGone {
                remove(subscriber)
                continue
            }
            if let heartbeat, subscriber.mode == .stream, subscriber.phase == .live {
                subscriber.enqueue(heartbeat, pieceBytes: limits.pieceBytes)
            }
            var deadlinePassed = false
            if case .longPoll(let deadline) = subscriber.mode { deadlinePassed = nowMilliseconds >= deadline }
            service(subscriber, source: source, nowMilliseconds: nowMilliseconds, deadlinePassed: deadlinePassed)
        }
    }

    // MARK: Serving one subscriber

    private func service(_ subscriber: FeedSubscriber, source: any FeedSource, nowMilliseconds: Int64, deadlinePassed: Bool) {
        switch subscriber.mode {
        case .longPoll:
            answerPoll(subscriber, source: source, force: deadlinePassed)
        case .stream:
            catchUp(subscriber, source: source)
            subscriber.flush(nowMilliseconds: nowMilliseconds)
            let behind = subscriber.phase == .live && subscriber.pendingBytes > limits.liveBacklogBytes
            let stalled = subscriber.pendingBytes > 0 && nowMilliseconds - subscriber.lastProgressMilliseconds > limits.stallMilliseconds
            if behind || stalled { disconnectLagging(subscriber) }
        }
    }

    /// Queues snapshot and ring pages until the subscriber is live or has enough waiting.
    private func catchUp(_ subscriber: FeedSubscriber, source: any FeedSource) {
        var pages = 0
        while subscriber.phase != .live, subscriber.pendingBytes < limits.catchUpHighWaterBytes, pages < limits.pagesPerService {
            pages += 1
            switch subscriber.phase {
            case .needsSnapshot(let reset):
                var bytes: [UInt8] = []
                if reset { bytes = FeedRendering.serverSentEvent(id: nil, type: FeedRendering.resetType, data: FeedRendering.resetData) }
                let revision = source.appliedRevision
                bytes += FeedRendering.serverSentEvent(
                    id: revision, type: FeedRendering.snapshotType, data: FeedRendering.snapshotData(source.governance, revision: revision))
                subscriber.enqueue(bytes, pieceBytes: limits.pieceBytes)
                subscriber.cursor = revision
                subscriber.phase = .catchingUp
            case .catchingUp:
                switch page(after: subscriber.cursor, source: source) {
                case .reset:
                    subscriber.phase = .needsSnapshot(reset: true)
                case .items(let items, let complete):
                    let bytes = FeedRendering.serverSentEvents(items, onlyRevocations: subscriber.onlyRevocations)
                    subscriber.enqueue(bytes, pieceBytes: limits.pieceBytes)
                    subscriber.cursor = complete ? max(subscriber.cursor, source.appliedRevision) : items.last?.revision ?? subscriber.cursor
                    if complete { subscriber.phase = .live }
                }
            case .live:
                break
            }
        }
    }

    /// One page of the ring after `revision`, cut on a revision boundary.
    enum Page {
        case reset
        case items([FeedItem], complete: Bool)
    }

    /// Most events one revision can publish (a deleted agent with every connection it had):
    /// read at once when a single revision fills a page.
    static let maximumEventsPerRevision = 1 << 17

    func page(after revision: UInt64, source: any FeedSource) -> Page {
        guard case .events(let items) = source.events(after: revision, limit: limits.pageEvents) else { return .reset }
        guard items.count >= limits.pageEvents, let last = items.last?.revision else { return .items(items, complete: true) }
        let whole = items.prefix { $0.revision != last }
        if !whole.isEmpty { return .items(Array(whole), complete: false) }
        guard case .events(let wider) = source.events(after: revision, limit: Self.maximumEventsPerRevision) else { return .reset }
        let group = wider.prefix { $0.revision == last }
        return .items(Array(group), complete: group.count == wider.count)
    }

    /// Answers a long poll when it has events, or with none when its deadline has passed.
    private func answerPoll(_ subscriber: FeedSubscriber, source: any FeedSource, force: Bool) {
        var events: [JSONValue] = []
        var revision = subscriber.cursor
        var phase = subscriber.phase
        if phase == .catchingUp || phase == .live {
            switch page(after: subscriber.cursor, source: source) {
            case .reset: phase = .needsSnapshot(reset: true)
            case .items(let items, let complete):
                for item in items where !subscriber.onlyRevocations || item.event.isRevocation {
                    events.append(FeedRendering.pollEvent(id: item.revision, type: item.event.type, data: FeedRendering.data(item)))
                }
                revision = complete ? max(subscriber.cursor, source.appliedRevision) : items.last?.revision ?? revision
            }
        }
        if case .needsSnapshot(let reset) = phase {
            revision = source.appliedRevision
            if reset { events.append(FeedRendering.pollEvent(id: nil, type: FeedRendering.resetType, data: FeedRendering.resetData)) }
            events.append(FeedRendering.pollEvent(
                id: revision, type: FeedRendering.snapshotType, data: FeedRendering.snapshotData(source.governance, revision: revision)))
        }
        guard !events.isEmpty || force else { return }
        let members: [String: JSONValue] = ["events": .array(events), "revision": .integer(Int64(clamping: revision))]
        subscriber.sink.send(APIResponses.json(200, members, revision: source.appliedRevision))
        subscribers[subscriber.id] = nil
    }

    // MARK: Ending subscriptions

    private func disconnectLagging(_ subscriber: FeedSubscriber) {
        let onBoundary = !subscriber.isMidEvent
        subscriber.discardOutbox()
        if onBoundary {
            _ = subscriber.sink.write(FeedRendering.serverSentEvent(id: nil, type: FeedRendering.laggingType, data: FeedRendering.laggingData))
        }
        laggingDisconnects += 1
        remove(subscriber)
    }

    private func remove(_ subscriber: FeedSubscriber) {
        subscribers[subscriber.id] = nil
        if subscriber.mode == .stream { subscriber.sink.finish() }
    }
}
