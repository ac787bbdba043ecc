/// One entry of a search result.
public struct LDAPEntry: Sendable, Equatable {
    public let dn: String
    /// Attribute values keyed by the attribute description exactly as the server returned it, which may carry
    /// options (`member;range=0-1499`) and any capitalization.
    public let attributes: [String: [LDAPValue]]

    public init(dn: String, attributes: [String: [LDAPValue]]) {
        self.dn = dn
        self.attributes = attributes
    }

    /// The values of attribute `name`, found case-insensitively as attribute names are (RFC 4512 §2.5).
    ///
    /// Active Directory returns a large multi-valued attribute in ranges (`member;range=0-1499`); those values
    /// are included too, so a caller asking for `member` gets what the server sent whichever way it sent it.
    public func values(_ name: String) -> [LDAPValue] {
        let wanted = name.lowercased()
        let rangedPrefix = wanted + ";range="
        var exact: [LDAPValue] = []
        var ranged: [(key: String, values: [LDAPValue])] = []
        for (key, values) in attributes {
            let folded = key.lowercased()
            if folded == wanted {
                exact += values
            } else if folded.hasPrefix(rangedPrefix) {
                ranged.append((folded, values))
            }
        }
        // Dictionary order is arbitrary; keep the result stable between calls.
        return exact + ranged.sorted { $0.key < $1.key }.flatMap(\.values)
    }

    /// The values of `name` decoded as UTF-8. A value that is not valid UTF-8 is left out rather than mangled;
    /// callers that must notice it use ``values(_:)``.
    public func strings(_ name: String) -> [String] {
        values(name).compactMap { String(validating: $0, as: UTF8.self) }
    }

    /// The first value of `name` that is valid UTF-8.
    public func string(_ name: String) -> String? {
        strings(name).first
    }
}

/// Everything one search request returned.
public struct LDAPSearchResult: Sendable, Equatable {
    public let entries: [LDAPEntry]
    /// Continuation references (RFC 4511 §4.5.3) and referrals of the final result: libldap is told not to
    /// chase them, so they are reported here. Active Directory sends some for every subtree search of a
    /// domain's root (its DNS and Configuration partitions).
    public let referrals: [String]
    /// The response controls of the final result, e.g. the DirSync cookie.
    public let controls: [LDAPControl]

    public init(entries: [LDAPEntry], referrals: [String], controls: [LDAPControl]) {
        self.entries = entries
        self.referrals = referrals
        self.controls = controls
    }
}

/// How far below the base a search looks (RFC 4511 §4.5.1.2).
public enum LDAPScope: Sendable {
    /// The base entry only.
    case base
    /// The immediate children of the base, not the base itself.
    case oneLevel
    /// The base and everything below it.
    case subtree
}
