/// The static type of a condition parameter or CEL expression.
///
/// `dynamic` (OpenFGA `TYPE_NAME_ANY`, CEL `dyn`) defers the check to evaluation time: an
/// operation on a dynamic value that turns out to have the wrong kind is an evaluation error.
public indirect enum ConditionType: Sendable, Hashable, CustomStringConvertible {
    /// Any value; checked when evaluated.
    case dynamic
    /// CEL `null_type`.
    case null
    /// CEL `bool`.
    case bool
    /// CEL `int` (64-bit signed).
    case int
    /// CEL `uint` (64-bit unsigned).
    case uint
    /// CEL `double`.
    case double
    /// CEL `string`.
    case string
    /// CEL `google.protobuf.Duration`.
    case duration
    /// CEL `google.protobuf.Timestamp`.
    case timestamp
    /// A list whose elements have the given type.
    case list(ConditionType)
    /// A map from strings to values of the given type.
    case map(ConditionType)

    /// The CEL spelling, for messages (`list<int>`, `map<string, dyn>`).
    public var description: String {
        switch self {
        case .dynamic: return "dyn"
        case .null: return "null"
        case .bool: return "bool"
        case .int: return "int"
        case .uint: return "uint"
        case .double: return "double"
        case .string: return "string"
        case .duration: return "duration"
        case .timestamp: return "timestamp"
        case .list(let element): return "list<\(element)>"
        case .map(let value): return "map<string, \(value)>"
        }
    }

    /// Whether this is a number type (int, uint or double).
    var isNumeric: Bool {
        switch self {
        case .int, .uint, .double: return true
        default: return false
        }
    }

    /// Whether this is `dyn`.
    var isDynamic: Bool {
        if case .dynamic = self { return true }
        return false
    }

    /// Whether a value of type `other` may stand where this type is expected, statically
    /// (`dyn` on either side defers the question to evaluation).
    func isAssignable(from other: ConditionType) -> Bool {
        switch (self, other) {
        case (.dynamic, _), (_, .dynamic): return true
        case (.list(let expected), .list(let actual)): return expected.isAssignable(from: actual)
        case (.map(let expected), .map(let actual)): return expected.isAssignable(from: actual)
        default: return self == other
        }
    }
}
