/// Decides whether a tuple may be written under a model: well-formed ids, a known type and
/// relation, a user shape the relation's type restrictions admit, and a declared condition
/// whose persisted context names only its parameters with values of their declared types.
struct TupleValidator {
    let model: AuthorizationModel

    func validate(_ tuple: RelationshipTuple) throws(TupleValidationError) {
        guard let object = ParsedUser.parseObject(tuple.object) else {
            throw TupleValidationError(field: "object", message: "'\(tuple.object.prefix(64))' is not of the form type:id")
        }
        guard let objectType = model.typeDefinition(named: String(object.type)) else {
            throw TupleValidationError(field: "object", message: "type '\(object.type)' is not defined in the model")
        }
        guard let relationIndex = objectType.relationIndexByName[tuple.relation] else {
            throw TupleValidationError(field: "relation", message: "relation '\(tuple.relation.prefix(64))' is not defined on type '\(objectType.name)'")
        }
        guard let user = ParsedUser.parse(tuple.user) else {
            throw TupleValidationError(field: "user", message: "'\(tuple.user.prefix(64))' is not of the form type:id, type:* or type:id#relation")
        }
        guard model.typeDefinition(named: String(user.type)) != nil else {
            throw TupleValidationError(field: "user", message: "type '\(user.type)' is not defined in the model")
        }
        let relation = objectType.relations[relationIndex]
        try validateRestriction(tuple, user: user, relation: relation, typeName: objectType.name)
        if let condition = tuple.condition { try validateContext(of: condition) }
    }

    private func validateRestriction(
        _ tuple: RelationshipTuple, user: ParsedUser, relation: RelationDefinition, typeName: String
    ) throws(TupleValidationError) {
        let conditionName = tuple.condition?.name
        if relation.admits(userType: user.type, userRelation: user.relation, isWildcard: user.isWildcard, condition: conditionName) {
            return
        }
        let allowed = relation.directlyRelatedUserTypes.map(\.description).joined(separator: ", ")
        let sameShape = relation.directlyRelatedUserTypes.filter { restriction in
            restriction.type == user.type && restriction.isWildcard == user.isWildcard
                && restriction.relation == user.relation.map(String.init)
        }
        guard sameShape.isEmpty else {
            let expected = sameShape.map { $0.condition.map { "condition '\($0)'" } ?? "no condition" }.joined(separator: " or ")
            throw TupleValidationError(field: "condition", message: "'\(tuple.user.prefix(64))' on \(typeName)#\(relation.name) needs \(expected)")
        }
        let summary = allowed.isEmpty ? "it accepts no direct tuples" : "allowed: \(allowed)"
        throw TupleValidationError(field: "user", message: "'\(tuple.user.prefix(64))' may not be related directly to \(typeName)#\(relation.name); \(summary)")
    }

    private func validateContext(of condition: TupleCondition) throws(TupleValidationError) {
        guard let definition = model.condition(named: condition.name) else {
            throw TupleValidationError(field: "condition", message: "condition '\(condition.name.prefix(64))' is not defined in the model")
        }
        if let problem = ConditionContextLimits.violation(in: condition.context) {
            throw TupleValidationError(field: "condition.context", message: problem)
        }
        for name in condition.context.keys.sorted() {
            let field = "condition.context." + name
            if ConditionDefinition.reservedParameterNames.contains(name) {
                throw TupleValidationError(field: field, message: "'\(name)' is reserved: it carries current attributes and cannot be persisted")
            }
            guard let type = definition.parameters[name] else {
                throw TupleValidationError(field: field, message: "is not a parameter of condition '\(definition.name)'")
            }
            let value = condition.context[name]!
            guard value.coerced(to: type) != nil else {
                throw TupleValidationError(field: field, message: "expected \(type), found \(value.briefDescription)")
            }
        }
    }
}
