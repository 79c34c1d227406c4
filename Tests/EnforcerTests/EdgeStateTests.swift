import Crypto
import Enforcer
import Governance
import HTTP
import JSON
import Replica
import Testing
@testable import Server

@Suite("the enforcer's replica and freshness lease")
struct EdgeStateTests {
    let request = DecisionRequest(agent: "bot", onBehalfOf: "user:anne", action: "viewer", resource: "document:1")

    @Test("an enforcer that has heard nothing is not fresh and has no state")
    func startsStale() {
        let state = EdgeState()
        #expect(!state.isFresh(nowMilliseconds: 0) && state.governance == nil && state.leaseValidUntilMilliseconds == nil)
    }

    @Test("snapshot + events from the hub decide like the cluster; a kill is denied as soon as it is applied")
    func followsCluster() throws {
        let cluster = FakeCluster()
        let sink = RecordingSink()
        cluster.hub.subscribe(FeedFixtures.request(cluster.enforcer), sink: sink, source: cluster.source, nowMilliseconds: cluster.now)
        cluster.populate()
        var follower = EdgeFollower()
        try follower.catchUp(sink, nowMilliseconds: 0)
        #expect(follower.state.governance?.decide(request, nowMilliseconds: cluster.now) == cluster.state.decide(request, nowMilliseconds: cluster.now))
        #expect(cluster.state.decide(request, nowMilliseconds: cluster.now).allowed)
        cluster.apply(.killAgent(id: "bot", reason: "test"))
        try follower.catchUp(sink, nowMilliseconds: 0)
        #expect(follower.state.governance?.decide(request, nowMilliseconds: cluster.now).reasons == [.agentKilled("bot")])
        #expect(follower.state.resumeRevision == cluster.revision)
    }

    @Test("fresh only within the lease after a heartbeat whose commit is applied; stale after")
    func leaseExpiry() throws {
        let cluster = FakeCluster()
        let sink = RecordingSink()
        cluster.hub.subscribe(FeedFixtures.request(cluster.enforcer), sink: sink, source: cluster.source, nowMilliseconds: cluster.now)
        cluster.populate()
        var follower = EdgeFollower()
        try follower.catchUp(sink, nowMilliseconds: 1_000)
        #expect(!follower.state.isFresh(nowMilliseconds: 1_000), "no heartbeat yet")
        cluster.heartbeat(at: cluster.now)
        try follower.catchUp(sink, nowMilliseconds: 1_000)
        #expect(follower.state.isFresh(nowMilliseconds: 1_000) && follower.state.isFresh(nowMilliseconds: 1_499))
        #expect(!follower.state.isFresh(nowMilliseconds: 1_500), "500 ms default lease")
        #expect(follower.state.appliedRevision == cluster.revision)
        cluster.apply(.setSettings(Settings(enforcerLeaseMilliseconds: 200)))
        cluster.heartbeat(at: cluster.now + 100)
        try follower.catchUp(sink, nowMilliseconds: 2_000)
        #expect(follower.state.isFresh(nowMilliseconds: 2_199) && !follower.state.isFresh(nowMilliseconds: 2_200))
    }

    @Test("a local check fails closed with reason stale, and decides with the shared function when fresh")
    func checkStaleAndFresh() throws {
        let cluster = FakeCluster()
        let sink = RecordingSink()
        cluster.hub.subscribe(FeedFixtures.request(cluster.enforcer), sink: sink, source: cluster.source, nowMilliseconds: cluster.now)
        cluster.populate()
        cluster.heartbeat(at: cluster.now)
        var follower = EdgeFollower()
        try follower.catchUp(sink, nowMilliseconds: 10_000)
        let check = EdgeCheck.Check(agent: "bot", onBehalfOf: "user:anne", action: "viewer", resource: "document:1")
        let fresh = EdgeCheck.decide(check, state: follower.state, issuer: "warden", wallMilliseconds: cluster.now,
                                     monotonicMilliseconds: 10_100, decisionID: "d1")
        #expect(fresh.allowed && fresh.record.decisionID == "d1" && fresh.record.subject == "user:anne")
        let stale = EdgeCheck.decide(check, state: follower.state, issuer: "warden", wallMilliseconds: cluster.now,
                                     monotonicMilliseconds: 10_500, decisionID: "d2")
        #expect(!stale.allowed && stale.codes == ["stale"] && stale.members["reason"] == "stale")
        let refused = EdgeCheck.refusedForAudit(fresh)
        #expect(!refused.allowed && refused.codes == ["audit_buffer_full"] && !refused.record.allowed)
    }

    @Test("a heartbeat in the middle of a revision's events does not advance the replica")
    func heartbeatMidRevision() throws {
        var state = EdgeState()
        let snapshot = GovernanceState().feedSnapshot()
        try state.receive(ServerSentEvent(id: "5", type: "snapshot", data: "{\"state\":\"\(Base64URL.encode(snapshot))\"}"), nowMilliseconds: 0)
        let kill = FeedItem(revision: 7, event: .tokenRevoked(jti: "j", expiresAtMilliseconds: 9))
        let data = JSONWriter().string(FeedRendering.data(kill))
        try state.receive(ServerSentEvent(id: nil, type: "token_revoked", data: data), nowMilliseconds: 0)
        try state.receive(ServerSentEvent(id: nil, type: "heartbeat", data: "{\"commit\":7,\"lease_ms\":500}"), nowMilliseconds: 0)
        #expect(!state.isFresh(nowMilliseconds: 1) && state.appliedRevision == 5)
        try state.receive(ServerSentEvent(id: "7", type: "token_revoked", data: data), nowMilliseconds: 0)
        #expect(state.governance?.revokedTokens["j"] == 9 && state.appliedRevision == 7)
    }

    @Test("events before a snapshot and garbage data are refused")
    func refusals() {
        var state = EdgeState()
        let data = JSONWriter().string(FeedRendering.data(FeedItem(revision: 3, event: .agentDeleted(id: "a"))))
        #expect(throws: EdgeFeedError.self) { try state.receive(ServerSentEvent(id: "3", type: "agent", data: data), nowMilliseconds: 0) }
        #expect(throws: EdgeFeedError.self) { try state.receive(ServerSentEvent(id: "3", type: "snapshot", data: "nope"), nowMilliseconds: 0) }
        #expect(throws: EdgeFeedError.self) { try state.receive(ServerSentEvent(id: nil, type: "heartbeat", data: "{}"), nowMilliseconds: 0) }
    }
}
