import Foundation
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
            outbound = try parse(DefaultRules.scim, file: "(built-in rules)", config: config).outbound
        }
        return RuleSet(rules: (inbound ?? []) + (outbound ?? []))
    }

    /// The effective rules as text, for `idsync rules show`.
    public static func text(for config: IDSyncConfig) -> String {
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
        if direction == .inbound {
            rule.connector = try node.string("connector")
            if let connector = rule.connector, config.connector(named: connector)?.role != .source {
                throw node.error("connector", "\"\(connector)\" is not an ldap connector of the configuration")
            }
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
                } catch {
                    throw scope.error("filter", "\(error)")
                }
            }
            rule.scope.memberOf = try scope.stringList("member_of") ?? []
            if direction == .outbound, !rule.scope.memberOf.isEmpty || !rule.scope.containers.isEmpty {
                throw scope.error(rule.scope.memberOf.isEmpty ? "containers" : "member_of",
                                  "outbound rules scope on metaverse attributes: only filter applies")
            }
            try scope.finish()
        }
        guard let flows = try node.stringMapping("flows"), !flows.isEmpty else {
            throw node.error("flows", "is required: target attribute → expression")
        }
        rule.flows = try flows.map { flow in
            AttributeFlow(flow.key, try expression(flow.value, in: node, key: "flows.\(flow.key)"))
        }
        try node.finish()
        return rule
    }

    private static func expression(_ text: String, in node: YAMLObject, key: String) throws -> FlowExpression {
        do {
            return try FlowExpression.parse(text)
        } catch {
            throw node.error(key, "\(error)")
        }
    }
}
