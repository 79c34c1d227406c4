import Testing

@testable import Authorization

@Suite("Tuple store")
struct TupleStoreTests {
    private func validationError(_ tuple: RelationshipTuple) throws -> TupleValidationError? {
        let model = try Fixtures.model(Fixtures.documentsModel)
        do {
            try TupleStore().validate(tuple, against: model)
            return nil
        } catch {
            return error
        }
    }

    @Test("a key is stored once; the condition is not part of the identity")
    func insertIsKeyed() {
        var store = TupleStore()
        let first = store.insert(RelationshipTuple(user: "user:anne", relation: "viewer", object: "folder:a"))
        let second = store.insert(RelationshipTuple(user: "user:anne", relation: "viewer", object: "folder:a", condition: TupleCondition(name: "non_expired")))
        #expect(first)
        #expect(!second)
        #expect(store.count == 1)
        #expect(store.tuple(for: TupleKey(user: "user:anne", relation: "viewer", object: "folder:a"))?.condition == nil)
    }

    @Test("removing a tuple removes it from every index")
    func removal() throws {
        let model = try Fixtures.model(Fixtures.documentsModel)
        var store = try Fixtures.store(model, ["folder:a#viewer@group:g#member", "group:g#member@user:anne", "document:1#parent@folder:a"])
        #expect(Fixtures.check(model, store, "user:anne", "viewer", "document:1").allowed)
        let key = TupleKey(user: "group:g#member", relation: "viewer", object: "folder:a")
        let removed = store.remove(key)
        #expect(removed?.user == "group:g#member")
        let again = store.remove(key)
        #expect(again == nil)
        #expect(!store.contains(key))
        #expect(!Fixtures.check(model, store, "user:anne", "viewer", "document:1").allowed)
        let parent = store.remove(TupleKey(user: "folder:a", relation: "parent", object: "document:1"))
        #expect(parent != nil)
        #expect(store.buckets[ObjectRelation(object: "document:1", relation: "parent")] == nil)
        #expect(store.count == 1)
    }

    @Test("listing is ordered by object, relation, user, filtered, and pages resume strictly after the cursor")
    func readPagination() {
        var store = TupleStore()
        let objects = ["doc:b", "doc:a", "doc:c"]
        for object in objects {
            for user in ["user:z", "user:y"] {
                for relation in ["viewer", "editor"] { store.insert(RelationshipTuple(user: user, relation: relation, object: object)) }
            }
        }
        let all = store.allTuples().map(\.key)
        #expect(all == all.sorted())
        #expect(all.first == TupleKey(user: "user:y", relation: "editor", object: "doc:a"))
        var pages: [TupleKey] = []
        var cursor: TupleKey?
        while true {
            let page = store.read(object: nil, relation: nil, user: nil, after: cursor, limit: 5)
            if page.isEmpty { break }
            pages += page.map(\.key)
            cursor = page.last?.key
        }
        #expect(pages == all)
        #expect(store.read(object: "doc:b", relation: nil, user: nil, after: nil, limit: 100).count == 4)
        #expect(store.read(object: "doc:b", relation: "viewer", user: nil, after: nil, limit: 100).map(\.user) == ["user:y", "user:z"])
        #expect(store.read(object: nil, relation: "viewer", user: "user:z", after: nil, limit: 100).map(\.object) == ["doc:a", "doc:b", "doc:c"])
        let afterFirst = store.read(object: "doc:b", relation: nil, user: nil, after: TupleKey(user: "user:y", relation: "editor", object: "doc:b"), limit: 100)
        #expect(afterFirst.count == 3)
        #expect(store.read(object: nil, relation: nil, user: nil, after: nil, limit: 0).isEmpty)
        #expect(store.read(object: "doc:zzz", relation: nil, user: nil, after: nil, limit: 10).isEmpty)
    }

    @Test("well-formed tuples the type restrictions admit are valid")
    func validTuples() throws {
        for tuple in [
            RelationshipTuple(user: "user:anne", relation: "viewer", object: "folder:a"),
            RelationshipTuple(user: "user:*", relation: "viewer", object: "folder:a"),
            RelationshipTuple(user: "group:eng#member", relation: "viewer", object: "folder:a"),
            RelationshipTuple(user: "user:anne", relation: "viewer", object: "folder:a",
                              condition: TupleCondition(name: "non_expired", context: ["grant_time": .string("2026-01-01T00:00:00Z")])),
        ] {
            #expect(try validationError(tuple) == nil, "\(tuple.user)")
        }
    }

    @Test("malformed ids and unknown types or relations are refused by field", arguments: [
        ("user:anne", "viewer", "folder", "object"), ("user:anne", "viewer", "folder:*", "object"), ("user:anne", "viewer", "robot:1", "object"),
        ("user:anne", "owns", "folder:a", "relation"), ("anne", "viewer", "folder:a", "user"), ("user:anne#", "viewer", "folder:a", "user"),
        ("robot:r2", "viewer", "folder:a", "user"), ("user:an ne", "viewer", "folder:a", "user"), ("group:*#member", "viewer", "folder:a", "user"),
        ("group:eng", "viewer", "folder:a", "user"), ("user:*", "owner", "folder:a", "user"), ("group:eng#member", "owner", "folder:a", "user"),
        ("user:anne", "approver", "document:1", "condition"),
    ])
    func refusedTuples(user: String, relation: String, object: String, field: String) throws {
        let error = try validationError(RelationshipTuple(user: user, relation: relation, object: object))
        #expect(error?.field == field, "\(user) \(relation) \(object): \(String(describing: error))")
    }

    @Test("a tuple's condition must be declared for its user type, with a typed context of declared parameters")
    func conditionContexts() throws {
        func tuple(_ condition: TupleCondition) -> RelationshipTuple {
            RelationshipTuple(user: "user:anne", relation: "viewer", object: "folder:a", condition: condition)
        }
        #expect(try validationError(tuple(TupleCondition(name: "within_limit")))?.field == "condition")
        #expect(try validationError(tuple(TupleCondition(name: "no_such")))?.field == "condition")
        #expect(try validationError(tuple(TupleCondition(name: "non_expired", context: ["colour": .string("red")])))?.field == "condition.context.colour")
        #expect(try validationError(tuple(TupleCondition(name: "non_expired", context: ["grant_time": .string("soon")])))?.field == "condition.context.grant_time")
        #expect(try validationError(tuple(TupleCondition(name: "non_expired", context: ["grant_duration": .int(5)])))?.field == "condition.context.grant_duration")
        let approver = RelationshipTuple(user: "user:anne", relation: "approver", object: "document:1",
                                         condition: TupleCondition(name: "within_limit", context: ["subject": .map([:])]))
        #expect(try validationError(approver)?.field == "condition.context.subject")
        let oversized = TupleCondition(name: "non_expired", context: ["grant_time": .string(String(repeating: "9", count: 5_000))])
        #expect(try validationError(tuple(oversized))?.field == "condition.context")
    }
}
