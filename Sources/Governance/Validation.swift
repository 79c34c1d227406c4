import Authorization

// MARK: - Field validation

/// Apply-time checks. Each throws `Rejection.invalidArgument(field, …)`; every bound here is at
/// least as strict as the decoder's, so whatever is stored survives a snapshot round trip.
enum Validation {
    /// `identifierBytes[b]` is whether byte `b` may appear in an id: `[A-Za-z0-9._:@-]`.
    static let identifierBytes: [Bool] = (0..<256).map { value in
        switch UInt8(value) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Whether `byte` may appear in an id.
    @inline(__always)
    static func isIdentifierByte(_ byte: UInt8) -> Bool { identifierBytes[Int(byte)] }

    /// Whether `value` is an id per API.md (scans the UTF-8 in place: this runs on every decision).
    static func isIdentifier(_ value: String) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { isIdentifier($0, allowingColon: true) }
            ?? Array(value.utf8).withUnsafeBufferPointer { isIdentifier($0, allowingColon: true) }
    }

    @inline(__always)
    static func isIdentifier(_ bytes: UnsafeBufferPointer<UInt8>, allowingColon: Bool) -> Bool {
        guard !bytes.isEmpty, bytes.count <= GovernanceLimits.maximumIdentifierBytes else { return false }
        return identifierBytes.withUnsafeBufferPointer { table in
            for byte in bytes where !table[Int(byte)] || (!allowingColon && byte == UInt8(ascii: ":")) { return false }
            return true
        }
    }

    static func identifier(_ value: String, _ field: String) throws(Rejection) {
        guard isIdentifier(value) else {
            throw .invalidArgument(field: field, message: "must match [A-Za-z0-9._:@-]{1,128}")
        }
    }

    static func text(_ value: String, _ field: String, allowEmpty: Bool = false) throws(Rejection) {
        let count = value.utf8.count
        guard count <= GovernanceLimits.maximumTextBytes else {
            throw .invalidArgument(field: field, message: "longer than \(GovernanceLimits.maximumTextBytes) bytes")
        }
        guard allowEmpty || count > 0 else { throw .invalidArgument(field: field, message: "must not be empty") }
    }

    static func bytes(_ value: [UInt8], _ field: String, maximum: Int) throws(Rejection) {
        guard !value.isEmpty, value.count <= maximum else {
            throw .invalidArgument(field: field, message: "must be 1 to \(maximum) bytes")
        }
    }

    /// `type:id`: a type without `:`, then `:`, then an id (which may hold `:` and, for usersets
    /// in records, is still bounded by the tuple field size).
    static func isTypedObject(_ value: String) -> Bool { typeOfTypedObject(value) != nil }

    /// The type part of `value` when it is a well-formed `type:id`, else nil.
    static func typeOfTypedObject(_ value: String) -> Substring? {
        let colon = value.utf8.withContiguousStorageIfAvailable(typedObjectColon)
            ?? Array(value.utf8).withUnsafeBufferPointer(typedObjectColon)
        guard let colon else { return nil }
        return value[..<value.utf8.index(value.utf8.startIndex, offsetBy: colon)]
    }

    /// The offset of the `:` of a well-formed `type:id`, else nil.
    static func typedObjectColon(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count <= GovernanceLimits.maximumTupleFieldBytes, let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            return nil
        }
        let valid = isIdentifier(UnsafeBufferPointer(rebasing: bytes[..<colon]), allowingColon: false)
            && isIdentifier(UnsafeBufferPointer(rebasing: bytes[(colon + 1)...]), allowingColon: true)
        return valid ? colon : nil
    }

    static func typedObject(_ value: String, _ field: String) throws(Rejection) {
        guard isTypedObject(value) else { throw .invalidArgument(field: field, message: "must be type:id") }
    }

    // MARK: Scopes

    /// Validates, deduplicates and sorts scopes (`<type>:<relation>` or `<type>:*`).
    static func scopes(_ values: [String], _ field: String, allowEmpty: Bool = true) throws(Rejection) -> [String] {
        guard values.count <= GovernanceLimits.maximumScopes else {
            throw .invalidArgument(field: field, message: "more than \(GovernanceLimits.maximumScopes) scopes")
        }
        guard allowEmpty || !values.isEmpty else { throw .invalidArgument(field: field, message: "must not be empty") }
        for (index, scope) in values.enumerated() where !Scope.isValid(scope) {
            throw .invalidArgument(field: "\(field)[\(index)]", message: "must be <type>:<relation> or <type>:*")
        }
        return Array(Set(values)).sorted()
    }

    // MARK: Attributes

    /// Checks an attribute or context map against the entry, size and nesting bounds.
    static func attributes(_ values: [String: ConditionValue], _ field: String, maximumBytes: Int) throws(Rejection) {
        guard values.count <= GovernanceLimits.maximumAttributes else {
            throw .invalidArgument(field: field, message: "more than \(GovernanceLimits.maximumAttributes) entries")
        }
        for (key, value) in values {
            guard !key.isEmpty, key.utf8.count <= GovernanceLimits.maximumIdentifierBytes else {
                throw .invalidArgument(field: field, message: "keys must be 1 to 128 bytes")
            }
            try self.value(value, "\(field).\(key)", depth: 1)
        }
        guard ConditionValueCoding.encodedSize(values) <= maximumBytes else {
            throw .invalidArgument(field: field, message: "larger than \(maximumBytes) bytes encoded")
        }
    }

    private static func value(_ value: ConditionValue, _ field: String, depth: Int) throws(Rejection) {
        guard depth <= GovernanceLimits.maximumValueNesting else {
            throw .invalidArgument(field: field, message: "nested more than \(GovernanceLimits.maximumValueNesting) deep")
        }
        switch value {
        case .double(let number) where !number.isFinite:
            throw .invalidArgument(field: field, message: "must be a finite number")
        case .string(let text) where text.utf8.count > GovernanceLimits.maximumValueStringBytes:
            throw .invalidArgument(field: field, message: "string longer than \(GovernanceLimits.maximumValueStringBytes) bytes")
        case .timestamp(_, let nanos), .duration(_, let nanos):
            guard nanos > -1_000_000_000, nanos < 1_000_000_000 else {
                throw .invalidArgument(field: field, message: "nanoseconds out of range")
            }
        case .list(let elements):
            guard elements.count <= GovernanceLimits.maximumValueElements else {
                throw .invalidArgument(field: field, message: "more than \(GovernanceLimits.maximumValueElements) elements")
            }
            for element in elements { try self.value(element, field, depth: depth + 1) }
        case .map(let members):
            guard members.count <= GovernanceLimits.maximumValueElements else {
                throw .invalidArgument(field: field, message: "more than \(GovernanceLimits.maximumValueElements) entries")
            }
            for (key, member) in members {
                guard key.utf8.count <= GovernanceLimits.maximumValueStringBytes else {
                    throw .invalidArgument(field: field, message: "key too long")
                }
                try self.value(member, "\(field).\(key)", depth: depth + 1)
            }
        default:
            break
        }
    }
}
