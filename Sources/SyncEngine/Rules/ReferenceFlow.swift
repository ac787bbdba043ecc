import SyncStore

/// What rules give one object: each attribute's plain values or its references, with the precedence of the
/// rule that gave them (an attribute is in one of the two, never in both).
struct FlowResult {
    var values: [String: (precedence: Int, values: [String])] = [:]
    var references: [String: (precedence: Int, references: [Reference])] = [:]

    func precedence(of name: String) -> Int? { values[name]?.precedence ?? references[name]?.precedence }

    /// Takes each attribute of `other` whose precedence is better (a lower number) than what this one has.
    mutating func merge(_ other: FlowResult) {
        for (name, contribution) in other.values where (precedence(of: name) ?? Int.max) > contribution.precedence {
            references[name] = nil
            values[name] = contribution
        }
        for (name, contribution) in other.references where (precedence(of: name) ?? Int.max) > contribution.precedence {
            values[name] = nil
            references[name] = contribution
        }
    }

    var attributeMap: AttributeMap { values.mapValues(\.values).normalized }
    var referenceMap: ReferenceMap { references.mapValues(\.references).filter { !$0.value.isEmpty } }
}

extension RuleSet {
    /// Applies `rules` to an object's `attributes` and `references`: for each attribute, what the rule with
    /// the lowest precedence number that gives it anything gives (Entra's precedence).
    ///
    /// A `ref(attr)` flow turns the attribute's DNs into references with `resolve` (DNs that name nothing are
    /// dropped). A flow that copies an attribute holding references (`members: member`) copies them. Every
    /// other flow computes text from `attributes` alone: a reference is not text, and no expression sees one.
    /// `isTaken(attribute, value)` answers SelectUniqueValue for the target attribute. A function that cannot
    /// compute its value throws a ``FlowError`` naming the rule and the attribute.
    static func apply(_ rules: [SyncRule], to attributes: AttributeMap, references: ReferenceMap = [:],
                      resolve: (String) throws -> Reference? = { _ in nil },
                      isTaken: (@Sendable (_ attribute: String, _ value: String) throws -> Bool)? = nil) throws -> FlowResult {
        var result = FlowResult()
        for rule in rules {
            for flow in rule.flows {
                if let existing = result.precedence(of: flow.target), existing <= rule.precedence { continue }
                switch flow.expression {
                case .reference(let name):
                    let resolved = try (attributes[name] ?? []).compactMap(resolve)
                    if !resolved.isEmpty { result.references[flow.target] = (rule.precedence, resolved) }
                case .attribute(let name) where references[name] != nil:
                    if let copied = references[name], !copied.isEmpty { result.references[flow.target] = (rule.precedence, copied) }
                default:
                    let target = flow.target
                    var context = EvaluationContext()
                    if let isTaken {
                        context.isTaken = { @Sendable value in try isTaken(target, value) }
                    }
                    let values: [String]
                    do {
                        values = try flow.expression.evaluate(attributes, context: context)
                    } catch let error as ExpressionError {
                        throw FlowError(rule: rule.name, attribute: flow.target, reason: "\(error)")
                    }
                    if !values.isEmpty { result.values[flow.target] = (rule.precedence, values) }
                }
            }
        }
        return result
    }
}
