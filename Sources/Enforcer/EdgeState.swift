import Crypto
import Governance
import JSON
import Tokens

// MARK: - Errors

/// A feed event the enforcer could not use; the shell drops the connection and resumes elsewhere.
public struct EdgeFeedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public let message: String

    /// A one-line explanation.
    public var description: String { "feed refused: \(message)" }
}

// MARK: - The enforcer's replica and freshness lease

/// The enforcer's read-only replica of the decision state, fed by feed events, and its
/// **freshness lease**: it may decide only while it has heard, within the lease, a heartbeat
/// whose commit it has applied. Pure: time is passed in (the shell's monotonic milliseconds);
/// only elapsed time on this one clock matters, never the cluster's wall clock.
public struct EdgeState: Sendable {
    /// The lease when neither settings nor heartbeats say otherwise (API.md `enforcer_lease_ms`).
    public static let defaultLeaseMilliseconds: Int64 = 500

    /// The replicated decision state; nil until the first snapshot.
    public private(set) var governance: GovernanceState?
    /// The cluster's public signing keys, rebuilt when the key table changes.
    public private(set) var keyRing = KeyRing()
    /// The revision to resume after (`Last-Event-ID`): every event at or below it is applied.
    public private(set) var resumeRevision: UInt64?
    /// The commit of the last heartbeat.
    public private(set) var heartbeatCommit: UInt64 = 0
    /// When (shell clock) the last heartbeat was heard.
    public private(set) var heartbeatMilliseconds: Int64?
    /// The lease the last heartbeat announced.
    public private(set) var heartbeatLeaseMilliseconds: Int64 = defaultLeaseMilliseconds
    /// The leader the last heartbeat named.
    public private(set) var leader: String?
    /// Events of a revision whose last event (the one carrying the id) has not arrived yet.
    private var pending: [FeedEvent] = []
    private var pendingRevision: UInt64 = 0

    /// An enforcer that has heard nothing yet (it fails closed).
    public init() {}

    /// The revision the replica has applied (0 before the first snapshot).
    public var appliedRevision: UInt64 { governance?.appliedRevision ?? 0 }

    /// The lease in force: the shorter of the replicated setting and the heartbeat's.
    public var leaseMilliseconds: Int64 {
        min(governance?.settings.enforcerLeaseMilliseconds ?? Self.defaultLeaseMilliseconds, heartbeatLeaseMilliseconds)
    }

    /// Until when (shell clock) decisions may be made; nil: not fresh at all.
    public var leaseValidUntilMilliseconds: Int64? {
        guard governance != nil, let heard = heartbeatMilliseconds, appliedRevision >= heartbeatCommit else { return nil }
        return heard + leaseMilliseconds
    }

    /// Whether the enforcer may decide at `nowMilliseconds` (else it fails closed).
    public func isFresh(nowMilliseconds: Int64) -> Bool {
        guard let until = leaseValidUntilMilliseconds else { return false }
        return nowMilliseconds < until
    }

    // MARK: Feed events

    /// Applies one parsed SSE event heard at `nowMilliseconds`.
    public mutating func receive(_ event: ServerSentEvent, nowMilliseconds: Int64) throws(EdgeFeedError) {
        switch event.type {
        case "snapshot": try receiveSnapshot(event)
        case "reset": pending = []
        case "heartbeat": try receiveHeartbeat(event, nowMilliseconds: nowMilliseconds)
        case "lagging": break
        default: try receiveChange(event)
        }
    }

    /// The connection ended: a revision seen only in part will be sent again after the resume point.
    public mutating func connectionLost() {
        pending = []
    }

    private mutating func receiveSnapshot(_ event: ServerSentEvent) throws(EdgeFeedError) {
        let data = try Self.object(event.data)
        guard let id = event.id.flatMap(UInt64.init), let text = data["state"]?.stringValue, let bytes = Base64URL.decode(text) else {
            throw EdgeFeedError(message: "snapshot without id or state")
        }
        var restored: GovernanceState
        do {
            restored = try GovernanceState.restore(bytes)
        } catch {
            throw EdgeFeedError(message: error.description)
        }
        restored.advanceFeedRevision(to: id)
        governance = restored
        keyRing = KeyRing(state: restored)
        resumeRevision = id
        pending = []
    }

    private mutating func receiveHeartbeat(_ event: ServerSentEvent, nowMilliseconds: Int64) throws(EdgeFeedError) {
        let data = try Self.object(event.data)
        guard let commit = data["commit"]?.integerValue, commit >= 0, let lease = data["lease_ms"]?.integerValue, lease > 0 else {
            throw EdgeFeedError(message: "heartbeat without commit or lease_ms")
        }
        // Every event at or below `commit` was sent before this heartbeat (feed-api.md).
        guard var state = governance, pending.isEmpty else { return }
        state.advanceFeedRevision(to: UInt64(commit))
        governance = state
        resumeRevision = max(resumeRevision ?? 0, UInt64(commit))
        heartbeatCommit = UInt64(commit)
        heartbeatMilliseconds = nowMilliseconds
        heartbeatLeaseMilliseconds = lease
        leader = data["leader"]?.stringValue
    }

    private mutating func receiveChange(_ event: ServerSentEvent) throws(EdgeFeedError) {
        let data = try Self.object(event.data)
        guard let revisionValue = data["revision"]?.integerValue, revisionValue > 0, let text = data["event"]?.stringValue,
            let bytes = Base64URL.decode(text)
        else { throw EdgeFeedError(message: "\(event.type) event without revision or event") }
        let revision = UInt64(revisionValue)
        guard var state = governance else { throw EdgeFeedError(message: "\(event.type) event before any snapshot") }
        guard revision > (resumeRevision ?? 0) else { return }
        let change: FeedEvent
        do {
            change = try FeedEvent.decode(bytes)
        } catch {
            throw EdgeFeedError(message: error.description)
        }
        if !pending.isEmpty && pendingRevision != revision { throw EdgeFeedError(message: "revision \(pendingRevision) left unfinished") }
        pending.append(change)
        pendingRevision = revision
        guard event.id != nil else { return }
        var keysChanged = false
        for item in pending {
            do {
                try state.applyFeedEvent(item, revision: revision)
            } catch {
                throw EdgeFeedError(message: error.description)
            }
            if case .signingKey = item { keysChanged = true }
        }
        pending = []
        governance = state
        if keysChanged { keyRing = KeyRing(state: state) }
        resumeRevision = revision
    }

    private static func object(_ text: String) throws(EdgeFeedError) -> JSONValue {
        guard let value = try? JSONParser.parse(Array(text.utf8)), value.objectValue != nil else {
            throw EdgeFeedError(message: "data is not a JSON object")
        }
        return value
    }
}
