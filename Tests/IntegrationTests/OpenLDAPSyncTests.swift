import Foundation
import IDSyncTesting
import LDAP
import Testing

/// The OpenLDAP flavor against a real slapd with syncprov: a full import, then syncrepl deltas — adds,
/// modifies and deletes, including deletes made while idsync was not running, with and without a
/// session log (without one, slapd implies deletes through a present phase).
@Suite("OpenLDAP: syncrepl deltas", .serialized, .hangGuard)
struct OpenLDAPSyncTests {
    func person(_ uid: String, in base: String, title: String = "Engineer") -> (String, [String: [LDAPValue]]) {
        ("uid=\(uid),ou=people,\(base)", [
            "objectClass": ["inetOrgPerson"].map { LDAPValue(utf8: $0) },
            "uid": [LDAPValue(utf8: uid)], "cn": [LDAPValue(utf8: "Person \(uid)")], "sn": [LDAPValue(utf8: "Person")],
            "givenName": [LDAPValue(utf8: uid.capitalized)], "mail": [LDAPValue(utf8: "\(uid)@example.com")],
            "title": [LDAPValue(utf8: title)], "employeeNumber": [LDAPValue(utf8: "N-\(uid)")],
        ])
    }

    func installation(_ server: OpenLDAPServer, _ scim: SCIMServer) throws -> IDSyncInstallation {
        try IDSyncInstallation.openLDAP(server, scimURL: scim.url, scimToken: scim.token)
    }

    func profiles(_ result: ProcessResult) -> [String] {
        result.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").filter { !$0.isEmpty }.dropFirst().first.map(String.init) }
    }

    @Test("adds, modifies and deletes arrive; a delete made while idsync was not running still arrives", arguments: [nil, 100])
    func syncreplDeltas(sessionLog: Int?) async throws {
        let server = try await OpenLDAPServer.start(sessionLog: sessionLog)
        let scim = try await SCIMServer.start()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            cleanup.add { try await server.stop() }
            let install = try installation(server, scim)
            let admin = try await server.admin()
            for uid in ["alice", "bob", "carol"] {
                let (dn, attributes) = person(uid, in: server.baseDN)
                try await admin.add(dn: dn, attributes: attributes)
            }
            try await admin.add(dn: "cn=engineering,ou=groups,\(server.baseDN)", attributes: [
                "objectClass": [LDAPValue(utf8: "groupOfNames")], "cn": [LDAPValue(utf8: "engineering")],
                "member": ["alice", "bob"].map { LDAPValue(utf8: "uid=\($0),ou=people,\(server.baseDN)") },
            ])
            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            #expect(try await scim.users().map { $0.string("userName") ?? "" }.sorted() == ["alice@example.com", "bob@example.com", "carol@example.com"])
            #expect(try await scim.groups().first?.objects("members").count == 2)

            // Changes while idsync is not running: an add, a modify, a membership change, a delete.
            let (dave, daveAttributes) = person("dave", in: server.baseDN)
            try await admin.add(dn: dave, attributes: daveAttributes)
            try await admin.modify(dn: "uid=alice,ou=people,\(server.baseDN)", [LDAPModification(.replace, "title", [LDAPValue(utf8: "Architect")])])
            try await admin.modify(dn: "cn=engineering,ou=groups,\(server.baseDN)", [LDAPModification(.add, "member", [LDAPValue(utf8: dave)])])
            try await admin.delete(dn: "uid=carol,ou=people,\(server.baseDN)")
            await admin.close()

            let delta = try await install.idsync(["sync"])
            #expect(delta.status == 0, "\(delta.output)")
            #expect(profiles(delta).first == "delta-import", "\(delta.stdout)")
            var users = try await scim.users()
            #expect(users.map { $0.string("userName") ?? "" }.sorted() == ["alice@example.com", "bob@example.com", "dave@example.com"])
            #expect(users.first { $0.string("userName") == "alice@example.com" }?.string("title") == "Architect")
            #expect(try await scim.groups().first?.objects("members").count == 3)

            // A delete, then slapd restarted before idsync looks: still arrives.
            let again = try await server.admin()
            try await again.delete(dn: "uid=bob,ou=people,\(server.baseDN)")
            await again.close()
            try await server.restart()
            let afterRestart = try await install.idsync(["sync"])
            #expect(afterRestart.status == 0, "\(afterRestart.output)")
            #expect(profiles(afterRestart).first == "delta-import", "\(afterRestart.stdout)")
            users = try await scim.users()
            #expect(users.map { $0.string("userName") ?? "" }.sorted() == ["alice@example.com", "dave@example.com"])

            // Nothing changed: nothing written.
            let mark = try scim.requests().count
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try scim.writes(since: mark) == [])
        }
    }
}
