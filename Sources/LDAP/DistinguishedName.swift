/// Distinguished names in their string form (RFC 4514).
public enum DistinguishedName {
    /// `value` escaped for use as an attribute value in a DN: `Smith, John` → `Smith\, John`, ready for
    /// `"CN=" + escapeValue(name) + ",OU=…"`.
    ///
    /// Escapes what RFC 4514 §2.4 requires (`"+,;<>\`, a leading `#` or space, a trailing space, control
    /// characters) and `=`, which Active Directory escapes too. Other characters, non-ASCII included, stay
    /// as they are: LDAPv3 DNs are UTF-8.
    public static func escapeValue(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        var escaped = ""
        for (position, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";", "=":
                escaped += "\\\(scalar)"
            case " " where position == 0 || position == scalars.count - 1:
                escaped += "\\ "
            case "#" where position == 0:
                escaped += "\\#"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                escaped += hexEscape(UInt8(scalar.value))
            default:
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// A form of `dn` in which two names of the same entry are equal, for comparing DNs from different
    /// sources (configuration, the server's answers, a database): attribute types and values case-folded,
    /// spaces around `,` `+` `=` removed, escapes rewritten in one way (`\2C` and `\,` both become `\,`),
    /// the parts of a multi-valued RDN sorted. A string that is not a valid DN is only case-folded.
    public static func normalized(_ dn: String) -> String {
        guard let rdns = DNParser.parse(dn) else { return dn.lowercased() }
        return rdns.map(\.normalized).joined(separator: ",")
    }

    /// The DN of the entry's parent, as written in `dn`: `OU=Sales,DC=contoso,DC=test` for
    /// `CN=Smith\, John,OU=Sales,DC=contoso,DC=test`. `nil` for a single RDN, an empty or an invalid DN.
    public static func parent(_ dn: String) -> String? {
        guard let rdns = DNParser.parse(dn), rdns.count > 1 else { return nil }
        return String(dn[rdns[1].range.lowerBound...])
    }

    /// Whether `dn` is `base` or an entry below it, comparing whole RDNs in normalized form (so
    /// `CN=x,OU=Sales2,…` is not within `OU=Sales,…`, whatever the case or spacing). Every DN is within the
    /// empty DN, the root. An invalid DN is within nothing.
    public static func isWithin(_ dn: String, base: String) -> Bool {
        guard let entry = DNParser.parse(dn), let base = DNParser.parse(base), base.count <= entry.count else {
            return false
        }
        return entry.suffix(base.count).map(\.normalized) == base.map(\.normalized)
    }

    static func hexEscape(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "\\0" + digits : "\\" + digits
    }
}
