import Authorization
import JSON

/// Random small models: `user` plus two or three object types, each with a direct `parent`
/// relation (for tuple-to-userset) and up to three relations with random rewrites and type
/// restrictions. Some generated models are invalid (no entrypoint, missing targets); the
/// differential test skips those the real parser refuses.
struct ModelGenerator {
    var random: SplitMix64
    private var relationNames: [String: [String]] = [:]
    private var parentTypes: [String: [String]] = [:]
    private var objectTypes: [String] = []

    init(random: SplitMix64) { self.random = random }

    static let conditions: [String: ReferenceCondition] = [
        "c1": ReferenceCondition(
            name: "c1",
            expression: .binary("||", .binary(">", .parameter("x"), .literal(.int(3))), .binary(">", .parameter("y"), .literal(.int(3)))),
            parameters: ["x": .int, "y": .int]),
        "c2": ReferenceCondition(
            name: "c2",
            expression: .binary("&&", .binary("<", .parameter("x"), .literal(.int(10))), .binary("==", .parameter("s"), .literal(.string("a")))),
            parameters: ["x": .int, "s": .string]),
    ]

    mutating func model() -> ([ReferenceType], [String: ReferenceCondition]) {
        objectTypes = (0..<(2 + random.below(2))).map { "t\($0)" }
        for type in objectTypes {
            relationNames[type] = ["parent"] + (0..<(1 + random.below(3))).map { "r\($0)" }
            parentTypes[type] = Array(Set((0..<(1 + random.below(2))).map { _ in random.pick(objectTypes) })).sorted()
        }
        var types = [ReferenceType(name: "user", relations: [])]
        for type in objectTypes {
            var relations = [ReferenceRelation(name: "parent", rewrite: .this, restrictions: parentTypes[type]!.map { ReferenceRestriction(type: $0) })]
            for name in relationNames[type]!.dropFirst() {
                var rewrite = self.rewrite(type: type, depth: 2)
                if !Self.containsThis(rewrite), random.chance(2, in: 3) { rewrite = .union([.this, rewrite]) }
                relations.append(ReferenceRelation(name: name, rewrite: rewrite, restrictions: Self.containsThis(rewrite) ? restrictions() : []))
            }
            types.append(ReferenceType(name: type, relations: relations))
        }
        return (types, Self.conditions)
    }

    private static func containsThis(_ rewrite: ReferenceRewrite) -> Bool {
        switch rewrite {
        case .this: return true
        case .computed, .tupleToUserset: return false
        case .union(let children), .intersection(let children): return children.contains(where: containsThis)
        case .difference(let base, let subtract): return containsThis(base) || containsThis(subtract)
        }
    }

    private mutating func rewrite(type: String, depth: Int) -> ReferenceRewrite {
        if depth == 0 || random.chance(1, in: 2) {
            switch random.below(6) {
            case 0, 1, 2: return .this
            case 3: return .computed(random.pick(relationNames[type]!))
            default: return .tupleToUserset(tupleset: "parent", relation: random.pick(relationNames[random.pick(parentTypes[type]!)]!.dropFirst().map { $0 }))
            }
        }
        switch random.below(4) {
        case 0: return .union((0..<(2 + random.below(2))).map { _ in rewrite(type: type, depth: depth - 1) })
        case 1: return .union((0..<2).map { _ in rewrite(type: type, depth: depth - 1) })
        case 2: return .intersection((0..<2).map { _ in rewrite(type: type, depth: depth - 1) })
        default: return .difference(rewrite(type: type, depth: depth - 1), rewrite(type: type, depth: depth - 1))
        }
    }

    private mutating func restrictions() -> [ReferenceRestriction] {
        var chosen: [ReferenceRestriction] = []
        for _ in 0..<(1 + random.below(3)) {
            let candidate: ReferenceRestriction
            switch random.below(7) {
            case 0, 1: candidate = ReferenceRestriction(type: "user")
            case 2: candidate = ReferenceRestriction(type: "user", wildcard: true)
            case 3, 4: candidate = ReferenceRestriction(type: "user", condition: random.pick(["c1", "c2"]))
            default:
                let target = random.pick(objectTypes)
                candidate = ReferenceRestriction(type: target, relation: random.pick(relationNames[target]!))
            }
            if !chosen.contains(candidate) { chosen.append(candidate) }
        }
        return chosen
    }

    // MARK: - JSON

    func json(types: [ReferenceType], conditions: [String: ReferenceCondition]) -> String {
        let definitions: [JSONValue] = types.map { type in
            var relations: [String: JSONValue] = [:]
            var metadata: [String: JSONValue] = [:]
            for relation in type.relations {
                relations[relation.name] = Self.json(relation.rewrite)
                if !relation.restrictions.isEmpty {
                    metadata[relation.name] = ["directly_related_user_types": .array(relation.restrictions.map(Self.json))]
                }
            }
            if relations.isEmpty { return ["type": .string(type.name)] }
            return ["type": .string(type.name), "relations": .object(relations), "metadata": ["relations": .object(metadata)]]
        }
        let conditionMembers = conditions.mapValues { condition -> JSONValue in
            let parameters = condition.parameters.mapValues { type -> JSONValue in
                ["type_name": .string(type == .int ? "TYPE_NAME_INT" : "TYPE_NAME_STRING")]
            }
            return ["name": .string(condition.name), "expression": .string(condition.expression.source), "parameters": .object(parameters)]
        }
        let model: JSONValue = ["schema_version": "1.1", "type_definitions": .array(definitions), "conditions": .object(conditionMembers)]
        return JSONWriter().string(model)
    }

    private static func json(_ rewrite: ReferenceRewrite) -> JSONValue {
        switch rewrite {
        case .this: return ["this": [:]]
        case .computed(let relation): return ["computedUserset": ["relation": .string(relation)]]
        case .tupleToUserset(let tupleset, let relation):
            return ["tupleToUserset": ["tupleset": ["relation": .string(tupleset)], "computedUserset": ["relation": .string(relation)]]]
        case .union(let children): return ["union": ["child": .array(children.map(json))]]
        case .intersection(let children): return ["intersection": ["child": .array(children.map(json))]]
        case .difference(let base, let subtract): return ["difference": ["base": json(base), "subtract": json(subtract)]]
        }
    }

    private static func json(_ restriction: ReferenceRestriction) -> JSONValue {
        var members: [String: JSONValue] = ["type": .string(restriction.type)]
        if let relation = restriction.relation { members["relation"] = .string(relation) }
        if restriction.wildcard { members["wildcard"] = [:] }
        if let condition = restriction.condition { members["condition"] = .string(condition) }
        return .object(members)
    }
}

/// Random tuples for a generated model (mostly admitted by its restrictions, some stale),
/// random check targets and random request contexts.
struct TupleGenerator {
    var random: SplitMix64
    let types: [ReferenceType]

    private var objectTypes: [ReferenceType] { types.filter { $0.name != "user" } }

    private mutating func object(of type: String) -> String { "\(type):o\(random.below(3))" }

    mutating func tuples() -> [RelationshipTuple] {
        var tuples: [RelationshipTuple] = []
        for _ in 0..<(5 + random.below(26)) {
            let type = random.pick(objectTypes)
            let assignable = type.relations.filter { !$0.restrictions.isEmpty }
            guard !assignable.isEmpty else { continue }
            let relation = random.pick(assignable)
            var restriction = random.pick(relation.restrictions)
            if random.chance(1, in: 20) { restriction.condition = restriction.condition == nil ? "c1" : nil }
            let user: String
            if restriction.wildcard {
                user = restriction.type + ":*"
            } else if let userRelation = restriction.relation {
                user = object(of: restriction.type) + "#" + userRelation
            } else {
                user = restriction.type == "user" ? "user:u\(random.below(3))" : object(of: restriction.type)
            }
            let condition = restriction.condition.map { TupleCondition(name: $0, context: context()) }
            tuples.append(RelationshipTuple(user: user, relation: relation.name, object: object(of: type.name), condition: condition))
        }
        return tuples
    }

    mutating func checkTarget() -> (user: String, relation: String, object: String) {
        let type = random.pick(objectTypes)
        let user: String
        switch random.below(10) {
        case 0: user = "user:*"
        case 1: user = object(of: random.pick(objectTypes).name)
        default: user = "user:u\(random.below(3))"
        }
        return (user, random.pick(type.relations).name, object(of: type.name))
    }

    /// Some of `x`, `y` and `s`.
    mutating func context() -> [String: ConditionValue] {
        var context: [String: ConditionValue] = [:]
        if random.chance(1, in: 3) { context["x"] = .int(Int64(random.below(14))) }
        if random.chance(1, in: 3) { context["y"] = .int(Int64(random.below(8))) }
        if random.chance(1, in: 3) { context["s"] = .string(random.pick(["a", "b"])) }
        if random.chance(1, in: 10) { context["x"] = .string("junk") }
        return context
    }
}
