/// Flat attributes (canonical path → values) to a SCIM resource and back. Reading back what `resource(_:)`
/// wrote gives the same flat attributes (for values in their canonical spelling), so "nothing changed"
/// means "nothing sent".
public struct SCIMResourceCodec: Sendable {
    public let resourceType: SCIMResourceType
    public let catalog: SCIMSchemaCatalog?
    /// The keys whose values are ids of other resources (`members`, `enterprise.manager`).
    public let referencePaths: Set<String>
    /// How one reference is written; its `value` is what is read back.
    public let reference: @Sendable (_ key: String, _ id: String) -> JSON

    public init(resourceType: SCIMResourceType, catalog: SCIMSchemaCatalog? = nil, referencePaths: Set<String> = [],
                reference: @escaping @Sendable (_ key: String, _ id: String) -> JSON = { _, id in ["value": .string(id)] }) {
        self.resourceType = resourceType; self.catalog = catalog; self.referencePaths = referencePaths; self.reference = reference
    }

    func layout(_ key: String) -> SCIMAttributeLayout {
        SCIMAttributeLayout.cached(key: key, resourceType: resourceType, catalog: catalog)
    }

    /// Without empty strings and empty lists: "no value" has one representation on both sides.
    static func cleaned(_ attributes: [String: [String]]) -> [String: [String]] {
        // Most maps are clean already: no copy then.
        if attributes.values.allSatisfy({ !$0.isEmpty && !$0.contains("") }) { return attributes }
        return attributes.compactMapValues { values in
            let kept = values.filter { !$0.isEmpty }
            return kept.isEmpty ? nil : kept
        }
    }

    // MARK: Writing

    /// The resource for a POST, with `schemas` listing the core schema and every extension written.
    public func resource(_ attributes: [String: [String]]) -> JSON {
        var document = Document()
        var groups = ElementGroups()
        for (key, values) in Self.cleaned(attributes).sorted(by: { $0.key < $1.key }) {
            let layout = layout(key)
            if layout.shape == .elements {
                groups.add(layout, values)
            } else {
                document.set(layout.path, value(layout, values))
            }
        }
        for (attribute, elements) in groups.elements(codec: self) {
            document.set(attribute, .array(elements))
        }
        return document.json(coreSchema: catalog?.coreSchema(resourceType) ?? resourceType.coreSchema)
    }

    /// The JSON a PATCH replacing one flat attribute carries (a list of elements for element-wise ones).
    public func value(ofKey key: String, _ values: [String]) -> JSON { value(layout(key), Self.cleaned([key: values])[key] ?? []) }

    func value(_ layout: SCIMAttributeLayout, _ values: [String]) -> JSON {
        let first = values.first ?? ""
        switch layout.shape {
        case .scalar, .subAttribute: return layout.json(first)
        case .list: return .array(values.map(layout.json))
        case .valueObject:
            return referencePaths.contains(layout.key) ? reference(layout.key, first) : ["value": layout.json(first)]
        case .elements:
            var groups = ElementGroups()
            groups.add(layout, values)
            return .array(groups.elements(codec: self).flatMap(\.elements))
        }
    }

    // MARK: Reading

    /// The flat attributes of `managed` (canonical paths) that a resource holds.
    public func attributes(from resource: JSON, managed: some Sequence<String>) -> [String: [String]] {
        let layouts = managed.map(layout)
        // The elements an unfiltered flow reads are those no filtered flow of the same attribute selects.
        var filters: [AttributeKey: [SCIMPath.ValueFilter]] = [:]
        for layout in layouts where layout.shape == .elements {
            if let filter = layout.path.filter { filters[AttributeKey(layout.path), default: []].append(filter) }
        }
        var result: [String: [String]] = [:]
        for layout in layouts {
            let path = layout.path
            let container = path.schema.map { resource.value(forAttribute: $0) } ?? resource
            let node = container?.value(forAttribute: path.attribute)
            let values: [String]
            switch layout.shape {
            case .scalar: values = node.map(Self.texts) ?? []
            case .list: values = node.map(Self.texts) ?? []
            case .subAttribute: values = node?.value(forAttribute: path.subAttribute ?? "").map(Self.texts) ?? []
            case .valueObject: values = (node?.objectValue != nil ? node?.value(forAttribute: "value") : node).map(Self.texts) ?? []
            case .elements:
                let others = filters[AttributeKey(path)] ?? []
                let selected = (node?.arrayValue ?? []).filter { element in
                    path.filter.map { $0.matches(element) } ?? !others.contains { $0.matches(element) }
                }
                values = selected.compactMap { $0.value(forAttribute: layout.elementSubAttribute).flatMap(SCIMAttributeLayout.text) }
            }
            let kept = values.filter { !$0.isEmpty }
            if !kept.isEmpty { result[layout.key] = kept }
        }
        return result
    }

    private static func texts(_ json: JSON) -> [String] {
        json.arrayValue?.compactMap(SCIMAttributeLayout.text) ?? SCIMAttributeLayout.text(json).map { [$0] } ?? []
    }
}

/// An attribute of a schema, compared as SCIM compares names: case-insensitively.
struct AttributeKey: Hashable {
    let schema: String?
    let attribute: String

    init(_ path: SCIMPath) {
        schema = path.schema?.lowercased()
        attribute = path.attribute.lowercased()
    }
}

/// A resource being written: the core attributes at the top, each extension's under its URN.
private struct Document {
    var core: [String: JSON] = [:]
    var extensions: [String: [String: JSON]] = [:]

    mutating func set(_ path: SCIMPath, _ value: JSON) {
        if let urn = path.schema {
            Self.set(&extensions[urn, default: [:]], path, value)
        } else {
            Self.set(&core, path, value)
        }
    }

    private static func set(_ object: inout [String: JSON], _ path: SCIMPath, _ value: JSON) {
        guard let sub = path.subAttribute, path.filter == nil else {
            object[path.attribute] = value
            return
        }
        var complex = object[path.attribute]?.objectValue ?? [:]
        complex[sub] = value
        object[path.attribute] = .object(complex)
    }

    func json(coreSchema: String) -> JSON {
        var object = core
        for (urn, attributes) in extensions { object[urn] = .object(attributes) }
        object["schemas"] = .array(([coreSchema] + extensions.keys.sorted()).map(JSON.string))
        return .object(object)
    }
}
