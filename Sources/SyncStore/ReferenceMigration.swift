import GRDB

/// The v8 migration's data step: references written as text into attribute maps move to the `refs` columns.
///
/// The old form could not say which values were references; the old engine's own reading is kept:
/// - metaverse objects: an attribute whose every value is "mv:<id>" held references (what `ref()` flows
///   gave: manager, member), and the old outbound pass took such values for references anywhere;
/// - target objects and pending exports: "mv:<id>" and "id:<target id>" values of the SCIM reference
///   attributes (`members`, `enterprise.manager`), the only ones the old export resolved. Source objects
///   hold DNs there, never these spellings, and are left as they are.
enum ReferenceMigration {
    static let targetReferenceAttributes: Set<String> = ["members", "enterprise.manager"]

    static func run(_ db: Database) throws {
        for row in try Row.fetchAll(db, sql: "SELECT id, attributes FROM mv_objects WHERE attributes LIKE '%\"mv:%'") {
            let id: Int64 = row["id"]
            var attributes = try AttributeMap.fromJSON(row["attributes"])
            var references: ReferenceMap = [:]
            for (name, values) in attributes {
                let ids = values.compactMap(metaverseID)
                guard !values.isEmpty, ids.count == values.count else { continue }
                references[name] = ids.map(Reference.metaverse)
                attributes[name] = nil
            }
            guard !references.isEmpty else { continue }
            try db.execute(sql: "UPDATE mv_objects SET attributes = ?, refs = ? WHERE id = ?",
                           arguments: [attributes.canonicalJSON(), references.canonicalJSON(), id])
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, attributes FROM cs_objects WHERE attributes LIKE '%\"mv:%' OR attributes LIKE '%\"id:%'") {
            let id: Int64 = row["id"]
            guard let (attributes, references) = try split(row["attributes"]) else { continue }
            try db.execute(sql: "UPDATE cs_objects SET attributes = ?, digest = ?, refs = ? WHERE id = ?",
                           arguments: [attributes.canonicalJSON(), attributes.digest(), references.canonicalJSON(), id])
        }
        for row in try Row.fetchAll(db, sql: "SELECT cs_id, attributes FROM pending_exports WHERE attributes LIKE '%\"mv:%' OR attributes LIKE '%\"id:%'") {
            let id: Int64 = row["cs_id"]
            guard let (attributes, references) = try split(row["attributes"]) else { continue }
            try db.execute(sql: "UPDATE pending_exports SET attributes = ?, refs = ? WHERE cs_id = ?",
                           arguments: [attributes.canonicalJSON(), references.canonicalJSON(), id])
        }
    }

    /// A target-side map's reference values taken out of it; nil when it has none.
    private static func split(_ json: String) throws -> (AttributeMap, ReferenceMap)? {
        var attributes = try AttributeMap.fromJSON(json)
        var references: ReferenceMap = [:]
        for name in targetReferenceAttributes {
            guard let values = attributes[name] else { continue }
            guard values.contains(where: { metaverseID($0) != nil || $0.hasPrefix("id:") }) else { continue }
            // The old export took any other value there for a target id as it is.
            references[name] = values.map { value in
                if let id = metaverseID(value) { return .metaverse(id) }
                return .target(value.hasPrefix("id:") ? String(value.dropFirst(3)) : value)
            }
            attributes[name] = nil
        }
        return references.isEmpty ? nil : (attributes, references)
    }

    private static func metaverseID(_ value: String) -> Int64? {
        guard value.hasPrefix("mv:") else { return nil }
        let digits = value.dropFirst(3)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int64(digits)
    }
}
