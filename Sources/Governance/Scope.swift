// MARK: - Scopes

/// Scope rules shared by the decision, delegation and apply: a scope is `<type>:<relation>` or
/// `<type>:*`; an action `relation` on `type:id` is within a scope set when one names
/// `type:relation` or `type:*`.
public enum Scope {
    /// Whether `scope` is well formed: two non-empty id parts without `:` around one `:`.
    public static func isValid(_ scope: String) -> Bool {
        let utf8 = scope.utf8
        guard utf8.count <= GovernanceLimits.maximumScopeBytes,
            let colon = utf8.firstIndex(of: UInt8(ascii: ":"))
        else { return false }
        let type = utf8[..<colon], relation = utf8[utf8.index(after: colon)...]
        let partIsValid = { (part: Substring.UTF8View) -> Bool in
            !part.isEmpty && part.count <= GovernanceLimits.maximumIdentifierBytes
                && part.allSatisfy { Validation.isIdentifierByte($0) && $0 != UInt8(ascii: ":") }
        }
        return partIsValid(Substring(type).utf8) && (relation.elementsEqual("*".utf8) || partIsValid(Substring(relation).utf8))
    }

    /// Whether `scopes` grant `relation` on objects of `type`. Compares UTF-8 bytes in place:
    /// this runs twice on every decision.
    public static func grants(_ scopes: [String], type: Substring, relation: String) -> Bool {
        var type = type, relation = relation
        return type.withUTF8 { typeBytes in
            relation.withUTF8 { relationBytes in
                scopes.contains { scope in
                    scope.utf8.withContiguousStorageIfAvailable { covers($0, type: typeBytes, relation: relationBytes) }
                        ?? Array(scope.utf8).withUnsafeBufferPointer { covers($0, type: typeBytes, relation: relationBytes) }
                }
            }
        }
    }

    /// Whether one scope (`type:relation` or `type:*`) covers `relation` on `type`.
    @inline(__always)
    static func covers(_ scope: UnsafeBufferPointer<UInt8>, type: UnsafeBufferPointer<UInt8>, relation: UnsafeBufferPointer<UInt8>) -> Bool {
        let typeCount = type.count
        guard scope.count >= typeCount + 2, scope[typeCount] == UInt8(ascii: ":") else { return false }
        for index in 0..<typeCount where scope[index] != type[index] { return false }
        let rest = scope.count - typeCount - 1
        if rest == 1 && scope[typeCount + 1] == UInt8(ascii: "*") { return true }
        guard rest == relation.count else { return false }
        for index in 0..<rest where scope[typeCount + 1 + index] != relation[index] { return false }
        return true
    }

    /// Whether `scopes` grant the whole of `scope` (a `type:*` scope needs a `type:*` grant).
    public static func grants(_ scopes: [String], scope: String) -> Bool {
        guard let colon = scope.firstIndex(of: ":") else { return false }
        let type = scope[..<colon], relation = String(scope[scope.index(after: colon)...])
        if relation == "*" { return scopes.contains(scope) }
        return grants(scopes, type: type, relation: relation)
    }

    /// The scopes granted by both sets, most specific form, sorted and unique
    /// (`invoice:*` ∩ `invoice:approve` = `invoice:approve`).
    public static func intersect(_ left: [String], _ right: [String]) -> [String] {
        var result = Set<String>()
        for scope in left where grants(right, scope: scope) { result.insert(scope) }
        for scope in right where grants(left, scope: scope) { result.insert(scope) }
        return result.sorted()
    }
}
