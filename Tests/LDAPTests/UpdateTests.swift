import LDAP
import Testing

@Suite("Add, modify, rename, delete (Samba AD DC)")
struct UpdateTests {
    @Test func userLifecycle() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let ou = try await directory.makeOU(connection, "lifecycle")
        let user = try await directory.addUser(connection, in: ou, password: TestDirectory.randomPassword(),
                                               extra: ["description": [LDAPValue(utf8: "first")]])

        var entry = try await read(user.dn, connection)
        #expect(entry.string("sAMAccountName") == user.samAccountName)
        #expect(entry.string("userPrincipalName") == user.userPrincipalName)
        #expect(entry.strings("description") == ["first"])

        try await connection.modify(dn: user.dn, [
            LDAPModification(.replace, "description", [LDAPValue(utf8: "second")]),
            LDAPModification(.add, "telephoneNumber", [LDAPValue(utf8: "+1 555 0100")]),
            LDAPModification(.add, "otherTelephone", [LDAPValue(utf8: "1"), LDAPValue(utf8: "2"), LDAPValue(utf8: "3")]),
        ])
        entry = try await read(user.dn, connection)
        #expect(entry.strings("description") == ["second"])
        #expect(entry.strings("telephoneNumber") == ["+1 555 0100"])
        #expect(Set(entry.strings("otherTelephone")) == ["1", "2", "3"])

        try await connection.modify(dn: user.dn, [
            LDAPModification(.delete, "telephoneNumber", []),
            LDAPModification(.delete, "otherTelephone", [LDAPValue(utf8: "2")]),
        ])
        entry = try await read(user.dn, connection)
        #expect(entry.values("telephoneNumber").isEmpty)
        #expect(Set(entry.strings("otherTelephone")) == ["1", "3"])

        // Rename in place, then move to another OU.
        let renamedRDN = "CN=Renamed \(TestDirectory.randomSuffix())"
        try await connection.rename(dn: user.dn, newRDN: renamedRDN, newSuperior: nil)
        let renamed = "\(renamedRDN),\(ou)"
        #expect(try await isMissing(user.dn, connection))
        #expect(try await read(renamed, connection).string("cn") == String(renamedRDN.dropFirst(3)))

        let otherOU = try await directory.makeOU(connection, "moved")
        try await connection.rename(dn: renamed, newRDN: renamedRDN, newSuperior: otherOU)
        let moved = "\(renamedRDN),\(otherOU)"
        #expect(try await isMissing(renamed, connection))
        let movedEntry = try await read(moved, connection)
        #expect(DistinguishedName.parent(movedEntry.dn).map(DistinguishedName.normalized) == DistinguishedName.normalized(otherOU))
        #expect(movedEntry.string("sAMAccountName") == user.samAccountName)

        try await connection.delete(dn: moved)
        #expect(try await isMissing(moved, connection))
        await connection.close()
    }

    @Test func commaAndNonASCIINamesRoundTrip() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let ou = try await directory.makeOU(connection, "names")
        let name = "Smith, Jöhn (Ünïcode) + 山田 = #1"
        let displayName = "Zoë Ångström 山田太郎"
        let user = try await directory.addUser(connection, in: ou, cn: name, password: TestDirectory.randomPassword(),
                                               extra: ["displayName": [LDAPValue(utf8: displayName)]])

        // Found by a filter built from the same name, special characters escaped.
        let result = try await connection.search(base: ou, scope: .subtree, filter: "(cn=\(ldapFilterEscape(name)))",
                                                 attributes: ["cn", "displayName", "name"])
        let entry = try #require(result.entries.first)
        #expect(result.entries.count == 1)
        #expect(entry.string("cn") == name)
        #expect(entry.string("name") == name)
        #expect(entry.string("displayName") == displayName)
        #expect(DistinguishedName.normalized(entry.dn) == DistinguishedName.normalized(user.dn))
        #expect(DistinguishedName.parent(entry.dn).map(DistinguishedName.normalized) == DistinguishedName.normalized(ou))
        #expect(DistinguishedName.isWithin(entry.dn, base: ou))

        // The DN as the server wrote it works as a base, and a rename to another such name too.
        let newName = "Doe, Jane – Ñoño"
        try await connection.rename(dn: entry.dn, newRDN: "CN=\(DistinguishedName.escapeValue(newName))", newSuperior: nil)
        let renamed = try await connection.search(base: ou, scope: .oneLevel, filter: "(objectClass=user)", attributes: ["cn"])
        #expect(renamed.entries.map { $0.string("cn") } == [newName])
        await connection.close()
    }

    @Test func errorsCarryTheResultCodeAndOperation() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let ou = try await directory.makeOU(connection, "errors")

        let missing = try await #require(throws: LDAPError.self) {
            try await connection.modify(dn: "CN=nobody,\(ou)", [LDAPModification(.replace, "description", [LDAPValue(utf8: "x")])])
        }
        #expect(missing.isNoSuchObject)
        #expect(missing.operation == "modify")

        let duplicate = try await #require(throws: LDAPError.self) {
            try await connection.add(dn: ou, attributes: ["objectClass": [LDAPValue(utf8: "organizationalUnit")]])
        }
        #expect(duplicate.code == 68)  // entryAlreadyExists
        #expect(duplicate.operation == "add")

        let badFilter = try await #require(throws: LDAPError.self) {
            _ = try await connection.search(base: ou, scope: .base, filter: "(cn=unbalanced", attributes: [])
        }
        #expect(badFilter.code == -7)  // LDAP_FILTER_ERROR, found by libldap before sending
        await connection.close()
    }

    private func read(_ dn: String, _ connection: LDAPConnection) async throws -> LDAPEntry {
        let result = try await connection.search(base: dn, scope: .base, filter: "(objectClass=*)", attributes: [])
        return try #require(result.entries.first)
    }

    private func isMissing(_ dn: String, _ connection: LDAPConnection) async throws -> Bool {
        do {
            _ = try await connection.search(base: dn, scope: .base, filter: "(objectClass=*)", attributes: ["1.1"])
            return false
        } catch let error as LDAPError where error.isNoSuchObject {
            return true
        }
    }
}
