import Governance
import JSON
import Server
import Testing

@Suite("OpenAPI document")
struct OpenAPITests {
    @Test("every route is documented under its path and method, and every documented operation is a route")
    func walk() {
        let document = OpenAPI.document()
        #expect(document["openapi"] == "3.1.0")
        guard let paths = document["paths"]?.objectValue else { Issue.record("no paths"); return }
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in item.objectValue?.keys ?? [:].keys { documented.insert(method.uppercased() + " " + path) }
        }
        let routed = Set(APIRouter.routes.map(\.name))
        #expect(documented == routed)
        for route in APIRouter.routes {
            let operation = paths[route.template]?[route.method.lowercased()]
            #expect(operation?["responses"]?[String(route.successStatus)] != nil, "\(route.name)")
            let parameters = operation?["parameters"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(Set(parameters) == Set(route.pathParameters + route.queryParameters), "\(route.name)")
            #expect((operation?["requestBody"] != nil) == (route.requestSchema != nil), "\(route.name)")
            if !route.requiredRoles.isEmpty {
                let roles = operation?["x-warden-roles"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(Set(roles) == Set(route.requiredRoles.map(\.name)), "\(route.name)")
                #expect(operation?["responses"]?["401"] != nil && operation?["responses"]?["403"] != nil, "\(route.name)")
            }
        }
    }

    @Test("every schema reference resolves and operation ids are unique")
    func references() {
        let document = OpenAPI.document()
        let schemas = document["components"]?["schemas"]?.objectValue ?? [:]
        var references: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let members):
                if let reference = members["$ref"]?.stringValue { references.append(reference) }
                members.values.forEach(collect)
            case .array(let elements): elements.forEach(collect)
            default: break
            }
        }
        collect(document)
        #expect(!references.isEmpty)
        for reference in references {
            #expect(reference.hasPrefix("#/components/schemas/") && schemas[String(reference.dropFirst(21))] != nil, "\(reference)")
        }
        let ids = (document["paths"]?.objectValue ?? [:]).values.flatMap { item in
            (item.objectValue ?? [:]).values.compactMap { $0["operationId"]?.stringValue }
        }
        #expect(ids.count == APIRouter.routes.count && Set(ids).count == ids.count)
    }

    @Test("the document is served at /openapi.json as the same JSON")
    func served() {
        var node = TestNode()
        #expect(body(node.send("GET", "/openapi.json", as: nil)) == OpenAPI.document())
    }
}
