import IDSyncTesting
import LDAP
import Testing

@Suite("Password Modify and WhoAmI (OpenLDAP slapd)")
struct PasswordModifyTests {
    @Test func passwordModifyAndWhoAmI() async throws {
        try await OpenLDAPServer.withServer { slapd in try await passwordModifyAndWhoAmI(slapd) }
    }

    private func passwordModifyAndWhoAmI(_ slapd: OpenLDAPServer) async throws {
        let admin = try await slapd.admin()
        #expect(try await admin.whoAmI() == "dn:\(slapd.adminDN)")
        let userDN = "uid=alice,ou=people,\(slapd.baseDN)"
        try await admin.add(dn: userDN, attributes: [
            "objectClass": [LDAPValue(utf8: "inetOrgPerson")], "uid": [LDAPValue(utf8: "alice")], "cn": [LDAPValue(utf8: "Alice")],
            "sn": [LDAPValue(utf8: "A")], "userPassword": [LDAPValue(utf8: "first-password")],
        ])

        // The user changes her own password, proving the old one.
        let alice = try await slapd.connection(bindDN: userDN, password: "first-password")
        #expect(try await alice.whoAmI() == "dn:\(userDN)")
        let wrongOld = try await #require(throws: LDAPError.self) {
            try await alice.passwordModify(userDN: nil, oldPassword: "not-it", newPassword: "second-password")
        }
        #expect(wrongOld.operation == "password modify")
        try await alice.passwordModify(userDN: nil, oldPassword: "first-password", newPassword: "second-password")
        await alice.close()
        try await expectBind(slapd, userDN, "second-password")
        try await expectBindRefused(slapd, userDN, "first-password")

        // The administrator sets one without knowing the old.
        try await admin.passwordModify(userDN: userDN, oldPassword: nil, newPassword: "third-password")
        try await expectBind(slapd, userDN, "third-password")
        try await expectBindRefused(slapd, userDN, "second-password")
        await admin.close()

        // Anonymous: an empty identity.
        let anonymous = try await slapd.connection()
        #expect(try await anonymous.whoAmI() == "")
        await anonymous.close()
    }

    private func expectBind(_ slapd: OpenLDAPServer, _ dn: String, _ password: String) async throws {
        let connection = try await slapd.connection(bindDN: dn, password: password)
        #expect(try await connection.whoAmI() == "dn:\(dn)")
        await connection.close()
    }

    private func expectBindRefused(_ slapd: OpenLDAPServer, _ dn: String, _ password: String) async throws {
        let error = try await #require(throws: LDAPError.self) {
            _ = try await slapd.connection(bindDN: dn, password: password)
        }
        #expect(error.isInvalidCredentials)
    }
}
