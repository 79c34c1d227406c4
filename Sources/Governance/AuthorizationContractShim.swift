// Temporary stand-in for the Authorization contract (/work/contracts/authorization-api.md) until
// branch `authz` compiles; removed at the merge.
import JSON

public enum ConditionValue: Sendable, Hashable {
    case null, bool(Bool), int(Int64), uint(UInt64), double(Double), string(String)
    case list([ConditionValue]), map([String: ConditionValue])
    case timestamp(seconds: Int64, nanos: Int32)
    case duration(seconds: Int64, nanos: Int32)
}

public struct ModelValidationError: Error, Sendable, Equatable {
    public let path: String
    public let message: String
}

public struct AuthorizationModel: Sendable, Equatable {
    var json: JSONValue
    public static func parse(_ json: JSONValue) throws(ModelValidationError) -> AuthorizationModel {
        guard json["type_definitions"] != nil else { throw ModelValidationError(path: "type_definitions", message: "missing") }
        return AuthorizationModel(json: json)
    }
    public var canonicalJSON: [UInt8] { JSONWriter(sortedKeys: true).bytes(json) }
    public var typeNames: [String] {
        (json["type_definitions"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }.sorted()
    }
    public func hasRelation(_ relation: String, onType type: String) -> Bool { true }
}

public struct TupleKey: Sendable, Hashable, Comparable {
    public var user, relation, object: String
    public static func < (l: TupleKey, r: TupleKey) -> Bool { (l.object, l.relation, l.user) < (r.object, r.relation, r.user) }
}
public struct TupleCondition: Sendable, Hashable {
    public var name: String
    public var context: [String: ConditionValue]
    public init(name: String, context: [String: ConditionValue]) { self.name = name; self.context = context }
}
public struct RelationshipTuple: Sendable, Hashable {
    public var user: String
    public var relation: String
    public var object: String
    public var condition: TupleCondition?
    public init(user: String, relation: String, object: String, condition: TupleCondition? = nil) {
        self.user = user; self.relation = relation; self.object = object; self.condition = condition
    }
    public var key: TupleKey { TupleKey(user: user, relation: relation, object: object) }
}
public struct TupleValidationError: Error, Sendable, Equatable {
    public let field: String
    public let message: String
}
public struct TupleStore: Sendable {
    var tuples: [TupleKey: RelationshipTuple] = [:]
    public init() {}
    public var count: Int { tuples.count }
    public func validate(_ tuple: RelationshipTuple, against model: AuthorizationModel) throws(TupleValidationError) {
        if tuple.user.isEmpty { throw TupleValidationError(field: "user", message: "empty") }
    }
    public func contains(_ key: TupleKey) -> Bool { tuples[key] != nil }
    public func tuple(for key: TupleKey) -> RelationshipTuple? { tuples[key] }
    @discardableResult public mutating func insert(_ tuple: RelationshipTuple) -> Bool {
        if tuples[tuple.key] != nil { return false }
        tuples[tuple.key] = tuple
        return true
    }
    @discardableResult public mutating func remove(_ key: TupleKey) -> RelationshipTuple? { tuples.removeValue(forKey: key) }
    public func allTuples() -> [RelationshipTuple] { tuples.values.sorted { $0.key < $1.key } }
}
public struct CheckRequest: Sendable {
    public var user: String
    public var relation: String
    public var object: String
    public var context: [String: ConditionValue]
    public var reservedParameters: [String: ConditionValue]
    public init(user: String, relation: String, object: String, context: [String: ConditionValue] = [:], reservedParameters: [String: ConditionValue] = [:]) {
        self.user = user; self.relation = relation; self.object = object; self.context = context; self.reservedParameters = reservedParameters
    }
}
public struct CheckLimits: Sendable {
    public static let standard = CheckLimits()
}
public enum CheckFailure: Sendable, Equatable {
    case depthExceeded, costExceeded
    case conditionError(name: String, message: String)
    case unknownType(String), unknownRelation(type: String, relation: String)
}
public struct CheckOutcome: Sendable, Equatable {
    public var allowed: Bool
    public var missingParameters: [String]
    public var failure: CheckFailure?
}
public struct Checker {
    public static func check(_ request: CheckRequest, model: AuthorizationModel, tuples: TupleStore, limits: CheckLimits = .standard) -> CheckOutcome {
        CheckOutcome(allowed: tuples.contains(TupleKey(user: request.user, relation: request.relation, object: request.object)), missingParameters: [], failure: nil)
    }
}
