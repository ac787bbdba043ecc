import LDAP
import SyncConfiguration
import SyncStore

/// Turns directory entries into connector-space objects: which entries, which attributes, and the anchor —
/// for each directory flavor.
struct EntryMapper: Sendable {
    let flavor: LDAPConnectorConfig.Flavor

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

    /// Single- and multi-valued string attributes kept in the connector space.
    var stringAttributes: [String] {
        switch flavor {
        case .activeDirectory:
            ["userPrincipalName", "sAMAccountName", "cn", "givenName", "sn", "displayName", "mail", "telephoneNumber",
             "department", "title", "employeeID", "userAccountControl", "whenChanged", "uSNChanged"]
        case .openLDAP:
            ["uid", "cn", "givenName", "sn", "displayName", "mail", "telephoneNumber", "title", "employeeNumber",
             "departmentNumber", "ou", "modifyTimestamp"]
        }
    }

    /// DN-valued attributes, resolved to other objects by the sync.
    static let referenceAttributes = ["manager", "member"]

    var attributes: [String] { [anchorAttribute, "objectClass"] + stringAttributes + Self.referenceAttributes }

    /// The anchor of an entry, from the raw value of its anchor attribute.
    func anchor(of entry: LDAPEntry) -> String? {
        guard let raw = entry.values(anchorAttribute).first else { return nil }
        return flavor == .activeDirectory ? ActiveDirectory.guidString(raw) : String(decoding: raw, as: UTF8.self).lowercased()
    }

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
        for name in stringAttributes + Self.referenceAttributes {
            let raw = entry.values(name)
            guard !raw.isEmpty else { continue }
            let strings = entry.strings(name)
            guard strings.count == raw.count else {
                return .rejected(dn: entry.dn, anchor: anchor,
                                 error: ObjectError("holds a value that is not valid UTF-8", attribute: name))
            }
            attributes[name] = strings
            if Self.referenceAttributes.contains(name) {
                references += strings.map { CSReference(attribute: name, dnKey: ConnectorSpace.dnKey($0, role: .source)) }
            }
        }
        return .object(ImportedObject(anchor: anchor, dn: entry.dn, dnKey: ConnectorSpace.dnKey(entry.dn, role: .source),
                                      objectType: type, attributes: attributes, references: references))
    }
}
