import LDAP
import Testing

@Suite("DN and filter escaping (no server)")
struct DistinguishedNameTests {
    @Test(arguments: [
        ("Smith, John", #"Smith\, John"#),
        ("plain", "plain"),
        (" leading and trailing ", #"\ leading and trailing\ "#),
        ("#hash", ##"\#hash"##),
        ("in#side", "in#side"),
        (#"a+b=c;d<e>f"g\h"#, #"a\+b\=c\;d\<e\>f\"g\\h"#),
        ("line\nbreak\u{0}", #"line\0Abreak\00"#),
        ("Zoë 山田", "Zoë 山田"),
        (" ", #"\ "#),
    ])
    func escapeValue(_ value: String, _ escaped: String) {
        #expect(DistinguishedName.escapeValue(value) == escaped)
    }

    @Test func normalizedFoldsCaseSpacesAndEscapes() {
        let asWritten = #"CN=Smith\, John , OU = Sales,DC=Contoso, DC=Test"#
        let asReturned = #"cn=SMITH\2C JOHN,ou=sales,dc=contoso,dc=test"#
        #expect(DistinguishedName.normalized(asWritten) == DistinguishedName.normalized(asReturned))
        #expect(DistinguishedName.normalized(asWritten) == #"cn=smith\, john,ou=sales,dc=contoso,dc=test"#)
    }

    @Test func normalizedKeepsWhatIsSignificant() {
        // An escaped trailing space is part of the value; unescaped ones around separators are not.
        #expect(DistinguishedName.normalized(#"CN=a\ ,DC=x"#) != DistinguishedName.normalized("CN=a,DC=x"))
        #expect(DistinguishedName.normalized("CN=a b,DC=x") != DistinguishedName.normalized("CN=ab,DC=x"))
        // Hex escapes of UTF-8 are the characters they spell.
        #expect(DistinguishedName.normalized(#"CN=Jos\C3\A9,DC=x"#) == DistinguishedName.normalized("CN=JOSÉ,DC=x"))
        // Multi-valued RDNs compare regardless of order.
        #expect(DistinguishedName.normalized("CN=a+UID=b,DC=x") == DistinguishedName.normalized("uid=B + cn=A,dc=X"))
        // A BER value (#hex) is kept as hex.
        #expect(DistinguishedName.normalized("CN=#04024869,DC=x") == "cn=#04024869,dc=x")
        #expect(DistinguishedName.normalized("") == "")
    }

    @Test(arguments: [#"CN=a\"#, "=a,DC=x", "CN=a,,DC=x", "CN,DC=x", #"CN=a\4,DC=x"#, "CN=#0,DC=x"])
    func invalidDNsAreOnlyCaseFolded(_ dn: String) {
        #expect(DistinguishedName.normalized(dn) == dn.lowercased())
        #expect(DistinguishedName.parent(dn) == nil)
        #expect(!DistinguishedName.isWithin(dn, base: ""))
    }

    @Test func parent() {
        #expect(DistinguishedName.parent(#"CN=Smith\, John,OU=Sales,DC=contoso,DC=test"#) == "OU=Sales,DC=contoso,DC=test")
        #expect(DistinguishedName.parent("CN=a, OU=b") == "OU=b")
        #expect(DistinguishedName.parent("DC=test") == nil)
        #expect(DistinguishedName.parent("") == nil)
        #expect(DistinguishedName.parent(#"CN=a\,b"#) == nil)
    }

    @Test func isWithin() {
        let base = "OU=Sales,DC=contoso,DC=test"
        #expect(DistinguishedName.isWithin(base, base: base))
        #expect(DistinguishedName.isWithin("cn=x,ou=SALES, dc=Contoso,dc=test", base: base))
        #expect(DistinguishedName.isWithin("CN=x,OU=Team,OU=Sales,DC=contoso,DC=test", base: base))
        #expect(!DistinguishedName.isWithin("CN=x,OU=Sales2,DC=contoso,DC=test", base: base))
        #expect(!DistinguishedName.isWithin("CN=x,OU=xSales,DC=contoso,DC=test", base: base))
        #expect(!DistinguishedName.isWithin("DC=contoso,DC=test", base: base))
        #expect(!DistinguishedName.isWithin(#"CN=OU\=Sales\,DC\=contoso\,DC\=test"#, base: base))
        #expect(DistinguishedName.isWithin("DC=contoso,DC=test", base: ""))
    }

    @Test func escapedValuesParseBackToTheOriginal() {
        for value in ["Smith, John", " x ", "#1", #"a+b=c;d<e>f"g\h"#, "Zoë 山田", "tab\there"] {
            let dn = "CN=\(DistinguishedName.escapeValue(value)),DC=x"
            #expect(DistinguishedName.parent(dn) == "DC=x", "\(dn)")
            #expect(DistinguishedName.normalized(dn) == "cn=\(DistinguishedName.escapeValue(value.lowercased())),dc=x")
        }
    }

    @Test func filterEscape() {
        #expect(ldapFilterEscape(#"a*b(c)d\e"# + "\u{0}") == #"a\2ab\28c\29d\5ce\00"#)
        #expect(ldapFilterEscape("Zoë 山田") == "Zoë 山田")
        #expect(ldapFilterEscape("") == "")
        #expect(ldapFilterEscape([0x00, 0x0A, 0xFF, 0x2A]) == #"\00\0a\ff\2a"#)
    }
}
