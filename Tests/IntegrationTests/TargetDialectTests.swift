import Foundation
import IDSyncTesting
import Testing

/// Syncs into the SCIM servers people run, each with its own reading of RFC 7644 (docs/targets.md), from an
/// OpenLDAP directory of a few users and groups.
@Suite("SCIM dialects: real servers as they are (OpenLDAP → mitol-django-scim)", .hangGuard)
struct TargetDialectTests {
    @Test("mitol-django-scim (users and groups numbered apart, externalId filter failing, Bulk failing for Groups, members ignored on POST): every user and group lands once, with its members; a second sync writes nothing")
    func usersAndGroupsNumberedApart() async throws {
        let ldap = try await OpenLDAPServer.start()
        let server = try await DjangoSCIMServer.start(flavor: .mitolDjangoSCIM)
        try await withCleanup { cleanup in
            cleanup.add { try await ldap.stop() }
            cleanup.add { try await server.stop() }
            try await Self.load(ldap, users: 3, groups: ["staff", "admins"])
            let install = try IDSyncInstallation.openLDAP(ldap, scimURL: server.url, scimToken: server.token)
            cleanup.add { install.directory.remove() }

            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            let users = try await Self.list(server, "Users"), groups = try await Self.list(server, "Groups")
            #expect(users.compactMap { $0["userName"] as? String }.sorted() == ["u0@example.com", "u1@example.com", "u2@example.com"])
            #expect(groups.compactMap { $0["displayName"] as? String }.sorted() == ["admins", "staff"])
            // mitol-django-scim creates groups without the members a POST carries: they are added by PATCH.
            let u0 = try #require(users.first { $0["userName"] as? String == "u0@example.com" }.flatMap(Self.id))
            for group in groups {
                let members = (group["members"] as? [[String: Any]] ?? []).compactMap { $0["value"].map { "\($0)" } }
                #expect(members == [u0], "\(group["displayName"] ?? "?"): \(members)")
            }
            // What is tested: a user and a group share an id.
            let userIDs = Set(users.compactMap(Self.id)), groupIDs = Set(groups.compactMap(Self.id))
            #expect(!userIDs.isDisjoint(with: groupIDs), "users \(userIDs), groups \(groupIDs)")

            // The shared id names two objects: `cs show` asks which one.
            let shared = try #require(userIDs.intersection(groupIDs).sorted().first)
            let ambiguous = try await install.idsync(["cs", "show", "cloud", "--anchor", shared])
            #expect(ambiguous.status != 0 && ambiguous.stderr.contains("a user and a group both have the id \(shared)"), "\(ambiguous.output)")
            let group = try await install.idsync(["cs", "show", "cloud", "--anchor", shared, "--object-type", "group"])
            #expect(group.status == 0 && group.stdout.contains("type:            group"), "\(group.output)")

            let mark = try server.requests().count
            let second = try await install.idsync(["sync"])
            #expect(second.status == 0, "\(second.output)")
            #expect(try server.requests().dropFirst(mark).filter(\.isWrite) == [])
        }
    }

    /// `users` users u0… under ou=people and the groups under ou=groups, each with the first user as member.
    static func load(_ ldap: OpenLDAPServer, users: Int, groups: [String]) async throws {
        var ldif = ""
        for i in 0..<users {
            ldif += "dn: uid=u\(i),ou=people,\(ldap.baseDN)\nobjectClass: inetOrgPerson\nuid: u\(i)\ncn: User \(i)\nsn: Family\(i)\n"
                + "mail: u\(i)@example.com\n\n"
        }
        for name in groups {
            ldif += "dn: cn=\(name),ou=groups,\(ldap.baseDN)\nobjectClass: groupOfNames\ncn: \(name)\nmember: uid=u0,ou=people,\(ldap.baseDN)\n\n"
        }
        let file = try TemporaryDirectory(prefix: "ldif")
        defer { file.remove() }
        try await ldap.loadOffline(ldifFile: try file.write("dialect.ldif", ldif))
    }

    /// A resource's id, as text (the server may send a number).
    static func id(_ resource: [String: Any]) -> String? { resource["id"].map { "\($0)" } }

    /// Every resource of a type, read with curl (not idsync's client).
    static func list(_ server: DjangoSCIMServer, _ type: String) async throws -> [[String: Any]] {
        let response = try await server.request("GET", "\(type)?count=1000")
        #expect(response.status == 200, "GET /\(type): \(response.status) \(response.body.prefix(300))")
        return try response.object()["Resources"] as? [[String: Any]] ?? []
    }
}
