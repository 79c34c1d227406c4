import JSON

/// A validated OpenFGA authorization model (schema 1.1 JSON, with conditions).
///
/// `parse` accepts only models that can be evaluated: every referenced type, relation and
/// condition exists, type restrictions are consistent, every relation can be reached from a
/// directly assigned tuple (no cycle without a base case), and every condition expression
/// type-checks to `bool`. The parsed form is compiled for `Checker`: types and relations are
/// numbered and rewrites refer to relations by index.
public struct AuthorizationModel: Sendable, Equatable {
    /// The types in declaration order.
    let types: [TypeDefinition]
    /// Type name to index in `types`.
    let typeIndexByName: [String: Int]
    /// Declared conditions by name.
    let conditions: [String: ConditionDefinition]
    /// The compiled programs of `conditions` by name: what the checker looks up per conditional tuple.
    let conditionPrograms: [String: ConditionProgram]
    /// The canonical JSON text of the accepted model.
    public let canonicalJSON: [UInt8]

    /// Parses and validates an OpenFGA JSON model; the error names the offending path.
    public static func parse(_ json: JSONValue) throws(ModelValidationError) -> AuthorizationModel {
        try ModelParser.parse(json)
    }

    /// The declared type names, sorted.
    public var typeNames: [String] {
        types.map(\.name).sorted()
    }

    /// The relation names of `type`, sorted; empty for an unknown type.
    public func relationNames(ofType type: String) -> [String] {
        guard let definition = typeDefinition(named: type) else { return [] }
        return definition.relations.map(\.name).sorted()
    }

    /// Whether `type` is declared and defines `relation`.
    public func hasRelation(_ relation: String, onType type: String) -> Bool {
        typeDefinition(named: type)?.relationIndexByName[relation] != nil
    }

    /// The declared condition called `name`.
    public func condition(named name: String) -> ConditionDefinition? {
        conditions[name]
    }

    /// The user types `relation` on `type` accepts directly (its `directly_related_user_types`).
    public func directlyRelatedUserTypes(ofRelation relation: String, onType type: String) -> [DirectlyRelatedUserType] {
        guard let definition = typeDefinition(named: type),
            let relationIndex = definition.relationIndexByName[relation]
        else { return [] }
        return definition.relations[relationIndex].directlyRelatedUserTypes
    }

    /// `tuple` with its condition context converted to the declared parameter types (RFC 3339
    /// strings to timestamps, duration strings to durations, exact numbers across int, uint and
    /// double). Storing normalized tuples spares every check from re-parsing them. Values that do
    /// not convert and undeclared names are left as they are: `TupleStore.validate` reports them.
    public func normalized(_ tuple: RelationshipTuple) -> RelationshipTuple {
        guard var condition = tuple.condition, let definition = conditions[condition.name] else { return tuple }
        for (name, value) in condition.context {
            guard let type = definition.parameters[name], let converted = value.coerced(to: type) else { continue }
            condition.context[name] = converted
        }
        var result = tuple
        result.condition = condition
        return result
    }

    /// Models are equal when their canonical JSON is.
    public static func == (left: AuthorizationModel, right: AuthorizationModel) -> Bool {
        left.canonicalJSON == right.canonicalJSON
    }

    // MARK: - Internal lookups

    func typeDefinition(named name: String) -> TypeDefinition? {
        guard let index = typeIndexByName[name] else { return nil }
        return types[index]
    }
}

/// Why a model was refused: where (a JSON path such as
/// `type_definitions[1].relations.editor.union.child[0].computedUserset.relation`) and what.
public struct ModelValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JSON path of the offending element.
    public let path: String
    /// A plain sentence saying what is wrong.
    public let message: String

    /// An error at `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
}

/// One entry of a relation's `directly_related_user_types`: `user`, `user:*` (wildcard),
/// `group#member` (userset), each optionally with a condition.
public struct DirectlyRelatedUserType: Sendable, Hashable, CustomStringConvertible {
    /// The user type (`user`, `group`).
    public let type: String
    /// The relation of a userset restriction (`member` in `group#member`).
    public let relation: String?
    /// Whether this restriction admits the wildcard `type:*`.
    public let isWildcard: Bool
    /// The condition tuples of this restriction carry, if any.
    public let condition: String?

    /// A restriction; `relation` and `isWildcard` are mutually exclusive.
    public init(type: String, relation: String? = nil, isWildcard: Bool = false, condition: String? = nil) {
        self.type = type
        self.relation = relation
        self.isWildcard = isWildcard
        self.condition = condition
    }

    /// OpenFGA DSL spelling: `user`, `user:*`, `group#member`, `user with non_expired`.
    public var description: String {
        var text = type
        if isWildcard { text += ":*" }
        if let relation { text += "#" + relation }
        if let condition { text += " with " + condition }
        return text
    }
}

// MARK: - Compiled definitions

/// A type with its relations, numbered for the checker. A class so the checker's hot path
/// passes one reference instead of copying (and retaining) every field.
final class TypeDefinition: Sendable {
    let name: String
    /// `name:*`, kept so checking a wildcard needs no string building.
    let wildcardUser: String
    let relations: [RelationDefinition]
    let relationIndexByName: [String: Int]

    init(name: String, wildcardUser: String, relations: [RelationDefinition], relationIndexByName: [String: Int]) {
        self.name = name
        self.wildcardUser = wildcardUser
        self.relations = relations
        self.relationIndexByName = relationIndexByName
    }
}

/// One relation: its rewrite and the user types it accepts directly (a class for the same reason).
final class RelationDefinition: Sendable {
    let name: String
    let rewrite: Rewrite
    let directlyRelatedUserTypes: [DirectlyRelatedUserType]
    /// By type index: whether some restriction admits plain `type:id` users of that type.
    let admitsPlainUsersOfType: [Bool]
    /// By type index: whether some restriction admits the wildcard `type:*`.
    let admitsWildcardOfType: [Bool]
    /// Whether some restriction admits usersets (`group#member`).
    let admitsUsersets: Bool
    /// By restriction: the index of its type, and for a userset the index of its relation on that type.
    let restrictionTargets: [(typeIndex: Int, relationIndex: Int)]

    init(name: String, rewrite: Rewrite, directlyRelatedUserTypes: [DirectlyRelatedUserType], types: [RawType], typeIndexByName: [String: Int]) {
        self.name = name
        self.rewrite = rewrite
        self.directlyRelatedUserTypes = directlyRelatedUserTypes
        var plain = Array(repeating: false, count: typeIndexByName.count)
        var wildcard = plain
        for restriction in directlyRelatedUserTypes where restriction.relation == nil {
            guard let typeIndex = typeIndexByName[restriction.type] else { continue }
            if restriction.isWildcard { wildcard[typeIndex] = true } else { plain[typeIndex] = true }
        }
        admitsPlainUsersOfType = plain
        admitsWildcardOfType = wildcard
        admitsUsersets = directlyRelatedUserTypes.contains { $0.relation != nil }
        restrictionTargets = directlyRelatedUserTypes.map { restriction in
            let typeIndex = typeIndexByName[restriction.type] ?? -1
            guard typeIndex >= 0, let relation = restriction.relation else { return (typeIndex, -1) }
            return (typeIndex, types[typeIndex].relations.firstIndex { $0.name == relation } ?? -1)
        }
    }

    /// The type index of a plain object user (`folder:x`, not a wildcard) this relation admits
    /// with `condition`, comparing the user's type prefix in place.
    func admittedObjectTypeIndex(user: String, condition: String?) -> Int? {
        let userBytes = user.utf8
        for (position, restriction) in directlyRelatedUserTypes.enumerated()
        where restriction.relation == nil && !restriction.isWildcard && restriction.condition == condition {
            let typeBytes = restriction.type.utf8
            guard userBytes.count > typeBytes.count + 1, userBytes.starts(with: typeBytes),
                userBytes[userBytes.index(userBytes.startIndex, offsetBy: typeBytes.count)] == UInt8(ascii: ":")
            else { continue }
            let isWildcard = userBytes.count == typeBytes.count + 2 && userBytes.last == UInt8(ascii: "*")
            return isWildcard ? nil : restrictionTargets[position].typeIndex
        }
        return nil
    }

    /// The (type, relation) indexes of a userset user (`group:x#member`) this relation admits with `condition`.
    func admittedUsersetTarget(userType: String, userRelation: String, condition: String?) -> (typeIndex: Int, relationIndex: Int)? {
        for (position, restriction) in directlyRelatedUserTypes.enumerated()
        where restriction.relation == userRelation && restriction.condition == condition && restriction.type == userType {
            return restrictionTargets[position]
        }
        return nil
    }

    /// Whether a tuple with this user shape and condition satisfies a type restriction.
    func admits(userType: Substring, userRelation: Substring?, isWildcard: Bool, condition: String?) -> Bool {
        for restriction in directlyRelatedUserTypes
        where restriction.isWildcard == isWildcard && restriction.type == userType
            && restriction.condition == condition
        {
            switch (restriction.relation, userRelation) {
            case (nil, nil): return true
            case (let expected?, let actual?) where expected == actual: return true
            default: continue
            }
        }
        return false
    }
}

/// A relation rewrite with references resolved to indexes.
indirect enum Rewrite: Sendable {
    /// `this`: tuples stored on the relation itself.
    case direct
    /// `computedUserset`: another relation of the same object (index in the same type).
    case computed(relationIndex: Int)
    /// `tupleToUserset`: for each object `o` related by `tuplesetIndex`, `relationName` on `o`;
    /// `targetRelationIndexByType[t]` is that relation's index on type `t`, or -1 when absent.
    case tupleToUserset(tuplesetIndex: Int, relationName: String, targetRelationIndexByType: [Int])
    /// Any child grants.
    case union([Rewrite])
    /// Every child grants.
    case intersection([Rewrite])
    /// `base` grants and `subtract` does not.
    case difference(base: Rewrite, subtract: Rewrite)
}
