/// `value` escaped for use as an assertion value in a search filter (RFC 4515 §3): `*`, `(`, `)`, `\` and
/// NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`, so a name typed by a user or read from another system can
/// never change the filter's structure. Non-ASCII characters stay as UTF-8, which filters allow.
public func ldapFilterEscape(_ value: String) -> String {
    var escaped = ""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "*": escaped += "\\2a"
        case "(": escaped += "\\28"
        case ")": escaped += "\\29"
        case "\\": escaped += "\\5c"
        case "\0": escaped += "\\00"
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return escaped
}

/// A binary value (an `objectGUID`, an `objectSid`) as a filter assertion value: every byte hex-escaped,
/// e.g. `(objectGUID=\40\fc\29\6b…)`.
public func ldapFilterEscape(_ value: LDAPValue) -> String {
    value.map { byte in
        let digits = String(byte, radix: 16)
        return byte < 0x10 ? "\\0" + digits : "\\" + digits
    }.joined()
}
