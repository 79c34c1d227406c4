import Governance

// MARK: - Field syntax

/// Syntax checks of API fields that do not need the state.
public enum APIValidation {
    /// The message for a malformed id.
    public static let identifierMessage = "must match [A-Za-z0-9._:@-]{1,128}"

    /// Whether `byte` may appear in an id: `[A-Za-z0-9._:@-]`.
    public static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Whether `text` is an id per API.md.
    public static func isIdentifier(_ text: String) -> Bool {
        let count = text.utf8.count
        return count >= 1 && count <= GovernanceLimits.maximumIdentifierBytes && text.utf8.allSatisfy(isIdentifierByte)
    }

    /// Whether `text` looks like `type:id` or `type:id#relation` (the model validates names).
    public static func isTypedReference(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        let type = text[..<colon]
        var rest = text[text.index(after: colon)...]
        if let hash = rest.firstIndex(of: "#") {
            let relation = rest[rest.index(after: hash)...]
            guard isIdentifier(String(relation)), !relation.contains(":") else { return false }
            rest = rest[..<hash]
        }
        return isIdentifier(String(type)) && !type.contains(":") && (rest == "*" || isIdentifier(String(rest)))
    }

    /// A hex string of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
