import Foundation
import IDSyncTesting
import LDAP
import Testing

/// Several applications as targets, each with its own scope and attribute mapping (Entra provisioning's
/// "assigned users and groups" and attribute mappings), against Samba AD and two scim2-servers.
@Suite("Several targets", .hangGuard)
struct MultiTargetTests {
    @Test("B gets only its group's transitive members, with its own mapping; joining and leaving provisions and deprovisions in B alone",
          arguments: ["disable", "delete"])
    func perTargetScope(deprovision: String) async throws {
        let setup = try await TwoTargets.make(deprovision: deprovision)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, a, b, install) = (setup.dc, setup.directory, setup.a, setup.b, setup.install)
            try await dc.modify(directory.users[20], [
                LDAPModification(.replace, "employeeType", [LDAPValue(utf8: "Contractor")]),
                LDAPModification(.replace, "msDS-cloudExtensionAttribute1", [LDAPValue(utf8: "badge-20")]),
            ])
            let check = try await install.idsync(["rules", "check"])
            #expect(check.status == 0, "\(check.output)")

            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            #expect(try await setup.userNames(a).count == 24)
            #expect(try await setup.userNames(b) == [2, 20, 21, 22, 23].map(setup.mail).sorted())
            let badge = try await b.users().first { $0.string("userName") == setup.mail(20) }
            #expect(badge?.string("userType") == "Contractor", "\(String(describing: badge))")
            #expect(badge?.object(TwoTargets.extensionURN)?.string("cloudAttribute1") == "badge-20", "\(String(describing: badge))")
            #expect(try await setup.members(of: "Nested Parent", in: b) == ["group:All Staff", setup.mail(2)], "B's group lists what B holds")
            #expect(try await setup.members(of: "Nested Parent", in: a) == ["group:All Staff", directory.upn(2)])
            #expect(try await setup.members(of: "All Staff", in: b) == [20, 21, 22, 23].map(setup.mail).sorted())

            // User 5 joins All Staff (nested in Nested Parent): provisioned to B; A's users untouched.
            try await setup.addMember(5, to: "All Staff")
            var (aMark, bMark) = (try a.requests().count, try b.requests().count)
            let joined = try await install.idsync(["sync"])
            #expect(joined.status == 0, "\(joined.output)")
            #expect(try await setup.userNames(b).contains(setup.mail(5)))
            #expect(try a.writes(since: aMark).filter { $0.path.hasPrefix("/Users") } == [], "A's users are untouched")
            #expect(try b.writes(since: bMark).contains { $0.method == "POST" && $0.path.hasPrefix("/Users") })
            #expect(try await setup.members(of: "All Staff", in: b).contains(setup.mail(5)))

            // User 5 leaves: deprovisioned from B (disabled, or deleted); A's users untouched.
            try await setup.removeMember(5, from: "All Staff")
            (aMark, bMark) = (try a.requests().count, try b.requests().count)
            let left = try await install.idsync(["sync"])
            #expect(left.status == 0, "\(left.output)")
            #expect(try a.writes(since: aMark).filter { $0.path.hasPrefix("/Users") } == [], "A's users are untouched")
            #expect(try await setup.members(of: "All Staff", in: b) == [20, 21, 22, 23].map(setup.mail).sorted(), "5 left B's group")
            let five = try await b.users().first { $0.string("userName") == setup.mail(5) }
            if deprovision == "disable" {
                #expect(five?["active"] as? Bool == false, "disabled, not deleted: \(String(describing: five))")
                #expect(try b.writes(since: bMark).filter { $0.method == "DELETE" } == [])
            } else {
                #expect(five == nil, "deleted")
                #expect(try b.writes(since: bMark).filter { $0.method == "DELETE" }.count == 1)
            }

            // And back in: the disabled user is enabled again, not created twice.
            try await setup.addMember(5, to: "All Staff")
            bMark = try b.requests().count
            #expect(try await install.idsync(["sync"]).status == 0)
            let back = try await b.users().filter { $0.string("userName") == setup.mail(5) }
            #expect(back.count == 1 && back.first?["active"] as? Bool == true, "\(back)")
            if deprovision == "disable" {
                #expect(try b.writes(since: bMark).filter { $0.method == "POST" && $0.path.hasPrefix("/Users") } == [])
            }

            // Nothing changed: nothing written anywhere.
            (aMark, bMark) = (try a.requests().count, try b.requests().count)
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try a.writes(since: aMark) == [] && b.writes(since: bMark) == [])
        }
    }

    @Test("a member deleted in AD in the same cycle as another membership change leaves every target group")
    func deletedMemberLeavesEveryGroup() async throws {
        let setup = try await TwoTargets.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, a, b, install) = (setup.dc, setup.directory, setup.a, setup.b, setup.install)
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try await setup.members(of: "All Staff", in: a).contains(directory.upn(21)))
            #expect(try await setup.members(of: "All Staff", in: b).contains(setup.mail(21)))

            try await dc.delete(directory.users[21])
            try await setup.addMember(6, to: "Sales")
            let delta = try await install.idsync(["sync"])
            #expect(delta.status == 0, "\(delta.output)")
            for (server, name) in [(a, directory.upn(21)), (b, setup.mail(21))] {
                let members = try await setup.members(of: "All Staff", in: server)
                #expect(!members.contains(name) && !members.contains { $0.hasPrefix("unknown:") }, "\(server.url): \(members)")
                #expect(members.count == 3, "\(server.url): \(members)")
            }
            #expect(try await setup.members(of: "Sales", in: a).contains(directory.upn(6)))
            #expect(try await !setup.userNames(a).contains(directory.upn(21)))
        }
    }

    @Test("a target that is down fails alone: the other gets its changes, and it converges once it is back")
    func targetDownFailsAlone() async throws {
        let setup = try await TwoTargets.make(bTimeout: "2s")
        try await withCleanup { cleanup in
            cleanup.add { _ = kill(setup.b.pid, SIGCONT); await setup.stop() }
            let (dc, directory, a, b, install) = (setup.dc, setup.directory, setup.a, setup.b, setup.install)
            #expect(try await install.idsync(["sync"]).status == 0)

            try await dc.modify(directory.users[20], [LDAPModification(.replace, "displayName", [LDAPValue(utf8: "Renamed Twenty")])])
            try await setup.addMember(7, to: "All Staff")
            #expect(kill(b.pid, SIGSTOP) == 0)
            let down = try await install.idsync(["sync"])
            _ = kill(b.pid, SIGCONT)
            #expect(down.status == 1, "\(down.output)")
            #expect(down.stderr.contains("app-b"), "the failure names the target: \(down.stderr)")
            #expect(down.stdout.split(separator: "\n").contains { $0.contains("cloud") && $0.contains("export") && $0.contains("success") },
                    "A's export succeeded: \(down.stdout)")
            #expect(try await a.users().first { $0.string("userName") == directory.upn(20) }?.string("displayName") == "Renamed Twenty")

            let back = try await install.idsync(["sync"])
            #expect(back.status == 0, "\(back.output)")
            let twenty = try await b.users().filter { $0.string("userName") == setup.mail(20) }
            #expect(twenty.count == 1 && twenty.first?.string("displayName") == "Renamed Twenty", "\(twenty)")
            let seven = try await b.users().filter { $0.string("userName") == setup.mail(7) }
            #expect(seven.count == 1, "provisioned once: \(seven)")
            let (aMark, bMark) = (try a.requests().count, try b.requests().count)
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try a.writes(since: aMark) == [] && b.writes(since: bMark) == [], "converged: nothing left to write")
        }
    }

    @Test("a rule naming an attribute the directory or the target lacks, or a readOnly one, fails before any export",
          arguments: [
            ("directory", "extraIn: extensionAttribute1", "extensionAttribute1"),
            ("target lacks", "\"\(TwoTargets.extensionURN):noSuchAttribute\": displayName", "noSuchAttribute"),
            ("readOnly", "\"\(TwoTargets.extensionURN):badgeNumber\": displayName", "badgeNumber"),
          ])
    func unknownAttributesFailEarly(kind: String, flow: String, attribute: String) async throws {
        let setup = try await TwoTargets.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            var rules = try String(contentsOfFile: setup.install.directory.file("rules.yaml"), encoding: .utf8)
            if kind == "directory" {
                rules = rules.replacingOccurrences(of: "      employeeType: employeeType\n", with: "      employeeType: employeeType\n      \(flow)\n")
            } else {
                rules = rules.replacingOccurrences(of: "      userType: employeeType\n", with: "      userType: employeeType\n      \(flow)\n")
            }
            try setup.install.directory.write("rules.yaml", rules)
            let check = try await setup.install.idsync(["rules", "check"])
            #expect(check.status == 1, "\(check.output)")
            let line = check.stderr.split(separator: "\n").filter { $0.contains(attribute) }
            #expect(line.count == 1, "one line naming the attribute: \(check.stderr)")
            let expectedRule = kind == "directory" ? "In from AD - User" : "Out to B - User"
            let expectedConnector = kind == "directory" ? "contoso.test" : "app-b"
            #expect(line.first?.contains(expectedRule) == true && line.first?.contains(expectedConnector) == true, "\(check.stderr)")

            let (aMark, bMark) = (try setup.a.requests().count, try setup.b.requests().count)
            let sync = try await setup.install.idsync(["sync"])
            #expect(sync.status == 1, "\(sync.output)")
            #expect(sync.stderr.contains(attribute) && sync.stderr.contains(expectedRule), "\(sync.stderr)")
            #expect(try setup.a.writes(since: aMark) == [] && setup.b.writes(since: bMark) == [], "nothing exported")
        }
    }
}

/// Two directories of different kinds joined in one metaverse, flowing to two targets.
@Suite("Two directories, two targets", .hangGuard)
struct TwoDirectoriesTests {
    @Test("an OpenLDAP HR directory joins AD users by employeeID; its title wins by precedence in both targets")
    func openLDAPJoinsAD() async throws {
        let dc = try await SambaDC.shared()
        let directory = try await SeededDirectory.make(in: dc, users: 2)
        let hr = try await OpenLDAPServer.start()
        let (a, b) = (try await SCIMServer.start(), try await SCIMServer.start())
        try await withCleanup { cleanup in
            cleanup.add { try await b.stop() }
            cleanup.add { try await a.stop() }
            cleanup.add { try await hr.stop() }
            let admin = try await hr.admin()
            for (uid, number, title) in [("alice", "E1000", "Chief Architect"), ("zed", "E9999", "Nobody")] {
                try await admin.add(dn: "uid=\(uid),ou=people,\(hr.baseDN)", attributes: [
                    "objectClass": [LDAPValue(utf8: "inetOrgPerson")], "uid": [LDAPValue(utf8: uid)], "cn": [LDAPValue(utf8: uid)],
                    "sn": [LDAPValue(utf8: uid)], "employeeNumber": [LDAPValue(utf8: number)], "title": [LDAPValue(utf8: title)],
                ])
            }
            await admin.close()
            let install = try IDSyncInstallation.make(dc: dc, containers: [directory.ou], bindUPN: directory.bindUPN,
                                                      bindPassword: directory.bindPassword, scim: a)
            try install.directory.write("hr.password", hr.adminPassword + "\n")
            try install.directory.write("b.token", b.token + "\n")
            let rules = try install.directory.write("rules.yaml", """
                inbound:
                  - name: From AD
                    connector: contoso.test
                    object_type: user
                    precedence: 100
                    flows:
                      sourceAnchor: objectGUID
                      userPrincipalName: userPrincipalName
                      employeeID: employeeID
                      displayName: coalesce(displayName, cn)
                      jobTitle: title
                  - name: From HR
                    connector: hr
                    object_type: user
                    precedence: 50
                    join: [{ source: employeeNumber, metaverse: employeeID }]
                    projection: false
                    flows: { jobTitle: title }
                outbound:
                  - name: Out - User
                    object_type: user
                    flows: { externalId: sourceAnchor, userName: userPrincipalName, displayName: displayName, title: jobTitle }
                """)
            try install.writeConfig(try install.config() + """

                  - name: app-b
                    type: scim
                    url: \(b.url)
                    auth: { type: bearer, token_file: b.token }
                  - name: hr
                    type: ldap
                    flavor: openldap
                    url: \(hr.url)
                    allow_plaintext_bind: true
                    bind_dn: \(hr.adminDN)
                    password_file: hr.password
                    base_dn: \(hr.baseDN)
                sync:
                  rules: \(rules)

                """)
            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            for server in [a, b] {
                let users = try await server.users()
                #expect(users.count == 2, "zed has no AD account and HR does not project: \(users)")
                #expect(users.first { $0.string("userName") == directory.upn(0) }?.string("title") == "Chief Architect")
                #expect(users.first { $0.string("userName") == directory.upn(1) }?.string("title") == "Engineer 1")
            }
            let (aMark, bMark) = (try a.requests().count, try b.requests().count)
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try a.writes(since: aMark) == [] && b.writes(since: bMark) == [])
        }
    }
}
