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

    /// Whether `scopes` grant `relation` on objects of `type`.
    public static func grants(_ scopes: [String], type: Substring, relation: String) -> Bool {
        for scope in scopes where covers(scope, type: type, relation: relation) { return true }
        return false
    }

    /// Whether one scope covers `relation` on `type`, without allocating.
    @inline(__always)
    static func covers(_ scope: String, type: Substring, relation: String) -> Bool {
        var scopeBytes = scope.utf8.makeIterator()
        for byte in type.utf8 {
            guard scopeBytes.next() == byte else { return false }
        }
        guard scopeBytes.next() == UInt8(ascii: ":") else { return false }
        var rest = scopeBytes
        if rest.next() == UInt8(ascii: "*"), rest.next() == nil { return true }
        for byte in relation.utf8 {
            guard scopeBytes.next() == byte else { return false }
        }
        return scopeBytes.next() == nil
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

    /// The resource's type: `invoice` for `invoice:2026-17`, nil without a `:`.
    public static func type(ofResource resource: String) -> Substring? {
        guard let colon = resource.firstIndex(of: ":") else { return nil }
        return resource[..<colon]
    }
}
