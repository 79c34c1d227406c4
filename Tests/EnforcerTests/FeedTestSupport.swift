import Authorization
import Crypto
import Enforcer
import Governance
import HTTP
import JSON
import Replica
@testable import Server

// MARK: - A sink that records

/// Records what the hub writes; accepts at most `capacity` unread bytes, like the responder's bound.
final class RecordingSink: FeedSink {
    var capacity: Int
    var queued = 0
    var received: [UInt8] = []
    var responses: [HTTPResponse] = []
    var streamHead: HTTPResponseHead?
    var finished = false
    var isClientGone = false

    init(capacity: Int = 1 << 20) { self.capacity = capacity }

    func send(_ response: HTTPResponse) { responses.append(response) }
    func startStream(_ head: HTTPResponseHead) { streamHead = head }
    func write(_ chunk: [UInt8]) -> Bool {
        guard !isClientGone, !finished, queued + chunk.count <= capacity else { return false }
        queued += chunk.count
        received += chunk
        return true
    }
    func finish() { finished = true }
    /// The client read everything queued.
    func drain() { queued = 0 }

    /// Every event received so far.
    func events() throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        return try parser.append(received)
    }

    /// The long-poll answer's JSON.
    func pollBody() throws -> JSONValue { try JSONParser.parse(responses[0].body) }
}

// MARK: - A ring that is a list

/// A replica stand-in: a state, a list of feed items, a horizon and an applied revision.
final class ListSource: FeedSource {
    var governance: GovernanceState
    var items: [FeedItem] = []
    var horizon: UInt64 = 0
    var appliedRevision: UInt64 = 0

    init(governance: GovernanceState) { self.governance = governance }

    func events(after revision: UInt64, limit: Int) -> FeedRead {
        guard revision >= horizon else { return .resetNeeded(horizon: horizon) }
        return .events(Array(items.filter { $0.revision > revision }.prefix(limit)))
    }

    /// Appends events at a new revision and returns them (what `process()` reports).
    @discardableResult
    func apply(_ events: [FeedEvent], at revision: UInt64) -> [FeedItem] {
        let added = events.map { FeedItem(revision: revision, event: $0) }
        items += added
        appliedRevision = revision
        return added
    }
}

// MARK: - Fixtures

enum FeedFixtures {
    static let now: Int64 = 1_800_000_000_000

    /// A state holding one enforcer key and one reader key; returns it with their credentials.
    static func state() -> (GovernanceState, enforcer: APICredentials, reader: APICredentials) {
        var state = GovernanceState()
        var counter: UInt8 = 0
        let (enforcerKey, enforcerPlain) = APIKeys.generate(name: "edge", role: .enforcer) { count in
            counter &+= 1
            return [UInt8](repeating: counter, count: count)
        }
        let (readerKey, readerPlain) = APIKeys.generate(name: "reader", role: .reader) { count in
            counter &+= 1
            return [UInt8](repeating: counter, count: count)
        }
        _ = state.apply(LogEntryPayload(timestampMilliseconds: now, actor: .system, command: .createAPIKey(enforcerKey)), revision: 1)
        _ = state.apply(LogEntryPayload(timestampMilliseconds: now, actor: .system, command: .createAPIKey(readerKey)), revision: 2)
        return (state, Authentication.parseBearer("Bearer " + enforcerPlain)!, Authentication.parseBearer("Bearer " + readerPlain)!)
    }

    static func request(
        _ credentials: APICredentials, since: UInt64? = nil, wait: Int? = nil, sse: Bool = true, onlyRevocations: Bool = false
    ) -> FeedRequest {
        FeedRequest(credentials: credentials, since: since, waitSeconds: wait, serverSentEvents: sse, onlyRevocations: onlyRevocations)
    }

    static func kill(_ agent: String, at revision: UInt64) -> FeedEvent {
        .kill(agentID: agent, revision: revision, reason: "test", initiator: "system")
    }

    static func agent(_ id: String, at revision: UInt64) -> FeedEvent {
        .agent(Agent(id: id, name: id, owner: "anne", kind: .agent, scopes: ["document:*"], attributes: [:], secretHash: [],
                     riskUpdatedAtMilliseconds: now, validAfter: revision, createdRevision: revision, updatedRevision: revision))
    }
}

// MARK: - A whole cluster in one value, feeding a hub

/// A governance state that applies commands and publishes their feed events through a hub, as
/// the node runtime would.
final class FakeCluster {
    static let model = """
        {"schema_version":"1.1","type_definitions":[
          {"type":"user"},
          {"type":"document","relations":{"viewer":{"this":{}}},
           "metadata":{"relations":{"viewer":{"directly_related_user_types":[{"type":"user"}]}}}}
        ]}
        """

    var state: GovernanceState
    let source: ListSource
    let hub = FeedHub()
    let enforcer: APICredentials
    var revision: UInt64 = 2
    var now = FeedFixtures.now

    init() {
        let (state, enforcer, _) = FeedFixtures.state()
        self.state = state
        self.enforcer = enforcer
        source = ListSource(governance: state)
        source.appliedRevision = 2
    }

    /// Applies one command as the next entry and publishes what it changed.
    @discardableResult
    func apply(_ command: Command) -> ApplyOutcome {
        revision += 1
        let outcome = state.apply(LogEntryPayload(timestampMilliseconds: now, actor: .system, command: command), revision: revision)
        source.governance = state
        hub.publish(source.apply(outcome.feedEvents, at: revision), snapshotInstalled: false, source: source, nowMilliseconds: now)
        return outcome
    }

    /// A model, agents `bot` and `helper`, and anne viewing document:1.
    func populate() {
        apply(.writeModel(json: Array(Self.model.utf8)))
        for id in ["bot", "helper"] {
            apply(.registerAgent(AgentRegistration(
                id: id, name: id, owner: "anne", kind: .agent, scopes: ["document:*"], attributes: [:], secretHash: [1])))
        }
        apply(.writeTuples(writes: [RelationshipTuple(user: "user:anne", relation: "viewer", object: "document:1", condition: nil)], deletes: []))
    }

    func heartbeat(leader: String? = "1", at milliseconds: Int64) {
        hub.tick(view: FeedClusterView(leader: leader, term: 1), source: source, nowMilliseconds: milliseconds)
    }
}

/// Feeds what a sink received into an `EdgeState`, incrementally.
struct EdgeFollower {
    var state = EdgeState()
    var parser = ServerSentEventParser()
    var consumed = 0

    mutating func catchUp(_ sink: RecordingSink, nowMilliseconds: Int64) throws {
        let fresh = sink.received[consumed...]
        consumed = sink.received.count
        for event in try parser.append(fresh) { try state.receive(event, nowMilliseconds: nowMilliseconds) }
    }
}
