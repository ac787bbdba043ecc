/// What is wrong with a flow to a target attribute, by the target's /Schemas and /ResourceTypes. The rule
/// loader names the rule and the target around it; `description` names the attribute.
public struct SchemaProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The target serves no resource type at the endpoint idsync writes.
        case noResourceType
        /// The target serves no schema of this URN.
        case unknownSchema(String)
        /// The schema is served but is not an extension of the resource type.
        case extensionNotListed(String)
        case unknownAttribute
        case unknownSubAttribute(String)
        /// A filter selects elements of a single-valued attribute.
        case singleValued
        /// A complex attribute without `value`, named without one of its sub-attributes.
        case complexWithoutSubAttribute
        case readOnly
        /// A reference flows to an attribute that holds no id, or a plain value to one that holds an id.
        case referenceMismatch(String)
        /// A required attribute (or extension) no flow writes: creating objects fails.
        case requiredNotFlowed
        /// Note: written at creation, refused afterwards.
        case immutable
        /// Note: the target never returns it, so a read-back cannot tell whether it changed.
        case neverReturned
    }

    /// The canonical path of the flow's target (the extension's URN for a required extension).
    public let path: String
    public let resourceType: SCIMResourceType
    public let kind: Kind

    public init(path: String, resourceType: SCIMResourceType, kind: Kind) {
        self.path = path; self.resourceType = resourceType; self.kind = kind
    }

    /// Errors stop `rules check` and the export; the others are notes.
    public var isError: Bool { kind != .immutable && kind != .neverReturned }

    public var description: String {
        let type = resourceType.rawValue
        return switch kind {
        case .noResourceType: "the target serves no resource type at /\(type)"
        case .unknownSchema(let urn): "\(path): the target serves no schema \(urn)"
        case .extensionNotListed(let urn): "\(path): the schema \(urn) is not an extension of the target's \(type)"
        case .unknownAttribute: "\(path): the target's \(type) has no such attribute"
        case .unknownSubAttribute(let sub): "\(path): the target's \(type) attribute has no sub-attribute \(sub)"
        case .singleValued: "\(path): the attribute is single-valued in the target: a filter selects nothing"
        case .complexWithoutSubAttribute: "\(path): the attribute is complex in the target: name one of its sub-attributes"
        case .readOnly: "\(path): the attribute is readOnly in the target: the service provider sets it"
        case .referenceMismatch(let reason): "\(path): \(reason)"
        case .requiredNotFlowed: "\(path): the target's \(type) requires it, and no rule flows to it"
        case .immutable: "\(path): the attribute is immutable in the target: written at creation, refused in updates"
        case .neverReturned: "\(path): the target never returns the attribute, so idsync cannot compare it with what the target holds"
        }
    }
}

extension SCIMSchemaCatalog {
    /// The first problem with a flow to `path`, errors before notes; nil when the target takes it as it is.
    /// `holdsReferences`: the flow carries references (written as `{"value": id}`), like `members`.
    public func problem(for path: SCIMPath, resourceType type: SCIMResourceType, holdsReferences: Bool = false) -> SchemaProblem? {
        problems(for: path, resourceType: type, holdsReferences: holdsReferences).first
    }

    /// Every problem with a flow to `path`: at most one error, then the notes.
    public func problems(for path: SCIMPath, resourceType type: SCIMResourceType, holdsReferences: Bool = false) -> [SchemaProblem] {
        func problem(_ kind: SchemaProblem.Kind) -> SchemaProblem { SchemaProblem(path: path.canonical, resourceType: type, kind: kind) }
        if let error = error(for: path, type, holdsReferences: holdsReferences) { return [problem(error)] }
        guard let attribute = attribute(path, in: type), let target = valueDefinition(path, in: type) else { return [] }
        var notes: [SchemaProblem] = []
        // An immutable sub-attribute of elements (members.value, RFC 7643 §8.7.1) fixes one element, not the
        // list: idsync replaces such elements whole.
        if attribute.mutability == .immutable || (target.mutability == .immutable && !attribute.multiValued) {
            notes.append(problem(.immutable))
        }
        if target.returned == .never || target.mutability == .writeOnly { notes.append(problem(.neverReturned)) }
        return notes
    }

    /// Required attributes of the type's core schema, and required extensions, that none of `paths` writes.
    public func missingRequired(_ paths: [SCIMPath], resourceType type: SCIMResourceType) -> [SchemaProblem] {
        let core = coreSchema(type)
        var missing = (schema(core)?.attributes ?? []).filter { $0.required && $0.mutability != .readOnly }
            .filter { required in !paths.contains { $0.schema == nil && $0.attribute.caseInsensitiveCompare(required.name) == .orderedSame } }
            .map { SchemaProblem(path: $0.name, resourceType: type, kind: .requiredNotFlowed) }
        for entry in resourceType(type)?.schemaExtensions ?? [] where entry.required {
            if !paths.contains(where: { $0.schema?.caseInsensitiveCompare(entry.schema) == .orderedSame }) {
                missing.append(SchemaProblem(path: entry.schema, resourceType: type, kind: .requiredNotFlowed))
            }
        }
        return missing
    }

    private func error(for path: SCIMPath, _ type: SCIMResourceType, holdsReferences: Bool) -> SchemaProblem.Kind? {
        if !resourceTypes.isEmpty, resourceType(type) == nil { return .noResourceType }
        let schemaID = path.schema ?? coreSchema(type)
        guard schema(schemaID) != nil else { return .unknownSchema(schemaID) }
        if let urn = path.schema, let listed = resourceType(type), listed.schema.caseInsensitiveCompare(urn) != .orderedSame,
           listed.extensionEntry(urn) == nil {
            return .extensionNotListed(urn)
        }
        guard let attribute = attribute(path, in: type) else { return .unknownAttribute }
        if let filter = path.filter {
            guard attribute.multiValued else { return .singleValued }
            guard attribute.subAttribute(filter.attribute) != nil else { return .unknownSubAttribute(filter.attribute) }
        }
        if let sub = path.subAttribute {
            guard attribute.subAttribute(sub) != nil else { return .unknownSubAttribute(sub) }
        } else if attribute.type == .complex, attribute.subAttribute("value") == nil {
            return .complexWithoutSubAttribute
        }
        guard let target = valueDefinition(path, in: type) else { return .unknownSubAttribute(path.subAttribute ?? "value") }
        if attribute.mutability == .readOnly || target.mutability == .readOnly { return .readOnly }
        return referenceMismatch(attribute, target, path, holdsReferences: holdsReferences)
    }

    /// References are written as `{"value": id}` (RFC 7643 §4.1.2 `groups`, §4.2 `members`, §4.3 `manager`);
    /// a complex attribute whose `$ref` points to resource types holds ids, and only references fit it.
    private func referenceMismatch(_ attribute: SCIMAttributeDefinition, _ target: SCIMAttributeDefinition, _ path: SCIMPath,
                                   holdsReferences: Bool) -> SchemaProblem.Kind? {
        let resourceNames = Set((resourceTypes.isEmpty ? ["User", "Group"] : resourceTypes.map(\.name)).map { $0.lowercased() })
        func pointsToResources(_ definition: SCIMAttributeDefinition?) -> Bool {
            guard let definition, definition.type == .reference, !definition.referenceTypes.isEmpty else { return false }
            return definition.referenceTypes.allSatisfy { resourceNames.contains($0.lowercased()) }
        }
        let writesValue = path.subAttribute == nil || path.subAttribute?.lowercased() == "value"
        let holdsIDs = attribute.type == .complex && writesValue && pointsToResources(attribute.subAttribute("$ref"))
        if holdsReferences {
            guard attribute.type == .complex, writesValue, attribute.subAttribute("value") != nil else {
                return .referenceMismatch("a reference flows here, but the target's attribute is a \(target.type.rawValue), not a complex attribute with value")
            }
            return nil
        }
        if holdsIDs || pointsToResources(target) {
            return .referenceMismatch("the target's attribute holds the id of another resource: flow a reference (ref(…)) to it")
        }
        return nil
    }
}
