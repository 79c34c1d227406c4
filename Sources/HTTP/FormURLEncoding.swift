// MARK: - Form and query decoding

/// `application/x-www-form-urlencoded` (OAuth requests, query strings), decoded strictly.
public enum FormURLEncoding {
    /// The most parameters one form or query may carry.
    public static let maximumParameters = 64

    /// The parameters of `bytes`, or nil when malformed: a bad `%` escape, invalid UTF-8, more
    /// than `maximumParameters`, or a parameter given twice (RFC 6749 §3.2: "Request and response
    /// parameters MUST NOT be included more than once"). `+` is a space; empty segments are skipped.
    public static func parse(_ bytes: [UInt8]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for segment in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let name: ArraySlice<UInt8>, value: ArraySlice<UInt8>
            if let equals = segment.firstIndex(of: UInt8(ascii: "=")) {
                name = segment[segment.startIndex..<equals]
                value = segment[(equals + 1)...]
            } else {
                name = segment
                value = []
            }
            guard let decodedName = decode(name), let decodedValue = decode(value), !decodedName.isEmpty,
                parameters[decodedName] == nil, parameters.count < maximumParameters
            else { return nil }
            parameters[decodedName] = decodedValue
        }
        return parameters
    }

    /// The parameters of a query string (nil query: none).
    public static func parse(query: String?) -> [String: String]? {
        guard let query else { return [:] }
        return parse(Array(query.utf8))
    }

    /// Percent- and plus-decodes one component; nil on a bad escape or invalid UTF-8.
    public static func decode(_ component: ArraySlice<UInt8>) -> String? {
        var output: [UInt8] = []
        output.reserveCapacity(component.count)
        var index = component.startIndex
        while index < component.endIndex {
            let byte = component[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < component.endIndex,
                    let high = hexValue(component[index + 1]), let low = hexValue(component[index + 2])
                else { return nil }
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return String(validating: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
