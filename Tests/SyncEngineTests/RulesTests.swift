import SyncConfiguration
import SyncStore
import Testing
@testable import SyncEngine

@Suite("Rules: filters, expressions, rules files")
struct RulesTests {
    @Test func ldapFilters() throws {
        let attributes: AttributeMap = ["department": ["Sales"], "title": ["Senior Engineer"], "uSNChanged": ["1200"]]
        #expect(try LDAPFilter.parse("(department=sales)").matches(attributes))
        #expect(try LDAPFilter.parse("(&(department=Sales)(!(title=Contractor)))").matches(attributes))
        #expect(try !LDAPFilter.parse("(|(department=HR)(mail=*))").matches(attributes))
        #expect(try LDAPFilter.parse("(title=*engineer)").matches(attributes))
        #expect(try LDAPFilter.parse("(title=sen*eng*)").matches(attributes))
        #expect(try !LDAPFilter.parse("(title=*manager*)").matches(attributes))
        #expect(try LDAPFilter.parse("(uSNChanged>=1000)").matches(attributes))
        #expect(try !LDAPFilter.parse("(uSNChanged<=999)").matches(attributes))
        #expect(try LDAPFilter.parse("(cn=a\\2ab)") == .equal("cn", "a*b"))
        for bad in ["department=Sales", "(department=Sales", "(&)", "(=x)", "(a=b)(c=d)", "(a=\\zz)"] {
            #expect(throws: LDAPFilter.ParseError.self, "\(bad)") { try LDAPFilter.parse(bad) }
        }
    }

    @Test func expressions() throws {
        let attributes: AttributeMap = ["givenName": ["Ada"], "sn": ["Lovelace"], "uac": ["514"], "proxy": ["a;b; c"], "mail": ["Ada@X.org"]]
        func eval(_ text: String) throws -> [String] { try FlowExpression.parse(text).evaluate(attributes, context: EvaluationContext()) }
        #expect(try eval("coalesce(displayName, concat(givenName, ' ', sn))") == ["Ada Lovelace"])
        #expect(try eval("concat(nickname, ' ', sn)") == ["Lovelace"])
        #expect(try eval("concat(nickname, ' ', alias)") == [])
        #expect(try eval("lower(mail)") == ["ada@x.org"])
        #expect(try eval("upper(sn)") == ["LOVELACE"])
        #expect(try eval("split(proxy, ';')") == ["a", "b", "c"])
        #expect(try eval("join(split(proxy, ';'), ',')") == ["a,b,c"])
        #expect(try eval("bit_clear(uac, 2)") == ["false"])
        #expect(try eval("bit_set(uac, 2)") == ["true"])
        #expect(try eval("ref(manager)") == [])
        #expect(try eval("'constant'") == ["constant"])
        for bad in ["coalesce(", "frobnicate(x)", "bit_clear(uac, x)", "split(proxy)", "concat(a b)", "'open"] {
            #expect(throws: FlowExpression.ParseError.self, "\(bad)") { try FlowExpression.parse(bad) }
        }
    }

    func config(rules: String? = nil) throws -> IDSyncConfig {
        var config = try ConfigLoader.parse("""
            connectors:
              - { name: ad, type: ldap, url: "ldaps://dc", bind_dn: x, base_dn: "DC=x" }
              - { name: cloud, type: scim, url: "http://127.0.0.1:1/", auth: { type: bearer } }
            """, file: "/tmp/idsync.yaml")
        config.sync.rulesFile = nil
        return config
    }

    @Test func builtInRulesParse() throws {
        let rules = try RuleLoader.rules(for: try config())
        #expect(rules.inbound(connector: "ad", type: .user).first?.name == "In from AD - User")
        #expect(rules.outbound(type: .group, connector: "cloud").first?.flows.contains { $0.target == "members" } == true)
        let shown = RuleLoader.text(for: try config(), rules: rules)
        #expect(shown.contains("accountEnabled: bit_clear(userAccountControl, 2)"))
        #expect(shown.contains("# in force for target cloud: 2 outbound rule(s)"), "\(shown)")
        #expect(shown.contains("\"userName\": \"userPrincipalName\""), "\(shown)")
    }

    @Test func rulesFileWithScopeJoinsAndPrecedence() throws {
        let parsed = try RuleLoader.parse("""
            inbound:
              - name: HR users
                connector: ad
                object_type: user
                precedence: 10
                scope:
                  containers: ["OU=Staff,DC=x"]
                  filter: "(!(title=Contractor))"
                  member_of: ["CN=Cloud,DC=x"]
                join:
                  - { source: employeeID, metaverse: employeeID }
                  - { source: "lower(mail)", metaverse: mail }
                projection: false
                flows:
                  employeeID: employeeID
                  displayName: "concat(givenName, ' ', sn)"
            """, file: "rules.yaml", config: try config())
        let rule = try #require(parsed.inbound?.first)
        #expect(rule.precedence == 10 && !rule.projection && rule.joins.count == 2)
        #expect(rule.scope.filter == .not(.equal("title", "Contractor")))
        #expect(rule.scope.memberOf == ["CN=Cloud,DC=x"])
        #expect(parsed.outbound == nil, "a missing section keeps the built-in rules")
    }

    @Test func rulesFileErrorsNameTheKey() throws {
        func expectError(_ yaml: String, _ keyPath: String, _ fragment: String) throws {
            do {
                _ = try RuleLoader.parse(yaml, file: "rules.yaml", config: try config())
                Issue.record("no error for \(keyPath)")
            } catch let error as ConfigError {
                #expect(error.keyPath == keyPath, "\(error)")
                #expect(error.description.contains(fragment), "\(error)")
            }
        }
        try expectError("inbound:\n  - { name: x, object_type: user, flows: { a: \"coalesce(\" } }\n", "inbound[0].flows.a", "invalid expression")
        try expectError("inbound:\n  - { name: x, object_type: user, scope: { filter: \"(a=b\" }, flows: { a: b } }\n", "inbound[0].scope.filter", "invalid LDAP filter")
        try expectError("inbound:\n  - { name: x, object_type: computer, flows: { a: b } }\n", "inbound[0].object_type", "unknown value")
        try expectError("inbound:\n  - { name: x, connector: nope, object_type: user, flows: { a: b } }\n", "inbound[0].connector", "not an ldap connector")
        try expectError("inbound:\n  - { name: x, object_type: user, flow: { a: b } }\n", "inbound[0].flows", "is required")
        try expectError("outbound:\n  - { name: x, object_type: user, scope: { containers: [a] }, flows: { a: b } }\n", "outbound[0].scope.containers", "containers do not")
        try expectError("outbound:\n  - { name: x, connector: ad, object_type: user, flows: { a: b } }\n", "outbound[0].connector", "not a scim connector")
    }
}
