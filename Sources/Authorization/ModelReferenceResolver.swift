/// Resolves the names a parsed model uses (types, relations, conditions, tuplesets) into
/// indexes, refusing dangling or inconsistent references with the path that names them.
struct ReferenceResolver {
    let rawTypes: [RawType]
    let conditions: [String: ConditionDefinition]
    let typeIndexByName: [String: Int]

    init(rawTypes: [RawType], conditions: [String: ConditionDefinition]) {
        self.rawTypes = rawTypes
        self.conditions = conditions
        var indexes: [String: Int] = [:]
        for (index, rawType) in rawTypes.enumerated() { indexes[rawType.name] = index }
        typeIndexByName = indexes
    }

    func resolve() throws(ModelValidationError) -> [TypeDefinition] {
        for rawType in rawTypes {
            for relation in rawType.relations { try validateDirectTypes(of: relation) }
        }
        var types: [TypeDefinition] = []
        for (typeIndex, rawType) in rawTypes.enumerated() {
            var relations: [RelationDefinition] = []
            var relationIndexByName: [String: Int] = [:]
            for (relationIndex, relation) in rawType.relations.enumerated() {
                let rewrite = try compile(relation.rewrite, typeIndex: typeIndex, relation: relation)
                relations.append(RelationDefinition(
                    name: relation.name, rewrite: rewrite, directlyRelatedUserTypes: relation.directTypes.map(\.0),
                    types: rawTypes, typeIndexByName: typeIndexByName))
                relationIndexByName[relation.name] = relationIndex
            }
            types.append(TypeDefinition(
                name: rawType.name, wildcardUser: rawType.name + ":*",
                relations: relations, relationIndexByName: relationIndexByName))
        }
        return types
    }

    // MARK: - Type restrictions

    private func validateDirectTypes(of relation: RawRelation) throws(ModelValidationError) {
        if !relation.directTypes.isEmpty, !relation.rewrite.containsDirect, let path = relation.directTypesPath {
            throw ModelValidationError(path: path, message: "relation '\(relation.name)' lists directly related user types but its rewrite has no `this`")
        }
        for (restriction, path) in relation.directTypes {
            guard let targetIndex = typeIndexByName[restriction.type] else {
                throw ModelValidationError(path: path + ".type", message: "type '\(restriction.type)' is not defined")
            }
            if let targetRelation = restriction.relation,
                !rawTypes[targetIndex].relations.contains(where: { $0.name == targetRelation })
            {
                throw ModelValidationError(path: path + ".relation", message: "relation '\(targetRelation)' is not defined on type '\(restriction.type)'")
            }
            if let condition = restriction.condition, conditions[condition] == nil {
                throw ModelValidationError(path: path + ".condition", message: "condition '\(condition)' is not defined")
            }
        }
    }

    // MARK: - Rewrites

    private func compile(_ rewrite: RawRewrite, typeIndex: Int, relation: RawRelation) throws(ModelValidationError) -> Rewrite {
        let rawType = rawTypes[typeIndex]
        switch rewrite {
        case .direct(let path):
            guard !relation.directTypes.isEmpty else {
                throw ModelValidationError(path: path, message: "relation '\(relation.name)' uses `this` but lists no directly_related_user_types in metadata")
            }
            return .direct
        case .computed(let name, let path):
            guard let index = relationIndex(name, inType: typeIndex) else {
                throw ModelValidationError(path: path, message: "relation '\(name)' is not defined on type '\(rawType.name)'")
            }
            return .computed(relationIndex: index)
        case .tupleToUserset(let tupleset, let tuplesetPath, let computed, let computedPath):
            return try compileTupleToUserset(
                tupleset: tupleset, tuplesetPath: tuplesetPath, computed: computed, computedPath: computedPath, typeIndex: typeIndex)
        case .union(let children):
            var compiled: [Rewrite] = []
            for child in children { compiled.append(try compile(child, typeIndex: typeIndex, relation: relation)) }
            return .union(compiled)
        case .intersection(let children):
            var compiled: [Rewrite] = []
            for child in children { compiled.append(try compile(child, typeIndex: typeIndex, relation: relation)) }
            return .intersection(compiled)
        case .difference(let base, let subtract):
            return .difference(
                base: try compile(base, typeIndex: typeIndex, relation: relation),
                subtract: try compile(subtract, typeIndex: typeIndex, relation: relation))
        }
    }

    private func compileTupleToUserset(
        tupleset: String, tuplesetPath: String, computed: String, computedPath: String, typeIndex: Int
    ) throws(ModelValidationError) -> Rewrite {
        let rawType = rawTypes[typeIndex]
        guard let tuplesetIndex = relationIndex(tupleset, inType: typeIndex) else {
            throw ModelValidationError(path: tuplesetPath, message: "relation '\(tupleset)' is not defined on type '\(rawType.name)'")
        }
        let tuplesetRelation = rawType.relations[tuplesetIndex]
        guard case .direct = tuplesetRelation.rewrite,
            tuplesetRelation.directTypes.allSatisfy({ $0.0.relation == nil && !$0.0.isWildcard })
        else {
            throw ModelValidationError(
                path: tuplesetPath,
                message: "tupleset relation '\(tupleset)' must be directly assignable only (`this`) with plain object types, without usersets or wildcards")
        }
        var targetRelationIndexByType = Array(repeating: -1, count: rawTypes.count)
        for (restriction, _) in tuplesetRelation.directTypes {
            guard let targetType = typeIndexByName[restriction.type] else { continue }
            targetRelationIndexByType[targetType] = relationIndex(computed, inType: targetType) ?? -1
        }
        guard targetRelationIndexByType.contains(where: { $0 >= 0 }) else {
            let related = tuplesetRelation.directTypes.map(\.0.type).joined(separator: ", ")
            throw ModelValidationError(path: computedPath, message: "relation '\(computed)' is not defined on any type related by '\(tupleset)' (\(related))")
        }
        return .tupleToUserset(tuplesetIndex: tuplesetIndex, relationName: computed, targetRelationIndexByType: targetRelationIndexByType)
    }

    private func relationIndex(_ name: String, inType typeIndex: Int) -> Int? {
        rawTypes[typeIndex].relations.firstIndex { $0.name == name }
    }
}

// MARK: - Reachability

/// Refuses relations that no set of tuples could ever grant: cycles without a base case
/// (`viewer: viewer`, `a: b` with `b: a`) and rewrites built only from such relations.
///
/// A least fixpoint: a relation is grantable when its rewrite is, where `this` is grantable if it
/// admits a plain or wildcard user type or a userset that is itself grantable, a computed
/// relation or a tuple-to-userset target if that relation is, a union if any child is, an
/// intersection if all are, and a difference if its base is.
struct ReachabilityAnalysis {
    let types: [TypeDefinition]
    let typeIndexByName: [String: Int]
    let rawTypes: [RawType]

    func verify() throws(ModelValidationError) {
        var grantable = types.map { Array(repeating: false, count: $0.relations.count) }
        var changed = true
        while changed {
            changed = false
            for typeIndex in types.indices {
                for relationIndex in types[typeIndex].relations.indices where !grantable[typeIndex][relationIndex] {
                    let relation = types[typeIndex].relations[relationIndex]
                    if isGrantable(relation.rewrite, relation: relation, typeIndex: typeIndex, grantable: grantable) {
                        grantable[typeIndex][relationIndex] = true
                        changed = true
                    }
                }
            }
        }
        for typeIndex in types.indices {
            for relationIndex in types[typeIndex].relations.indices where !grantable[typeIndex][relationIndex] {
                let relation = types[typeIndex].relations[relationIndex]
                throw ModelValidationError(
                    path: rawTypes[typeIndex].relations[relationIndex].path,
                    message: "relation '\(relation.name)' of type '\(types[typeIndex].name)' can never be granted: it has no entrypoint (a cycle with no base case)")
            }
        }
    }

    private func isGrantable(_ rewrite: Rewrite, relation: RelationDefinition, typeIndex: Int, grantable: [[Bool]]) -> Bool {
        switch rewrite {
        case .direct:
            return relation.directlyRelatedUserTypes.contains { restriction in
                guard let userRelation = restriction.relation else { return true }
                guard let userType = typeIndexByName[restriction.type],
                    let userRelationIndex = types[userType].relationIndexByName[userRelation]
                else { return false }
                return grantable[userType][userRelationIndex]
            }
        case .computed(let index):
            return grantable[typeIndex][index]
        case .tupleToUserset(_, _, let targets):
            return targets.indices.contains { targets[$0] >= 0 && grantable[$0][targets[$0]] }
        case .union(let children):
            return children.contains { isGrantable($0, relation: relation, typeIndex: typeIndex, grantable: grantable) }
        case .intersection(let children):
            return children.allSatisfy { isGrantable($0, relation: relation, typeIndex: typeIndex, grantable: grantable) }
        case .difference(let base, _):
            return isGrantable(base, relation: relation, typeIndex: typeIndex, grantable: grantable)
        }
    }
}
