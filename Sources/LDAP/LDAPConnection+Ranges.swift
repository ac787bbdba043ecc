internal import CLDAP

/// Active Directory's ranged retrieval of large multi-valued attributes.
///
/// A DC returns at most MaxValRange values (1,500 by default) of an attribute per entry, under the description
/// `member;range=0-1499`; the rest must be asked for with further base searches naming the next range
/// (`member;range=1500-*`) until a response ends with `*`. A group of 10,000 members read without this
/// silently has 1,500.
public struct AttributeRange: Sendable, Equatable {
    public let attribute: String
    public let low: Int
    /// nil for `*`: the last range.
    public let high: Int?

    /// Parses `member;range=1500-2999` (any case); nil for a description without a range option.
    public init?(description: String) {
        let parts = description.split(separator: ";")
        guard parts.count >= 2, let option = parts.last, option.lowercased().hasPrefix("range=") else { return nil }
        let bounds = option.dropFirst("range=".count).split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count == 2, let low = Int(bounds[0]), low >= 0 else { return nil }
        if bounds[1] == "*" {
            high = nil
        } else {
            guard let value = Int(bounds[1]), value >= low else { return nil }
            high = value
        }
        attribute = parts.dropLast().joined(separator: ";")
        self.low = low
    }

    /// The description asking for everything after this range.
    public var nextDescription: String? { high.map { "\(attribute);range=\($0 + 1)-*" } }

    /// Whether this range is the one that follows `previous`: it starts right after it. A server answering
    /// any other range (the same one again, one going back) would make the reading loop forever or skip values.
    public func follows(_ previous: AttributeRange) -> Bool {
        previous.high.map { low == $0 + 1 } ?? false
    }
}

extension LDAPConnection {
    /// The entry with every ranged attribute read to its end, under its plain name (`member`). An entry with
    /// no unfinished range is returned as it is, without a request.
    public func readingRemainingRanges(of entry: LDAPEntry) async throws -> LDAPEntry {
        var attributes: [String: [LDAPValue]] = [:]
        var pending: [(name: String, last: AttributeRange)] = []
        for (description, values) in entry.attributes {
            guard let range = AttributeRange(description: description) else {
                attributes[description, default: []] += values
                continue
            }
            attributes[range.attribute, default: []] += values
            if range.high != nil { pending.append((range.attribute, range)) }
        }
        guard !pending.isEmpty else { return entry }
        for (name, first) in pending {
            var last = first
            while let request = last.nextDescription {
                let result = try await search(base: entry.dn, scope: .base, filter: "(objectClass=*)", attributes: [request])
                guard let found = result.entries.first else {
                    throw LDAPError.local(LDAP_NO_SUCH_OBJECT, "\(entry.dn) disappeared while reading \(name) in ranges", operation: "search")
                }
                let ranged = found.attributes.compactMap { description, values in
                    AttributeRange(description: description).flatMap { $0.attribute.lowercased() == name.lowercased() ? ($0, values) : nil }
                }
                // No range in the answer: the values that were left fit in one response, or there were none.
                guard let (range, values) = ranged.first else {
                    attributes[name, default: []] += found.values(name)
                    break
                }
                guard range.follows(last) else {
                    throw LDAPError.local(LDAP_DECODING_ERROR, "\(entry.dn): asked for \(request), the server answered "
                                          + "range \(range.low)-\(range.high.map(String.init) ?? "*") of \(name)", operation: "search")
                }
                attributes[name, default: []] += values
                last = range
            }
        }
        return LDAPEntry(dn: entry.dn, attributes: attributes)
    }
}
