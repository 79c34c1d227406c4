import JSON
import Testing

@testable import Authorization

/// Shared helpers: models from JSON text, stores from tuple strings, checks in one call.
enum Fixtures {
    /// Parses JSON text and the model in it; a fixture typo makes the calling test throw (and fail).
    static func model(_ text: String) throws -> AuthorizationModel {
        try AuthorizationModel.parse(try JSONParser.parse(text))
    }

    /// The validation error for a model text, or nil when it is accepted.
    static func modelError(_ text: String) throws -> ModelValidationError? {
        let json = try JSONParser.parse(text)
        do {
            _ = try AuthorizationModel.parse(json)
            return nil
        } catch {
            return error
        }
    }

    /// A store holding tuples written as `object#relation@user`, each validated against `model`.
    static func store(_ model: AuthorizationModel, _ tuples: [String], conditions: [String: TupleCondition] = [:]) throws -> TupleStore {
        var store = TupleStore()
        for text in tuples {
            let tuple = try parseTuple(text, condition: conditions[text])
            try store.validate(tuple, against: model)
            store.insert(tuple)
        }
        return store
    }

    struct MalformedFixture: Error { let text: String }

    /// `document:1#viewer@user:anne` as a tuple.
    static func parseTuple(_ text: String, condition: TupleCondition? = nil) throws -> RelationshipTuple {
        guard let at = text.firstIndex(of: "@"), let hash = text[..<at].lastIndex(of: "#") else { throw MalformedFixture(text: text) }
        return RelationshipTuple(
            user: String(text[text.index(after: at)...]), relation: String(text[text.index(after: hash)..<at]),
            object: String(text[..<hash]), condition: condition)
    }

    /// The outcome of checking `user` `relation` `object`.
    static func check(
        _ model: AuthorizationModel, _ store: TupleStore, _ user: String, _ relation: String, _ object: String,
        context: [String: ConditionValue] = [:], reserved: [String: ConditionValue] = [:], limits: CheckLimits = .standard
    ) -> CheckOutcome {
        Checker.check(
            CheckRequest(user: user, relation: relation, object: object, context: context, reservedParameters: reserved),
            model: model, tuples: store, limits: limits)
    }

    /// Documents in folders, readable by a folder's viewers, with a conditional grant.
    static let documentsModel = """
    {"schema_version":"1.1","type_definitions":[
      {"type":"user"},
      {"type":"group","relations":{"member":{"this":{}}},
       "metadata":{"relations":{"member":{"directly_related_user_types":[{"type":"user"},{"type":"group","relation":"member"}]}}}},
      {"type":"folder","relations":{
         "parent":{"this":{}},
         "owner":{"this":{}},
         "viewer":{"union":{"child":[{"this":{}},{"computedUserset":{"relation":"owner"}},
                    {"tupleToUserset":{"tupleset":{"relation":"parent"},"computedUserset":{"relation":"viewer"}}}]}}},
       "metadata":{"relations":{
         "parent":{"directly_related_user_types":[{"type":"folder"}]},
         "owner":{"directly_related_user_types":[{"type":"user"}]},
         "viewer":{"directly_related_user_types":[{"type":"user"},{"type":"user","wildcard":{}},{"type":"group","relation":"member"},
                                                   {"type":"user","condition":"non_expired"}]}}}},
      {"type":"document","relations":{
         "parent":{"this":{}},
         "blocked":{"this":{}},
         "editor":{"this":{}},
         "viewer":{"difference":{"base":{"union":{"child":[{"computedUserset":{"relation":"editor"}},
                    {"tupleToUserset":{"tupleset":{"relation":"parent"},"computedUserset":{"relation":"viewer"}}}]}},
                    "subtract":{"computedUserset":{"relation":"blocked"}}}},
         "approver":{"intersection":{"child":[{"computedUserset":{"relation":"editor"}},{"this":{}}]}}},
       "metadata":{"relations":{
         "parent":{"directly_related_user_types":[{"type":"folder"}]},
         "blocked":{"directly_related_user_types":[{"type":"user"}]},
         "editor":{"directly_related_user_types":[{"type":"user"},{"type":"group","relation":"member"}]},
         "approver":{"directly_related_user_types":[{"type":"user","condition":"within_limit"}]}}}}
    ],
    "conditions":{
      "non_expired":{"name":"non_expired","expression":"current_time < grant_time + grant_duration",
        "parameters":{"current_time":{"type_name":"TYPE_NAME_TIMESTAMP"},"grant_time":{"type_name":"TYPE_NAME_TIMESTAMP"},
                      "grant_duration":{"type_name":"TYPE_NAME_DURATION"}}},
      "within_limit":{"name":"within_limit","expression":"amount <= subject.approval_limit && subject.on_duty",
        "parameters":{"amount":{"type_name":"TYPE_NAME_INT"},
                      "subject":{"type_name":"TYPE_NAME_MAP","generic_types":[{"type_name":"TYPE_NAME_ANY"}]}}}
    }}
    """
}
