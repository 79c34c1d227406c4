/// Bounds on a condition context (a tuple's persisted parameters or a request's context), so
/// that a context can neither bloat replicated state nor make a check expensive.
public enum ConditionContextLimits {
    /// Top-level parameters in one context.
    public static let maximumKeys = 64
    /// Bytes of one key or one string value.
    public static let maximumStringBytes = 4_096
    /// Nesting of lists and maps (a scalar at the top level is depth 1).
    public static let maximumNesting = 8
    /// Values in the whole context, counting every nested element.
    public static let maximumValues = 1_024

    /// Why `context` exceeds a bound, or nil when it fits.
    public static func violation(in context: [String: ConditionValue]) -> String? {
        guard context.count <= maximumKeys else {
            return "has \(context.count) parameters; at most \(maximumKeys) are allowed"
        }
        var budget = maximumValues
        for (key, value) in context {
            if key.utf8.count > maximumStringBytes { return "a parameter name is longer than \(maximumStringBytes) bytes" }
            if let problem = violation(in: value, depth: 1, budget: &budget) { return "parameter '\(key.prefix(64))' \(problem)" }
        }
        return nil
    }

    private static func violation(in value: ConditionValue, depth: Int, budget: inout Int) -> String? {
        budget -= 1
        guard budget >= 0 else { return "makes the context hold more than \(maximumValues) values" }
        guard depth <= maximumNesting else { return "nests deeper than \(maximumNesting) levels" }
        switch value {
        case .string(let text):
            return text.utf8.count > maximumStringBytes ? "has a string longer than \(maximumStringBytes) bytes" : nil
        case .list(let elements):
            for element in elements {
                if let problem = violation(in: element, depth: depth + 1, budget: &budget) { return problem }
            }
            return nil
        case .map(let members):
            for (key, member) in members {
                if key.utf8.count > maximumStringBytes { return "has a key longer than \(maximumStringBytes) bytes" }
                if let problem = violation(in: member, depth: depth + 1, budget: &budget) { return problem }
            }
            return nil
        case .null, .bool, .int, .uint, .double, .timestamp, .duration:
            return nil
        }
    }
}
