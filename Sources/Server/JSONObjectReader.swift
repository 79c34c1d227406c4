import Authorization
import Governance
import JSON

// MARK: - Strict object reader

/// Reads the members of one JSON object strictly: every member must be read (others are
/// "unknown field"), each must have the expected type and bounds, required ones must be present.
/// Errors accumulate with their JSON path so one response names every field at fault.
/// `null` counts as absent.
public struct JSONObjectReader: Sendable {
    /// The largest JSON nesting a request body may have.
    public static let maximumBodyDepth = 32

    private let members: [String: JSONValue]
    private let prefix: String
    private var readKeys: Set<String> = []
    /// The errors found so far.
    public private(set) var errors: [FieldError] = []

    /// A reader over `value`, whose fields are reported under `path` (empty for the body).
    public init(_ value: JSONValue, path: String = "") {
        prefix = path.isEmpty ? "" : path + "."
        if let members = value.objectValue {
            self.members = members
        } else {
            self.members = [:]
            errors.append(FieldError(field: path.isEmpty ? "body" : path, message: "must be an object, got \(value.kindDescription)"))
        }
    }

    /// Parses a request body that must be a JSON object; malformed JSON is a 400 on `body`.
    public static func body(_ bytes: [UInt8]) -> Result<JSONObjectReader, Problem> {
        if bytes.isEmpty { return .failure(.invalid("body", "a JSON object is required")) }
        do {
            let value = try JSONParser.parse(bytes, maximumDepth: maximumBodyDepth)
            let reader = JSONObjectReader(value)
            if let error = reader.errors.first { return .failure(.validation([error])) }
            return .success(reader)
        } catch {
            return .failure(.invalid("body", error.description))
        }
    }

    /// The path of member `key`.
    public func path(_ key: String) -> String { prefix + key }

    /// Records an error on member `key`.
    public mutating func fail(_ key: String, _ message: String) {
        errors.append(FieldError(field: path(key), message: message))
    }

    /// Records an error at an explicit path.
    public mutating func fail(path: String, _ message: String) {
        errors.append(FieldError(field: path, message: message))
    }

    /// Adds the errors of a nested reader (after its `finish`).
    public mutating func absorb(_ errors: [FieldError]) { self.errors += errors }

    /// Whether member `key` is present and not null (marks it read).
    public mutating func has(_ key: String) -> Bool {
        readKeys.insert(key)
        guard let value = members[key] else { return false }
        return !value.isNull
    }

    /// The raw member (marks it read); nil when absent or null, an error when required.
    public mutating func value(_ key: String, required: Bool) -> JSONValue? {
        readKeys.insert(key)
        guard let value = members[key], !value.isNull else {
            if required { fail(key, "is required") }
            return nil
        }
        return value
    }

    /// Ends reading: every member not read is an unknown field. Returns all errors.
    public mutating func finish() -> [FieldError] {
        for key in members.keys.sorted() where !readKeys.contains(key) {
            fail(key, "unknown field")
        }
        return errors
    }
}

// MARK: - Typed members

extension JSONObjectReader {
    /// A string of 1 (or 0 when `allowEmpty`) to `maximumBytes` UTF-8 bytes.
    public mutating func string(
        _ key: String, required: Bool, maximumBytes: Int = GovernanceLimits.maximumTextBytes, allowEmpty: Bool = false
    ) -> String? {
        guard let value = value(key, required: required) else { return nil }
        guard let text = value.stringValue else { fail(key, "must be a string, got \(value.kindDescription)"); return nil }
        let count = text.utf8.count
        guard count <= maximumBytes else { fail(key, "longer than \(maximumBytes) bytes"); return nil }
        guard allowEmpty || count > 0 else { fail(key, "must not be empty"); return nil }
        return text
    }

    /// An id matching `[A-Za-z0-9._:@-]{1,128}`.
    public mutating func identifier(_ key: String, required: Bool) -> String? {
        guard let text = string(key, required: required, maximumBytes: Int.max, allowEmpty: true) else { return nil }
        guard APIValidation.isIdentifier(text) else { fail(key, APIValidation.identifierMessage); return nil }
        return text
    }

    /// A `type:id` reference (`user:anne`, `group:finance#member`), shape-checked; the model checks the rest.
    public mutating func typedReference(_ key: String, required: Bool) -> String? {
        guard let text = string(key, required: required, maximumBytes: GovernanceLimits.maximumTupleFieldBytes) else {
            return nil
        }
        guard APIValidation.isTypedReference(text) else { fail(key, "must be of the form type:id"); return nil }
        return text
    }

    /// An integer within `range`.
    public mutating func integer(_ key: String, required: Bool, range: ClosedRange<Int64>) -> Int64? {
        guard let value = value(key, required: required) else { return nil }
        guard case .integer(let number) = value else { fail(key, "must be an integer, got \(value.kindDescription)"); return nil }
        guard range.contains(number) else {
            fail(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return number
    }

    /// A finite number within `range`.
    public mutating func number(_ key: String, required: Bool, range: ClosedRange<Double>) -> Double? {
        guard let value = value(key, required: required) else { return nil }
        guard let number = value.doubleValue else { fail(key, "must be a number, got \(value.kindDescription)"); return nil }
        guard number.isFinite, range.contains(number) else {
            fail(key, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return number
    }

    /// A boolean.
    public mutating func bool(_ key: String, required: Bool) -> Bool? {
        guard let value = value(key, required: required) else { return nil }
        guard let flag = value.boolValue else { fail(key, "must be a boolean, got \(value.kindDescription)"); return nil }
        return flag
    }

    /// An array of at most `maximumCount` elements.
    public mutating func array(_ key: String, required: Bool, maximumCount: Int) -> [JSONValue]? {
        guard let value = value(key, required: required) else { return nil }
        guard let elements = value.arrayValue else { fail(key, "must be an array, got \(value.kindDescription)"); return nil }
        guard elements.count <= maximumCount else { fail(key, "more than \(maximumCount) elements"); return nil }
        return elements
    }

    /// A list of scopes (`<type>:<relation>` or `<type>:*`).
    public mutating func scopes(_ key: String, required: Bool) -> [String]? {
        guard let elements = array(key, required: required, maximumCount: GovernanceLimits.maximumScopes) else { return nil }
        var scopes: [String] = []
        var valid = true
        for (index, element) in elements.enumerated() {
            guard let scope = element.stringValue, Scope.isValid(scope) else {
                fail(path: path(key) + "[\(index)]", "must be a scope <type>:<relation> or <type>:*")
                valid = false
                continue
            }
            scopes.append(scope)
        }
        return valid ? scopes : nil
    }

    /// A map of condition values (attributes, context) within the context bounds.
    public mutating func conditionMap(_ key: String, required: Bool) -> [String: ConditionValue]? {
        guard let value = value(key, required: required) else { return nil }
        guard let members = value.objectValue else { fail(key, "must be an object, got \(value.kindDescription)"); return nil }
        let map = members.mapValues(ConditionValue.init(json:))
        if let violation = ConditionContextLimits.violation(in: map) { fail(key, violation); return nil }
        guard JSONWriter().bytes(value).count <= GovernanceLimits.maximumContextBytes else {
            fail(key, "larger than \(GovernanceLimits.maximumContextBytes) bytes")
            return nil
        }
        return map
    }

    /// A nested object read by `body`, whose errors are absorbed.
    public mutating func object<Result>(_ key: String, required: Bool, _ body: (inout JSONObjectReader) -> Result?) -> Result? {
        guard let value = value(key, required: required) else { return nil }
        var nested = JSONObjectReader(value, path: path(key))
        let result = nested.errors.isEmpty ? body(&nested) : nil
        absorb(nested.finish())
        return result
    }
}
