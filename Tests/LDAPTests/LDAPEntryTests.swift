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

@Suite("Ranged attribute descriptions (no server)")
struct AttributeRangeTests {
    @Test(arguments: [
        ("member;range=0-1499", "member", 0, 1499 as Int?, "member;range=1500-*" as String?),
        ("Member;Range=1500-*", "Member", 1500, nil, nil),
        ("member;binary;range=3000-4499", "member;binary", 3000, 4499, "member;binary;range=4500-*"),
    ])
    func parsed(description: String, attribute: String, low: Int, high: Int?, next: String?) throws {
        let range = try #require(AttributeRange(description: description))
        #expect(range.attribute == attribute && range.low == low && range.high == high)
        #expect(range.nextDescription == next)
    }

    @Test(arguments: ["member", "member;range=", "member;range=5", "member;range=9-3", "member;range=a-*", "member;binary",
                      ";range=0-1", "member;range=-1-5"])
    func notARange(description: String) {
        #expect(AttributeRange(description: description) == nil)
    }

    /// Only the range starting right after the last one continues a ranged read: a server repeating a range
    /// or going back is refused instead of being read forever.
    @Test(arguments: [
        ("member;range=0-1499", "member;range=1500-2999", true),
        ("member;range=0-1499", "member;range=1500-*", true),
        ("member;range=0-1499", "member;range=0-1499", false),
        ("member;range=1500-2999", "member;range=0-1499", false),
        ("member;range=0-1499", "member;range=1600-*", false),
        ("member;range=0-*", "member;range=0-*", false),
    ])
    func follows(previous: String, next: String, expected: Bool) throws {
        let previous = try #require(AttributeRange(description: previous)), next = try #require(AttributeRange(description: next))
        #expect(next.follows(previous) == expected)
    }
}
