import LDAP
import SyncConfiguration
import SyncStore

/// Turns directory entries into connector-space objects: which entries, which attributes, the anchor.
struct ADEntryMapper: Sendable {
    let flavor: LDAPConnectorConfig.Flavor

    /// Users (people, not computers) and groups, without AD's critical system objects (krbtgt, built-ins).
    var filter: String {
        switch flavor {
        case .activeDirectory:
            "(&(|(&(objectCategory=person)(objectClass=user))(objectClass=group))(!(isCriticalSystemObject=TRUE)))"
        case .openLDAP:
            "(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))"
        }
    }

    /// Single- and multi-valued string attributes kept in the connector space.
    static let stringAttributes = [
        "userPrincipalName", "sAMAccountName", "cn", "givenName", "sn", "displayName", "mail", "telephoneNumber",
        "department", "title", "employeeID", "userAccountControl", "whenChanged", "uSNChanged",
    ]
    /// DN-valued attributes, resolved to other objects by the sync.
    static let referenceAttributes = ["manager", "member"]

    var attributes: [String] { ["objectGUID", "objectClass"] + Self.stringAttributes + Self.referenceAttributes }

    func item(from entry: LDAPEntry) -> ImportItem {
        guard let guidBytes = entry.values("objectGUID").first else {
            return .rejected(dn: entry.dn, anchor: nil, error: ObjectError("has no objectGUID", attribute: "objectGUID"))
        }
        guard let anchor = ActiveDirectory.guidString(guidBytes) else {
            return .rejected(dn: entry.dn, anchor: nil,
                             error: ObjectError("is \(guidBytes.count) bytes, not a 16-byte GUID", attribute: "objectGUID"))
        }
        let classes = entry.strings("objectClass").map { $0.lowercased() }
        let type: ObjectType = classes.contains("group") || classes.contains("groupofnames") ? .group : .user

        var attributes: AttributeMap = ["objectGUID": [anchor]]
        var references: [CSReference] = []
        for name in Self.stringAttributes + Self.referenceAttributes {
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
