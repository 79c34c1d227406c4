import JSON

/// A named condition of the model: a CEL expression over typed parameters, compiled and
/// type-checked when the model is written.
///
/// The supported CEL subset:
/// - literals: `int` (decimal, `0x` hex), `uint` (`3u`), `double`, `string` ('…' or "…" with the
///   usual escapes), `bool`, `null`, lists `[…]`, maps with string keys `{'k': v}`, and
///   `timestamp('2026-01-01T00:00:00Z')`, `duration('1h30m')` (validated at compile time);
/// - parameters declared with OpenFGA type names (`TYPE_NAME_INT`, …, `TYPE_NAME_LIST`/`MAP`
///   with one generic type, `TYPE_NAME_ANY` as `dyn`; `TYPE_NAME_IPADDRESS` is refused), and the
///   reserved map parameters `subject` and `agent`;
/// - `+ - * / %` (int and uint overflow-checked; no implicit conversion between int, uint and
///   double), string and list `+`, timestamp/duration arithmetic; `== != < <= > >=` (numbers
///   compare by value across int, uint and double); `&& || !` with CEL's error and unknown
///   absorption; `?:`; `in` on lists and maps; field selection `m.f` and indexing `l[i]`, `m['k']`;
///   `size()`, `has(m.f)`, and the conversions `int() uint() double() string()`.
/// Not supported: macros other than `has`, string methods, bytes, regular expressions, time
/// accessors. Expressions are bounded in length, tokens and nesting; evaluation in cost.
public struct ConditionDefinition: Sendable, Equatable {
    /// The condition's name, as tuples and type restrictions refer to it.
    public let name: String
    /// The CEL source text.
    public let expression: String
    /// The declared parameters and their types.
    public let parameters: [String: ConditionType]
    /// The compiled, type-checked expression.
    let program: ConditionProgram

    /// Compiles `expression` against `parameters`; the error says where in the text it failed.
    public init(name: String, expression: String, parameters: [String: ConditionType]) throws(ConditionCompileError) {
        self.name = name
        self.expression = expression
        self.parameters = parameters
        self.program = try ConditionProgram.compile(expression: expression, parameters: parameters)
    }

    /// Definitions are equal when name, text and parameters are.
    public static func == (left: ConditionDefinition, right: ConditionDefinition) -> Bool {
        left.name == right.name && left.expression == right.expression && left.parameters == right.parameters
    }

    /// The reserved parameters, whose values come from `CheckRequest.reservedParameters`.
    public static let reservedParameterNames: Set<String> = ["subject", "agent"]
}

/// Why a condition expression was refused: the UTF-8 offset in the expression and a sentence.
public struct ConditionCompileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset into the expression where the problem starts.
    public let offset: Int
    /// What is wrong.
    public let message: String

    /// An error at `offset`.
    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// `at offset N: message`.
    public var description: String { "at offset \(offset): \(message)" }
}

// MARK: - Parsing the `conditions` member of a model

/// Reads `conditions` from model JSON: names, parameters with OpenFGA type names, expressions.
enum ConditionDefinitionParser {
    static func parseConditions(_ value: JSONValue?) throws(ModelValidationError) -> [String: ConditionDefinition] {
        guard let value, !value.isNull else { return [:] }
        let entries = try ModelParser.members(of: value, at: "conditions", allowed: nil)
        guard entries.count <= ModelParser.maximumConditions else {
            throw ModelValidationError(path: "conditions", message: "declares \(entries.count) conditions; at most \(ModelParser.maximumConditions) are allowed")
        }
        var conditions: [String: ConditionDefinition] = [:]
        for key in entries.keys.sorted() {
            conditions[key] = try parseCondition(entries[key]!, key: key, at: "conditions." + key)
        }
        return conditions
    }

    private static func parseCondition(_ value: JSONValue, key: String, at path: String) throws(ModelValidationError) -> ConditionDefinition {
        try validateIdentifier(key, at: path, kind: "condition name")
        let fields = try ModelParser.members(of: value, at: path, allowed: ["name", "expression", "parameters", "metadata"])
        if let name = fields["name"], name.stringValue != key {
            throw ModelValidationError(path: path + ".name", message: "must equal the key '\(key)'")
        }
        let expression = try ModelParser.requiredString(fields["expression"], at: path + ".expression")
        var parameters: [String: ConditionType] = [:]
        if let parametersValue = fields["parameters"], !parametersValue.isNull {
            let entries = try ModelParser.members(of: parametersValue, at: path + ".parameters", allowed: nil)
            guard entries.count <= ModelParser.maximumConditionParameters else {
                throw ModelValidationError(path: path + ".parameters", message: "declares \(entries.count) parameters; at most \(ModelParser.maximumConditionParameters) are allowed")
            }
            for parameterName in entries.keys.sorted() {
                let parameterPath = path + ".parameters." + parameterName
                try validateIdentifier(parameterName, at: parameterPath, kind: "parameter name")
                let type = try parseParameterType(entries[parameterName]!, at: parameterPath, depth: 1)
                if ConditionDefinition.reservedParameterNames.contains(parameterName) {
                    guard case .map = type else {
                        throw ModelValidationError(path: parameterPath + ".type_name", message: "reserved parameter '\(parameterName)' carries attributes and must be TYPE_NAME_MAP")
                    }
                }
                parameters[parameterName] = type
            }
        }
        do {
            return try ConditionDefinition(name: key, expression: expression, parameters: parameters)
        } catch {
            throw ModelValidationError(path: path + ".expression", message: error.description)
        }
    }

    /// Deepest `generic_types` nesting accepted (`list<map<list<int>>>` is 3).
    static let maximumTypeNesting = 4

    private static func parseParameterType(_ value: JSONValue, at path: String, depth: Int) throws(ModelValidationError) -> ConditionType {
        guard depth <= maximumTypeNesting else {
            throw ModelValidationError(path: path, message: "generic types nest deeper than \(maximumTypeNesting) levels")
        }
        let fields = try ModelParser.members(of: value, at: path, allowed: ["type_name", "generic_types"])
        let typeName = try ModelParser.requiredString(fields["type_name"], at: path + ".type_name")
        var generics: [JSONValue] = []
        if let genericValue = fields["generic_types"], !genericValue.isNull {
            guard case .array(let elements) = genericValue else {
                throw ModelValidationError(path: path + ".generic_types", message: "must be an array")
            }
            generics = elements
        }
        let scalar: [String: ConditionType] = [
            "TYPE_NAME_ANY": .dynamic, "TYPE_NAME_BOOL": .bool, "TYPE_NAME_STRING": .string,
            "TYPE_NAME_INT": .int, "TYPE_NAME_UINT": .uint, "TYPE_NAME_DOUBLE": .double,
            "TYPE_NAME_DURATION": .duration, "TYPE_NAME_TIMESTAMP": .timestamp,
        ]
        if let type = scalar[typeName] {
            guard generics.isEmpty else {
                throw ModelValidationError(path: path + ".generic_types", message: "\(typeName) takes no generic types")
            }
            return type
        }
        switch typeName {
        case "TYPE_NAME_LIST", "TYPE_NAME_MAP":
            guard generics.count == 1 else {
                throw ModelValidationError(path: path + ".generic_types", message: "\(typeName) needs exactly one generic type (the element or value type)")
            }
            let element = try parseParameterType(generics[0], at: path + ".generic_types[0]", depth: depth + 1)
            return typeName == "TYPE_NAME_LIST" ? .list(element) : .map(element)
        case "TYPE_NAME_IPADDRESS":
            throw ModelValidationError(path: path + ".type_name", message: "TYPE_NAME_IPADDRESS is not supported by this server")
        default:
            throw ModelValidationError(path: path + ".type_name", message: "unknown type name '\(typeName.prefix(64))'")
        }
    }

    /// CEL identifiers: a letter or `_`, then letters, digits or `_`.
    private static func validateIdentifier(_ name: String, at path: String, kind: String) throws(ModelValidationError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= ModelParser.maximumConditionNameLength,
            ConditionLexer.isIdentifierStart(bytes[0]), bytes.allSatisfy(ConditionLexer.isIdentifierContinue)
        else {
            throw ModelValidationError(path: path, message: "\(kind) must be an identifier (letters, digits, '_') of at most \(ModelParser.maximumConditionNameLength) bytes")
        }
        guard !ConditionLexer.reservedWords.contains(name) else {
            throw ModelValidationError(path: path, message: "\(kind) '\(name)' is a reserved word")
        }
    }
}
