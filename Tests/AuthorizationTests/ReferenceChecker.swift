import Authorization

/// The reference model: the same information as the JSON, kept as plain values.
struct ReferenceRestriction: Equatable {
    var type: String
    var relation: String?
    var wildcard = false
    var condition: String?
}

indirect enum ReferenceRewrite {
    case this
    case computed(String)
    case tupleToUserset(tupleset: String, relation: String)
    case union([ReferenceRewrite])
    case intersection([ReferenceRewrite])
    case difference(ReferenceRewrite, ReferenceRewrite)
}

struct ReferenceRelation {
    var name: String
    var rewrite: ReferenceRewrite
    var restrictions: [ReferenceRestriction]
}

struct ReferenceType {
    var name: String
    var relations: [ReferenceRelation]
}

struct ReferenceCondition: Sendable {
    var name: String
    var expression: ReferenceExpression
    var parameters: [String: ConditionType]
}

/// The decision of the reference checker.
enum ReferenceVerdict: Equatable {
    case granted
    case denied
    case unknown(Set<String>)
    case failed

    static func union(_ verdicts: [ReferenceVerdict]) -> ReferenceVerdict {
        if verdicts.contains(.granted) { return .granted }
        let unknowns = verdicts.compactMap { if case .unknown(let names) = $0 { return names } else { return nil } }
        if !unknowns.isEmpty { return .unknown(unknowns.reduce(Set()) { $0.union($1) }) }
        return verdicts.contains(.failed) ? .failed : .denied
    }

    static func intersection(_ verdicts: [ReferenceVerdict]) -> ReferenceVerdict {
        if verdicts.contains(.denied) { return .denied }
        let unknowns = verdicts.compactMap { if case .unknown(let names) = $0 { return names } else { return nil } }
        if !unknowns.isEmpty { return .unknown(unknowns.reduce(Set()) { $0.union($1) }) }
        return verdicts.contains(.failed) ? .failed : .granted
    }

    var negated: ReferenceVerdict {
        switch self {
        case .granted: return .denied
        case .denied: return .granted
        default: return self
        }
    }
}

/// An obviously-correct checker: it scans every tuple at every step, evaluates every child of
/// every operator (no short-circuits, no indexes), and denies a step that revisits an
/// (object, relation) already on its path.
struct ReferenceChecker {
    let types: [ReferenceType]
    let conditions: [String: ReferenceCondition]
    let tuples: [RelationshipTuple]
    let maximumDepth: Int

    func check(user: String, relation: String, object: String, context: [String: ConditionValue]) -> ReferenceVerdict {
        evaluate(user: user, object: object, relation: relation, path: [], depth: 1, context: context)
    }

    private func typeName(_ identifier: String) -> String { String(identifier.prefix { $0 != ":" }) }

    private func relationDefinition(type: String, relation: String) -> ReferenceRelation? {
        types.first { $0.name == type }?.relations.first { $0.name == relation }
    }

    private func evaluate(user: String, object: String, relation: String, path: [String], depth: Int, context: [String: ConditionValue]) -> ReferenceVerdict {
        if depth > maximumDepth { return .failed }
        let step = object + "#" + relation
        if path.contains(step) { return .denied }
        guard let definition = relationDefinition(type: typeName(object), relation: relation) else { return .denied }
        return rewrite(definition.rewrite, definition: definition, user: user, object: object, path: path + [step], depth: depth, context: context)
    }

    private func rewrite(
        _ rewrite: ReferenceRewrite, definition: ReferenceRelation, user: String, object: String, path: [String], depth: Int,
        context: [String: ConditionValue]
    ) -> ReferenceVerdict {
        switch rewrite {
        case .this:
            return direct(definition, user: user, object: object, path: path, depth: depth, context: context)
        case .computed(let other):
            return evaluate(user: user, object: object, relation: other, path: path, depth: depth + 1, context: context)
        case .tupleToUserset(let tupleset, let target):
            guard let tuplesetDefinition = relationDefinition(type: typeName(object), relation: tupleset) else { return .denied }
            var verdicts: [ReferenceVerdict] = []
            for tuple in tuples where tuple.object == object && tuple.relation == tupleset && !tuple.user.contains("#") && !tuple.user.hasSuffix(":*") {
                let shape = ReferenceRestriction(type: typeName(tuple.user), relation: nil, wildcard: false, condition: tuple.condition?.name)
                guard tuplesetDefinition.restrictions.contains(shape), relationDefinition(type: shape.type, relation: target) != nil else { continue }
                let reached = evaluate(user: user, object: tuple.user, relation: target, path: path, depth: depth + 1, context: context)
                verdicts.append(ReferenceVerdict.intersection([condition(tuple, context: context), reached]))
            }
            return ReferenceVerdict.union(verdicts)
        case .union(let children):
            return ReferenceVerdict.union(children.map { self.rewrite($0, definition: definition, user: user, object: object, path: path, depth: depth, context: context) })
        case .intersection(let children):
            return ReferenceVerdict.intersection(children.map { self.rewrite($0, definition: definition, user: user, object: object, path: path, depth: depth, context: context) })
        case .difference(let base, let subtract):
            let baseVerdict = self.rewrite(base, definition: definition, user: user, object: object, path: path, depth: depth, context: context)
            let subtractVerdict = self.rewrite(subtract, definition: definition, user: user, object: object, path: path, depth: depth, context: context)
            return ReferenceVerdict.intersection([baseVerdict, subtractVerdict.negated])
        }
    }

    private func direct(_ definition: ReferenceRelation, user: String, object: String, path: [String], depth: Int, context: [String: ConditionValue]) -> ReferenceVerdict {
        var verdicts: [ReferenceVerdict] = []
        for tuple in tuples where tuple.object == object && tuple.relation == definition.name {
            let parts = tuple.user.split(separator: "#", maxSplits: 1).map(String.init)
            let isWildcard = tuple.user.hasSuffix(":*")
            let shape = ReferenceRestriction(
                type: typeName(tuple.user), relation: parts.count == 2 ? parts[1] : nil, wildcard: isWildcard, condition: tuple.condition?.name)
            guard definition.restrictions.contains(shape) else { continue }
            if tuple.user == user || (isWildcard && typeName(user) == shape.type) {
                verdicts.append(condition(tuple, context: context))
            } else if parts.count == 2 {
                let members = evaluate(user: user, object: parts[0], relation: parts[1], path: path, depth: depth + 1, context: context)
                verdicts.append(ReferenceVerdict.intersection([condition(tuple, context: context), members]))
            }
        }
        return ReferenceVerdict.union(verdicts)
    }

    private func condition(_ tuple: RelationshipTuple, context: [String: ConditionValue]) -> ReferenceVerdict {
        guard let reference = tuple.condition, let definition = conditions[reference.name] else { return .granted }
        let evaluator = ReferenceEvaluator(types: definition.parameters, tupleContext: reference.context, reserved: [:], request: context)
        switch evaluator.evaluate(definition.expression) {
        case .value(.bool(true)): return .granted
        case .value(.bool(false)): return .denied
        case .unknown(let names): return .unknown(names)
        default: return .failed
        }
    }
}
