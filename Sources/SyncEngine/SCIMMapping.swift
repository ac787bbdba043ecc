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

    /// The target attributes idsync wrote before rules could name any SCIM path: what is read back when
    /// the caller does not say which paths its rules flow to.
    static func builtInAttributes(_ type: ObjectType) -> Set<String> {
        switch type {
        case .user:
            ["externalId", "displayName", "userName", "title", "active", "name.givenName", "name.familyName", "name.formatted",
             "emails", "phoneNumbers", "enterprise.department", "enterprise.employeeNumber", "enterprise.manager"]
        case .group: ["externalId", "displayName", "members"]
        }
    }

    /// The translation for one object type; reference attributes are written with `references` (members
    /// with `$ref`, the manager as `{"value": id}`).
    static func codec(_ type: ObjectType, references: References?, schema: SCIMSchemaCatalog?) -> SCIMResourceCodec {
        SCIMResourceCodec(resourceType: resourceType(type), catalog: schema, referencePaths: referenceAttributes(type)) { key, id in
            if key == "members", let references { return references.member(id) }
            return ["value": .string(id)]
        }
    }

    /// The resource for a POST. Without a schema catalog, `active` and `*.primary` are booleans and every
    /// other value a string; with one, values are converted by the target's attribute types.
    static func resource(_ type: ObjectType, _ attributes: AttributeMap, references: References,
                         schema: SCIMSchemaCatalog? = nil) -> JSON {
        var json = codec(type, references: references, schema: schema).resource(attributes)
        // A group's members are required by some servers even when empty.
        if type == .group, json["members"] == nil, case .object(var object) = json {
            object["members"] = []
            json = .object(object)
        }
        return json
    }

    /// The JSON value of one flat attribute, as a PATCH replacing it carries it.
    static func value(_ attribute: String, _ values: [String], references: References) -> JSON {
        codec(attribute == "members" ? .group : .user, references: references, schema: nil).value(ofKey: attribute, values)
    }

    /// The SCIM attribute path of a flat attribute, for PATCH: extensions by their URN.
    static func path(_ attribute: String) -> String {
        do {
            return try SCIMPath(parsing: attribute).patchPath
        } catch {
            // Not a path idsync's rules accept: the name as it is, as it was always sent.
            return attribute
        }
    }

    // MARK: SCIM resource → flat attributes

    /// The attributes idsync manages, read from a resource the target holds: `managed` (the canonical paths
    /// the rules flow to for the target; nil: the built-in ones). Pass the catalog `resource` was given:
    /// reading back what it wrote gives the same map.
    static func attributes(_ type: ObjectType, from resource: JSON, managed: Set<String>? = nil,
                           schema: SCIMSchemaCatalog? = nil) -> AttributeMap {
        codec(type, references: nil, schema: schema).attributes(from: resource, managed: managed ?? builtInAttributes(type))
    }

    /// Whether a PATCH removes members by a value filter.
    static func removesMembersByFilter(_ operations: [SCIMPatchOperation]) -> Bool {
        operations.contains { $0.op == .remove && $0.path?.hasPrefix("members[") == true }
    }

    // MARK: Differences → PATCH

    /// The PATCH operations that turn `old` into `new`: only what changed (see `SCIMResourceCodec`). Members
    /// change by value, so a 10,000-member group is not rewritten to add one member — unless `replaceMembers`,
    /// for servers that refuse removal by a value filter (`members[value eq "id"]`); such a server also gets
    /// whole lists for other filtered elements.
    static func patchOperations(_ type: ObjectType, from old: AttributeMap, to new: AttributeMap, references: References,
                                replaceMembers: Bool = false, schema: SCIMSchemaCatalog? = nil) -> [SCIMPatchOperation] {
        var others = (old: old, new: new)
        others.old["members"] = nil
        others.new["members"] = nil
        var operations = codec(type, references: references, schema: schema)
            .patchOperations(from: others.old, to: others.new, replaceWholeLists: replaceMembers)
        let before = old["members"] ?? [], after = new["members"] ?? []
        guard before != after else { return operations }
        if replaceMembers {
            operations.append(SCIMPatchOperation(.replace, path: "members", value: .array(after.map(references.member))))
        } else {
            let beforeSet = Set(before), afterSet = Set(after)
            let added = after.filter { !beforeSet.contains($0) }
            let removed = before.filter { !afterSet.contains($0) }
            if !added.isEmpty {
                operations.append(SCIMPatchOperation(.add, path: "members", value: .array(added.map(references.member))))
            }
            for member in removed {
                operations.append(SCIMPatchOperation(.remove, path: "members[value eq \(scimFilterString(member))]"))
            }
        }
        return operations
    }
}

extension RuleSet {
    /// The target attributes idsync manages for a target connector, per object type: the flow targets of the
    /// outbound rules in force for it, as canonical SCIM paths (the keys of a pending export's map). The
    /// export touches nothing else on the target.
    public func managedAttributes(connector: String) -> [ObjectType: Set<String>] {
        var managed: [ObjectType: Set<String>] = [:]
        for type in ObjectType.allCases {
            managed[type] = Set(outbound(type: type, connector: connector).flatMap(\.flows).map { flow in
                do {
                    return try SCIMPath(parsing: flow.target).canonical
                } catch {
                    // Refused when the rules loaded; the key is the flow's target as written, as the sync uses it.
                    return flow.target
                }
            })
        }
        return managed
    }
}
