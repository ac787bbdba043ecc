import Foundation
import SCIM
import SyncConfiguration
import SyncStore

/// Reads rules files (docs/rules.md), with the same strictness as idsync.yaml: every key checked, every
/// expression and filter parsed before anything runs, errors naming file, line and key path.
public enum RuleLoader {
    /// The rules in force for a configuration: the rules file's sections where it has them, the built-in
    /// rules (per connector flavor) where it has not.
    public static func rules(for config: IDSyncConfig) throws -> RuleSet {
        var inbound: [SyncRule]? = nil
        var outbound: [SyncRule]? = nil
        if let file = config.sync.rulesFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigError(file: file, line: nil, keyPath: "", message: "cannot read the rules file")
            }
            (inbound, outbound) = try parse(text, file: file, config: config)
        }
        if inbound == nil {
            inbound = try config.sourceConnectors.flatMap { connector -> [SyncRule] in
                guard case .ldap(let ldap) = connector.kind else { return [] }
                let template = ldap.flavor == .openLDAP ? DefaultRules.openLDAP : DefaultRules.activeDirectory
                return try parse(template.replacingOccurrences(of: "CONNECTOR", with: connector.name),
                                 file: "(built-in rules)", config: config).inbound ?? []
            }
        }
        if outbound == nil {
            outbound = try parse(DefaultRules.scim, file: "(built-in rules)", config: config).outbound?.map { rule in
                var rule = rule
                rule.isBuiltIn = true
                return rule
            }
        }
        return RuleSet(rules: (inbound ?? []) + (outbound ?? []))
    }

    /// The rules in force as text, for `idsync rules show`: the rules file (or the built-in rules), then the
    /// outbound rules each target gets, in the same format.
    public static func text(for config: IDSyncConfig, rules: RuleSet) -> String {
        var text = source(for: config)
        for target in config.targetConnectors {
            let outbound = rules.outbound(connector: target.name)
            text += "\n# in force for target \(target.name): \(outbound.count) outbound rule(s)\noutbound:\n"
            for rule in outbound { text += yaml(rule) }
        }
        return text
    }

    /// One rule in the rules file format.
    static func yaml(_ rule: SyncRule) -> String {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        var lines = ["  - name: \(quoted(rule.name))"]
        if let connector = rule.connector { lines.append("    connector: \(connector)") }
        lines.append("    object_type: \(rule.objectType.rawValue)")
        if rule.precedence != 100 { lines.append("    precedence: \(rule.precedence)") }
        if rule.scope.filter != nil || !rule.scope.memberOf.isEmpty {
            lines.append("    scope:")
            if let filter = rule.scope.filterText { lines.append("      filter: \(quoted(filter))") }
            if !rule.scope.memberOf.isEmpty { lines.append("      member_of: [\(rule.scope.memberOf.map(quoted).joined(separator: ", "))]") }
        }
        lines.append("    flows:")
        for flow in rule.flows { lines.append("      \(quoted(flow.target)): \(quoted(rule.flowTexts[flow.target] ?? ""))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The rules file's text, or the built-in rules'.
    static func source(for config: IDSyncConfig) -> String {
        if let file = config.sync.rulesFile, let text = try? String(contentsOfFile: file, encoding: .utf8) { return text }
        let inbound = config.sourceConnectors.compactMap { connector -> String? in
            guard case .ldap(let ldap) = connector.kind else { return nil }
            return (ldap.flavor == .openLDAP ? DefaultRules.openLDAP : DefaultRules.activeDirectory)
                .replacingOccurrences(of: "CONNECTOR", with: connector.name)
        }
        return "# built-in rules (sync.rules names none)\n" + inbound.joined() + DefaultRules.scim
    }

    static func parse(_ text: String, file: String, config: IDSyncConfig) throws -> (inbound: [SyncRule]?, outbound: [SyncRule]?) {
        var top = try YAMLObject.document(text, file: file)
        let inbound = try top.objectList("inbound").map { try $0.map { try rule($0, .inbound, config: config) } }
        let outbound = try top.objectList("outbound").map { try $0.map { try rule($0, .outbound, config: config) } }
        try top.finish()
        return (inbound, outbound)
    }

    private static func rule(_ node: YAMLObject, _ direction: SyncRule.Direction, config: IDSyncConfig) throws -> SyncRule {
        var node = node
        let name = try node.requiredString("name")
        let type = try node.choice("object_type", ["user": ObjectType.user, "group": .group])
        guard let type else { throw node.error("object_type", "is required (user or group)") }
        var rule = SyncRule(name: name, direction: direction, objectType: type, flows: [])
        rule.connector = try node.string("connector")
        if let connector = rule.connector, config.connector(named: connector)?.role != (direction == .inbound ? .source : .target) {
            throw node.error("connector", "\"\(connector)\" is not \(direction == .inbound ? "an ldap" : "a scim") connector of the configuration")
        }
        if direction == .inbound {
            rule.projection = try node.bool("projection") ?? true
            rule.joins = try (node.objectList("join") ?? []).map { join in
                var join = join
                let rule = JoinRule(source: try expression(join.requiredString("source"), in: join, key: "source"),
                                    metaverseAttribute: try join.requiredString("metaverse"))
                try join.finish()
                return rule
            }
        }
        rule.precedence = try node.int("precedence", range: 0...100_000) ?? 100
        if var scope = try node.object("scope") {
            rule.scope.containers = try scope.stringList("containers") ?? []
            if let filter = try scope.string("filter") {
                do {
                    rule.scope.filter = try LDAPFilter.parse(filter)
                    rule.scope.filterText = filter
                } catch {
                    throw scope.error("filter", "\(error)")
                }
            }
            rule.scope.memberOf = try scope.stringList("member_of") ?? []
            if direction == .outbound, !rule.scope.containers.isEmpty {
                throw scope.error("containers", "outbound rules scope on the metaverse: filter and member_of apply, containers do not")
            }
            try scope.finish()
        }
        guard let flows = try node.stringMapping("flows"), !flows.isEmpty else {
            throw node.error("flows", "is required: target attribute → expression")
        }
        rule.flows = try flows.map { flow in
            AttributeFlow(try target(flow.key, direction, in: node), try expression(flow.value, in: node, key: "flows.\(flow.key)"))
        }
        rule.flowTexts = Dictionary(zip(rule.flows.map(\.target), flows.map(\.value)), uniquingKeysWith: { first, _ in first })
        if let duplicate = Dictionary(grouping: rule.flows, by: \.target).first(where: { $0.value.count > 1 })?.key {
            throw node.error("flows", "two flows write \(duplicate)")
        }
        try node.finish()
        return rule
    }

    /// An outbound flow's target is a SCIM attribute path (RFC 7643), kept in its canonical form
    /// (`enterprise.department`, `emails[type eq "work"].value`, `urn:…:User:attr`); an inbound one a
    /// metaverse attribute name.
    private static func target(_ key: String, _ direction: SyncRule.Direction, in node: YAMLObject) throws -> String {
        guard direction == .outbound else { return key }
        do {
            return try SCIMPath.canonical(key)
        } catch {
            throw node.error("flows.\(key)", "\(error)")
        }
    }

    private static func expression(_ text: String, in node: YAMLObject, key: String) throws -> FlowExpression {
        do {
            return try FlowExpression.parse(text)
        } catch {
            throw node.error(key, "\(error)")
        }
    }
}
