import SCIM
import SyncStore

/// The target connector space's schema, and its translation to and from SCIM 2.0 resources.
/// Attribute names are SCIM paths ("name.givenName"); "enterprise." stands for the enterprise User
/// extension (RFC 7643 §4.3). Reference attributes hold target ids here.
enum SCIMMapping {
    static let enterprisePrefix = "enterprise."

    static func referenceAttributes(_ type: ObjectType) -> Set<String> {
        type == .user ? ["enterprise.manager"] : ["members"]
    }

    static func resourceType(_ type: ObjectType) -> SCIMResourceType { type == .user ? .users : .groups }

    /// The name the object is shown under in the target connector space.
    static func displayName(_ type: ObjectType, _ attributes: AttributeMap) -> String {
        (type == .user ? attributes.first("userName") : nil) ?? attributes.first("displayName") ?? attributes.first("externalId") ?? "?"
    }

    // MARK: Flat attributes → SCIM resource

    /// How member references are written: `{"value": id, "$ref": <base>/Users|Groups/<id>}`. Some servers
    /// (Canaille) require `$ref`; the type of each member comes from what idsync exported.
    struct References: Sendable {
        var baseURL: String
        var types: [String: ObjectType] = [:]

        func member(_ id: String) -> JSON {
            let collection = types[id] == .group ? "Groups" : "Users"
            return ["value": .string(id), "$ref": .string("\(baseURL)/\(collection)/\(id)")]
        }
    }

    static func resource(_ type: ObjectType, _ attributes: AttributeMap, references: References) -> JSON {
        var object: [String: JSON] = [:]
        var schemas: [JSON] = [.string(resourceType(type).coreSchema)]
        var enterprise: [String: JSON] = [:]
        var name: [String: JSON] = [:]
        for (attribute, values) in attributes.normalized.sorted(by: { $0.key < $1.key }) {
            if attribute.hasPrefix(enterprisePrefix) {
                let key = String(attribute.dropFirst(enterprisePrefix.count))
                enterprise[key] = value(attribute, values, references: references)
            } else if attribute.hasPrefix("name.") {
                name[String(attribute.dropFirst(5))] = value(attribute, values, references: references)
            } else {
                object[attribute] = value(attribute, values, references: references)
            }
        }
        if !name.isEmpty { object["name"] = .object(name) }
        // A group's members are required by some servers even when empty.
        if type == .group, object["members"] == nil { object["members"] = [] }
        if !enterprise.isEmpty {
            schemas.append(.string(SCIMSchema.enterpriseUser))
            object[SCIMSchema.enterpriseUser] = .object(enterprise)
        }
        object["schemas"] = .array(schemas)
        return .object(object)
    }

    /// The JSON value of one flat attribute. Multi-valued attributes carry only `value`: the sub-attributes
    /// `type` and `primary` are optional (RFC 7643 §2.4) and some servers refuse them.
    static func value(_ attribute: String, _ values: [String], references: References) -> JSON {
        switch attribute {
        case "active":
            return .bool(values.first == "true")
        case "emails", "phoneNumbers":
            return .array(values.map { ["value": .string($0)] })
        case "members":
            return .array(values.map(references.member))
        case "enterprise.manager":
            return ["value": .string(values.first ?? "")]
        default:
            return .string(values.first ?? "")
        }
    }

    /// The SCIM attribute path of a flat attribute, for PATCH.
    static func path(_ attribute: String) -> String {
        attribute.hasPrefix(enterprisePrefix)
            ? SCIMSchema.enterpriseUser + ":" + attribute.dropFirst(enterprisePrefix.count)
            : attribute
    }

    // MARK: SCIM resource → flat attributes

    /// The attributes idsync manages, read from a resource the target holds.
    static func attributes(_ type: ObjectType, from resource: JSON) -> AttributeMap {
        var result: AttributeMap = [:]
        func set(_ name: String, _ value: String?) { if let value, !value.isEmpty { result[name] = [value] } }
        set("externalId", resource.value(forAttribute: "externalId")?.stringValue)
        set("displayName", resource.value(forAttribute: "displayName")?.stringValue)
        switch type {
        case .user:
            set("userName", resource.value(forAttribute: "userName")?.stringValue)
            set("title", resource.value(forAttribute: "title")?.stringValue)
            if let active = resource.value(forAttribute: "active")?.boolValue { result["active"] = [active ? "true" : "false"] }
            let name = resource.value(forAttribute: "name")
            for part in ["givenName", "familyName", "formatted"] {
                set("name.\(part)", name?.value(forAttribute: part)?.stringValue)
            }
            for multi in ["emails", "phoneNumbers"] {
                let values = (resource.value(forAttribute: multi)?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
                if !values.isEmpty { result[multi] = values }
            }
            let enterprise = resource.value(forAttribute: SCIMSchema.enterpriseUser)
            set("enterprise.department", enterprise?.value(forAttribute: "department")?.stringValue)
            set("enterprise.employeeNumber", enterprise?.value(forAttribute: "employeeNumber")?.stringValue)
            set("enterprise.manager", enterprise?.value(forAttribute: "manager")?.value(forAttribute: "value")?.stringValue)
        case .group:
            let members = (resource.value(forAttribute: "members")?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
            if !members.isEmpty { result["members"] = members }
        }
        return result
    }

    /// Whether a PATCH removes members by a value filter.
    static func removesMembersByFilter(_ operations: [SCIMPatchOperation]) -> Bool {
        operations.contains { $0.op == .remove && $0.path?.hasPrefix("members[") == true }
    }

    // MARK: Differences → PATCH

    /// The PATCH operations that turn `old` into `new`: only what changed. Members change by value, so a
    /// 10,000-member group is not rewritten to add one member — unless `replaceMembers`, for servers that
    /// refuse removal by a value filter (`members[value eq "id"]`).
    static func patchOperations(_ type: ObjectType, from old: AttributeMap, to new: AttributeMap, references: References,
                                replaceMembers: Bool = false) -> [SCIMPatchOperation] {
        var operations: [SCIMPatchOperation] = []
        let names = Set(old.keys).union(new.keys).sorted()
        for attribute in names {
            let before = old[attribute] ?? [], after = new[attribute] ?? []
            guard before != after else { continue }
            if attribute == "members" && replaceMembers {
                operations.append(SCIMPatchOperation(.replace, path: "members", value: value("members", after, references: references)))
            } else if attribute == "members" {
                let beforeSet = Set(before), afterSet = Set(after)
                let added = after.filter { !beforeSet.contains($0) }
                let removed = before.filter { !afterSet.contains($0) }
                if !added.isEmpty {
                    operations.append(SCIMPatchOperation(.add, path: "members", value: value("members", added, references: references)))
                }
                for member in removed {
                    operations.append(SCIMPatchOperation(.remove, path: "members[value eq \(scimFilterString(member))]"))
                }
            } else if after.isEmpty {
                operations.append(SCIMPatchOperation(.remove, path: path(attribute)))
            } else {
                operations.append(SCIMPatchOperation(.replace, path: path(attribute), value: value(attribute, after, references: references)))
            }
        }
        return operations
    }
}
