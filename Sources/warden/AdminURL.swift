// MARK: - URLs and percent-encoding

/// The small part of URL handling the admin client needs: `http://host[:port][/path]` and
/// `application/x-www-form-urlencoded` / query encoding.
enum AdminURL {
    /// The port of `http://` when none is given.
    static let defaultHTTPPort = 80

    /// Host, port and path prefix (no trailing slash) of a plain-HTTP URL; nil when it is not one.
    static func parse(_ url: String) -> (host: String, port: Int, basePath: String)? {
        let scheme = "http://"
        guard url.lowercased().hasPrefix(scheme) else { return nil }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" }
        var basePath = String(rest.dropFirst(authority.count))
        while basePath.hasSuffix("/") { basePath.removeLast() }
        var host = Substring(authority), port = defaultHTTPPort
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { return nil }
                port = number
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]) else { return nil }
            port = number
            host = host[..<colon]
        }
        guard !host.isEmpty, (1...65_535).contains(port) else { return nil }
        return (String(host), port, basePath)
    }

    /// `name=value&…` with both sides percent-encoded; pairs whose value is nil are left out.
    static func encode(_ fields: [(String, String?)]) -> String {
        fields.compactMap { name, value in value.map { percentEncode(name) + "=" + percentEncode($0) } }.joined(separator: "&")
    }

    /// Every byte outside RFC 3986's unreserved set (and `keeping`) as `%XX`.
    static func percentEncode(_ text: String, keeping: Set<UInt8> = []) -> String {
        let hexDigits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            case _ where keeping.contains(byte):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A path segment for an id: `:` and `@` stay as they are (RFC 3986 allows them in a
    /// segment, and ids are `[A-Za-z0-9._:@-]`); anything else unusual is encoded.
    static func segment(_ id: String) -> String {
        percentEncode(id, keeping: [UInt8(ascii: ":"), UInt8(ascii: "@")])
    }
}
