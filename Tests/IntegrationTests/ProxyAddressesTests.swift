import Foundation
import IDSyncTesting
import LDAP
import Testing

/// AD's proxyAddresses (SMTP: the primary address, smtp: the aliases) into SCIM emails with primary, by
/// expressions alone, against Samba AD and scim2-server.
@Suite("Expressions against real servers", .hangGuard)
struct ProxyAddressesTests {
    static let primary = #"Replace(Replace([proxyAddresses], , "^(?!SMTP:).*$", , "", , ), , "^SMTP:", , "", , )"#
    static let aliases = #"Replace(Replace([proxyAddresses], , "^(?!smtp:).*$", , "", , ), , "^smtp:", , "", , )"#

    @Test("proxyAddresses become emails: the SMTP: one primary and work, the smtp: ones other; a change arrives; nothing more is written")
    func proxyAddressesToEmails() async throws {
        let setup = try await SyncSetup.make(users: 2)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, scim, install) = (setup.dc, setup.directory, setup.scim, setup.install)
            let addresses = ["SMTP:ada@example.com", "smtp:ada.l@example.com", "smtp:al@example.com", "X500:/o=Contoso/cn=ada"]
            try await dc.modify(directory.users[0], [LDAPModification(.replace, "proxyAddresses", addresses.map { LDAPValue(utf8: $0) })])
            let rules = try install.directory.write("rules.yaml", """
                inbound:
                  - name: In from AD - User
                    connector: contoso.test
                    object_type: user
                    flows:
                      sourceAnchor: objectGUID
                      userPrincipalName: userPrincipalName
                      displayName: coalesce(displayName, cn)
                      proxyAddresses: proxyAddresses
                outbound:
                  - name: Out to SCIM - User
                    object_type: user
                    flows:
                      externalId: sourceAnchor
                      userName: userPrincipalName
                      displayName: displayName
                      'emails[type eq "work"].value': '\(Self.primary)'
                      'emails[type eq "work"].primary': 'Replace(\(Self.primary), , ".+", , "true", , )'
                      'emails[type eq "other"].value': '\(Self.aliases)'
                """)
            try install.writeConfig(try install.config() + "\nsync:\n  rules: \(rules)\n")
            let check = try await install.idsync(["rules", "check"])
            #expect(check.status == 0, "\(check.output)")
            let first = try await install.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")

            func emails(_ index: Int) async throws -> [String] {
                let user = try await scim.users().first { $0.string("userName") == directory.upn(index) }
                return (user?.objects("emails") ?? []).map { email in
                    "\(email["type"] as? String ?? "-") \(email["value"] as? String ?? "-")\((email["primary"] as? Bool) == true ? " primary" : "")"
                }.sorted()
            }
            #expect(try await emails(0) == ["other ada.l@example.com", "other al@example.com", "work ada@example.com primary"])
            #expect(try await emails(1) == [], "no proxyAddresses: no emails")

            // An alias goes, the primary changes: the emails follow.
            try await dc.modify(directory.users[0], [LDAPModification(.replace, "proxyAddresses", [
                "SMTP:ada.lovelace@example.com", "smtp:ada@example.com",
            ].map { LDAPValue(utf8: $0) })])
            let delta = try await install.idsync(["sync"])
            #expect(delta.status == 0, "\(delta.output)")
            #expect(try await emails(0) == ["other ada@example.com", "work ada.lovelace@example.com primary"])

            let mark = try scim.requests().count
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try scim.writes(since: mark) == [], "nothing changed: nothing written")
        }
    }
}
