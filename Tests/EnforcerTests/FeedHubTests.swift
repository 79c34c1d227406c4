import Crypto
import Enforcer
import Governance
import HTTP
import JSON
import Replica
import Testing
@testable import Server

// MARK: - Helpers

/// The revisions of the state events (not snapshot/heartbeat/reset) in order, one per event.
private func stateRevisions(_ events: [ServerSentEvent]) throws -> [UInt64] {
    try events.filter { !["snapshot", "heartbeat", "reset", "lagging"].contains($0.type) }.map { event in
        let data = try JSONParser.parse(Array(event.data.utf8))
        return UInt64(data["revision"]!.integerValue!)
    }
}

private func hubWithSource() -> (FeedHub, ListSource, enforcer: APICredentials, reader: APICredentials) {
    let (state, enforcer, reader) = FeedFixtures.state()
    let source = ListSource(governance: state)
    source.appliedRevision = 2
    return (FeedHub(), source, enforcer, reader)
}

// MARK: - Tests

@Suite("the feed hub: rendering, resume, slow subscribers, long poll")
struct FeedHubTests {
    let now = FeedFixtures.now

    @Test("a fresh subscriber gets a snapshot, then live events, then heartbeats carrying the published commit")
    func snapshotThenLive() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        let sink = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer), sink: sink, source: source, nowMilliseconds: now)
        #expect(sink.streamHead?.headers["Content-Type"] == "text/event-stream")
        let items = source.apply([FeedFixtures.agent("a1", at: 3)], at: 3)
        hub.publish(items, snapshotInstalled: false, source: source, nowMilliseconds: now)
        hub.tick(view: FeedClusterView(leader: "1", term: 4), source: source, nowMilliseconds: now + 60)
        let events = try sink.events()
        #expect(events.map(\.type) == ["snapshot", "agent", "heartbeat"])
        #expect(events[0].id == "2" && events[1].id == "3" && events[2].id == nil)
        let snapshot = try JSONParser.parse(Array(events[0].data.utf8))
        let restored = try GovernanceState.restore(Base64URL.decode(snapshot["state"]!.stringValue!)!)
        #expect(restored.apiKeys.isEmpty && restored.appliedRevision == 2)
        let heartbeat = try JSONParser.parse(Array(events[2].data.utf8))
        #expect(heartbeat["commit"]?.integerValue == 3 && heartbeat["leader"]?.stringValue == "1")
        #expect(heartbeat["term"]?.integerValue == 4 && heartbeat["lease_ms"]?.integerValue == 500)
        let agentData = try JSONParser.parse(Array(events[1].data.utf8))
        #expect(try FeedEvent.decode(Base64URL.decode(agentData["event"]!.stringValue!)!) == items[0].event)
    }

    @Test("resuming with since gets every later event once, even when it subscribes between process() and publish()")
    func resumeNoGapNoDuplicate() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        for revision in UInt64(3)...10 { hub.publish(source.apply([FeedFixtures.agent("a\(revision)", at: revision)], at: revision), snapshotInstalled: false, source: source, nowMilliseconds: now) }
        let pending = source.apply([FeedFixtures.kill("a3", at: 11), FeedFixtures.agent("a3", at: 11)], at: 11)
        let sink = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 6), sink: sink, source: source, nowMilliseconds: now)
        hub.publish(pending, snapshotInstalled: false, source: source, nowMilliseconds: now)
        hub.publish(source.apply([FeedFixtures.agent("b", at: 12)], at: 12), snapshotInstalled: false, source: source, nowMilliseconds: now)
        let events = try sink.events()
        #expect(try stateRevisions(events) == [7, 8, 9, 10, 11, 11, 12])
        #expect(events.first { $0.type == "kill" }?.id == nil, "only the last event of a revision carries its id")
        #expect(events.filter { $0.id == "11" }.count == 1)
    }

    @Test("a resume point older than the ring's horizon gets reset, then a fresh snapshot, then live events")
    func resetBelowHorizon() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        for revision in UInt64(3)...20 { source.apply([FeedFixtures.agent("a", at: revision)], at: revision) }
        source.horizon = 15
        let sink = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 4), sink: sink, source: source, nowMilliseconds: now)
        hub.publish(source.apply([FeedFixtures.kill("a", at: 21)], at: 21), snapshotInstalled: false, source: source, nowMilliseconds: now)
        let events = try sink.events()
        #expect(events.map(\.type) == ["reset", "snapshot", "kill"])
        #expect(events[1].id == "20" && events[2].id == "21")
    }

    @Test("a follower that installed a leader snapshot restarts every stream from a snapshot")
    func snapshotInstalledRestarts() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        let sink = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 2), sink: sink, source: source, nowMilliseconds: now)
        source.appliedRevision = 40
        hub.publish([], snapshotInstalled: true, source: source, nowMilliseconds: now)
        #expect(try sink.events().map(\.type) == ["reset", "snapshot"])
    }

    @Test("only=revocations keeps kills, reinstatements and revoked tokens")
    func onlyRevocations() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        let sink = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 2, onlyRevocations: true), sink: sink, source: source, nowMilliseconds: now)
        hub.publish(source.apply([FeedFixtures.kill("a", at: 3), FeedFixtures.agent("a", at: 3)], at: 3), snapshotInstalled: false, source: source, nowMilliseconds: now)
        hub.publish(source.apply([.tokenRevoked(jti: "j", expiresAtMilliseconds: now), .settings(.defaults)], at: 4), snapshotInstalled: false, source: source, nowMilliseconds: now)
        let events = try sink.events()
        #expect(events.map(\.type) == ["kill", "token_revoked"])
        #expect(events.map(\.id) == ["3", "4"])
    }

    @Test("a slow subscriber gets a final lagging event and is disconnected; the others keep every event")
    func slowSubscriberDisconnected() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        let slow = RecordingSink(capacity: 600 * 1_024), fast = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 2), sink: slow, source: source, nowMilliseconds: now)
        hub.subscribe(FeedFixtures.request(enforcer, since: 2), sink: fast, source: source, nowMilliseconds: now)
        var revision: UInt64 = 2
        while !slow.finished && revision < 5_000 {
            revision += 1
            let events = (0..<20).map { FeedFixtures.agent("agent-\($0)", at: revision) }
            hub.publish(source.apply(events, at: revision), snapshotInstalled: false, source: source, nowMilliseconds: now)
            fast.drain()
        }
        #expect(slow.finished && hub.laggingDisconnects == 1 && hub.subscriberCount == 1)
        #expect(try slow.events().last?.type == "lagging")
        #expect(try stateRevisions(fast.events()).count == Int(revision - 2) * 20)
        let resumeFrom = UInt64(try slow.events().last { $0.id != nil }!.id!)!
        let resumed = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: resumeFrom), sink: resumed, source: source, nowMilliseconds: now)
        for _ in 0..<200 where hub.subscriberCount > 0 {
            resumed.drain()
            hub.tick(view: FeedClusterView(leader: nil, term: 1), source: source, nowMilliseconds: now)
        }
        let delivered = try stateRevisions(slow.events()) + stateRevisions(resumed.events())
        #expect(delivered == (3...revision).flatMap { Array(repeating: $0, count: 20) })
    }

    @Test("heartbeats go out at least every 100 ms while a leader is known, and stop without one")
    func heartbeatCadence() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        let sink = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 2), sink: sink, source: source, nowMilliseconds: now)
        for step in 0..<20 { hub.tick(view: FeedClusterView(leader: "1", term: 1), source: source, nowMilliseconds: now + Int64(step) * 25) }
        #expect(try sink.events().filter { $0.type == "heartbeat" }.count == 10)
        for step in 20..<40 { hub.tick(view: FeedClusterView(leader: nil, term: 2), source: source, nowMilliseconds: now + Int64(step) * 25) }
        #expect(try sink.events().filter { $0.type == "heartbeat" }.count == 10)
    }

    @Test("long poll answers at once with pending events, else on the next publish, else empty at its deadline")
    func longPoll() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        source.apply([FeedFixtures.kill("a", at: 3)], at: 3)
        let immediate = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 2, wait: 30, sse: false), sink: immediate, source: source, nowMilliseconds: now)
        #expect(try immediate.pollBody()["revision"]?.integerValue == 3)
        #expect(try immediate.pollBody()["events"]?.arrayValue?.first?["type"]?.stringValue == "kill")
        let waiting = RecordingSink(), timing = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 3, wait: 30, sse: false), sink: waiting, source: source, nowMilliseconds: now)
        hub.subscribe(FeedFixtures.request(enforcer, since: 3, wait: 1, sse: false, onlyRevocations: true), sink: timing, source: source, nowMilliseconds: now)
        #expect(waiting.responses.isEmpty && timing.responses.isEmpty)
        hub.publish(source.apply([FeedFixtures.agent("b", at: 4)], at: 4), snapshotInstalled: false, source: source, nowMilliseconds: now)
        #expect(try waiting.pollBody()["revision"]?.integerValue == 4 && timing.responses.isEmpty)
        hub.tick(view: FeedClusterView(leader: "1", term: 1), source: source, nowMilliseconds: now + 1_000)
        #expect(try timing.pollBody()["events"]?.arrayValue?.isEmpty == true)
        #expect(try timing.pollBody()["revision"]?.integerValue == 4 && hub.subscriberCount == 0)
    }

    @Test("a long poll without wait answers at once, even with nothing new; without since it gets a snapshot")
    func longPollWithoutWait() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        let empty = RecordingSink(), fresh = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 2, sse: false), sink: empty, source: source, nowMilliseconds: now)
        hub.subscribe(FeedFixtures.request(enforcer, sse: false), sink: fresh, source: source, nowMilliseconds: now)
        #expect(try empty.pollBody()["events"]?.arrayValue?.isEmpty == true && empty.pollBody()["revision"]?.integerValue == 2)
        #expect(try fresh.pollBody()["events"]?.arrayValue?.first?["type"]?.stringValue == "snapshot")
        #expect(hub.subscriberCount == 0)
    }

    @Test("a key without the enforcer role is refused with 403, a wrong secret with 401")
    func refusals() throws {
        let (hub, source, enforcer, reader) = hubWithSource()
        let forbidden = RecordingSink(), unknown = RecordingSink()
        hub.subscribe(FeedFixtures.request(reader), sink: forbidden, source: source, nowMilliseconds: now)
        hub.subscribe(FeedFixtures.request(APICredentials(keyID: enforcer.keyID, secret: "wrong")), sink: unknown, source: source, nowMilliseconds: now)
        #expect(forbidden.responses.first?.head.status == 403 && unknown.responses.first?.head.status == 401)
        #expect(hub.subscriberCount == 0)
    }

    @Test("a thousand subscribers each receive every event of a publish; departed clients are dropped")
    func thousandSubscribers() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        let sinks = (0..<1_000).map { _ in RecordingSink() }
        for sink in sinks { hub.subscribe(FeedFixtures.request(enforcer, since: 2), sink: sink, source: source, nowMilliseconds: now) }
        hub.publish(source.apply([FeedFixtures.kill("a", at: 3)], at: 3), snapshotInstalled: false, source: source, nowMilliseconds: now)
        #expect(try sinks.allSatisfy { try $0.events().map(\.id) == ["3"] })
        for sink in sinks.prefix(400) { sink.isClientGone = true }
        hub.tick(view: FeedClusterView(leader: "1", term: 1), source: source, nowMilliseconds: now)
        #expect(hub.subscriberCount == 600)
    }

    @Test("catching up a backlog larger than a page pages through the ring and never splits a revision")
    func pagedCatchUp() throws {
        let (hub, source, enforcer, _) = hubWithSource()
        for revision in UInt64(3)...1_000 { source.apply((0..<3).map { FeedFixtures.agent("a\($0)", at: revision) }, at: revision) }
        let page = hub.page(after: 2, source: source)
        guard case .items(let items, let complete) = page else { Issue.record("expected items"); return }
        #expect(!complete && items.count == 1_023 && items.last?.revision == 343)
        let sink = RecordingSink()
        hub.subscribe(FeedFixtures.request(enforcer, since: 2), sink: sink, source: source, nowMilliseconds: now)
        for step in 0..<100 {
            sink.drain()
            hub.tick(view: FeedClusterView(leader: "1", term: 1), source: source, nowMilliseconds: now + Int64(step) * 50)
        }
        #expect(try stateRevisions(sink.events()) == (3...1_000).flatMap { Array(repeating: UInt64($0), count: 3) })
        #expect(try sink.events().last?.type == "heartbeat")
    }
}

@Suite("Server-Sent Events parsing")
struct ServerSentEventParserTests {
    @Test("events split at every byte boundary parse the same; CRLF, CR, comments and multi-line data")
    func splits() throws {
        let text = "retry: 500\n\n: comment\r\nid: 7\r\nevent: kill\r\ndata: {\"a\":1}\r\ndata: two\r\n\r\nevent: heartbeat\rdata: x\r\rdata:y\n\n"
        let expected = [
            ServerSentEvent(id: "7", type: "kill", data: "{\"a\":1}\ntwo"), ServerSentEvent(id: nil, type: "heartbeat", data: "x"),
            ServerSentEvent(id: nil, type: "message", data: "y"),
        ]
        let bytes = Array(text.utf8)
        for split in 0...bytes.count {
            var parser = ServerSentEventParser()
            let events = try parser.append(bytes[..<split]) + parser.append(bytes[split...])
            #expect(events == expected)
            #expect(parser.lastEventID == "7")
        }
    }

    @Test("an event beyond the bound is an error, not unbounded memory")
    func bounded() {
        var parser = ServerSentEventParser(maximumEventBytes: 100)
        #expect(throws: ServerSentEventError.self) { _ = try parser.append(Array(repeating: UInt8(ascii: "a"), count: 200)) }
    }
}
