import Foundation
import IDSyncTesting
import LDAP

/// A directory of many users in OpenLDAP (loaded offline with slapadd: 10,000 users in a second) and a
/// scim2-server, for the crash and fault tests.
struct BulkDirectory {
    let ldap: OpenLDAPServer
    let scim: SCIMServer
    let users: Int
    let groups: Int

    /// `extra` adds LDIF entries of the test's own, given the base DN.
    static func make(users: Int, groups: Int, membersPerGroup: Int,
                     extra: (String) -> String = { _ in "" }) async throws -> BulkDirectory {
        let ldap = try await OpenLDAPServer.start(sessionLog: 100_000)
        var ldif = ""
        for i in 0..<users {
            ldif += "dn: uid=u\(i),ou=people,\(ldap.baseDN)\nobjectClass: inetOrgPerson\nuid: u\(i)\ncn: User \(i)\nsn: Family\(i)\n"
                + "givenName: Given\(i)\nmail: u\(i)@example.com\ntitle: Engineer \(i % 7)\n\n"
        }
        for g in 0..<groups {
            ldif += "dn: cn=g\(g),ou=groups,\(ldap.baseDN)\nobjectClass: groupOfNames\ncn: g\(g)\n"
            for m in 0..<membersPerGroup { ldif += "member: uid=u\((g * 37 + m * 101) % users),ou=people,\(ldap.baseDN)\n" }
            ldif += "\n"
        }
        ldif += extra(ldap.baseDN)
        let file = try TemporaryDirectory(prefix: "ldif")
        try await ldap.loadOffline(ldifFile: try file.write("bulk.ldif", ldif))
        file.remove()
        return BulkDirectory(ldap: ldap, scim: try await SCIMServer.start(), users: users, groups: groups)
    }

    /// An installation reading this directory and writing to `scimURL` (the server itself, or a proxy in front).
    func installation(scimURL: String? = nil, extraSCIM: String = "") throws -> IDSyncInstallation {
        try IDSyncInstallation.openLDAP(ldap, scimURL: scimURL ?? scim.url, scimToken: scim.token, pageSize: 1000,
                                        extraSCIM: extraSCIM)
    }

    /// Checks the target holds exactly the source: every user once, no stranger, every group with its members.
    func convergence() async throws -> [String] {
        var problems: [String] = []
        let users = try await scim.users()
        let names = users.compactMap { $0.string("userName") }
        let counts = Dictionary(names.map { ($0, 1) }, uniquingKeysWith: +)
        let duplicates = counts.filter { $0.value > 1 }
        if !duplicates.isEmpty { problems.append("\(duplicates.count) duplicated users, e.g. \(duplicates.keys.first!)") }
        let expected = Set((0..<self.users).map { "u\($0)@example.com" })
        let missing = expected.subtracting(names)
        if !missing.isEmpty { problems.append("\(missing.count) users missing, e.g. \(missing.first!)") }
        let strangers = Set(names).subtracting(expected)
        if !strangers.isEmpty { problems.append("\(strangers.count) unexpected users") }
        let groups = try await scim.groups()
        if groups.count != self.groups { problems.append("\(groups.count) groups, not \(self.groups)") }
        return problems
    }

    func stop() async {
        try? await ldap.stop()
        try? await scim.stop()
    }
}

extension IDSyncInstallation {
    /// An installation syncing an OpenLDAP server (connector `example`) into a SCIM service (connector `cloud`),
    /// its secrets in files beside the configuration.
    static func openLDAP(_ ldap: OpenLDAPServer, scimURL: String, scimToken: String, pageSize: Int? = nil,
                         extraSCIM: String = "") throws -> IDSyncInstallation {
        let directory = try TemporaryDirectory(prefix: "install-ol")
        try directory.write("ldap.password", ldap.adminPassword + "\n")
        try directory.write("cloud.token", scimToken + "\n")
        let config = try directory.write("idsync.yaml", """
            database: \(directory.file("idsync.sqlite"))
            connectors:
              - name: example
                type: ldap
                flavor: openldap
                url: \(ldap.url)
                allow_plaintext_bind: true
                bind_dn: \(ldap.adminDN)
                password_file: ldap.password
                base_dn: \(ldap.baseDN)
            \(pageSize.map { "    page_size: \($0)" } ?? "")
              - name: cloud
                type: scim
                url: \(scimURL)
                auth: { type: bearer, token_file: cloud.token }
            \(extraSCIM)
            """)
        return IDSyncInstallation(directory: directory, configPath: config, databasePath: directory.file("idsync.sqlite"),
                                  sourceName: "example", targetName: "cloud")
    }
}
