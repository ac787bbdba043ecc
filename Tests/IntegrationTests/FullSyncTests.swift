import Foundation
import IDSyncTesting
import LDAP
import Testing

/// Issue 2's acceptance against a real Samba AD DC and a real scim2-server: users and groups arrive with
/// the right attributes; a second sync writes nothing; one change is one PATCH; a delete is one DELETE;
/// membership changes and scope changes are reflected.
@Suite("Full sync: Samba AD → scim2-server", .serialized, .hangGuard)
struct FullSyncTests {
    @Test("50 users and 5 groups arrive; then idempotence, PATCH, DELETE, membership and scope")
    func fullLifecycle() async throws {
        let setup = try await SyncSetup.make(users: 50)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, scim, install) = (setup.dc, setup.directory, setup.scim, setup.install)

            // First sync: everything arrives.
            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            var users = try await scim.users()
            var groups = try await scim.groups()
            #expect(users.count == 50)
            #expect(groups.count == 5)
            let byUserName = Dictionary(uniqueKeysWithValues: users.map { ($0.string("userName") ?? "", $0) })

            // Attributes of an ordinary user, checked against what AD holds.
            let u5 = try #require(byUserName[directory.upn(5)])
            #expect(u5.string("externalId") == (try await dc.objectGUID(of: directory.users[5])))
            #expect(u5.string("displayName") == "User 5")
            #expect(u5.object("name")?.string("givenName") == "Given5")
            #expect(u5.object("name")?.string("familyName") == "Family5")
            #expect(u5.objects("emails").first?.string("value") == directory.upn(5).replacingOccurrences(of: "@contoso.test", with: "@example.com"))
            #expect(u5.objects("phoneNumbers").first?.string("value") == "+1 555 0105")
            #expect(u5.string("title") == "Engineer 2")
            #expect(u5["active"] as? Bool == true)
            let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            #expect(u5.object(enterprise)?.string("department") == "Dept 1")
            #expect(u5.object(enterprise)?.string("employeeNumber") == "E1005")

            // The disabled user, the non-ASCII names, the comma in a CN, the manager reference.
            #expect(byUserName[directory.upn(3)]?["active"] as? Bool == false)
            #expect(byUserName[directory.upn(1)]?.string("displayName") == "Müller, Jürgen")
            #expect(byUserName[directory.upn(2)]?.object("name")?.string("familyName") == "Żółć")
            let managerID = try #require(byUserName[directory.upn(0)]?.string("id"))
            #expect(byUserName[directory.upn(12)]?.object(enterprise)?.object("manager")?.string("value") == managerID)

            // Groups: members resolved to target ids, the nested group included.
            let idOf = { (index: Int) in byUserName[directory.upn(index)]?.string("id") ?? "?" }
            func memberIDs(_ name: String, in groups: [[String: Any]]) -> Set<String> {
                Set((groups.first { $0.string("displayName") == name }?.objects("members") ?? []).compactMap { $0.string("value") })
            }
            #expect(memberIDs("Engineering", in: groups) == Set((0..<10).map(idOf)))
            #expect(memberIDs("Sales", in: groups) == Set((10..<20).map(idOf) + [idOf(1)]))
            let allStaffID = try #require(groups.first { $0.string("displayName") == "All Staff" }?.string("id"))
            #expect(memberIDs("Nested Parent", in: groups) == [allStaffID, idOf(2)])
            #expect(memberIDs("Empty", in: groups).isEmpty)
            #expect(groups.first { $0.string("displayName") == "Engineering" }?.string("externalId")
                    == (try await dc.objectGUID(of: directory.groups["Engineering"]!)))

            // A second sync with nothing changed writes nothing.
            var mark = try scim.requests().count
            let second = try await install.idsync(["sync"])
            #expect(second.status == 0, "\(second.output)")
            #expect(try scim.writes(since: mark) == [], "the second sync wrote to the target")

            // One changed attribute becomes one PATCH.
            try await dc.modify(directory.users[7], [LDAPModification(.replace, "title", [Array("Architect".utf8)])])
            mark = try scim.requests().count
            let third = try await install.idsync(["sync"])
            #expect(third.status == 0, "\(third.output)")
            #expect(try scim.writes(since: mark).map(\.description) == ["PATCH /Users/\(idOf(7)) 204"])
            users = try await scim.users()
            #expect(users.first { $0.string("id") == idOf(7) }?.string("title") == "Architect")

            // A deleted user becomes one DELETE (user 45: in no group, manages nobody).
            try await dc.delete(directory.users[45])
            mark = try scim.requests().count
            let fourth = try await install.idsync(["sync"])
            #expect(fourth.status == 0, "\(fourth.output)")
            #expect(try scim.writes(since: mark).map(\.description) == ["DELETE /Users/\(idOf(45)) 204"])
            #expect(try await scim.users().count == 49)

            // A membership change is reflected: user 40 joins Engineering, user 0 leaves it.
            try await dc.modify(directory.groups["Engineering"]!, [
                LDAPModification(.add, "member", [Array(directory.users[40].utf8)]),
                LDAPModification(.delete, "member", [Array(directory.users[0].utf8)]),
            ])
            let engineeringID = try #require(groups.first { $0.string("displayName") == "Engineering" }?.string("id"))
            mark = try scim.requests().count
            let fifth = try await install.idsync(["sync"])
            #expect(fifth.status == 0, "\(fifth.output)")
            #expect(try scim.writes(since: mark).map(\.description) == ["PATCH /Groups/\(engineeringID) 204"])
            groups = try await scim.groups()
            #expect(memberIDs("Engineering", in: groups) == Set((1..<10).map(idOf) + [idOf(40)]))

            // A user moved out of scope is deleted in the target by the next full sync.
            let outside = try await dc.makeOU(prefix: "out")
            try await dc.asAdmin { connection in
                try await connection.rename(dn: directory.users[46], newRDN: "CN=User 46", newSuperior: outside)
            }
            mark = try scim.requests().count
            let sixth = try await install.idsync(["sync", "--full"])
            #expect(sixth.status == 0, "\(sixth.output)")
            #expect(try scim.writes(since: mark).map(\.description) == ["DELETE /Users/\(idOf(46)) 204"])
            #expect(try await scim.users().count == 48)

            // The run history and the inspection commands show what happened.
            let runs = try await install.idsync(["runs", "--last", "3"])
            #expect(runs.status == 0)
            #expect(runs.stdout.contains("full-sync") && runs.stdout.contains("export"))
            let cs = try await install.idsync(["cs", "show", "contoso.test", "--dn", directory.users[5]])
            #expect(cs.status == 0, "\(cs.output)")
            #expect(cs.stdout.contains("userPrincipalName: \(directory.upn(5))"))
            let mv = try await install.idsync(["mv", "search", "userPrincipalName=\(directory.upn(5))"])
            #expect(mv.status == 0, "\(mv.output)")
            #expect(mv.stdout.contains("cloud: \(directory.upn(5)) (anchor \(idOf(5)))"))
        }
    }
}
