import Foundation
import IDSyncTesting
@testable import SyncEngine
import LDAP
import SyncStore
import Testing

/// Entries a directory may send that AD itself would refuse to store (OpenLDAP's octet strings, a proxy, a
/// damaged replica): each is rejected with its object and attribute, never mangled or dropped silently.
@Suite("Entry mapper: odd values (no server)")
struct EntryMapperTests {
    let guid: LDAPValue = Array(0..<16)
    let mapper = EntryMapper(flavor: .activeDirectory)

    func entry(_ attributes: [String: [LDAPValue]], dn: String = "CN=x,OU=t,DC=contoso,DC=test") -> LDAPEntry {
        LDAPEntry(dn: dn, attributes: ["objectGUID": [guid], "objectClass": [LDAPValue(utf8: "user")]].merging(attributes) { $1 })
    }

    @Test(arguments: [
        ("title", [Array("Caf".utf8) + [0xE9]]),                       // Latin-1
        ("displayName", [[0xC3, 0x28]]),                                  // a broken two-byte sequence
        ("mail", [LDAPValue(utf8: "ok@example.com"), [0xED, 0xA0, 0x80]]), // a UTF-16 surrogate, beside a good value
        ("member", [[0xFF, 0xFE]]),
    ] as [(String, [LDAPValue])])
    func invalidUTF8IsRejectedWithItsAttribute(attribute: String, values: [LDAPValue]) throws {
        guard case .rejected(let dn, let anchor, let error) = mapper.item(from: entry([attribute: values])) else {
            Issue.record("accepted a value that is not UTF-8 in \(attribute)")
            return
        }
        #expect(dn == "CN=x,OU=t,DC=contoso,DC=test")
        #expect(anchor != nil, "the anchor is known, so the object still counts as seen and is never deleted")
        #expect(error.attribute == attribute && error.message.contains("UTF-8"))
    }

    @Test func aMissingOrMalformedAnchorIsNamed() {
        let missing = mapper.item(from: LDAPEntry(dn: "CN=y,DC=x", attributes: ["cn": [LDAPValue(utf8: "y")]]))
        guard case .rejected(_, nil, let error) = missing else { Issue.record("no objectGUID accepted"); return }
        #expect(error.attribute == "objectGUID")
        let short = mapper.item(from: entry(["objectGUID": [[1, 2, 3]]]))
        guard case .rejected(_, nil, let shortError) = short else { Issue.record("a 3-byte GUID accepted"); return }
        #expect(shortError.message.contains("3 bytes"))
    }

    @Test func aMegabyteValueIsKeptWhole() throws {
        let big = String(repeating: "0123456789abcdef", count: 65_536)   // 1 MiB
        guard case .object(let object) = mapper.item(from: entry(["title": [LDAPValue(utf8: big)]])) else {
            Issue.record("a 1 MiB value was rejected"); return
        }
        #expect(object.attributes["title"] == [big])
    }

    @Test func escapedDNsAreReferencesByTheirNormalKey() throws {
        let manager = ##"CN=\#Lead\, \"Quoted\" \+ Plus \<Angle\>\; Semi\=Eq \\Back\ ,OU=t,DC=contoso,DC=test"##
        let hexEscaped = ##"cn=\23Lead\2C \22Quoted\22 \2B Plus \3CAngle\3E\3B Semi\3DEq \5CBack\20,ou=T,dc=Contoso,dc=Test"##
        guard case .object(let object) = mapper.item(from: entry(["manager": [LDAPValue(utf8: manager)]])) else {
            Issue.record("rejected"); return
        }
        #expect(object.references.map { $0.dnKey } == [ConnectorSpace.dnKey(hexEscaped, role: .source)],
                "the same DN written with hex escapes and other case is the same object")
    }
}

/// What the rules name is what is kept: any attribute, under the rules' spelling, binary ones as base64.
@Suite("Entry mapper: the attributes the rules name (no server)")
struct EntryMapperRuleAttributeTests {
    let guid: LDAPValue = Array(0..<16)
    let sid: LDAPValue = [1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD, 1, 2, 3, 4, 5, 6, 7, 8, 0x51, 0x04, 0, 0]
    let mapper = EntryMapper(flavor: .activeDirectory,
                             attributes: SourceAttributes(text: ["msDS-cloudExtensionAttribute1", "objectGUID"],
                                                          binary: ["objectSid", "thumbnailPhoto"], references: ["manager"]))

    func entry(_ attributes: [String: [LDAPValue]]) -> LDAPEntry {
        LDAPEntry(dn: "CN=x,OU=t,DC=contoso,DC=test",
                  attributes: ["objectGUID": [guid], "objectClass": [LDAPValue(utf8: "user")]].merging(attributes) { $1 })
    }

    @Test func anAttributeReturnedInAnotherCaseIsKeptUnderTheRulesSpelling() throws {
        guard case .object(let object) = mapper.item(from: entry(["MSDS-CLOUDEXTENSIONATTRIBUTE1": [LDAPValue(utf8: "Sales")]])) else {
            Issue.record("rejected"); return
        }
        #expect(object.attributes["msDS-cloudExtensionAttribute1"] == ["Sales"])
        #expect(object.attributes["MSDS-CLOUDEXTENSIONATTRIBUTE1"] == nil)
    }

    @Test func binaryAttributesAreKeptAsBase64OfTheirBytes() throws {
        let photo: LDAPValue = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10]
        guard case .object(let object) = mapper.item(from: entry(["objectSid": [sid], "thumbnailPhoto": [photo]])) else {
            Issue.record("rejected a binary value"); return
        }
        #expect(object.attributes["objectSid"] == [Data(sid).base64EncodedString()])
        #expect(object.attributes["thumbnailPhoto"] == ["/9j/4AAQ"])
    }

    @Test func aBinaryValueInATextAttributeIsRejectedWithTheBase64Hint() throws {
        let textual = EntryMapper(flavor: .activeDirectory, attributes: SourceAttributes(text: ["objectSid"]))
        guard case .rejected(_, let anchor, let error) = textual.item(from: entry(["objectSid": [sid]])) else {
            Issue.record("a SID read as text was accepted"); return
        }
        #expect(anchor != nil && error.attribute == "objectSid")
        #expect(error.message.contains("UTF-8") && error.message.contains("base64(objectSid)"), "\(error)")
    }

    @Test func theAnchorStaysCanonicalTextWhenTheRulesNameIt() throws {
        guard case .object(let object) = mapper.item(from: entry([:])) else { Issue.record("rejected"); return }
        #expect(object.attributes["objectGUID"] == [ActiveDirectory.guidString(guid)!])
    }

    @Test func attributesTheRulesDoNotNameAreNotKept() throws {
        guard case .object(let object) = mapper.item(from: entry(["title": [LDAPValue(utf8: "Boss")],
                                                                  "manager": [LDAPValue(utf8: "CN=m,DC=x")]])) else {
            Issue.record("rejected"); return
        }
        #expect(object.attributes["title"] == nil)
        #expect(object.references.map(\.attribute) == ["manager"])
    }
}

/// An import through the connector, against the shared Samba AD DC, with attributes no built-in list has.
@Suite("Entry mapper: attributes the rules name, imported from Samba AD DC")
struct RuleAttributeImportTests {
    static let attributes = SourceAttributes(text: ["MSDS-CloudExtensionAttribute1", "sAMAccountName"], binary: ["objectSid"])

    @Test func aCustomAttributeAndObjectSidAreImportedAndADeltaFollowsTheCustomAttribute() async throws {
        let source = try await SambaSource.make()
        let ou = try await source.dc.makeOU(prefix: "ruleattrs")
        let sam = "ra-\(UUID().uuidString.prefix(8).lowercased())"
        let user = try await source.dc.addUser(in: ou, cn: sam, sam: sam, attributes: ["msDS-cloudExtensionAttribute1": ["Cost centre 42"]])
        let rawSID = try await source.dc.asAdmin { connection in
            try await connection.search(base: user, scope: .base, filter: "(objectClass=*)", attributes: ["objectSid"]).entries.first?.values("objectSid").first
        }
        let connector = try source.connector(containers: [ou], attributes: Self.attributes)
        try await connector.open()
        try await withCleanup { cleanup in
            cleanup.add { await connector.close() }

            let watermark = try #require(try await connector.currentWatermark())
            let object = try #require(try await importedObjects(connector)[source.key(user)])
            #expect(object.attributes["MSDS-CloudExtensionAttribute1"] == ["Cost centre 42"], "kept under the rules' spelling")
            #expect(object.attributes["title"] == nil && object.attributes["userPrincipalName"] == nil, "nothing the rules do not name")
            let sidText = try #require(object.attributes["objectSid"]?.first)
            let sid = try #require(Data(base64Encoded: sidText).map(Array.init))
            #expect(sid.first == 1, "a SID's revision is 1")
            #expect(sid.count == 8 + 4 * Int(sid[1]), "8 bytes and 4 per sub-authority")
            #expect(sid == rawSID, "the bytes the directory holds")

            // A change to the custom attribute alone reaches the delta import: DirSync reports an object only when
            // an attribute it was asked for changed (Samba, checked: with the built-in list this change is not seen).
            try await source.dc.modify(user, [LDAPModification(.replace, "msDS-cloudExtensionAttribute1", [LDAPValue(utf8: "Cost centre 43")])])
            let changed = try await deltaUpserts(connector, from: watermark).filter { $0.dnKey == source.key(user) }
            #expect(changed.last?.attributes["MSDS-CloudExtensionAttribute1"] == ["Cost centre 43"])
            #expect(changed.last?.attributes["objectSid"] == [sidText])
        }
    }

    @Test func syncreplReadsWhatTheRulesNameFromOpenLDAP() async throws {
        try await OpenLDAPServer.withServer { server in
            let person = "uid=typed,ou=people,\(server.baseDN)"
            let admin = try await server.admin()
            try await admin.add(dn: person, attributes: [
                "objectClass": [LDAPValue(utf8: "inetOrgPerson")], "uid": [LDAPValue(utf8: "typed")],
                "cn": [LDAPValue(utf8: "Typed")], "sn": [LDAPValue(utf8: "Person")], "employeeType": [LDAPValue(utf8: "Contractor")],
            ])
            let connector = try sourceConnector(attributes: SourceAttributes(text: ["EmployeeType", "uid"]), password: server.adminPassword,
                                                settings: "flavor: openldap\nurl: \(server.url)\nallow_plaintext_bind: true\nbind_dn: \(server.adminDN)\nbase_dn: \(server.baseDN)")
            try await connector.open()
            let key = ConnectorSpace.dnKey(person, role: .source)
            let watermark = try #require(try await connector.currentWatermark())
            let object = try #require(try await importedObjects(connector)[key])
            #expect(object.attributes["EmployeeType"] == ["Contractor"] && object.attributes["cn"] == nil)

            try await admin.modify(dn: person, [LDAPModification(.replace, "employeeType", [LDAPValue(utf8: "Employee")])])
            let changed = try await deltaUpserts(connector, from: watermark).filter { $0.dnKey == key }
            #expect(changed.last?.attributes["EmployeeType"] == ["Employee"], "the syncrepl delta reads the same attributes")
            await connector.close()
            await admin.close()
        }
    }
}
