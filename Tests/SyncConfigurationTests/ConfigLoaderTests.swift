import Foundation
import Testing
@testable import SyncConfiguration

@Suite("idsync.yaml")
final class ConfigLoaderTests {
    /// A directory holding the files a valid configuration names.
    let directory: String = {
        let path = NSTemporaryDirectory() + "idsync-config-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for file in ["ca.pem", "adconn.password", "cloud.token"] {
            _ = FileManager.default.createFile(atPath: path + "/" + file, contents: Data("x\n".utf8))
        }
        return path
    }()

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    static let valid = """
        database: state/idsync.sqlite
        service:
          account: svc-idsync@contoso.test
          password_file: /etc/idsync/service-account.password
        connectors:
          - name: contoso.test
            type: ldap
            flavor: active-directory
            url: ldaps://dc1.contoso.test:636
            tls_ca_file: ca.pem
            bind_dn: svc-adconn@contoso.test
            password_file: adconn.password
            base_dn: DC=contoso,DC=test
            containers: ["OU=Staff,DC=contoso,DC=test"]
          - name: cloud
            type: scim
            url: http://127.0.0.1:8089/
            auth: { type: bearer, token_file: cloud.token }
        """

    func parse(_ text: String) throws -> IDSyncConfig {
        try ConfigLoader.parse(text, file: directory + "/idsync.yaml")
    }

    func expectError(_ text: String, keyPath: String, line: Int? = nil, containing: String) {
        do {
            _ = try parse(text)
            Issue.record("expected an error at \(keyPath)")
        } catch let error as ConfigError {
            #expect(error.keyPath == keyPath, "\(error)")
            if let line { #expect(error.line == line, "\(error)") }
            #expect(error.description.contains(containing), "\(error)")
            #expect(error.description.hasPrefix(directory + "/idsync.yaml"), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func validConfigurationWithRelativePaths() throws {
        let config = try parse(Self.valid)
        #expect(config.database == directory + "/state/idsync.sqlite")
        #expect(config.service.account == "svc-idsync@contoso.test")
        #expect(config.connectors.map(\.name) == ["contoso.test", "cloud"])
        guard case .ldap(let ldap) = config.connectors[0].kind else { Issue.record("not ldap"); return }
        #expect(ldap.tlsCAFile == directory + "/ca.pem")
        #expect(ldap.tlsVerify)
        #expect(ldap.pageSize == 500)
        #expect(ldap.searchBases == ["OU=Staff,DC=contoso,DC=test"])
        guard case .scim(let scim) = config.connectors[1].kind, case .bearer(let file) = scim.auth else {
            Issue.record("not scim bearer"); return
        }
        #expect(file == directory + "/cloud.token")
        #expect(scim.timeout == .seconds(30))
    }

    @Test func unknownKeyIsNamedWithItsLine() {
        let text = Self.valid.replacingOccurrences(of: "    bind_dn:", with: "    bind_pasword: x\n    bind_dn:")
        expectError(text, keyPath: "connectors[0].bind_pasword", line: 11, containing: "unknown key")
    }

    @Test func unknownTopLevelKey() {
        expectError(Self.valid + "\nschedule: 5m\n", keyPath: "schedule", containing: "unknown key")
    }

    @Test func wrongTypes() {
        expectError(Self.valid.replacingOccurrences(of: "    containers: [", with: "    tls_verify: maybe\n    containers: ["),
                    keyPath: "connectors[0].tls_verify", containing: "true or false")
        expectError(Self.valid.replacingOccurrences(of: "    containers: [", with: "    page_size: 0\n    containers: ["),
                    keyPath: "connectors[0].page_size", containing: "between 1 and 5000")
        expectError(Self.valid.replacingOccurrences(of: "containers: [\"OU=Staff,DC=contoso,DC=test\"]", with: "containers: OU=Staff"),
                    keyPath: "connectors[0].containers", containing: "list")
        expectError(Self.valid.replacingOccurrences(of: "    containers: [", with: "    timeout: soon\n    containers: ["),
                    keyPath: "connectors[0].timeout", containing: "duration")
    }

    @Test func missingRequiredKeys() {
        expectError(Self.valid.replacingOccurrences(of: "    bind_dn: svc-adconn@contoso.test\n", with: ""),
                    keyPath: "connectors[0].bind_dn", containing: "is required")
        expectError("database: x.sqlite\n", keyPath: "connectors", containing: "is required")
    }

    @Test func missingFilesAreNamed() {
        expectError(Self.valid.replacingOccurrences(of: "tls_ca_file: ca.pem", with: "tls_ca_file: nope.pem"),
                    keyPath: "connectors[0].tls_ca_file", containing: "file not found: \(directory)/nope.pem")
        expectError(Self.valid.replacingOccurrences(of: "token_file: cloud.token", with: "token_file: /missing/token"),
                    keyPath: "connectors[1].auth.token_file", containing: "file not found")
    }

    @Test func badValues() {
        expectError(Self.valid.replacingOccurrences(of: "ldaps://dc1.contoso.test:636", with: "https://dc1"),
                    keyPath: "connectors[0].url", containing: "ldap:// or ldaps://")
        expectError(Self.valid.replacingOccurrences(of: "flavor: active-directory", with: "flavor: novell"),
                    keyPath: "connectors[0].flavor", containing: "active-directory, openldap")
        expectError(Self.valid.replacingOccurrences(of: "[\"OU=Staff,DC=contoso,DC=test\"]", with: "[\"OU=Staff,DC=fabrikam,DC=test\"]"),
                    keyPath: "connectors[0].containers", containing: "not under base_dn")
        expectError(Self.valid.replacingOccurrences(of: "[\"OU=Staff,DC=contoso,DC=test\"]", with: "[OU=Staff,DC=contoso,DC=test]"),
                    keyPath: "connectors[0].containers", containing: "quote each DN")
        expectError(Self.valid.replacingOccurrences(of: "type: bearer", with: "type: basic"),
                    keyPath: "connectors[1].auth.type", containing: "unknown auth type")
        expectError(Self.valid.replacingOccurrences(of: "name: cloud", with: "name: contoso.test"),
                    keyPath: "connectors[1].name", containing: "duplicate connector name")
    }

    @Test("http:// for SCIM, issuer, token and registration URLs only on loopback; refused elsewhere, naming the key")
    func plainHTTPOnlyOnLoopback() throws {
        for url in ["http://scim.example.com/v2/", "http://10.1.2.3:8089/", "http://127.0.0.1.example.com/"] {
            expectError(Self.valid.replacingOccurrences(of: "http://127.0.0.1:8089/", with: url),
                        keyPath: "connectors[1].url", containing: "plain http to another machine")
        }
        for key in ["issuer", "token_url", "registration_url"] {
            let oauth = "{ type: oauth2-client-credentials, token_url: \"https://idp.example.com/token\", \(key): \"http://idp.example.com/x\" }"
            let text = Self.valid.replacingOccurrences(of: "{ type: bearer, token_file: cloud.token }", with: oauth)
                .replacingOccurrences(of: "token_url: \"https://idp.example.com/token\", token_url", with: "token_url")
            expectError(text, keyPath: "connectors[1].auth.\(key)", containing: "use https://")
        }
        for url in ["http://127.0.0.1:8089/", "http://127.8.9.10/", "http://localhost:8080/scim", "http://[::1]:8089/",
                    "https://scim.example.com/v2/"] {
            let config = try parse(Self.valid.replacingOccurrences(of: "http://127.0.0.1:8089/", with: url))
            #expect(config.scimConnector(named: "cloud")?.url == url)
        }
        let oauth = try parse(Self.valid.replacingOccurrences(of: "{ type: bearer, token_file: cloud.token }",
                                                              with: "{ type: oauth2-client-credentials, issuer: \"http://127.0.0.1:5000\" }"))
        guard case .oauth2ClientCredentials(let settings)? = oauth.scimConnector(named: "cloud")?.auth else {
            Issue.record("not an OAuth connector"); return
        }
        #expect(settings.issuer == "http://127.0.0.1:5000")
    }

    /// The connector contoso.test of a configuration.
    func ldap(_ text: String) throws -> LDAPConnectorConfig {
        guard case .ldap(let ldap)? = try parse(text).connector(named: "contoso.test")?.kind else {
            throw ConfigError(file: "", line: nil, keyPath: "", message: "no LDAP connector contoso.test")
        }
        return ldap
    }

    @Test("a bind over plain ldap:// is refused unless allow_plaintext_bind, which applies to plain ldap:// alone")
    func plaintextBind() throws {
        let tls = try ldap(Self.valid)
        #expect(tls.bindsOverTLS && !tls.allowPlaintextBind && tls.plaintextBindRefusal == nil)
        let plain = try ldap(Self.valid.replacingOccurrences(of: "ldaps://dc1.contoso.test:636", with: "ldap://dc1.contoso.test"))
        #expect(!plain.bindsOverTLS)
        #expect(plain.plaintextBindRefusal?.contains("without TLS") == true)
        let startTLS = try ldap(Self.valid.replacingOccurrences(of: "ldaps://dc1.contoso.test:636", with: "ldap://dc1.contoso.test\n    start_tls: true"))
        #expect(startTLS.bindsOverTLS && startTLS.plaintextBindRefusal == nil)
        let lab = try ldap(Self.valid.replacingOccurrences(of: "ldaps://dc1.contoso.test:636", with: "ldap://dc1.contoso.test\n    allow_plaintext_bind: true"))
        #expect(lab.allowPlaintextBind && lab.plaintextBindRefusal == nil)
        expectError(Self.valid.replacingOccurrences(of: "ldaps://dc1.contoso.test:636", with: "ldap://dc1\n    start_tls: true\n    allow_plaintext_bind: true"),
                    keyPath: "connectors[0].allow_plaintext_bind", containing: "applies only to ldap:// without start_tls")
    }

    @Test("connect_timeout bounds connecting (10 s unless set); the operation timeout stays its own")
    func connectTimeout() throws {
        let plain = try ldap(Self.valid)
        #expect(plain.connectTimeout == .seconds(10) && plain.timeout == .seconds(120))
        let slow = try ldap(Self.valid.replacingOccurrences(of: "ldaps://dc1.contoso.test:636", with: "ldaps://dc1.contoso.test:636\n    connect_timeout: 45s"))
        #expect(slow.connectTimeout == .seconds(45) && slow.timeout == .seconds(120))
    }

    @Test func aTargetIsRequired() {
        let sourceOnly = String(Self.valid[..<Self.valid.range(of: "  - name: cloud")!.lowerBound])
        expectError(sourceOnly, keyPath: "connectors", containing: "no scim connector")
    }

    @Test func severalTargetsEachWithTheirOwnPolicy() throws {
        let config = try parse(Self.valid + """

              - name: expenses
                type: scim
                url: https://expenses.example.com/scim/v2/
                auth: { type: bearer, token_file: cloud.token }
                deprovision: disable
                deprovision_delete_after: 30d
                deletion_threshold: 50
                staging: true
            sync:
              export_concurrency: 3
            """)
        #expect(config.targetConnectors.map(\.name) == ["cloud", "expenses"])
        let expenses = try #require(config.scimConnector(named: "expenses"))
        #expect(expenses.deprovision == .disable && expenses.deprovisionDeleteAfter == .seconds(30 * 86400))
        #expect(expenses.deletionThreshold == 50 && expenses.staging == true)
        #expect(config.scimConnector(named: "cloud")?.deprovision == .delete)
        #expect(config.scimConnector(named: "cloud")?.deprovisionDeleteAfter == nil)
        #expect(config.sync.exportConcurrency == 3)
        let never = try parse(Self.valid.replacingOccurrences(of: "type: scim\n", with: "type: scim\n    deprovision: disable\n    deprovision_delete_after: never\n"))
        #expect(never.scimConnector(named: "cloud")?.deprovision == .disable)
        #expect(never.scimConnector(named: "cloud")?.deprovisionDeleteAfter == nil)
    }

    @Test func invalidYAMLNamesTheLine() {
        expectError("connectors:\n  - name: [unclosed\n", keyPath: "", containing: "not valid YAML")
    }

    @Test func configPathPrecedence() {
        #expect(ConfigLoader.resolvePath(explicit: "/a.yaml", environment: ["IDSYNC_CONFIG": "/b.yaml"]) == "/a.yaml")
        #expect(ConfigLoader.resolvePath(explicit: nil, environment: ["IDSYNC_CONFIG": "/b.yaml"]) == "/b.yaml")
        #expect(ConfigLoader.resolvePath(explicit: nil, environment: [:]) == "/etc/idsync/idsync.yaml")
    }

    @Test func durations() {
        #expect(parseDuration("30s") == .seconds(30))
        #expect(parseDuration("2m") == .seconds(120))
        #expect(parseDuration("1h") == .seconds(3600))
        #expect(parseDuration("7d") == .seconds(7 * 86400))
        #expect(parseDuration("250ms") == .milliseconds(250))
        #expect(parseDuration("90") == .seconds(90))
        #expect(parseDuration("-1s") == nil)
        #expect(parseDuration("soon") == nil)
    }
}
