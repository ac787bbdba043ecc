import Foundation
import IDSyncTesting
import LDAP
import Testing

/// Rules files against Samba AD and scim2-server: scoping, joins across two connectors, precedence.
@Suite("Sync rules", .hangGuard)
struct RulesIntegrationTests {
    @Test("a scoping filter keeps contractors out; a user who becomes one is deleted in the target")
    func scopingFilter() async throws {
        let setup = try await SyncSetup.make(users: 3)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, scim, install) = (setup.dc, setup.directory, setup.scim, setup.install)
            try await dc.modify(directory.users[0], [LDAPModification(.replace, "title", [LDAPValue(utf8: "Contractor")])])
            let rules = try install.directory.write("rules.yaml", """
                inbound:
                  - name: Staff, not contractors
                    connector: contoso.test
                    object_type: user
                    scope: { filter: "(!(title=Contractor))" }
                    flows:
                      sourceAnchor: objectGUID
                      userPrincipalName: userPrincipalName
                      givenName: givenName
                      sn: sn
                      displayName: coalesce(displayName, cn)
                      jobTitle: title
                  - name: Groups
                    connector: contoso.test
                    object_type: group
                    flows: { sourceAnchor: objectGUID, displayName: "coalesce(displayName, cn)", member: "ref(member)" }
                """)
            try install.writeConfig(try install.config() + "\nsync:\n  rules: \(rules)\n")
            let check = try await install.idsync(["rules", "check"])
            #expect(check.status == 0 && check.stdout.contains("2 inbound, 2 outbound"), "\(check.output)")

            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try await scim.users().map { $0.string("userName") ?? "" }.sorted() == [directory.upn(1), directory.upn(2)].sorted())

            try await dc.modify(directory.users[1], [LDAPModification(.replace, "title", [LDAPValue(utf8: "Contractor")])])
            let mark = try scim.requests().count
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try scim.writes(since: mark).filter { $0.method == "DELETE" }.count == 1)
            #expect(try await scim.users().map { $0.string("userName") ?? "" } == [directory.upn(2)])
        }
    }

    @Test("a second directory joins by employeeID and its title wins by precedence")
    func joinAndPrecedence() async throws {
        let setup = try await SyncSetup.make(users: 2)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, scim) = (setup.dc, setup.directory, setup.scim)
            // An HR directory (here: another OU of the same domain) with the authoritative titles.
            let hr = try await dc.makeOU(prefix: "hr")
            try await dc.addUser(in: hr, cn: "HR record 0", sam: "hr0-\(directory.suffix)", attributes: ["employeeID": ["E1000"], "title": ["Chief Architect"]])
            try await dc.addUser(in: hr, cn: "HR record 9", sam: "hr9-\(directory.suffix)", attributes: ["employeeID": ["E9999"], "title": ["Nobody"]])
            let install = try IDSyncInstallation.make(dc: dc, containers: [directory.ou], bindUPN: directory.bindUPN,
                                                      bindPassword: directory.bindPassword, scim: scim, extraLDAP: """
                  - name: hr
                    type: ldap
                    url: \(dc.ldapsURL)
                    tls_ca_file: \(dc.caFile)
                    connect_timeout: \(SambaDC.connectTimeout.components.seconds)s
                    bind_dn: \(directory.bindUPN)
                    password_file: adconn.password
                    base_dn: \(dc.baseDN)
                    containers: ["\(hr)"]
                """)
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
                      sn: sn
                      displayName: coalesce(displayName, cn)
                      jobTitle: title
                  - name: From HR
                    connector: hr
                    object_type: user
                    precedence: 10
                    projection: false
                    join:
                      - { source: employeeID, metaverse: employeeID }
                    flows:
                      jobTitle: title
                  - name: Groups
                    connector: contoso.test
                    object_type: group
                    flows: { sourceAnchor: objectGUID, displayName: "coalesce(displayName, cn)", member: "ref(member)" }
                """)
            try install.writeConfig(try install.config() + "\nsync:\n  rules: \(rules)\n")
            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            let users = try await scim.users()
            #expect(users.count == 2, "the HR record without a match must not be projected: \(users.map { $0.string("userName") ?? "" })")
            #expect(users.first { $0.string("userName") == directory.upn(0) }?.string("title") == "Chief Architect")
            #expect(users.first { $0.string("userName") == directory.upn(1) }?.string("title") == "Engineer 1")
            let mv = try await install.idsync(["mv", "search", "employeeID=E1000"])
            #expect(mv.stdout.contains("hr: CN=HR record 0,\(hr)") && mv.stdout.contains("contoso.test: \(directory.users[0])"), "\(mv.output)")

            // The HR record changes: the precedent title follows; the HR record goes: AD's title comes back.
            try await dc.modify("CN=HR record 0,\(hr)", [LDAPModification(.replace, "title", [LDAPValue(utf8: "CTO")])])
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try await scim.users().first { $0.string("userName") == directory.upn(0) }?.string("title") == "CTO")
            try await dc.delete("CN=HR record 0,\(hr)")
            #expect(try await install.idsync(["sync"]).status == 0)
            let after = try await scim.users()
            #expect(after.first { $0.string("userName") == directory.upn(0) }?.string("title") == "Engineer 0")
            #expect(after.count == 2, "the AD user must stay when only its HR record goes")
        }
    }
}
