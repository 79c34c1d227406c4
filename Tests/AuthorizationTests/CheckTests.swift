import Testing

@testable import Authorization

@Suite("Checker")
struct CheckTests {
    @Test("a direct tuple grants its user and nobody else")
    func directTuple() throws {
        let model = try Fixtures.model(Fixtures.documentsModel)
        let store = try Fixtures.store(model, ["document:1#editor@user:anne"])
        #expect(Fixtures.check(model, store, "user:anne", "editor", "document:1").allowed)
        #expect(!Fixtures.check(model, store, "user:bob", "editor", "document:1").allowed)
    }

    @Test("viewers inherit through three levels of folders")
    func inheritance() throws {
        let model = try Fixtures.model(Fixtures.documentsModel)
        let store = try Fixtures.store(model, [
            "document:1#parent@folder:c", "folder:c#parent@folder:b", "folder:b#parent@folder:a", "folder:a#owner@user:anne",
        ])
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "document:1").allowed)
        #expect(!Fixtures.check(model, store, "user:bob", "viewer", "document:1").allowed)
    }

    @Test("a missing parameter denies with its name")
    func missingContext() throws {
        let model = try Fixtures.model(Fixtures.documentsModel)
        let condition = TupleCondition(name: "non_expired", context: ["grant_time": .string("2026-01-01T00:00:00Z"), "grant_duration": .string("1h")])
        let store = try Fixtures.store(model, ["document:1#parent@folder:a", "folder:a#viewer@user:anne"], conditions: ["folder:a#viewer@user:anne": condition])
        let missing = Fixtures.check(model, store, "user:anne", "viewer", "document:1")
        #expect(!missing.allowed)
        #expect(missing.missingParameters == ["current_time"])
        let inside = Fixtures.check(model, store, "user:anne", "viewer", "document:1", context: ["current_time": .string("2026-01-01T00:30:00Z")])
        #expect(inside.allowed)
        let after = Fixtures.check(model, store, "user:anne", "viewer", "document:1", context: ["current_time": .string("2026-01-01T01:30:00Z")])
        #expect(!after.allowed && after.missingParameters.isEmpty && after.failure == nil)
    }

    @Test("reserved subject attributes feed a condition")
    func subjectAttributes() throws {
        let model = try Fixtures.model(Fixtures.documentsModel)
        let store = try Fixtures.store(model, ["document:1#editor@user:anne", "document:1#approver@user:anne"],
                                       conditions: ["document:1#approver@user:anne": TupleCondition(name: "within_limit")])
        let subject: ConditionValue = .map(["approval_limit": .int(1000), "on_duty": .bool(true)])
        #expect(Fixtures.check(model, store, "user:anne", "approver", "document:1", context: ["amount": .int(500)], reserved: ["subject": subject]).allowed)
        #expect(!Fixtures.check(model, store, "user:anne", "approver", "document:1", context: ["amount": .int(5000)], reserved: ["subject": subject]).allowed)
    }
}
