import JSON
import Testing

@testable import Authorization

/// One test per validation rule: each bad model is refused with the path of the offending member.
@Suite("Model validation")
struct ModelValidationTests {
    /// A model with `user`, `group` (member: [user, group#member]) and one extra type definition.
    private func model(withDocument document: String, conditions: String = "{}") -> String {
        """
        {"schema_version":"1.1","type_definitions":[{"type":"user"},
          {"type":"group","relations":{"member":{"this":{}}},
           "metadata":{"relations":{"member":{"directly_related_user_types":[{"type":"user"},{"type":"group","relation":"member"}]}}}},
          \(document)],
         "conditions":\(conditions)}
        """
    }

    private func error(_ text: String) throws -> ModelValidationError {
        let found = try Fixtures.modelError(text)
        #expect(found != nil, "the model should have been refused")
        return found ?? ModelValidationError(path: "", message: "")
    }

    @Test("a valid model is accepted and exposes its types, relations and conditions")
    func acceptsValidModel() throws {
        let model = try Fixtures.model(Fixtures.documentsModel)
        #expect(model.typeNames == ["document", "folder", "group", "user"])
        #expect(model.relationNames(ofType: "document") == ["approver", "blocked", "editor", "parent", "viewer"])
        #expect(model.relationNames(ofType: "nope") == [])
        #expect(model.hasRelation("viewer", onType: "folder"))
        #expect(!model.hasRelation("viewer", onType: "user"))
        #expect(model.condition(named: "non_expired")?.parameters["grant_duration"] == .duration)
        #expect(model.directlyRelatedUserTypes(ofRelation: "viewer", onType: "folder").map(\.description)
            == ["user", "user:*", "group#member", "user with non_expired"])
    }

    @Test("canonical JSON does not depend on member order, and equal models compare equal")
    func canonicalJSON() throws {
        let first = try Fixtures.model(#"{"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"doc","relations":{"a":{"this":{}}},"metadata":{"relations":{"a":{"directly_related_user_types":[{"type":"user"}]}}}}]}"#)
        let second = try Fixtures.model(#"{"type_definitions":[{"type":"user"},{"metadata":{"relations":{"a":{"directly_related_user_types":[{"type":"user"}]}}},"relations":{"a":{"this":{}}},"type":"doc"}],"schema_version":"1.1"}"#)
        #expect(first.canonicalJSON == second.canonicalJSON)
        #expect(first == second)
        #expect(try AuthorizationModel.parse(JSONParser.parse(first.canonicalJSON)) == first)
    }

    @Test("the schema version must be 1.1")
    func schemaVersion() throws {
        #expect(try error(#"{"type_definitions":[{"type":"user"}]}"#).path == "schema_version")
        #expect(try error(#"{"schema_version":"1.0","type_definitions":[{"type":"user"}]}"#).path == "schema_version")
    }

    @Test("the model must be an object without unknown members")
    func shape() throws {
        #expect(try error("[]").path == "$")
        #expect(try error(#"{"schema_version":"1.1","type_definitions":[{"type":"user"}],"extra":1}"#).path == "extra")
        #expect(try error(#"{"schema_version":"1.1","type_definitions":[]}"#).path == "type_definitions")
        #expect(try error(#"{"schema_version":"1.1","type_definitions":[{"type":"user","colour":"red"}]}"#).path == "type_definitions[0].colour")
    }

    @Test("type names are unique and well formed")
    func typeNames() throws {
        #expect(try error(#"{"schema_version":"1.1","type_definitions":[{"type":"user"},{"type":"user"}]}"#).path == "type_definitions[1].type")
        #expect(try error(#"{"schema_version":"1.1","type_definitions":[{"type":"us:er"}]}"#).path == "type_definitions[0].type")
        #expect(try error(#"{"schema_version":"1.1","type_definitions":[{"type":""}]}"#).path == "type_definitions[0].type")
    }

    @Test("a computed userset must name a relation of the same type")
    func unknownComputedRelation() throws {
        let found = try error(model(withDocument: """
            {"type":"document","relations":{"owner":{"this":{}},
              "editor":{"union":{"child":[{"computedUserset":{"relation":"ownr"}},{"this":{}}]}}},
             "metadata":{"relations":{"owner":{"directly_related_user_types":[{"type":"user"}]},
                                      "editor":{"directly_related_user_types":[{"type":"user"}]}}}}
            """))
        #expect(found.path == "type_definitions[2].relations.editor.union.child[0].computedUserset.relation")
        #expect(found.message.contains("ownr"))
    }

    @Test("type restrictions must name defined types, relations and conditions")
    func typeRestrictions() throws {
        let prefix = "type_definitions[2].metadata.relations.viewer.directly_related_user_types[0]"
        func document(_ restriction: String) -> String {
            model(withDocument: #"{"type":"document","relations":{"viewer":{"this":{}}},"metadata":{"relations":{"viewer":{"directly_related_user_types":[\#(restriction)]}}}}"#)
        }
        #expect(try error(document(#"{"type":"robot"}"#)).path == prefix + ".type")
        #expect(try error(document(#"{"type":"group","relation":"owner"}"#)).path == prefix + ".relation")
        #expect(try error(document(#"{"type":"user","condition":"nope"}"#)).path == prefix + ".condition")
        #expect(try error(document(#"{"type":"user","relation":"member","wildcard":{}}"#)).path == prefix + ".wildcard")
        #expect(try error(document(#"{"type":"user"},{"type":"user"}"#)).path == "type_definitions[2].metadata.relations.viewer.directly_related_user_types[1]")
    }

    @Test("`this` needs directly related user types, and only `this` may have them")
    func directAssignment() throws {
        let withoutTypes = model(withDocument: #"{"type":"document","relations":{"viewer":{"this":{}}}}"#)
        #expect(try error(withoutTypes).path == "type_definitions[2].relations.viewer.this")
        let typesWithoutThis = model(withDocument: """
            {"type":"document","relations":{"owner":{"this":{}},"viewer":{"computedUserset":{"relation":"owner"}}},
             "metadata":{"relations":{"owner":{"directly_related_user_types":[{"type":"user"}]},
                                      "viewer":{"directly_related_user_types":[{"type":"user"}]}}}}
            """)
        #expect(try error(typesWithoutThis).path == "type_definitions[2].metadata.relations.viewer.directly_related_user_types")
        let metadataForUnknown = model(withDocument: """
            {"type":"document","relations":{"owner":{"this":{}}},
             "metadata":{"relations":{"owner":{"directly_related_user_types":[{"type":"user"}]},"ghost":{"directly_related_user_types":[]}}}}
            """)
        #expect(try error(metadataForUnknown).path == "type_definitions[2].metadata.relations.ghost")
    }

    @Test("a tuple-to-userset needs a direct tupleset relation and a target relation on a related type")
    func tupleToUserset() throws {
        func document(tupleset: String, target: String, parentRewrite: String = #"{"this":{}}"#, parentTypes: String = #"[{"type":"group"}]"#) -> String {
            model(withDocument: """
                {"type":"document","relations":{"parent":\(parentRewrite),"owner":{"this":{}},
                  "viewer":{"tupleToUserset":{"tupleset":{"relation":"\(tupleset)"},"computedUserset":{"relation":"\(target)"}}}},
                 "metadata":{"relations":{"parent":{"directly_related_user_types":\(parentTypes)},
                                          "owner":{"directly_related_user_types":[{"type":"group"}]}}}}
                """)
        }
        let base = "type_definitions[2].relations.viewer.tupleToUserset"
        #expect(try Fixtures.modelError(document(tupleset: "parent", target: "member")) == nil)
        #expect(try error(document(tupleset: "folder", target: "member")).path == base + ".tupleset.relation")
        #expect(try error(document(tupleset: "parent", target: "admin")).path == base + ".computedUserset.relation")
        let usersetTupleset = document(tupleset: "parent", target: "member", parentTypes: #"[{"type":"group","relation":"member"}]"#)
        #expect(try error(usersetTupleset).path == base + ".tupleset.relation")
        let computedTupleset = document(tupleset: "parent", target: "member", parentRewrite: #"{"computedUserset":{"relation":"owner"}}"#, parentTypes: "[]")
        #expect(try error(computedTupleset).path == base + ".tupleset.relation")
    }

    @Test("a relation that no tuple can ever grant is refused (a cycle without a base case)")
    func cyclesWithoutBaseCase() throws {
        let selfLoop = model(withDocument: #"{"type":"document","relations":{"viewer":{"computedUserset":{"relation":"viewer"}}}}"#)
        let selfError = try error(selfLoop)
        #expect(selfError.path == "type_definitions[2].relations.viewer")
        #expect(selfError.message.contains("entrypoint"))
        let mutual = model(withDocument: """
            {"type":"document","relations":{"a":{"computedUserset":{"relation":"b"}},"b":{"union":{"child":[{"computedUserset":{"relation":"a"}}]}}}}
            """)
        #expect(try error(mutual).path == "type_definitions[2].relations.a")
        let intersectionWithDeadEnd = model(withDocument: """
            {"type":"document","relations":{"owner":{"this":{}},"loop":{"computedUserset":{"relation":"loop"}},
              "viewer":{"intersection":{"child":[{"computedUserset":{"relation":"owner"}},{"computedUserset":{"relation":"loop"}}]}}},
             "metadata":{"relations":{"owner":{"directly_related_user_types":[{"type":"user"}]}}}}
            """)
        #expect(try error(intersectionWithDeadEnd).path == "type_definitions[2].relations.loop")
    }

    @Test("recursive relations with a base case are accepted")
    func cyclesWithBaseCase() throws {
        let folders = model(withDocument: """
            {"type":"document","relations":{"parent":{"this":{}},
              "viewer":{"union":{"child":[{"this":{}},{"tupleToUserset":{"tupleset":{"relation":"parent"},"computedUserset":{"relation":"viewer"}}}]}}},
             "metadata":{"relations":{"parent":{"directly_related_user_types":[{"type":"document"}]},
                                      "viewer":{"directly_related_user_types":[{"type":"user"},{"type":"group","relation":"member"}]}}}}
            """)
        #expect(try Fixtures.modelError(folders) == nil)
    }

    @Test("rewrites have exactly one known operator and non-empty children")
    func rewriteShape() throws {
        let prefix = "type_definitions[2].relations.viewer"
        func document(_ rewrite: String) -> String { model(withDocument: #"{"type":"document","relations":{"viewer":\#(rewrite)}}"#) }
        #expect(try error(document(#"{"this":{},"computedUserset":{"relation":"x"}}"#)).path == prefix)
        #expect(try error(document(#"{"intersecton":{"child":[]}}"#)).path == prefix + ".intersecton")
        #expect(try error(document(#"{"union":{"child":[]}}"#)).path == prefix + ".union.child")
        #expect(try error(document(#"{"difference":{"base":{"this":{}}}}"#)).path == prefix + ".difference")
        #expect(try error(document(#"{"this":{"x":1}}"#)).path == prefix + ".this.x")
        #expect(try error(document(#"{"computedUserset":{"relation":""}}"#)).path == prefix + ".computedUserset.relation")
    }

    @Test("models beyond the size bounds are refused")
    func bounds() throws {
        let types = (0...ModelParser.maximumTypes).map { #"{"type":"t\#($0)"}"# }.joined(separator: ",")
        #expect(try error(#"{"schema_version":"1.1","type_definitions":[\#(types)]}"#).path == "type_definitions")
        var rewrite = #"{"this":{}}"#
        for _ in 0..<ModelParser.maximumRewriteDepth { rewrite = #"{"union":{"child":[\#(rewrite)]}}"# }
        let deep = model(withDocument: #"{"type":"document","relations":{"viewer":\#(rewrite)}}"#)
        #expect(try error(deep).message.contains("deeper"))
        let relations = (0...ModelParser.maximumRelationsPerType).map { #""r\#($0)":{"this":{}}"# }.joined(separator: ",")
        #expect(try error(model(withDocument: #"{"type":"document","relations":{\#(relations)}}"#)).path == "type_definitions[2].relations")
    }

    // MARK: - Conditions

    private func conditionModel(_ condition: String) -> String {
        model(withDocument: #"{"type":"document","relations":{"viewer":{"this":{}}},"metadata":{"relations":{"viewer":{"directly_related_user_types":[{"type":"user"}]}}}}"#,
              conditions: condition)
    }

    @Test("a condition expression that does not type-check is refused at its path")
    func conditionTypeErrors() throws {
        let mismatch = try error(conditionModel(#"{"c":{"name":"c","expression":"x + 'a' > 1","parameters":{"x":{"type_name":"TYPE_NAME_INT"}}}}"#))
        #expect(mismatch.path == "conditions.c.expression")
        #expect(mismatch.message.contains("offset 2"))
        let undeclared = try error(conditionModel(#"{"c":{"name":"c","expression":"y > 1","parameters":{"x":{"type_name":"TYPE_NAME_INT"}}}}"#))
        #expect(undeclared.path == "conditions.c.expression" && undeclared.message.contains("'y'"))
        let notBool = try error(conditionModel(#"{"c":{"name":"c","expression":"x + 1","parameters":{"x":{"type_name":"TYPE_NAME_INT"}}}}"#))
        #expect(notBool.message.contains("bool"))
        let syntax = try error(conditionModel(#"{"c":{"name":"c","expression":"x >","parameters":{"x":{"type_name":"TYPE_NAME_INT"}}}}"#))
        #expect(syntax.path == "conditions.c.expression")
    }

    @Test("condition names, parameter types and reserved parameters are checked")
    func conditionDeclarations() throws {
        #expect(try error(conditionModel(#"{"c":{"name":"d","expression":"true"}}"#)).path == "conditions.c.name")
        #expect(try error(conditionModel(#"{"c":{"name":"c","expression":"true","parameters":{"x":{"type_name":"TYPE_NAME_COLOUR"}}}}"#)).path
            == "conditions.c.parameters.x.type_name")
        #expect(try error(conditionModel(#"{"c":{"name":"c","expression":"true","parameters":{"x":{"type_name":"TYPE_NAME_IPADDRESS"}}}}"#)).path
            == "conditions.c.parameters.x.type_name")
        #expect(try error(conditionModel(#"{"c":{"name":"c","expression":"true","parameters":{"x":{"type_name":"TYPE_NAME_LIST"}}}}"#)).path
            == "conditions.c.parameters.x.generic_types")
        #expect(try error(conditionModel(#"{"c":{"name":"c","expression":"true","parameters":{"subject":{"type_name":"TYPE_NAME_STRING"}}}}"#)).path
            == "conditions.c.parameters.subject.type_name")
        #expect(try error(conditionModel(#"{"c":{"name":"c","expression":"true","parameters":{"in":{"type_name":"TYPE_NAME_INT"}}}}"#)).path
            == "conditions.c.parameters.in")
        #expect(try error(conditionModel(#"{"c":{"name":"c"}}"#)).path == "conditions.c.expression")
        let nested = #"{"c":{"name":"c","expression":"size(x) > 0","parameters":{"x":{"type_name":"TYPE_NAME_MAP","generic_types":[{"type_name":"TYPE_NAME_LIST","generic_types":[{"type_name":"TYPE_NAME_INT"}]}]}}}}"#
        #expect(try Fixtures.modelError(conditionModel(nested)) == nil)
    }
}
