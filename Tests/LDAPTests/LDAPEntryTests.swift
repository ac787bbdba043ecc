import LDAP
import Testing

@Suite("LDAPEntry accessors (no server)")
struct LDAPEntryTests {
    let entry = LDAPEntry(dn: "CN=g,DC=x", attributes: [
        "cn": [LDAPValue(utf8: "g")],
        "Description": [LDAPValue(utf8: "first"), LDAPValue(utf8: "second")],
        "member;range=1500-*": [LDAPValue(utf8: "CN=c")],
        "member;range=0-1499": [LDAPValue(utf8: "CN=a"), LDAPValue(utf8: "CN=b")],
        "objectGUID": [[0xFF, 0xFE, 0x00]],
        "mixed": [[0xC3, 0x28], LDAPValue(utf8: "ok")],
    ])

    @Test func namesAreCaseInsensitive() {
        #expect(entry.strings("description") == ["first", "second"])
        #expect(entry.string("DESCRIPTION") == "first")
        #expect(entry.values("CN") == [LDAPValue(utf8: "g")])
        #expect(entry.values("sn").isEmpty)
        #expect(entry.string("sn") == nil)
    }

    @Test func rangedAttributesAreFoundByTheirName() {
        #expect(entry.strings("member") == ["CN=a", "CN=b", "CN=c"])
        #expect(entry.strings("member;range=1500-*") == ["CN=c"])
        #expect(entry.values("mem").isEmpty)
    }

    @Test func invalidUTF8IsSkippedByStringsButKeptByValues() {
        #expect(entry.strings("objectGUID").isEmpty)
        #expect(entry.values("objectguid") == [[0xFF, 0xFE, 0x00]])
        #expect(entry.strings("mixed") == ["ok"])
        #expect(entry.string("mixed") == "ok")
    }

    @Test func stringHelperIsUTF8() {
        #expect(LDAPValue(utf8: "Zoë") == [0x5A, 0x6F, 0xC3, 0xAB])
    }
}
