import Foundation
import LDAP

/// Builds test data in the domain over LDAPS as the domain administrator, the way an admin's tools would.
extension SambaDC {
    public func adminConnection() async throws -> LDAPConnection {
        let connection = try await LDAPConnection.connect(connectionOptions())
        try await connection.simpleBind(dn: adminUPN, password: adminPassword)
        return connection
    }

    /// Runs `body` with an administrator connection, closed afterwards.
    public func asAdmin<T: Sendable>(_ body: (LDAPConnection) async throws -> T) async throws -> T {
        let connection = try await adminConnection()
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Creates an organizational unit of the test's own directly under the domain: `OU=<prefix>-<random>`.
    public func makeOU(prefix: String = "t") async throws -> String {
        let dn = "OU=\(prefix)-\(UUID().uuidString.prefix(8).lowercased()),\(baseDN)"
        try await asAdmin { try await $0.add(dn: dn, attributes: ["objectClass": [Array("organizationalUnit".utf8)]]) }
        return dn
    }

    /// Creates an enabled (or disabled) user with a password; returns its DN.
    @discardableResult
    public func addUser(in container: String, cn: String, sam: String, upn: String? = nil, password: String? = nil,
                        disabled: Bool = false, attributes: [String: [String]] = [:]) async throws -> String {
        let dn = "CN=\(DistinguishedName.escapeValue(cn)),\(container)"
        var entry: [String: [LDAPValue]] = [
            "objectClass": [Array("user".utf8)],
            "sAMAccountName": [Array(sam.utf8)],
            "userPrincipalName": [Array((upn ?? "\(sam)@\(upnSuffix)").utf8)],
            "unicodePwd": [ActiveDirectory.unicodePwd(password ?? Self.randomPassword())],
            "userAccountControl": [Array(String(disabled ? 514 : 512).utf8)],
        ]
        for (name, values) in attributes { entry[name] = values.map { Array($0.utf8) } }
        try await asAdmin { try await $0.add(dn: dn, attributes: entry) }
        return dn
    }

    /// Creates `count` users `<prefix>-<i>` over one connection (AD adds ~200 entries/s); returns their DNs.
    public func addUsers(in container: String, count: Int, prefix: String) async throws -> [String] {
        try await asAdmin { connection in
            var dns: [String] = []
            for index in 0..<count {
                let sam = "\(prefix)-\(index)"
                let dn = "CN=\(sam),\(container)"
                try await connection.add(dn: dn, attributes: [
                    "objectClass": [LDAPValue(utf8: "user")], "sAMAccountName": [LDAPValue(utf8: sam)],
                    "userPrincipalName": [LDAPValue(utf8: "\(sam)@\(upnSuffix)")], "sn": [LDAPValue(utf8: "Bulk")],
                    "givenName": [LDAPValue(utf8: "U\(index)")],
                ])
                dns.append(dn)
            }
            return dns
        }
    }

    /// Deletes entries over one connection.
    public func delete(_ dns: [String]) async throws {
        try await asAdmin { connection in for dn in dns { try await connection.delete(dn: dn) } }
    }

    /// Moves an entry (and its subtree) under `newParent`, keeping its RDN.
    public func move(_ dn: String, under newParent: String) async throws {
        let rdn = String(dn[..<(dn.range(of: ",(?=[A-Za-z]+=)", options: .regularExpression)?.lowerBound ?? dn.endIndex)])
        try await asAdmin { try await $0.rename(dn: dn, newRDN: rdn, newSuperior: newParent) }
    }

    /// Creates an OU under `parent`; returns its DN.
    @discardableResult
    public func addOU(_ name: String, in parent: String) async throws -> String {
        let dn = "OU=\(name),\(parent)"
        try await asAdmin { try await $0.add(dn: dn, attributes: ["objectClass": [LDAPValue(utf8: "organizationalUnit")]]) }
        return dn
    }

    /// Creates a global security group with the given member DNs; returns its DN.
    @discardableResult
    public func addGroup(in container: String, cn: String, members: [String] = [],
                         attributes: [String: [String]] = [:]) async throws -> String {
        let dn = "CN=\(DistinguishedName.escapeValue(cn)),\(container)"
        var entry: [String: [LDAPValue]] = [
            "objectClass": [Array("group".utf8)],
            // sAMAccountName is unique in the whole domain, and tests share one domain.
            "sAMAccountName": [Array("g-\(UUID().uuidString.prefix(12).lowercased())".utf8)],
        ]
        if !members.isEmpty { entry["member"] = members.map { Array($0.utf8) } }
        for (name, values) in attributes { entry[name] = values.map { Array($0.utf8) } }
        try await asAdmin { try await $0.add(dn: dn, attributes: entry) }
        return dn
    }

    public func modify(_ dn: String, _ modifications: [LDAPModification]) async throws {
        try await asAdmin { try await $0.modify(dn: dn, modifications) }
    }

    public func delete(_ dn: String) async throws {
        try await asAdmin { try await $0.delete(dn: dn) }
    }

    /// The object's objectGUID in AD's textual form, read back from the directory.
    public func objectGUID(of dn: String) async throws -> String {
        try await asAdmin { connection in
            let result = try await connection.search(base: dn, scope: .base, filter: "(objectClass=*)", attributes: ["objectGUID"])
            guard let bytes = result.entries.first?.values("objectGUID").first, let guid = ActiveDirectory.guidString(bytes) else {
                throw TestSetupError("no objectGUID on \(dn)")
            }
            return guid
        }
    }

    /// A password AD's complexity policy accepts, different every time.
    public static func randomPassword() -> String { "Pw-\(UUID().uuidString.prefix(18))-x9" }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
