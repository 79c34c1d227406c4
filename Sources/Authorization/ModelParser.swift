import JSON

/// Turns OpenFGA model JSON into an `AuthorizationModel`, refusing anything that cannot be
/// evaluated, with the JSON path of the first problem.
///
/// Order: structure of every type definition, then conditions (their expressions compile
/// against the declared parameters), then references (relations, types, conditions, tuplesets),
/// then reachability (every relation must be grantable by some chain ending in a direct tuple).
enum ModelParser {
    // MARK: - Bounds (a model is replicated and held in memory on every node)

    /// Type definitions per model.
    static let maximumTypes = 256
    /// Relations per type.
    static let maximumRelationsPerType = 128
    /// Nesting of union/intersection/difference inside one relation.
    static let maximumRewriteDepth = 16
    /// Children of one union or intersection.
    static let maximumRewriteChildren = 32
    /// Entries of one relation's `directly_related_user_types`.
    static let maximumDirectlyRelatedUserTypes = 64
    /// Conditions per model.
    static let maximumConditions = 128
    /// Parameters per condition.
    static let maximumConditionParameters = 32
    /// Longest type name (OpenFGA's limit).
    static let maximumTypeNameLength = 254
    /// Longest relation name (OpenFGA's limit).
    static let maximumRelationNameLength = 50
    /// Longest condition or parameter name.
    static let maximumConditionNameLength = 256

    static let supportedSchemaVersion = "1.1"

    // MARK: - Entry point

    static func parse(_ json: JSONValue) throws(ModelValidationError) -> AuthorizationModel {
        let root = try members(of: json, at: "", allowed: ["schema_version", "type_definitions", "conditions", "id"])
        guard let version = root["schema_version"] else {
            throw ModelValidationError(path: "schema_version", message: "is required and must be \"1.1\"")
        }
        guard version.stringValue == supportedSchemaVersion else {
            throw ModelValidationError(path: "schema_version", message: "must be \"1.1\", found \(describe(version))")
        }
        let rawTypes = try parseTypeDefinitions(root["type_definitions"])
        let conditions = try ConditionDefinitionParser.parseConditions(root["conditions"])
        let resolver = ReferenceResolver(rawTypes: rawTypes, conditions: conditions)
        let types = try resolver.resolve()
        try ReachabilityAnalysis(types: types, typeIndexByName: resolver.typeIndexByName, rawTypes: rawTypes).verify()
        return AuthorizationModel(
            types: types,
            typeIndexByName: resolver.typeIndexByName,
            conditions: conditions,
            conditionPrograms: conditions.mapValues(\.program),
            canonicalJSON: JSONWriter().bytes(json)
        )
    }

    // MARK: - Type definitions

    private static func parseTypeDefinitions(_ value: JSONValue?) throws(ModelValidationError) -> [RawType] {
        guard let value, case .array(let elements) = value else {
            throw ModelValidationError(path: "type_definitions", message: "is required and must be an array")
        }
        guard !elements.isEmpty else {
            throw ModelValidationError(path: "type_definitions", message: "must declare at least one type")
        }
        guard elements.count <= maximumTypes else {
            throw ModelValidationError(path: "type_definitions", message: "declares \(elements.count) types; at most \(maximumTypes) are allowed")
        }
        var rawTypes: [RawType] = []
        var seen: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            let path = "type_definitions[\(index)]"
            let rawType = try parseTypeDefinition(element, at: path)
            if let earlier = seen[rawType.name] {
                throw ModelValidationError(path: path + ".type", message: "type '\(rawType.name)' is already declared at type_definitions[\(earlier)]")
            }
            seen[rawType.name] = index
            rawTypes.append(rawType)
        }
        return rawTypes
    }

    private static func parseTypeDefinition(_ value: JSONValue, at path: String) throws(ModelValidationError) -> RawType {
        let fields = try members(of: value, at: path, allowed: ["type", "relations", "metadata"])
        let name = try requiredString(fields["type"], at: path + ".type")
        try validateName(name, at: path + ".type", kind: "type name", maximumLength: maximumTypeNameLength)
        var relations: [RawRelation] = []
        if let relationsValue = fields["relations"], !relationsValue.isNull {
            let relationMembers = try members(of: relationsValue, at: path + ".relations", allowed: nil)
            guard relationMembers.count <= maximumRelationsPerType else {
                throw ModelValidationError(path: path + ".relations", message: "declares \(relationMembers.count) relations; at most \(maximumRelationsPerType) are allowed")
            }
            for relationName in relationMembers.keys.sorted() {
                let relationPath = path + ".relations." + relationName
                try validateName(relationName, at: relationPath, kind: "relation name", maximumLength: maximumRelationNameLength)
                let rewrite = try parseRewrite(relationMembers[relationName]!, at: relationPath, depth: 1)
                relations.append(RawRelation(name: relationName, path: relationPath, rewrite: rewrite, directTypes: []))
            }
        }
        try attachMetadata(fields["metadata"], to: &relations, at: path + ".metadata")
        return RawType(name: name, path: path, relations: relations)
    }

    private static func attachMetadata(_ value: JSONValue?, to relations: inout [RawRelation], at path: String) throws(ModelValidationError) {
        guard let value, !value.isNull else { return }
        let fields = try members(of: value, at: path, allowed: ["relations", "module", "source_info"])
        guard let relationsValue = fields["relations"], !relationsValue.isNull else { return }
        let relationMembers = try members(of: relationsValue, at: path + ".relations", allowed: nil)
        for relationName in relationMembers.keys.sorted() {
            let relationPath = path + ".relations." + relationName
            guard let relationIndex = relations.firstIndex(where: { $0.name == relationName }) else {
                throw ModelValidationError(path: relationPath, message: "metadata for relation '\(relationName)', which the type does not define")
            }
            let entry = try members(of: relationMembers[relationName]!, at: relationPath, allowed: ["directly_related_user_types", "module", "source_info"])
            guard let typesValue = entry["directly_related_user_types"], !typesValue.isNull else { continue }
            relations[relationIndex].directTypes = try parseDirectTypes(typesValue, at: relationPath + ".directly_related_user_types")
            relations[relationIndex].directTypesPath = relationPath + ".directly_related_user_types"
        }
    }

    private static func parseDirectTypes(_ value: JSONValue, at path: String) throws(ModelValidationError) -> [(DirectlyRelatedUserType, String)] {
        guard case .array(let elements) = value else {
            throw ModelValidationError(path: path, message: "must be an array, found \(describe(value))")
        }
        guard elements.count <= maximumDirectlyRelatedUserTypes else {
            throw ModelValidationError(path: path, message: "lists \(elements.count) user types; at most \(maximumDirectlyRelatedUserTypes) are allowed")
        }
        var result: [(DirectlyRelatedUserType, String)] = []
        for (index, element) in elements.enumerated() {
            let entryPath = path + "[\(index)]"
            let fields = try members(of: element, at: entryPath, allowed: ["type", "relation", "wildcard", "condition"])
            let type = try requiredString(fields["type"], at: entryPath + ".type")
            let relation = try optionalString(fields["relation"], at: entryPath + ".relation")
            let condition = try optionalString(fields["condition"], at: entryPath + ".condition")
            var isWildcard = false
            if let wildcard = fields["wildcard"], !wildcard.isNull {
                guard case .object(let wildcardMembers) = wildcard, wildcardMembers.isEmpty else {
                    throw ModelValidationError(path: entryPath + ".wildcard", message: "must be an empty object")
                }
                guard relation == nil else {
                    throw ModelValidationError(path: entryPath + ".wildcard", message: "a wildcard cannot also name a relation")
                }
                isWildcard = true
            }
            let restriction = DirectlyRelatedUserType(type: type, relation: relation, isWildcard: isWildcard, condition: condition)
            if result.contains(where: { $0.0 == restriction }) {
                throw ModelValidationError(path: entryPath, message: "'\(restriction)' is listed twice")
            }
            result.append((restriction, entryPath))
        }
        return result
    }

    // MARK: - Rewrites

    private static let rewriteKinds: Set<String> = ["this", "computedUserset", "tupleToUserset", "union", "intersection", "difference"]

    static func parseRewrite(_ value: JSONValue, at path: String, depth: Int) throws(ModelValidationError) -> RawRewrite {
        guard depth <= maximumRewriteDepth else {
            throw ModelValidationError(path: path, message: "rewrites nest deeper than \(maximumRewriteDepth) levels")
        }
        let fields = try members(of: value, at: path, allowed: rewriteKinds)
        guard fields.count == 1, let kind = fields.keys.first, let body = fields[kind] else {
            throw ModelValidationError(path: path, message: "must have exactly one of this, computedUserset, tupleToUserset, union, intersection, difference")
        }
        let bodyPath = path + "." + kind
        switch kind {
        case "this":
            _ = try members(of: body, at: bodyPath, allowed: [])
            return .direct(path: bodyPath)
        case "computedUserset":
            let relation = try parseObjectRelation(body, at: bodyPath)
            return .computed(relation: relation, path: bodyPath + ".relation")
        case "tupleToUserset":
            let parts = try members(of: body, at: bodyPath, allowed: ["tupleset", "computedUserset"])
            let tupleset = try parseObjectRelation(parts["tupleset"] ?? .null, at: bodyPath + ".tupleset")
            let computed = try parseObjectRelation(parts["computedUserset"] ?? .null, at: bodyPath + ".computedUserset")
            return .tupleToUserset(
                tupleset: tupleset, tuplesetPath: bodyPath + ".tupleset.relation",
                computed: computed, computedPath: bodyPath + ".computedUserset.relation")
        case "union", "intersection":
            let children = try parseChildren(body, at: bodyPath, depth: depth)
            return kind == "union" ? .union(children) : .intersection(children)
        default:
            let parts = try members(of: body, at: bodyPath, allowed: ["base", "subtract"])
            guard let base = parts["base"], let subtract = parts["subtract"] else {
                throw ModelValidationError(path: bodyPath, message: "needs both base and subtract")
            }
            return .difference(
                base: try parseRewrite(base, at: bodyPath + ".base", depth: depth + 1),
                subtract: try parseRewrite(subtract, at: bodyPath + ".subtract", depth: depth + 1))
        }
    }

    private static func parseChildren(_ body: JSONValue, at path: String, depth: Int) throws(ModelValidationError) -> [RawRewrite] {
        let parts = try members(of: body, at: path, allowed: ["child"])
        guard let childValue = parts["child"], case .array(let elements) = childValue, !elements.isEmpty else {
            throw ModelValidationError(path: path + ".child", message: "must be a non-empty array of rewrites")
        }
        guard elements.count <= maximumRewriteChildren else {
            throw ModelValidationError(path: path + ".child", message: "has \(elements.count) children; at most \(maximumRewriteChildren) are allowed")
        }
        var children: [RawRewrite] = []
        for (index, element) in elements.enumerated() {
            children.append(try parseRewrite(element, at: path + ".child[\(index)]", depth: depth + 1))
        }
        return children
    }

    /// `{"relation": "owner"}` (an `object` member, if present, must be empty as in OpenFGA's output).
    private static func parseObjectRelation(_ value: JSONValue, at path: String) throws(ModelValidationError) -> String {
        let fields = try members(of: value, at: path, allowed: ["relation", "object"])
        if let object = fields["object"], object.stringValue != "" {
            throw ModelValidationError(path: path + ".object", message: "must be empty when present")
        }
        return try requiredString(fields["relation"], at: path + ".relation")
    }

    // MARK: - JSON helpers

    /// The members of an object; with `allowed`, an unknown member is an error at its path.
    static func members(of value: JSONValue, at path: String, allowed: Set<String>?) throws(ModelValidationError) -> [String: JSONValue] {
        guard case .object(let fields) = value else {
            throw ModelValidationError(path: path.isEmpty ? "$" : path, message: "must be an object, found \(describe(value))")
        }
        if let allowed {
            for key in fields.keys.sorted() where !allowed.contains(key) {
                throw ModelValidationError(path: path.isEmpty ? key : path + "." + key, message: "is not a recognized member")
            }
        }
        return fields
    }

    static func requiredString(_ value: JSONValue?, at path: String) throws(ModelValidationError) -> String {
        guard let value else { throw ModelValidationError(path: path, message: "is required") }
        guard let text = value.stringValue, !text.isEmpty else {
            throw ModelValidationError(path: path, message: "must be a non-empty string, found \(describe(value))")
        }
        return text
    }

    static func optionalString(_ value: JSONValue?, at path: String) throws(ModelValidationError) -> String? {
        guard let value, !value.isNull else { return nil }
        if value.stringValue == "" { return nil }
        return try requiredString(value, at: path)
    }

    /// OpenFGA's name rule: no `:`, `#`, `@` or whitespace; `this` and `self` are reserved.
    static func validateName(_ name: String, at path: String, kind: String, maximumLength: Int) throws(ModelValidationError) {
        guard !name.isEmpty, name.utf8.count <= maximumLength else {
            throw ModelValidationError(path: path, message: "\(kind) must have 1 to \(maximumLength) bytes")
        }
        guard !name.unicodeScalars.contains(where: { $0 == ":" || $0 == "#" || $0 == "@" || $0.properties.isWhitespace }) else {
            throw ModelValidationError(path: path, message: "\(kind) '\(name)' must not contain ':', '#', '@' or whitespace")
        }
        guard name != "this", name != "self", name != "*" else {
            throw ModelValidationError(path: path, message: "\(kind) '\(name)' is reserved")
        }
    }

    static func describe(_ value: JSONValue) -> String {
        if case .string(let text) = value { return "\"\(text.prefix(64))\"" }
        return value.kindDescription
    }
}

// MARK: - Parsed, unresolved definitions

/// A type definition as read, before references are resolved.
struct RawType {
    let name: String
    let path: String
    var relations: [RawRelation]
}

/// A relation as read: its rewrite and its type restrictions with their paths.
struct RawRelation {
    let name: String
    let path: String
    let rewrite: RawRewrite
    var directTypes: [(DirectlyRelatedUserType, String)]
    var directTypesPath: String?
}

/// A rewrite as read; each reference keeps the path of the JSON member that names it.
indirect enum RawRewrite {
    case direct(path: String)
    case computed(relation: String, path: String)
    case tupleToUserset(tupleset: String, tuplesetPath: String, computed: String, computedPath: String)
    case union([RawRewrite])
    case intersection([RawRewrite])
    case difference(base: RawRewrite, subtract: RawRewrite)

    /// Whether `this` appears anywhere in the rewrite.
    var containsDirect: Bool {
        switch self {
        case .direct: return true
        case .computed, .tupleToUserset: return false
        case .union(let children), .intersection(let children): return children.contains { $0.containsDirect }
        case .difference(let base, let subtract): return base.containsDirect || subtract.containsDirect
        }
    }
}
