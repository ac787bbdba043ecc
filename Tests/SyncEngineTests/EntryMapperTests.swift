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
