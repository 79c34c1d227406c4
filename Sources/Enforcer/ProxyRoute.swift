import JSON

// MARK: - Mapping a proxied request to an action

/// One `--route` rule of the authorizing proxy: `"<METHOD> <path-prefix> <action> <resource-type>"`.
/// A request whose method matches (or `*`) and whose path starts with the prefix asks for
/// `action` on `<resource-type>:<first path segment after the prefix>` (`<resource-type>:root`
/// when there is none). The action `mcp` makes it an MCP JSON-RPC endpoint: each `tools/call`
/// asks for the tool's name as the action on `<resource-type>` taken as a whole `type:id`.
public struct ProxyRoute: Sendable, Hashable {
    /// The action that marks an MCP endpoint.
    public static let mcpAction = "mcp"
    /// The resource id when the path has no segment after the prefix.
    public static let rootID = "root"

    /// `GET`, `POST`, … or `*`.
    public var method: String
    /// Path prefix (`/invoices/`).
    public var pathPrefix: String
    /// The relation asked for, or `mcp`.
    public var action: String
    /// The resource type (or, for MCP, the whole `type:id` of the tool server).
    public var resource: String

    /// Parses one rule; nil when it has not four fields.
    public init?(rule: String) {
        let fields = rule.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard fields.count == 4, fields[1].hasPrefix("/") else { return nil }
        method = fields[0].uppercased()
        pathPrefix = fields[1]
        action = fields[2]
        resource = fields[3]
    }

    /// What a request asks for under this rule, when it matches.
    public func target(method requestMethod: String, path: String) -> (action: String, resource: String)? {
        guard method == "*" || method == requestMethod.uppercased(), path.hasPrefix(pathPrefix) else { return nil }
        if action == Self.mcpAction { return (action, resource) }
        let rest = path.dropFirst(pathPrefix.count).drop { $0 == "/" }
        let segment = rest.prefix { $0 != "/" && $0 != "?" }
        return (action, resource + ":" + (segment.isEmpty ? Self.rootID : String(segment)))
    }

    /// The first rule matching the request (rules are tried in the order given).
    public static func match(_ routes: [ProxyRoute], method: String, path: String) -> (route: ProxyRoute, action: String, resource: String)? {
        for route in routes {
            if let target = route.target(method: method, path: path) { return (route, target.action, target.resource) }
        }
        return nil
    }
}

// MARK: - MCP JSON-RPC

/// Reads the tool calls out of an MCP JSON-RPC request body (one message or a batch).
public enum MCPRequest {
    /// The JSON-RPC method that calls a tool.
    public static let toolsCall = "tools/call"
    /// Deepest JSON accepted in a request body.
    static let maximumDepth = 64

    /// The tool names of every `tools/call` in `body`; nil when the body is not JSON-RPC.
    public static func toolCalls(_ body: [UInt8]) -> [String]? {
        guard let value = try? JSONParser.parse(body, maximumDepth: maximumDepth) else { return nil }
        let messages = value.arrayValue ?? [value]
        var tools: [String] = []
        for message in messages {
            guard message.objectValue != nil, let method = message["method"]?.stringValue else { return nil }
            guard method == toolsCall else { continue }
            guard let name = message["params"]?["name"]?.stringValue, !name.isEmpty else { return nil }
            tools.append(name)
        }
        return tools
    }
}
