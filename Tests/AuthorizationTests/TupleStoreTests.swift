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

@Suite("Tuple normalization")
struct TupleNormalizationTests {
    @Test("normalizing a tuple converts its context to the declared types and leaves the decision unchanged")
    func normalization() throws {
        let model = try Fixtures.model(Fixtures.documentsModel)
        let raw = RelationshipTuple(user: "user:anne", relation: "viewer", object: "folder:a", condition: TupleCondition(
            name: "non_expired", context: ["grant_time": .string("2026-01-01T00:00:00Z"), "grant_duration": .string("90s"), "colour": .string("red")]))
        let normalized = model.normalized(raw)
        #expect(normalized.condition?.context["grant_time"] == .timestamp(seconds: 1_767_225_600, nanos: 0))
        #expect(normalized.condition?.context["grant_duration"] == .duration(seconds: 90, nanos: 0))
        #expect(normalized.condition?.context["colour"] == .string("red"))
        #expect(normalized.key == raw.key)
        let plain = RelationshipTuple(user: "user:anne", relation: "viewer", object: "folder:a")
        #expect(model.normalized(plain) == plain)
        let context: [String: ConditionValue] = ["current_time": .string("2026-01-01T00:01:00Z")]
        for tuple in [raw, normalized] {
            var store = TupleStore()
            store.insert(tuple)
            #expect(Fixtures.check(model, store, "user:anne", "viewer", "folder:a", context: context).allowed)
        }
    }
}

@Suite("Tuple store against a plain model")
struct TupleStoreDifferentialTests {
    /// Random inserts, removals and filtered paginated reads, compared with a dictionary and sorting.
    @Test("inserts, removals and listings agree with a sorted dictionary on random operations")
    func randomOperations() {
        var random = SplitMix64(seed: 2_024)
        var store = TupleStore()
        var model: [TupleKey: RelationshipTuple] = [:]
        let objects = (0..<40).map { "doc:\($0)" }
        let users = (0..<30).map { "user:\($0)" } + ["user:*", "group:a#member", "group:b#member"]
        for step in 0..<30_000 {
            let key = TupleKey(user: random.pick(users), relation: random.pick(["viewer", "editor"]), object: random.pick(objects))
            if random.chance(2, in: 3) {
                let tuple = RelationshipTuple(user: key.user, relation: key.relation, object: key.object,
                                              condition: random.chance(1, in: 4) ? TupleCondition(name: "c", context: ["n": .int(Int64(step))]) : nil)
                let inserted = store.insert(tuple)
                #expect(inserted == (model[key] == nil))
                if model[key] == nil { model[key] = tuple }
            } else {
                let removed = store.remove(key)
                #expect(removed == model.removeValue(forKey: key))
            }
            if step % 3_000 == 0 { verifyListings(store, model, random: &random, objects: objects, users: users) }
        }
        verifyListings(store, model, random: &random, objects: objects, users: users)
    }

    private func verifyListings(_ store: TupleStore, _ model: [TupleKey: RelationshipTuple], random: inout SplitMix64, objects: [String], users: [String]) {
        let expected = model.keys.sorted().map { model[$0]! }
        #expect(store.count == model.count)
        #expect(store.allTuples() == expected)
        for _ in 0..<20 {
            let object = random.chance(1, in: 2) ? random.pick(objects) : nil
            let relation = random.chance(1, in: 2) ? random.pick(["viewer", "editor"]) : nil
            let user = random.chance(1, in: 3) ? random.pick(users) : nil
            let filtered = expected.filter { (object == nil || $0.object == object) && (relation == nil || $0.relation == relation) && (user == nil || $0.user == user) }
            var pages: [RelationshipTuple] = []
            var cursor: TupleKey?
            let limit = 1 + random.below(50)
            while true {
                let page = store.read(object: object, relation: relation, user: user, after: cursor, limit: limit)
                #expect(page.count <= limit)
                if page.isEmpty { break }
                pages += page
                cursor = page.last?.key
            }
            #expect(pages == filtered)
        }
        if let some = expected.first {
            #expect(store.tuple(for: some.key) == some)
            #expect(store.contains(some.key))
        }
    }

    @Test("a chunked sorted array stays sorted and unique across splits and removals")
    func chunkedSortedArray() {
        struct Number: SortKeyed, Sendable { let value: Int; var sortKey: Int { value } }
        var random = SplitMix64(seed: 11)
        var array = ChunkedSortedArray<Number>()
        var reference = Set<Int>()
        for _ in 0..<20_000 {
            let value = random.below(5_000)
            if random.chance(3, in: 4) {
                #expect(array.insert(Number(value: value)) == reference.insert(value).inserted)
            } else {
                #expect((array.remove(key: value) != nil) == (reference.remove(value) != nil))
            }
        }
        var iterator = array.elements()
        var listed: [Int] = []
        while let next = iterator.next() { listed.append(next.value) }
        #expect(listed == reference.sorted())
        #expect(array.count == reference.count)
        var fromMiddle = array.elements(from: 2_500)
        #expect(fromMiddle.next()?.value == reference.filter { $0 >= 2_500 }.min())
        #expect(array.element(forKey: listed[listed.count / 2])?.value == listed[listed.count / 2])
    }
}
