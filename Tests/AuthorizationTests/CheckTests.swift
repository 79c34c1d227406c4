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

@Suite("Checker rules")
struct CheckRuleTests {
    let model: AuthorizationModel

    init() throws { model = try Fixtures.model(Fixtures.documentsModel) }

    @Test("a wildcard tuple grants every user of that type, and only that type")
    func wildcard() throws {
        let store = try Fixtures.store(model, ["folder:a#viewer@user:*"])
        #expect(Fixtures.check(model, store, "user:anyone", "viewer", "folder:a").allowed)
        #expect(Fixtures.check(model, store, "user:*", "viewer", "folder:a").allowed)
        #expect(!Fixtures.check(model, store, "group:eng", "viewer", "folder:a").allowed)
        #expect(!Fixtures.check(model, store, "user:anyone", "viewer", "folder:b").allowed)
    }

    @Test("usersets grant their members, through nested groups")
    func usersets() throws {
        let store = try Fixtures.store(model, ["folder:a#viewer@group:eng#member", "group:eng#member@group:core#member", "group:core#member@user:anne"])
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "folder:a").allowed)
        #expect(Fixtures.check(model, store, "user:anne", "member", "group:eng").allowed)
        #expect(!Fixtures.check(model, store, "user:bob", "viewer", "folder:a").allowed)
    }

    @Test("a computed userset grants what the named relation grants")
    func computedUserset() throws {
        let store = try Fixtures.store(model, ["folder:a#owner@user:anne"])
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "folder:a").allowed)
        #expect(!Fixtures.check(model, store, "user:anne", "parent", "folder:a").allowed)
    }

    @Test("a difference removes the subtracted users")
    func difference() throws {
        let store = try Fixtures.store(model, ["document:1#editor@user:anne", "document:1#editor@user:bob", "document:1#blocked@user:bob"])
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "document:1").allowed)
        #expect(!Fixtures.check(model, store, "user:bob", "viewer", "document:1").allowed)
    }

    @Test("an intersection needs every child")
    func intersection() throws {
        let conditions = ["document:1#approver@user:bob": TupleCondition(name: "within_limit")]
        let store = try Fixtures.store(model, ["document:1#approver@user:bob"], conditions: conditions)
        let subject: ConditionValue = .map(["approval_limit": .int(10), "on_duty": .bool(true)])
        let outcome = Fixtures.check(model, store, "user:bob", "approver", "document:1", context: ["amount": .int(1)], reserved: ["subject": subject])
        #expect(!outcome.allowed && outcome.failure == nil)
    }

    @Test("cycles in the tuples terminate and deny")
    func dataCycles() throws {
        let store = try Fixtures.store(model, [
            "group:a#member@group:b#member", "group:b#member@group:a#member", "folder:x#parent@folder:y", "folder:y#parent@folder:x",
        ])
        let groups = Fixtures.check(model, store, "user:anne", "member", "group:a")
        #expect(!groups.allowed && groups.failure == nil)
        let folders = Fixtures.check(model, store, "user:anne", "viewer", "folder:x")
        #expect(!folders.allowed && folders.failure == nil)
    }

    @Test("resolution deeper than the depth bound fails with depthExceeded")
    func depthBound() throws {
        var tuples = (0..<30).map { "group:g\($0)#member@group:g\($0 + 1)#member" }
        tuples.append("group:g30#member@user:anne")
        let store = try Fixtures.store(model, tuples)
        #expect(Fixtures.check(model, store, "user:anne", "member", "group:g0").failure == .depthExceeded)
        let deeper = CheckLimits(maximumDepth: 40, maximumDispatches: 1_000, maximumConditionCost: 100)
        #expect(Fixtures.check(model, store, "user:anne", "member", "group:g0", limits: deeper).allowed)
        #expect(Fixtures.check(model, store, "user:anne", "member", "group:g10").allowed)
    }

    @Test("a check needing more dispatches than its bound fails with costExceeded")
    func dispatchBound() throws {
        let tuples = (0..<50).map { "folder:a#viewer@group:g\($0)#member" } + ["group:g49#member@user:anne"]
        let store = try Fixtures.store(model, tuples)
        let small = CheckLimits(maximumDepth: 25, maximumDispatches: 10, maximumConditionCost: 100)
        let outcome = Fixtures.check(model, store, "user:anne", "viewer", "folder:a", limits: small)
        #expect(outcome == CheckOutcome(allowed: false, failure: .costExceeded))
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "folder:a").allowed)
    }

    @Test("unknown types and relations and malformed ids are failures, not traps")
    func unknownIdentifiers() {
        let store = TupleStore()
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "robot:1").failure == .unknownType("robot"))
        #expect(Fixtures.check(model, store, "robot:r2", "viewer", "folder:a").failure == .unknownType("robot"))
        #expect(Fixtures.check(model, store, "user:anne", "owns", "folder:a").failure == .unknownRelation(type: "folder", relation: "owns"))
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "folder").failure == .malformedIdentifier("folder"))
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "folder:*").failure == .malformedIdentifier("folder:*"))
        #expect(Fixtures.check(model, store, "group:eng#member", "viewer", "folder:a").failure == .malformedIdentifier("group:eng#member"))
        #expect(Fixtures.check(model, store, "", "viewer", "folder:a").failure == .malformedIdentifier(""))
    }

    @Test("callers cannot set reserved parameters, and oversized contexts are refused")
    func contextRefusals() {
        let store = TupleStore()
        let reservedInContext = Fixtures.check(model, store, "user:anne", "viewer", "folder:a", context: ["subject": .map([:])])
        #expect(reservedInContext.failure == .invalidContext("the request context must not set the reserved parameter 'subject'"))
        let many = Dictionary(uniqueKeysWithValues: (0..<100).map { ("k\($0)", ConditionValue.int(1)) })
        if case .invalidContext = Fixtures.check(model, store, "user:anne", "viewer", "folder:a", context: many).failure {} else {
            Issue.record("an oversized context must be refused")
        }
        let strangeReserved = Fixtures.check(model, store, "user:anne", "viewer", "folder:a", reserved: ["boss": .map([:])])
        #expect(strangeReserved.failure == .invalidContext("'boss' is not a reserved parameter (subject, agent)"))
    }

    @Test("a grant elsewhere in a union makes a missing parameter irrelevant")
    func unionMasksMissingContext() throws {
        let conditional = TupleCondition(name: "non_expired", context: ["grant_time": .string("2026-01-01T00:00:00Z"), "grant_duration": .string("1h")])
        let store = try Fixtures.store(model, ["folder:a#viewer@user:anne", "folder:a#owner@user:bob", "folder:b#viewer@user:bob"],
                                       conditions: ["folder:a#viewer@user:anne": conditional, "folder:b#viewer@user:bob": conditional])
        #expect(Fixtures.check(model, store, "user:bob", "viewer", "folder:a").allowed)
        let unknown = Fixtures.check(model, store, "user:anne", "viewer", "folder:a")
        #expect(unknown == CheckOutcome(allowed: false, missingParameters: ["current_time"]))
    }

    @Test("a denied branch of an intersection or difference makes a missing parameter irrelevant")
    func intersectionMasksMissingContext() throws {
        let store = try Fixtures.store(model, ["document:1#approver@user:bob", "document:2#approver@user:bob", "document:2#editor@user:bob"],
                                       conditions: ["document:1#approver@user:bob": TupleCondition(name: "within_limit"),
                                                    "document:2#approver@user:bob": TupleCondition(name: "within_limit")])
        #expect(Fixtures.check(model, store, "user:bob", "approver", "document:1") == CheckOutcome(allowed: false))
        #expect(Fixtures.check(model, store, "user:bob", "approver", "document:2").missingParameters == ["amount", "subject"])
        let conditional = TupleCondition(name: "non_expired", context: ["grant_time": .string("2026-01-01T00:00:00Z"), "grant_duration": .string("1h")])
        let blocked = try Fixtures.store(model, ["document:3#parent@folder:a", "folder:a#viewer@user:anne", "document:3#blocked@user:anne"],
                                         conditions: ["folder:a#viewer@user:anne": conditional])
        #expect(Fixtures.check(model, blocked, "user:anne", "viewer", "document:3") == CheckOutcome(allowed: false))
    }

    @Test("a condition that fails to evaluate denies with the condition's name")
    func conditionErrors() throws {
        let store = try Fixtures.store(model, ["document:1#approver@user:bob", "document:1#editor@user:bob"],
                                       conditions: ["document:1#approver@user:bob": TupleCondition(name: "within_limit")])
        let outcome = Fixtures.check(model, store, "user:bob", "approver", "document:1", context: ["amount": .int(5)],
                                     reserved: ["subject": .map(["approval_limit": .string("lots"), "on_duty": .bool(true)])])
        #expect(!outcome.allowed)
        #expect(outcome.failure == .conditionError(name: "within_limit", message: "no such overload: int <= string"))
    }

    @Test("persisted tuple context wins over the request context")
    func tupleContextPrecedence() throws {
        let conditional = TupleCondition(name: "non_expired", context: ["grant_time": .string("2026-01-01T00:00:00Z"), "grant_duration": .string("1h")])
        let store = try Fixtures.store(model, ["folder:a#viewer@user:anne"], conditions: ["folder:a#viewer@user:anne": conditional])
        let context: [String: ConditionValue] = ["current_time": .string("2026-01-01T00:30:00Z"), "grant_time": .string("2020-01-01T00:00:00Z")]
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "folder:a", context: context).allowed)
    }

    @Test("tuples the current model no longer admits are ignored")
    func staleTuples() throws {
        var store = TupleStore()
        store.insert(RelationshipTuple(user: "user:*", relation: "editor", object: "document:1"))
        store.insert(RelationshipTuple(user: "group:eng#member", relation: "blocked", object: "document:1"))
        store.insert(RelationshipTuple(user: "user:anne", relation: "editor", object: "document:1", condition: TupleCondition(name: "non_expired")))
        store.insert(RelationshipTuple(user: "group:eng#member", relation: "member", object: "group:eng"))
        #expect(!Fixtures.check(model, store, "user:anne", "editor", "document:1").allowed)
        #expect(!Fixtures.check(model, store, "user:bob", "editor", "document:1").allowed)
    }
}
