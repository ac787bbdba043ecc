import SyncConfiguration
import SyncStore
@testable import SyncEngine

/// A configuration with sources "ad" and "hr" (Active Directory) and SCIM targets "a" and "b": what the rules
/// loader checks `connector:` keys against. No server is ever contacted.
enum TestConfig {
    static func make() throws -> IDSyncConfig {
        var config = try ConfigLoader.parse("""
            connectors:
              - { name: ad, type: ldap, url: "ldaps://dc", bind_dn: x, base_dn: "DC=x,DC=test" }
              - { name: hr, type: ldap, url: "ldaps://hr", bind_dn: x, base_dn: "DC=x,DC=test" }
              - { name: a, type: scim, url: "http://127.0.0.1:1/a/", auth: { type: bearer } }
              - { name: b, type: scim, url: "http://127.0.0.1:1/b/", auth: { type: bearer } }
            """, file: "/tmp/idsync-test.yaml")
        config.sync.rulesFile = nil
        return config
    }
}

/// One rule of a rules file, written out as YAML (docs/rules.md) and read back by `RuleLoader`, so tests go
/// through the real parser.
struct TestRule {
    var name: String
    var type: ObjectType
    var connector: String?
    var precedence: Int?
    var containers: [String] = []
    var filter: String?
    var memberOf: [String] = []
    var joins: [(source: String, metaverse: String)] = []
    var projection: Bool?
    var flows: [(String, String)]

    var yaml: String {
        var fields = ["name: \(quoted(name))", "object_type: \(type.rawValue)"]
        if let connector { fields.append("connector: \(connector)") }
        if let precedence { fields.append("precedence: \(precedence)") }
        var scope: [String] = []
        if !containers.isEmpty { scope.append("containers: [\(containers.map(quoted).joined(separator: ", "))]") }
        if let filter { scope.append("filter: \(quoted(filter))") }
        if !memberOf.isEmpty { scope.append("member_of: [\(memberOf.map(quoted).joined(separator: ", "))]") }
        if !scope.isEmpty { fields.append("scope: { \(scope.joined(separator: ", ")) }") }
        if !joins.isEmpty {
            fields.append("join: [\(joins.map { "{ source: \(quoted($0.source)), metaverse: \($0.metaverse) }" }.joined(separator: ", "))]")
        }
        if let projection { fields.append("projection: \(projection)") }
        fields.append("flows: { \(flows.map { "\($0.0): \(quoted($0.1))" }.joined(separator: ", ")) }")
        return "  - { \(fields.joined(separator: ", ")) }\n"
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    // MARK: The built-in rules' flows, as rules to scope

    static let adUserFlows = [
        ("sourceAnchor", "objectGUID"), ("userPrincipalName", "userPrincipalName"), ("accountName", "sAMAccountName"),
        ("cn", "cn"), ("givenName", "givenName"), ("sn", "sn"), ("displayName", "coalesce(displayName, cn)"),
        ("mail", "mail"), ("department", "department"), ("jobTitle", "title"), ("employeeID", "employeeID"),
        ("accountEnabled", "bit_clear(userAccountControl, 2)"), ("manager", "ref(manager)"),
    ]
    static let adGroupFlows = [
        ("sourceAnchor", "objectGUID"), ("cn", "cn"), ("displayName", "coalesce(displayName, cn, sAMAccountName)"),
        ("member", "ref(member)"),
    ]
    static let scimUserFlows = [
        ("externalId", "sourceAnchor"), ("userName", "userPrincipalName"), ("displayName", "displayName"),
        ("name.givenName", "givenName"), ("name.familyName", "sn"), ("emails", "mail"), ("title", "jobTitle"),
        ("active", "coalesce(accountEnabled, 'true')"), ("enterprise.department", "department"),
        ("enterprise.employeeNumber", "employeeID"), ("enterprise.manager", "manager"),
    ]
    static let scimGroupFlows = [("externalId", "sourceAnchor"), ("displayName", "displayName"), ("members", "member")]

    static func adUser(connector: String = "ad") -> TestRule {
        TestRule(name: "In - User", type: .user, connector: connector, flows: adUserFlows)
    }
    static func adGroup(connector: String = "ad") -> TestRule {
        TestRule(name: "In - Group", type: .group, connector: connector, flows: adGroupFlows)
    }
    static func scimUser(connector: String? = nil) -> TestRule {
        TestRule(name: "Out - User \(connector ?? "all")", type: .user, connector: connector, flows: scimUserFlows)
    }
    static func scimGroup(connector: String? = nil) -> TestRule {
        TestRule(name: "Out - Group \(connector ?? "all")", type: .group, connector: connector, flows: scimGroupFlows)
    }
}

enum TestRules {
    /// The rules of `inbound` and `outbound`, parsed by `RuleLoader`; a section left nil is the built-in one
    /// (Active Directory rules for "ad", the SCIM rules for every target).
    static func make(inbound: [TestRule]? = nil, outbound: [TestRule]? = nil) throws -> RuleSet {
        let config = try TestConfig.make()
        var text = ""
        if let inbound { text += "inbound:\n" + inbound.map(\.yaml).joined() }
        if let outbound { text += "outbound:\n" + outbound.map(\.yaml).joined() }
        let parsed = text.isEmpty ? (inbound: nil, outbound: nil) : try RuleLoader.parse(text, file: "test-rules.yaml", config: config)
        let builtInInbound = DefaultRules.activeDirectory.replacingOccurrences(of: "CONNECTOR", with: "ad")
        let inboundRules = try parsed.inbound ?? RuleLoader.parse(builtInInbound, file: "(built-in)", config: config).inbound ?? []
        let outboundRules = try parsed.outbound ?? RuleLoader.parse(DefaultRules.scim, file: "(built-in)", config: config).outbound ?? []
        return RuleSet(rules: inboundRules + outboundRules)
    }
}
