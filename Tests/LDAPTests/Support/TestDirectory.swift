import Foundation
#if canImport(IDSyncTesting)
import IDSyncTesting  // SambaDC and runChecked in the main package; the scratch package has stand-ins
#endif
import LDAP

/// What the Samba tests share: connections as Administrator, a private OU per test so tests can run in
/// parallel against one DC, and users to bind as.
struct TestDirectory {
    let dc: SambaDC

    static func samba() async throws -> TestDirectory {
        TestDirectory(dc: try await SambaDC.shared())
    }

    var domain: String { dc.realm.lowercased() }

    /// The harness's options (a generous connect timeout: see `SambaDC.connectTimeout`).
    func options(url: String? = nil, startTLS: Bool = false, caFile: String? = nil) -> LDAPConnectionOptions {
        dc.connectionOptions(url: url, startTLS: startTLS, caFile: caFile, operationTimeout: .seconds(60))
    }

    func adminConnection() async throws -> LDAPConnection {
        let connection = try await LDAPConnection.connect(options())
        try await connection.simpleBind(dn: dc.adminUPN, password: dc.adminPassword)
        return connection
    }

    /// A new, empty OU under the domain root; its name starts with `purpose`.
    func makeOU(_ connection: LDAPConnection, _ purpose: String) async throws -> String {
        let dn = "OU=\(purpose)-\(Self.randomSuffix()),\(dc.baseDN)"
        try await connection.add(dn: dn, attributes: ["objectClass": [LDAPValue(utf8: "organizationalUnit")]])
        return dn
    }

    struct User {
        let dn: String
        let userPrincipalName: String
        let samAccountName: String
    }

    /// An enabled user whose password is `password`.
    func addUser(_ connection: LDAPConnection, in parentDN: String, cn: String? = nil,
                 password: String, extra: [String: [LDAPValue]] = [:]) async throws -> User {
        // sAMAccountName is limited to 20 characters.
        let samAccountName = "t" + Self.randomSuffix()
        let userPrincipalName = "\(samAccountName)@\(domain)"
        let dn = "CN=\(DistinguishedName.escapeValue(cn ?? samAccountName)),\(parentDN)"
        var attributes: [String: [LDAPValue]] = [
            "objectClass": [LDAPValue(utf8: "user")],
            "sAMAccountName": [LDAPValue(utf8: samAccountName)],
            "userPrincipalName": [LDAPValue(utf8: userPrincipalName)],
            "unicodePwd": [ActiveDirectory.unicodePwd(password)],
            "userAccountControl": [LDAPValue(utf8: "512")],  // NORMAL_ACCOUNT, enabled
        ]
        attributes.merge(extra) { $1 }
        try await connection.add(dn: dn, attributes: attributes)
        return User(dn: dn, userPrincipalName: userPrincipalName, samAccountName: samAccountName)
    }

    static func randomSuffix() -> String {
        String(UInt32.random(in: .min ... .max), radix: 16)
    }

    /// A password Samba's default complexity policy accepts.
    static func randomPassword() -> String {
        "Pw-\(UUID().uuidString.prefix(13))-x9"
    }
}
