import Foundation
import LDAP
import SyncConfiguration
import SyncStore

/// Turns directory entries into connector-space objects: which entries, which attributes, and the anchor —
/// for each directory flavor.
struct EntryMapper: Sendable {
    let flavor: LDAPConnectorConfig.Flavor
    /// What the rules in force read from the directory.
    let source: SourceAttributes
    /// What to ask the server for: each attribute once, whatever the case the rules write it in.
    let attributes: [String]
    // Worked out once, not per entry: the anchor is kept as its canonical text under every spelling given,
    // so the other lists leave it out.
    private let anchorSpellings: [String]
    private let binary: [String]
    private let textual: [(name: String, isReference: Bool)]

    /// `attributes` nil: the built-in list of the flavor.
    init(flavor: LDAPConnectorConfig.Flavor, attributes: SourceAttributes? = nil) {
        self.flavor = flavor
        let source = attributes ?? .builtIn(flavor)
        self.source = source
        let anchor = flavor == .activeDirectory ? "objectGUID" : "entryUUID"
        let isAnchor = { (name: String) in name.caseInsensitiveCompare(anchor) == .orderedSame }
        self.attributes = SourceAttributes.distinctIgnoringCase([anchor, "objectClass"] + source.allNames)
        anchorSpellings = source.allNames.filter(isAnchor)
        binary = source.binary.filter { !isAnchor($0) }
        textual = source.text.filter { !isAnchor($0) }.map { ($0, false) } + source.references.filter { !isAnchor($0) }.map { ($0, true) }
    }

    /// The users and groups in scope. AD: people, not computers, without the critical system objects
    /// (krbtgt, built-ins). OpenLDAP: inetOrgPerson and groupOfNames.
    var filter: String {
        switch flavor {
        case .activeDirectory:
            "(&(|(&(objectCategory=person)(objectClass=user))(objectClass=group))(!(isCriticalSystemObject=TRUE)))"
        case .openLDAP:
            "(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))"
        }
    }

    /// The immutable identifier: AD's objectGUID (binary, kept as its canonical text), OpenLDAP's entryUUID.
    var anchorAttribute: String { flavor == .activeDirectory ? "objectGUID" : "entryUUID" }

    /// The anchor of an entry, from the raw value of its anchor attribute.
    func anchor(of entry: LDAPEntry) -> String? {
        guard let raw = entry.values(anchorAttribute).first else { return nil }
        return flavor == .activeDirectory ? ActiveDirectory.guidString(raw) : String(decoding: raw, as: UTF8.self).lowercased()
    }

    /// The entry as a connector-space object. The anchor is always kept as its canonical text, under its own
    /// name and any spelling the rules give it, whichever list names it.
    func item(from entry: LDAPEntry) -> ImportItem {
        guard let raw = entry.values(anchorAttribute).first else {
            return .rejected(dn: entry.dn, anchor: nil, error: ObjectError("has no \(anchorAttribute)", attribute: anchorAttribute))
        }
        guard let anchor = anchor(of: entry) else {
            return .rejected(dn: entry.dn, anchor: nil,
                             error: ObjectError("is \(raw.count) bytes, not a 16-byte GUID", attribute: anchorAttribute))
        }
        let classes = entry.strings("objectClass").map { $0.lowercased() }
        let type: ObjectType = classes.contains("group") || classes.contains("groupofnames") ? .group : .user

        var attributes: AttributeMap = [anchorAttribute: [anchor]]
        var references: [CSReference] = []
        for name in anchorSpellings { attributes[name] = [anchor] }
        for name in binary {
            let raw = entry.values(name)
            if !raw.isEmpty { attributes[name] = raw.map { Data($0).base64EncodedString() } }
        }
        for (name, isReference) in textual {
            let raw = entry.values(name)
            guard !raw.isEmpty else { continue }
            let strings = entry.strings(name)
            guard strings.count == raw.count else {
                let hint = isReference ? "" : "; if it is binary, name it as base64(\(name)) in the rules"
                return .rejected(dn: entry.dn, anchor: anchor,
                                 error: ObjectError("holds a value that is not valid UTF-8\(hint)", attribute: name))
            }
            attributes[name] = strings
            if isReference {
                references += strings.map { CSReference(attribute: name, dnKey: ConnectorSpace.dnKey($0, role: .source)) }
            }
        }
        return .object(ImportedObject(anchor: anchor, dn: entry.dn, dnKey: ConnectorSpace.dnKey(entry.dn, role: .source),
                                      objectType: type, attributes: attributes, references: references))
    }
}
