import LDAP
import SCIM
import SyncStore

/// The check `idsync rules check` and every cycle make before anything runs, against what the connected
/// systems say of themselves: each attribute an inbound rule reads must be in its directory's schema (the
/// subschema subentry), and each attribute an outbound rule writes must be one its target's /Schemas and
/// /ResourceTypes hold, writable, of a fitting kind. A target that serves no schema is taken as it is.
public struct RuleCheck: Sendable {
    /// One flow the connected system cannot take: the rule, the attribute, the connector, and why.
    public struct Problem: Sendable, CustomStringConvertible, Equatable {
        public let rule: String
        public let attribute: String
        public let connector: String
        public let reason: String
        /// False for notes (an immutable attribute, one never returned): reported, not refused.
        public let isError: Bool
        public var description: String { "rule \"\(rule)\": \(attribute): \(reason) (connector \(connector))" }
    }

    /// Every problem found, errors first.
    public let problems: [Problem]
    public var errors: [Problem] { problems.filter(\.isError) }
    public var notes: [Problem] { problems.filter { !$0.isError } }
    /// Targets whose flows could not be checked because they serve no /Schemas.
    public var unchecked: [String] = []

    /// Asks each open connector for its schema and checks the rules against it.
    public static func run(_ rules: RuleSet, _ connectors: ConnectorSet) async throws -> RuleCheck {
        var problems: [Problem] = [], unchecked: [String] = []
        for source in connectors.sources {
            guard let ldap = source as? LDAPSourceConnector else { continue }
            problems += directoryProblems(rules, connector: source.name, schema: try await ldap.schema())
        }
        for target in connectors.targets {
            guard let catalog = try await target.schemaCatalog() else {
                unchecked.append("\(target.name): /Schemas: not served")
                continue
            }
            problems += try targetProblems(rules, connector: target.name, catalog: catalog)
        }
        return RuleCheck(problems: problems.sorted { $0.isError && !$1.isError }, unchecked: unchecked)
    }

    /// Attributes the connector's inbound rules read that its directory's schema lacks.
    static func directoryProblems(_ rules: RuleSet, connector: String, schema: DirectorySchema) -> [Problem] {
        rules.rules.filter { $0.direction == .inbound && ($0.connector == nil || $0.connector == connector) }.flatMap { rule in
            rule.attributesRead.keys.sorted().filter { !schema.hasAttribute($0) }.map { name in
                Problem(rule: rule.name, attribute: name, connector: connector,
                        reason: "the directory's schema has no such attribute", isError: true)
            }
        }
    }

    /// Flows of the target's outbound rules its schema cannot take.
    static func targetProblems(_ rules: RuleSet, connector: String, catalog: SCIMSchemaCatalog) throws -> [Problem] {
        let references = rules.referenceAttributes, values = rules.valueAttributes
        return try rules.outbound(connector: connector).flatMap { rule in
            try rule.flows.compactMap { flow -> Problem? in
                let path = try SCIMPath(parsing: flow.target)
                // A metaverse attribute holds references when inbound ref() flows give it; one no inbound rule
                // gives holds nothing, and is taken to be what its target path expects (the built-in
                // `enterprise.manager: manager` with rules that flow no manager).
                let holdsReferences: Bool
                if case .attribute(let name) = flow.expression, !values.contains(name) {
                    holdsReferences = references.contains(name)
                        || SCIMMapping.referenceAttributes(rule.objectType).contains(path.canonical)
                } else {
                    holdsReferences = false
                }
                guard let problem = catalog.problem(for: path, resourceType: SCIMMapping.resourceType(rule.objectType),
                                                    holdsReferences: holdsReferences) else { return nil }
                // The problem's text starts with the path; the rule's line names the attribute already.
                let text = problem.description
                let reason = text.hasPrefix(problem.path + ": ") ? String(text.dropFirst(problem.path.count + 2)) : text
                // The built-in mapping is made for every target: what one of them does not take is its business (it
                // drops or refuses the value), not a reason to stop. The anchor idsync keeps in externalId is
                // idsync's own (it keeps an anchor → id mapping), whatever the target says of the attribute.
                guard problem.isError, !rule.isBuiltIn, path.canonical != "externalId" else {
                    return Problem(rule: rule.name, attribute: flow.target, connector: connector,
                                   reason: reason + (rule.isBuiltIn ? " (a built-in rule: sent as it is)" : ""), isError: false)
                }
                return Problem(rule: rule.name, attribute: flow.target, connector: connector, reason: reason, isError: true)
            }
        }
    }
}

/// A cycle refused before it starts: some rule names an attribute a connected system cannot take.
public struct RuleCheckFailed: Error, CustomStringConvertible, Sendable {
    public let problems: [RuleCheck.Problem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
