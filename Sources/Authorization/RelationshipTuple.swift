/// One relationship tuple (OpenFGA form). Identity is (user, relation, object); the condition
/// is not part of the key.
public struct RelationshipTuple: Sendable, Hashable {
    /// `user:anne`, `group:finance#member` (a userset) or `user:*` (every user of the type).
    public var user: String
    /// A relation of the object's type.
    public var relation: String
    /// `invoice:2026-17`.
    public var object: String
    /// The condition that must hold for the tuple to count, with its persisted parameters.
    public var condition: TupleCondition?

    /// A tuple, optionally conditional.
    public init(user: String, relation: String, object: String, condition: TupleCondition? = nil) {
        self.user = user
        self.relation = relation
        self.object = object
        self.condition = condition
    }

    /// The tuple's identity.
    public var key: TupleKey { TupleKey(user: user, relation: relation, object: object) }
}

/// The identity of a tuple. Ordered by object, then relation, then user, so listing one
/// object's tuples is a contiguous range.
public struct TupleKey: Sendable, Hashable, Comparable {
    /// The user part (`user:anne`, `group:finance#member`, `user:*`).
    public var user: String
    /// The relation.
    public var relation: String
    /// The object (`invoice:2026-17`).
    public var object: String

    /// A key.
    public init(user: String, relation: String, object: String) {
        self.user = user
        self.relation = relation
        self.object = object
    }

    /// Object, then relation, then user.
    public static func < (left: TupleKey, right: TupleKey) -> Bool {
        if left.object != right.object { return left.object < right.object }
        if left.relation != right.relation { return left.relation < right.relation }
        return left.user < right.user
    }
}

/// The condition attached to a tuple: its name in the model and the persisted parameter values
/// (which take precedence over a request's context).
public struct TupleCondition: Sendable, Hashable {
    /// The condition's name.
    public var name: String
    /// Persisted parameter values.
    public var context: [String: ConditionValue]

    /// A condition reference.
    public init(name: String, context: [String: ConditionValue] = [:]) {
        self.name = name
        self.context = context
    }
}

/// Why a tuple may not be written: which field and why.
public struct TupleValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `user`, `relation`, `object`, `condition` or `condition.context.<name>`.
    public let field: String
    /// A plain sentence.
    public let message: String

    /// An error about `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`.
    public var description: String { "\(field): \(message)" }
}

// MARK: - Identifier syntax

/// The parts of a tuple's user or object string, as slices of it (no copies).
struct ParsedUser {
    /// The type before the first `:`.
    let type: Substring
    /// The id between `:` and an optional `#`; `*` for a wildcard.
    let id: Substring
    /// The relation after `#` for a userset.
    let relation: Substring?

    /// `type:id` without the relation.
    let objectPart: Substring

    var isWildcard: Bool { relation == nil && id == "*" }

    /// Longest user or object string accepted.
    static let maximumLength = 512

    /// Parses `type:id`, `type:*` or `type:id#relation`; nil when malformed. One pass over the
    /// bytes: the check path parses two of these per request.
    static func parse(_ text: String) -> ParsedUser? {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maximumLength else { return nil }
        var colon: String.Index?
        var hash: String.Index?
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte <= 0x20 || byte == 0x7F { return nil }
            if colon == nil {
                if byte == UInt8(ascii: ":") { colon = index } else if byte == UInt8(ascii: "#") || byte == UInt8(ascii: "@") { return nil }
            } else if byte == UInt8(ascii: "#") {
                if hash != nil { return nil }
                hash = index
            } else if hash != nil, byte == UInt8(ascii: ":") || byte == UInt8(ascii: "@") {
                return nil
            }
            utf8.formIndex(after: &index)
        }
        guard let colon, colon != utf8.startIndex else { return nil }
        let idStart = utf8.index(after: colon)
        let idEnd = hash ?? utf8.endIndex
        guard idStart < idEnd else { return nil }
        let id = text[idStart..<idEnd]
        var relation: Substring?
        if let hash {
            let relationStart = utf8.index(after: hash)
            guard relationStart < utf8.endIndex, id != "*" else { return nil }
            relation = text[relationStart...]
        }
        return ParsedUser(type: text[..<colon], id: id, relation: relation, objectPart: text[..<idEnd])
    }

    /// Parses an object: `type:id`, not a wildcard and not a userset.
    static func parseObject(_ text: String) -> ParsedUser? {
        guard let parsed = parse(text), parsed.relation == nil, parsed.id != "*" else { return nil }
        return parsed
    }
}
