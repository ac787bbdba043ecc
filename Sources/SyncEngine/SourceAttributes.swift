import SyncConfiguration

/// Which attributes a source connector reads from its directory and keeps in the connector space: those the
/// inbound rules in force name, spelled as the rules spell them, plus what the engine itself needs.
///
/// Directories match attribute names case-insensitively (RFC 4512 §2.5) and may answer in another case
/// than asked (`msDS-CloudExtensionAttribute1`), but rules look attributes up by their exact spelling, so a
/// value is kept under every spelling the rules use. The entry's anchor and objectClass are always read
/// besides these (``EntryMapper`` knows the flavor's anchor).
public struct SourceAttributes: Sendable, Equatable {
    /// Values kept as text; an entry holding a value that is not UTF-8 in one of them is rejected.
    public let text: [String]
    /// Values read raw and kept as base64 text (objectSid, thumbnailPhoto): rules name them as `base64(attr)`.
    public let binary: [String]
    /// DN-valued attributes (rules' `ref(attr)`: manager, member), kept as text and as references to the
    /// objects they name. Always holds `member`: group-membership scoping reads it from the connector space.
    public let references: [String]

    /// A name given in several lists is read as the first that applies of: a reference when it is `member`
    /// (the engine needs the DNs), binary (text would reject every entry holding it), reference, text.
    public init(text: [String] = [], binary: [String] = [], references: [String] = []) {
        let memberName = Self.engineMember.lowercased()
        let binaryNames = Set(binary.map { $0.lowercased() }).subtracting([memberName])
        let referenceNames = Set(references.map { $0.lowercased() }).union([memberName]).subtracting(binaryNames)
        let all = Self.distinct(binary + references + [Self.engineMember] + text)
        self.binary = all.filter { binaryNames.contains($0.lowercased()) }
        self.references = all.filter { referenceNames.contains($0.lowercased()) }
        self.text = all.filter { !binaryNames.contains($0.lowercased()) && !referenceNames.contains($0.lowercased()) }
    }

    /// What idsync read before rules could name attributes, for callers that do not pass the rules' names.
    public static func builtIn(_ flavor: LDAPConnectorConfig.Flavor) -> SourceAttributes {
        switch flavor {
        case .activeDirectory:
            SourceAttributes(text: ["userPrincipalName", "sAMAccountName", "cn", "givenName", "sn", "displayName", "mail",
                                    "telephoneNumber", "department", "title", "employeeID", "userAccountControl",
                                    "whenChanged", "uSNChanged"],
                             references: ["manager", "member"])
        case .openLDAP:
            SourceAttributes(text: ["uid", "cn", "givenName", "sn", "displayName", "mail", "telephoneNumber", "title",
                                    "employeeNumber", "departmentNumber", "ou", "modifyTimestamp"],
                             references: ["manager", "member"])
        }
    }

    /// The spelling the engine looks group members up by (Synchronization's `member_of` scoping).
    static let engineMember = "member"

    /// Every spelling, each once.
    var allNames: [String] { Self.distinct(text + binary + references) }

    /// The names once each, ignoring case, in the spelling first seen: what to ask the server for.
    static func distinctIgnoringCase(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0.lowercased()).inserted }
    }

    private static func distinct(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}
