import Authorization
@testable import Governance

// MARK: - Models used by decision and tuple tests

enum ModelFixtures {
    /// Invoices in nested folders (3 levels of inheritance: invoice → folder → parent folder →
    /// group), approvals conditioned on the subject's attributes; the model names agents.
    static let invoices = """
    {"schema_version":"1.1","type_definitions":[
      {"type":"user"},
      {"type":"agent"},
      {"type":"group","relations":{"member":{"this":{}}},
       "metadata":{"relations":{"member":{"directly_related_user_types":[{"type":"user"},{"type":"agent"},{"type":"group","relation":"member"}]}}}},
      {"type":"folder","relations":{
         "parent":{"this":{}},
         "viewer":{"union":{"child":[{"this":{}},{"tupleToUserset":{"tupleset":{"relation":"parent"},"computedUserset":{"relation":"viewer"}}}]}}},
       "metadata":{"relations":{
         "parent":{"directly_related_user_types":[{"type":"folder"}]},
         "viewer":{"directly_related_user_types":[{"type":"user"},{"type":"agent"},{"type":"group","relation":"member"}]}}}},
      {"type":"invoice","relations":{
         "parent":{"this":{}},
         "approver":{"this":{}},
         "viewer":{"union":{"child":[{"this":{}},{"computedUserset":{"relation":"approver"}},
                    {"tupleToUserset":{"tupleset":{"relation":"parent"},"computedUserset":{"relation":"viewer"}}}]}}},
       "metadata":{"relations":{
         "parent":{"directly_related_user_types":[{"type":"folder"}]},
         "approver":{"directly_related_user_types":[{"type":"user","condition":"within_limit"},{"type":"agent"}]},
         "viewer":{"directly_related_user_types":[{"type":"user"},{"type":"agent"}]}}}}
    ],
    "conditions":{
      "within_limit":{"name":"within_limit","expression":"amount <= subject.approval_limit && subject.on_duty",
        "parameters":{"amount":{"type_name":"TYPE_NAME_INT"},
                      "subject":{"type_name":"TYPE_NAME_MAP","generic_types":[{"type_name":"TYPE_NAME_ANY"}]}}}
    }}
    """

    /// Documents readable by users only; the model does not name agents.
    static let documents = """
    {"schema_version":"1.1","type_definitions":[
      {"type":"user"},
      {"type":"document","relations":{"viewer":{"this":{}}},
       "metadata":{"relations":{"viewer":{"directly_related_user_types":[{"type":"user"}]}}}}
    ]}
    """

    static func tuple(_ object: String, _ relation: String, _ user: String, condition: String? = nil) -> RelationshipTuple {
        RelationshipTuple(user: user, relation: relation, object: object, condition: condition.map { TupleCondition(name: $0, context: [:]) })
    }

    /// A harness with the invoice model, agents `bot` (acting) and `helper`, connection
    /// helper → bot, user anne (limit 1000, on duty) who may approve invoice:1 within her limit,
    /// and the agent itself an approver of invoice:1; invoice:2 sits three levels deep under a
    /// folder group grant.
    static func invoiceHarness() -> Harness {
        var harness = Harness()
        harness.apply(.writeModel(json: Array(invoices.utf8)))
        harness.register("bot", scopes: ["invoice:*", "folder:viewer"])
        harness.register("helper", scopes: ["invoice:*"])
        harness.connect("helper", "bot")
        harness.apply(.setUserAttributes(userID: "anne", attributes: ["approval_limit": .int(1_000), "on_duty": .bool(true)]))
        let writes = [
            tuple("invoice:1", "approver", "user:anne", condition: "within_limit"),
            tuple("invoice:1", "approver", "agent:bot"),
            tuple("invoice:2", "parent", "folder:q3"),
            tuple("folder:q3", "parent", "folder:finance"),
            tuple("folder:finance", "viewer", "group:accounts#member"),
            tuple("group:accounts", "member", "user:anne"),
            tuple("group:accounts", "member", "agent:bot"),
        ]
        let result = harness.result(.writeTuples(writes: writes, deletes: []))
        precondition(!result.isRejection, "fixture tuples failed: \(result)")
        return harness
    }

    static func approve(_ amount: Int64?, token: PresentedToken? = nil, onBehalfOf: String? = "user:anne",
                        agent: String = "bot", resource: String = "invoice:1") -> DecisionRequest {
        DecisionRequest(agent: agent, token: token, onBehalfOf: onBehalfOf, action: "approver", resource: resource,
                        context: amount.map { ["amount": .int($0)] } ?? [:])
    }
}
