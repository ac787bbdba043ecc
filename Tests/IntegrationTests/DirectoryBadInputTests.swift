import Foundation
import IDSyncTesting
import LDAP
import Testing

/// What a directory can hold that a naive sync gets wrong: groups larger than one LDAP response (AD's
/// ranged retrieval), names full of DN special characters, users without a userPrincipalName, values that
/// are not UTF-8, groups nested in circles or in themselves, 1 MiB values. Each odd object is either synced
/// correctly or named in `idsync errors` with its attribute, the run goes on, and once fixed it arrives.
@Suite("Bad input from the directory (Samba AD DC, OpenLDAP)", .hangGuard)
struct DirectoryBadInputTests {
    @Test("a 10,000-member group arrives whole through AD's ranged retrieval, and a delta keeps it whole")
    func tenThousandMembers() async throws {
        let setup = try await SyncSetup.make(users: 2)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, scim, install) = (setup.dc, setup.directory, setup.scim, setup.install)
            let started = ContinuousClock.now
            let members = try await dc.addUsers(in: directory.ou, count: 10_000, prefix: "m-\(directory.suffix)")
            let big = try await dc.addGroup(in: directory.ou, cn: "Ten Thousand", members: members)
            print("10,000-member group: created in AD after \(ContinuousClock.now - started)")

            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            let group = try #require(try await scim.groups().first { $0.string("displayName") == "Ten Thousand" })
            #expect(memberCount(group) == 10_000, "AD returns 1,500 values per range; all must be read")

            // A member change through DirSync re-reads the group: still every member, less the one removed.
            try await dc.modify(big, [LDAPModification(.delete, "member", [LDAPValue(utf8: members[7])])])
            let delta = try await install.idsync(["sync"])
            #expect(delta.status == 0, "\(delta.output)")
            let after = try #require(try await scim.groups().first { $0.string("displayName") == "Ten Thousand" })
            #expect(memberCount(after) == 9_999)
            print("10,000-member group: synced and changed after \(ContinuousClock.now - started)")
        }
    }

    @Test("DN special characters, no userPrincipalName, a non-UTF-8 value, circular groups: named, the rest syncs, nothing lost")
    func oddObjects() async throws {
        let setup = try await SyncSetup.make(users: 2)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, scim, install) = (setup.dc, setup.directory, setup.scim, setup.install)
            let ou = directory.ou, suffix = directory.suffix

            // Every character RFC 4514 escapes, a leading '#' and space, a trailing space, and non-ASCII.
            let oddName = "# Lead, \"Quoted\" + Plus <Angle>; Semi=Eq \\Back Ωmega "
            let odd = try await dc.addUser(in: ou, cn: oddName, sam: "odd-\(suffix)", attributes: ["sn": ["Odd"]])
            let managed = try await dc.addUser(in: ou, cn: "Managed \(suffix)", sam: "mgd-\(suffix)", attributes: ["manager": [odd]])
            // No userPrincipalName: AD allows it, the target's userName needs it.
            let noUPN = "CN=No UPN \(suffix),\(ou)"
            try await dc.asAdmin {
                try await $0.add(dn: noUPN, attributes: ["objectClass": [LDAPValue(utf8: "user")],
                                                         "sAMAccountName": [LDAPValue(utf8: "noupn-\(suffix)")]])
            }
            // A title that is not UTF-8 (Latin-1 'é'): AD refuses to store it, so nothing downstream meets it
            // (the entry mapper's handling of such a value is unit-tested).
            let latin1 = try await dc.addUser(in: ou, cn: "Latin One \(suffix)", sam: "l1-\(suffix)")
            let refused = await #expect(throws: LDAPError.self) {
                try await dc.modify(latin1, [LDAPModification(.replace, "title", [Array("Caf".utf8) + [0xE9]])])
            }
            #expect(refused?.code == 21, "invalid syntax: \(String(describing: refused))")
            // Two groups each inside the other, and the odd user in one.
            let circleA = try await dc.addGroup(in: ou, cn: "Circle A", members: [odd])
            let circleB = try await dc.addGroup(in: ou, cn: "Circle B", members: [circleA])
            try await dc.modify(circleA, [LDAPModification(.add, "member", [LDAPValue(utf8: circleB)])])

            let first = try await install.idsync(["sync"])
            #expect(first.status == 2, "completed with errors, not failed: \(first.output)")
            let errors = try await install.idsync(["errors"])
            #expect(errors.stdout.contains("No UPN \(suffix)") && errors.stdout.contains("userPrincipalName"), "\(errors.output)")

            let users = try await scim.users()
            let oddUser = try #require(users.first { $0.string("userName") == "odd-\(suffix)@\(dc.upnSuffix)" })
            let managedUser = try #require(users.first { $0.string("userName") == "mgd-\(suffix)@\(dc.upnSuffix)" })
            let enterprise = managedUser["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] as? [String: Any]
            #expect((enterprise?["manager"] as? [String: Any])?["value"] as? String == oddUser.string("id"),
                    "the manager, named by an escaped DN, resolves to the odd user")
            for index in 0..<2 { #expect(users.contains { $0.string("userName") == directory.upn(index) }) }
            let groups = try await scim.groups()
            let a = try #require(groups.first { $0.string("displayName") == "Circle A" })
            let b = try #require(groups.first { $0.string("displayName") == "Circle B" })
            #expect(memberIDs(a) == Set([oddUser.string("id"), b.string("id")].compactMap { $0 }))
            #expect(memberIDs(b) == Set([a.string("id")].compactMap { $0 }))
            _ = managed

            // Fixed in AD: the user arrives on the next cycle, and nothing else is touched.
            try await dc.modify(noUPN, [LDAPModification(.replace, "userPrincipalName", [LDAPValue(utf8: "noupn-\(suffix)@\(dc.upnSuffix)")])])
            let mark = try scim.requests().count
            let second = try await install.idsync(["sync"])
            #expect(second.status == 0, "\(second.output)")
            let now = try await scim.users()
            #expect(now.contains { $0.string("userName") == "noupn-\(suffix)@\(dc.upnSuffix)" })
            #expect(try scim.writes(since: mark).map(\.method) == ["POST"], "only the fixed user is written")
            #expect(try await install.idsync(["errors"]).stdout.contains("No UPN") == false)
        }
    }

    @Test("OpenLDAP: a 1 MiB value, a group inside itself, a user without mail: each synced as it should be")
    func oddOpenLDAPEntries() async throws {
        let megabyte = String(repeating: "0123456789abcdef", count: 65_536)
        let directory = try await BulkDirectory.make(users: 5, groups: 0, membersPerGroup: 0) { base in
            "dn: uid=big,ou=people,\(base)\nobjectClass: inetOrgPerson\nuid: big\ncn: Big\nsn: Big\nmail: big@example.com\n"
                + "description: x\ntitle: \(megabyte)\n\n"
                + "dn: uid=nomail,ou=people,\(base)\nobjectClass: inetOrgPerson\nuid: nomail\ncn: No Mail\nsn: Mail\n\n"
                + "dn: cn=self,ou=groups,\(base)\nobjectClass: groupOfNames\ncn: self\nmember: cn=self,ou=groups,\(base)\n"
                + "member: uid=u0,ou=people,\(base)\n\n"
        }
        try await withCleanup { cleanup in
            cleanup.add { await directory.stop() }
            let install = try directory.installation()

            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            let users = try await directory.scim.users()
            #expect(users.contains { $0.string("userName") == "nomail" }, "without mail, the default rules take uid")
            let big = try #require(users.first { $0.string("userName") == "big@example.com" })
            #expect(big.string("title")?.count == megabyte.count, "the 1 MiB title arrives whole")
            for index in 0..<5 { #expect(users.contains { $0.string("userName") == "u\(index)@example.com" }) }
            let group = try #require(try await directory.scim.groups().first { $0.string("displayName") == "self" })
            let u0 = try #require(users.first { $0.string("userName") == "u0@example.com" }?.string("id"))
            #expect(memberIDs(group).contains(u0))
            print("OpenLDAP odd entries: group 'self' holds \(memberIDs(group).count) members (itself: \(memberIDs(group).contains(group.string("id") ?? "")))")

            // Nothing left to do on the next cycle.
            let mark = try directory.scim.requests().count
            let second = try await install.idsync(["sync"])
            #expect(second.status == 0, "\(second.output)")
            #expect(try directory.scim.writes(since: mark) == [])
        }
    }

    func memberIDs(_ group: [String: Any]) -> Set<String> {
        Set((group["members"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String })
    }

    func memberCount(_ group: [String: Any]) -> Int { (group["members"] as? [Any])?.count ?? 0 }
}
