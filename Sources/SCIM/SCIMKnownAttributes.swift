/// The attributes RFC 7643 defines for User (§4.1), Group (§4.2) and the enterprise User extension (§4.3),
/// as idsync needs them when the target does not serve /Schemas: their spelling (paths are compared
/// case-insensitively but stored in one spelling), whether they are multi-valued, and their sub-attributes.
struct KnownAttribute: Sendable {
    let name: String
    let multiValued: Bool
    /// Empty for a simple attribute.
    let subAttributes: [String]

    var isComplex: Bool { !subAttributes.isEmpty }

    func subAttribute(_ name: String) -> String? {
        subAttributes.first { $0.caseInsensitiveCompare(name) == .orderedSame }
    }
}

enum KnownAttributes {
    /// The sub-attributes RFC 7643 §2.4 gives most multi-valued attributes.
    private static let valueTypePrimary = ["value", "display", "type", "primary"]

    /// Core User and Group attributes in one table (the rule loader canonicalizes a path without knowing the
    /// object type; no name means different things in the two), with the common attributes of §3.1.
    static let core: [String: KnownAttribute] = table([
        KnownAttribute(name: "id", multiValued: false, subAttributes: []),
        KnownAttribute(name: "externalId", multiValued: false, subAttributes: []),
        KnownAttribute(name: "meta", multiValued: false,
                       subAttributes: ["resourceType", "created", "lastModified", "location", "version"]),
        KnownAttribute(name: "schemas", multiValued: true, subAttributes: []),
        KnownAttribute(name: "userName", multiValued: false, subAttributes: []),
        KnownAttribute(name: "name", multiValued: false, subAttributes: [
            "formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"]),
        KnownAttribute(name: "displayName", multiValued: false, subAttributes: []),
        KnownAttribute(name: "nickName", multiValued: false, subAttributes: []),
        KnownAttribute(name: "profileUrl", multiValued: false, subAttributes: []),
        KnownAttribute(name: "title", multiValued: false, subAttributes: []),
        KnownAttribute(name: "userType", multiValued: false, subAttributes: []),
        KnownAttribute(name: "preferredLanguage", multiValued: false, subAttributes: []),
        KnownAttribute(name: "locale", multiValued: false, subAttributes: []),
        KnownAttribute(name: "timezone", multiValued: false, subAttributes: []),
        KnownAttribute(name: "active", multiValued: false, subAttributes: []),
        KnownAttribute(name: "password", multiValued: false, subAttributes: []),
        KnownAttribute(name: "emails", multiValued: true, subAttributes: valueTypePrimary),
        KnownAttribute(name: "phoneNumbers", multiValued: true, subAttributes: valueTypePrimary),
        KnownAttribute(name: "ims", multiValued: true, subAttributes: valueTypePrimary),
        KnownAttribute(name: "photos", multiValued: true, subAttributes: valueTypePrimary),
        KnownAttribute(name: "addresses", multiValued: true, subAttributes: [
            "formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"]),
        KnownAttribute(name: "groups", multiValued: true, subAttributes: ["value", "$ref", "display", "type"]),
        KnownAttribute(name: "entitlements", multiValued: true, subAttributes: valueTypePrimary),
        KnownAttribute(name: "roles", multiValued: true, subAttributes: valueTypePrimary),
        KnownAttribute(name: "x509Certificates", multiValued: true, subAttributes: valueTypePrimary),
        KnownAttribute(name: "members", multiValued: true, subAttributes: ["value", "$ref", "display", "type"]),
    ])

    static let enterprise: [String: KnownAttribute] = table([
        KnownAttribute(name: "employeeNumber", multiValued: false, subAttributes: []),
        KnownAttribute(name: "costCenter", multiValued: false, subAttributes: []),
        KnownAttribute(name: "organization", multiValued: false, subAttributes: []),
        KnownAttribute(name: "division", multiValued: false, subAttributes: []),
        KnownAttribute(name: "department", multiValued: false, subAttributes: []),
        KnownAttribute(name: "manager", multiValued: false, subAttributes: ["value", "$ref", "displayName"]),
    ])

    /// The RFC 7643 attribute a path names, if it names one (custom extensions have none here).
    static func attribute(_ name: String, schema: String?) -> KnownAttribute? {
        switch schema {
        case nil: core[name.lowercased()]
        case SCIMSchema.enterpriseUser?: enterprise[name.lowercased()]
        default: nil
        }
    }

    private static func table(_ attributes: [KnownAttribute]) -> [String: KnownAttribute] {
        Dictionary(uniqueKeysWithValues: attributes.map { ($0.name.lowercased(), $0) })
    }
}
