import Foundation
#if canImport(IDSyncTesting)
import IDSyncTesting  // SambaDC and runChecked in the main package; the scratch package has stand-ins
#endif
import LDAP
import Testing

@Suite("Active Directory specifics (Samba AD DC)")
struct ActiveDirectoryTests {
    @Test func objectGUIDMatchesSambaToolAndFindsTheEntry() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let ou = try await directory.makeOU(connection, "guid")
        let user = try await directory.addUser(connection, in: ou, password: TestDirectory.randomPassword())

        let entry = try #require(try await connection.search(base: user.dn, scope: .base, filter: "(objectClass=*)",
                                                             attributes: ["objectGUID"]).entries.first)
        let bytes = try #require(entry.values("objectGUID").first)
        let guid = try #require(ActiveDirectory.guidString(bytes))

        // Samba's own tool, reading the database directly, writes the GUID as text.
        let shown = try await directory.dc.sambaTool(["user", "show", user.samAccountName, "--attributes=objectGUID"])
        #expect(shown.stdout.contains("objectGUID: \(guid)"), "samba-tool: \(shown.output)")

        // The server resolves the textual form as a <GUID=…> DN…
        let byGUID = try await connection.search(base: "<GUID=\(guid)>", scope: .base, filter: "(objectClass=*)",
                                                 attributes: ["1.1"])
        #expect(byGUID.entries.map { DistinguishedName.normalized($0.dn) } == [DistinguishedName.normalized(user.dn)])
        // …and guidBytes gives back the bytes that a filter on objectGUID matches.
        let bytesFromText = try #require(ActiveDirectory.guidBytes(guid))
        #expect(bytesFromText == bytes)
        let byFilter = try await connection.search(base: directory.dc.baseDN, scope: .subtree,
                                                   filter: "(objectGUID=\(ldapFilterEscape(bytesFromText)))", attributes: ["1.1"])
        #expect(byFilter.entries.map { DistinguishedName.normalized($0.dn) } == [DistinguishedName.normalized(user.dn)])
        await connection.close()
    }

    @Test func userChangesOwnPassword() async throws {
        let directory = try await TestDirectory.samba()
        let admin = try await directory.adminConnection()
        let ou = try await directory.makeOU(admin, "pwchange")
        let oldPassword = TestDirectory.randomPassword()
        let newPassword = TestDirectory.randomPassword()
        let user = try await directory.addUser(admin, in: ou, password: oldPassword)
        await admin.close()

        let asUser = try await LDAPConnection.connect(directory.options())
        try await asUser.simpleBind(dn: user.userPrincipalName, password: oldPassword)
        let wrongOld = try await #require(throws: LDAPError.self) {
            try await asUser.changeADPassword(userDN: user.dn, oldPassword: "Wrong-\(oldPassword)", newPassword: newPassword)
        }
        #expect(wrongOld.operation == "password change")
        try await asUser.changeADPassword(userDN: user.dn, oldPassword: oldPassword, newPassword: newPassword)
        await asUser.close()

        try await expectBind(directory, user.userPrincipalName, newPassword)
        try await expectBindRefused(directory, user.userPrincipalName, oldPassword)
    }

    @Test func administratorResetsPassword() async throws {
        let directory = try await TestDirectory.samba()
        let admin = try await directory.adminConnection()
        let ou = try await directory.makeOU(admin, "pwreset")
        let oldPassword = TestDirectory.randomPassword()
        let newPassword = TestDirectory.randomPassword()
        let user = try await directory.addUser(admin, in: ou, password: oldPassword)
        try await admin.resetADPassword(userDN: user.dn, newPassword: newPassword)
        await admin.close()

        try await expectBind(directory, user.userPrincipalName, newPassword)
        try await expectBindRefused(directory, user.userPrincipalName, oldPassword)
    }

    @Test func dirSyncReturnsOnlyWhatChangedSinceTheCookie() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let ou = try await directory.makeOU(connection, "dirsync")
        let changed = "CN=changed,\(ou)", unchanged = "CN=unchanged,\(ou)", deleted = "CN=deleted,\(ou)"
        for dn in [changed, unchanged, deleted] {
            try await connection.add(dn: dn, attributes: ["objectClass": [LDAPValue(utf8: "contact")],
                                                          "description": [LDAPValue(utf8: "original")]])
        }
        let guids = try await objectGUIDs(of: [changed, unchanged, deleted], connection)

        // A full synchronization: the first request has no cookie; the domain may take several rounds.
        let full = try await dirSync(connection, directory, cookie: [])
        let fullInOU = full.entries.filter { DistinguishedName.isWithin($0.dn, base: ou) }
        #expect(Set(fullInOU.map { DistinguishedName.normalized($0.dn) })
                == Set([ou, changed, unchanged, deleted].map(DistinguishedName.normalized)))
        #expect(!full.cookie.isEmpty)

        try await connection.modify(dn: changed, [LDAPModification(.replace, "description", [LDAPValue(utf8: "modified")])])
        let added = "CN=added,\(ou)"
        try await connection.add(dn: added, attributes: ["objectClass": [LDAPValue(utf8: "contact")]])
        try await connection.delete(dn: deleted)

        let delta = try await dirSync(connection, directory, cookie: full.cookie)
        // Other tests change the same domain in parallel; only this OU's objects are this test's to judge.
        let mine = delta.entries.filter { entry in
            DistinguishedName.isWithin(entry.dn, base: ou)
                || entry.values("objectGUID").contains { guids.values.contains($0) }
        }
        let byGUID = Dictionary(mine.compactMap { entry in entry.values("objectGUID").first.map { ($0, entry) } },
                                uniquingKeysWith: { first, _ in first })
        let (changedGUID, unchangedGUID, deletedGUID) = try (#require(guids[changed]), #require(guids[unchanged]),
                                                             #require(guids[deleted]))
        #expect(byGUID[unchangedGUID] == nil, "an unchanged object came back")
        #expect(byGUID[changedGUID]?.strings("description") == ["modified"])
        #expect(mine.contains { DistinguishedName.normalized($0.dn) == DistinguishedName.normalized(added) })
        // A deletion comes back as the tombstone: same objectGUID, isDeleted, moved to Deleted Objects.
        let tombstone = try #require(byGUID[deletedGUID])
        #expect(tombstone.string("isDeleted") == "TRUE")
        #expect(mine.count == 3, "\(mine.map(\.dn))")

        // Nothing changed since the last cookie: nothing of this OU comes back.
        let nothing = try await dirSync(connection, directory, cookie: delta.cookie)
        #expect(!nothing.entries.contains { DistinguishedName.isWithin($0.dn, base: ou) })
        await connection.close()
    }

    @Test func showDeletedFindsTombstones() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let ou = try await directory.makeOU(connection, "tombstone")
        let dn = "CN=gone,\(ou)"
        try await connection.add(dn: dn, attributes: ["objectClass": [LDAPValue(utf8: "contact")]])
        let guid = try #require(try await objectGUIDs(of: [dn], connection)[dn])
        try await connection.delete(dn: dn)

        let filter = "(objectGUID=\(ldapFilterEscape(guid)))"
        let hidden = try await connection.search(base: directory.dc.baseDN, scope: .subtree, filter: filter, attributes: ["1.1"])
        #expect(hidden.entries.isEmpty)
        let shown = try await connection.search(base: directory.dc.baseDN, scope: .subtree, filter: filter,
                                                attributes: ["isDeleted"], controls: [ActiveDirectory.showDeletedControl])
        #expect(shown.entries.map { $0.string("isDeleted") } == ["TRUE"])
        await connection.close()
    }

    // MARK: - Helpers

    /// DirSync rounds until the server has nothing more, as a synchronization engine does them.
    private func dirSync(_ connection: LDAPConnection, _ directory: TestDirectory,
                         cookie: [UInt8]) async throws -> (entries: [LDAPEntry], cookie: [UInt8]) {
        var cookie = cookie
        var entries: [LDAPEntry] = []
        for _ in 0..<50 {
            // Samba returns an object only when one of the requested attributes changed (by its replication
            // metadata), so the attributes asked for matter: "name" changes with any new object.
            let result = try await connection.search(
                base: directory.dc.baseDN, scope: .subtree, filter: "(objectClass=*)",
                attributes: ["objectGUID", "name", "description", "isDeleted", "objectClass"],
                controls: [ActiveDirectory.dirSyncControl(flags: 0, maxAttributeCount: 0, cookie: cookie)])
            entries += result.entries
            let response = try #require(result.controls.first { $0.oid == ActiveDirectory.dirSyncOID })
            let parsed = try #require(ActiveDirectory.parseDirSyncResponse(response))
            cookie = parsed.cookie
            if !parsed.moreResults { return (entries, cookie) }
        }
        Issue.record("DirSync kept reporting more results")
        return (entries, cookie)
    }

    private func objectGUIDs(of dns: [String], _ connection: LDAPConnection) async throws -> [String: [UInt8]] {
        var guids: [String: [UInt8]] = [:]
        for dn in dns {
            let entry = try #require(try await connection.search(base: dn, scope: .base, filter: "(objectClass=*)",
                                                                 attributes: ["objectGUID"]).entries.first)
            let guid = try #require(entry.values("objectGUID").first)
            guids[dn] = guid
        }
        return guids
    }

    private func expectBind(_ directory: TestDirectory, _ name: String, _ password: String) async throws {
        let connection = try await LDAPConnection.connect(directory.options())
        try await connection.simpleBind(dn: name, password: password)
        await connection.close()
    }

    private func expectBindRefused(_ directory: TestDirectory, _ name: String, _ password: String) async throws {
        let connection = try await LDAPConnection.connect(directory.options())
        let error = try await #require(throws: LDAPError.self) {
            try await connection.simpleBind(dn: name, password: password)
        }
        #expect(error.isInvalidCredentials)
        #expect(error.diagnostic?.contains("data 52e") == true, "\(error)")
        await connection.close()
    }
}
