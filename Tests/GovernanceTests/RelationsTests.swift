import Authorization
import Crypto
import Testing
@testable import Governance

@Suite("model and tuple writes")
struct RelationsTests {
    @Test("a model is stored canonically with id = hex SHA-256 of its canonical JSON")
    func modelID() throws {
        var harness = Harness()
        let outcome = harness.apply(.writeModel(json: Array(ModelFixtures.documents.utf8)))
        let canonical = try #require(harness.state.model?.canonicalJSON)
        let expected = SHA256.hash(canonical).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
        #expect(outcome.result == .model(modelID: expected))
        #expect(harness.state.modelID == expected)
        #expect(outcome.feedEvents == [.model(modelID: expected, canonicalJSON: canonical)])
    }

    @Test("an invalid model is refused with its path and leaves the old model")
    func invalidModel() {
        var harness = Harness()
        harness.apply(.writeModel(json: Array(ModelFixtures.documents.utf8)))
        let before = harness.state.modelID
        let broken = #"{"schema_version":"1.1","type_definitions":[{"type":"doc","relations":{"viewer":{"computedUserset":{"relation":"nope"}}}}]}"#
        let field = rejectedField(harness.result(.writeModel(json: Array(broken.utf8))))
        #expect(field?.hasPrefix("model.") == true)
        #expect(rejectedField(harness.result(.writeModel(json: Array("{not json".utf8)))) == "model")
        #expect(harness.state.modelID == before)
    }

    @Test("tuple contexts are stored in their declared parameter types")
    func normalizedContexts() throws {
        var harness = Harness()
        harness.apply(.writeModel(json: Array(ModelFixtures.invoices.utf8)))
        let written = RelationshipTuple(
            user: "user:anne", relation: "approver", object: "invoice:9",
            condition: TupleCondition(name: "within_limit", context: ["amount": .double(500)]))
        #expect(harness.result(.writeTuples(writes: [written], deletes: [])) == .tuples(written: 1, deleted: 0))
        let stored = try #require(harness.state.tuples.tuple(for: written.key))
        #expect(stored.condition?.context["amount"] == .int(500))
    }

    @Test("tuple writes are atomic: one bad tuple and nothing is written")
    func atomic() {
        var harness = Harness()
        #expect(rejectionCode(harness.result(.writeTuples(writes: [ModelFixtures.tuple("document:1", "viewer", "user:a")], deletes: []))) == "precondition_failed")
        harness.apply(.writeModel(json: Array(ModelFixtures.documents.utf8)))
        let good = ModelFixtures.tuple("document:1", "viewer", "user:a")
        let bad = ModelFixtures.tuple("document:1", "editor", "user:a")
        #expect(rejectedField(harness.result(.writeTuples(writes: [good, bad], deletes: [])))?.hasPrefix("writes[1]") == true)
        #expect(harness.state.tuples.count == 0)
        #expect(harness.result(.writeTuples(writes: [good], deletes: [])) == .tuples(written: 1, deleted: 0))
    }

    @Test("duplicates, existing writes, missing deletes and oversized writes are refused")
    func refusals() {
        var harness = Harness()
        harness.apply(.writeModel(json: Array(ModelFixtures.documents.utf8)))
        let one = ModelFixtures.tuple("document:1", "viewer", "user:a")
        harness.apply(.writeTuples(writes: [one], deletes: []))
        #expect(rejectionCode(harness.result(.writeTuples(writes: [one], deletes: []))) == "already_exists")
        #expect(rejectionCode(harness.result(.writeTuples(writes: [], deletes: [TupleKey(user: "user:z", relation: "viewer", object: "document:1")]))) == "not_found")
        #expect(rejectedField(harness.result(.writeTuples(writes: [], deletes: [one.key, one.key]))) == "deletes[1]")
        let many = (0...GovernanceLimits.maximumTuplesPerWrite).map { ModelFixtures.tuple("document:\($0)", "viewer", "user:a") }
        #expect(rejectedField(harness.result(.writeTuples(writes: many, deletes: []))) == "writes")
        #expect(rejectedField(harness.result(.writeTuples(writes: [], deletes: []))) == "writes")
        #expect(harness.state.tuples.count == 1)
        #expect(harness.result(.writeTuples(writes: [one], deletes: [one.key])) == .tuples(written: 1, deleted: 1))
    }
}

@Suite("token issuance at apply time")
struct TokenIssuanceTests {
    static func issue(_ harness: inout Harness, _ jti: String, chain: [String], subject: String = "user:anne",
                      scopes: [String] = ["invoice:*"], lifetime: Int64 = 60_000) -> CommandResult {
        harness.result(.tokenIssued(IssuedToken(jti: jti, subject: subject, chain: chain, scopes: scopes,
                                                expiresAtMilliseconds: harness.nowMilliseconds + lifetime)))
    }

    @Test("an issued token is recorded with its revision, audited with its chain and revocable")
    func recorded() {
        var harness = Harness()
        harness.register("a")
        harness.register("b")
        harness.connect("a", "b")
        let outcome = harness.apply(.tokenIssued(IssuedToken(jti: "j1", subject: "user:anne", chain: ["a", "b"],
                                                             scopes: ["invoice:read"], expiresAtMilliseconds: harness.nowMilliseconds + 1_000)))
        #expect(harness.state.issuedTokens["j1"]?.issuedRevision == outcome.revision)
        #expect(outcome.auditRecords.first?.chain == ["a", "b"])
        #expect(rejectionCode(Self.issue(&harness, "j1", chain: ["a"])) == "already_exists")
    }

    @Test("issuance is re-validated: killed member, missing connection, cut subject, scopes, expiry, cycles")
    func revalidated() {
        var harness = Harness()
        harness.register("a", scopes: ["invoice:read"])
        harness.register("b")
        harness.register("c")
        harness.connect("a", "b", scopes: ["invoice:read"])
        #expect(rejectionCode(Self.issue(&harness, "j", chain: ["a", "c"])) == "precondition_failed")
        #expect(rejectedField(Self.issue(&harness, "j", chain: ["a"], scopes: ["invoice:write"])) == "scopes")
        #expect(rejectedField(Self.issue(&harness, "j", chain: ["a", "b"], scopes: ["invoice:write"])) == "scopes")
        #expect(rejectedField(Self.issue(&harness, "j", chain: ["a"], scopes: ["invoice:read"], lifetime: 901_000)) == "expires_at")
        #expect(rejectedField(Self.issue(&harness, "j", chain: ["a"], scopes: ["invoice:read"], lifetime: 0)) == "expires_at")
        #expect(rejectedField(Self.issue(&harness, "j", chain: ["a", "b", "a"], scopes: ["invoice:read"])) == "chain")
        #expect(rejectedField(Self.issue(&harness, "j", chain: (0..<9).map { "x\($0)" }, scopes: ["invoice:read"])) == "chain")
        #expect(rejectedField(Self.issue(&harness, "j", chain: ["a"], subject: "anne", scopes: ["invoice:read"])) == "subject")
        harness.apply(.killUser(id: "anne", reason: ""))
        #expect(rejectionCode(Self.issue(&harness, "j", chain: ["a"], scopes: ["invoice:read"])) == "precondition_failed")
        harness.apply(.killAgent(id: "a", reason: ""))
        #expect(rejectionCode(Self.issue(&harness, "j", chain: ["a"], subject: "user:bob", scopes: ["invoice:read"])) == "precondition_failed")
        #expect(harness.state.issuedTokens.isEmpty)
    }

    @Test("expired token records are swept after the sweep interval, live ones kept")
    func sweep() {
        var harness = Harness()
        harness.register("a")
        _ = harness.issue("short", chain: ["a"], lifetimeMilliseconds: 1_000)
        _ = harness.issue("long", chain: ["a"], lifetimeMilliseconds: 800_000)
        harness.apply(.revokeToken(jti: "short", expiresAtMilliseconds: harness.nowMilliseconds + 1_000))
        harness.advance(milliseconds: 10_000)
        harness.revision += UInt64(GovernanceLimits.tokenSweepIntervalEntries)
        harness.apply(.killUser(id: "zed", reason: ""))
        #expect(Set(harness.state.issuedTokens.keys) == ["long"])
        #expect(harness.state.revokedTokens.isEmpty)
    }
}
