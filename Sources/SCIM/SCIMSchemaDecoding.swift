/// Why a /Schemas or /ResourceTypes answer could not be read, naming the schema and attribute at fault.
public struct SCIMSchemaDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

extension SCIMSchemaCatalog {
    /// Reads the answers of GET /Schemas and GET /ResourceTypes (RFC 7643 §7 and §6): each a ListResponse
    /// (RFC 7644 §4) or a bare array, as servers send either. `resourceTypes` nil: the target has none.
    public static func decode(schemas: JSON, resourceTypes: JSON?) throws(SCIMSchemaDecodingError) -> SCIMSchemaCatalog {
        SCIMSchemaCatalog(schemas: try resources(schemas, "/Schemas").map(schema),
                          resourceTypes: try resourceTypes.map { json throws(SCIMSchemaDecodingError) in
                              try resources(json, "/ResourceTypes").map(resourceType)
                          } ?? [])
    }

    private static func resources(_ json: JSON, _ endpoint: String) throws(SCIMSchemaDecodingError) -> [JSON] {
        if let list = json.arrayValue { return list }
        if let list = json.value(forAttribute: "Resources")?.arrayValue { return list }
        // An empty ListResponse may leave Resources out (RFC 7644 §3.4.2).
        if json.value(forAttribute: "totalResults")?.intValue == 0 { return [] }
        throw SCIMSchemaDecodingError(reason: "\(endpoint): neither a ListResponse nor a list")
    }

    private static func schema(_ json: JSON) throws(SCIMSchemaDecodingError) -> SCIMSchemaDefinition {
        guard let id = json.value(forAttribute: "id")?.stringValue, !id.isEmpty else {
            throw SCIMSchemaDecodingError(reason: "/Schemas: a schema has no id")
        }
        let attributes = try list(json, "attributes", in: "schema \(id)").map { json throws(SCIMSchemaDecodingError) in
            try attribute(json, in: "schema \(id)")
        }
        return SCIMSchemaDefinition(id: id, name: json.value(forAttribute: "name")?.stringValue, attributes: attributes)
    }

    private static func attribute(_ json: JSON, in context: String) throws(SCIMSchemaDecodingError) -> SCIMAttributeDefinition {
        guard let name = json.value(forAttribute: "name")?.stringValue, !name.isEmpty else {
            throw SCIMSchemaDecodingError(reason: "\(context): an attribute has no name")
        }
        let here = "\(context), attribute \(name)"
        var definition = SCIMAttributeDefinition(name: name)
        definition.type = try enumeration(json, "type", in: here) ?? .string
        definition.multiValued = try flag(json, "multiValued", in: here) ?? false
        definition.required = try flag(json, "required", in: here) ?? false
        definition.caseExact = try flag(json, "caseExact", in: here) ?? false
        definition.mutability = try enumeration(json, "mutability", in: here) ?? .readWrite
        definition.returned = try enumeration(json, "returned", in: here) ?? .default
        definition.uniqueness = try enumeration(json, "uniqueness", in: here) ?? .none
        definition.referenceTypes = try strings(json, "referenceTypes", in: here)
        definition.canonicalValues = try strings(json, "canonicalValues", in: here)
        definition.subAttributes = try list(json, "subAttributes", in: here).map { json throws(SCIMSchemaDecodingError) in
            try attribute(json, in: here)
        }
        return definition
    }

    private static func resourceType(_ json: JSON) throws(SCIMSchemaDecodingError) -> SCIMResourceTypeDefinition {
        guard let name = json.value(forAttribute: "name")?.stringValue ?? json.value(forAttribute: "id")?.stringValue else {
            throw SCIMSchemaDecodingError(reason: "/ResourceTypes: a resource type has no name")
        }
        let here = "resource type \(name)"
        guard let endpoint = json.value(forAttribute: "endpoint")?.stringValue, let schema = json.value(forAttribute: "schema")?.stringValue else {
            throw SCIMSchemaDecodingError(reason: "\(here): endpoint and schema are required (RFC 7643 §6)")
        }
        let extensions = try list(json, "schemaExtensions", in: here).map { json throws(SCIMSchemaDecodingError) in
            guard let urn = json.value(forAttribute: "schema")?.stringValue else {
                throw SCIMSchemaDecodingError(reason: "\(here): a schema extension has no schema")
            }
            return SCIMResourceTypeDefinition.Extension(schema: urn, required: try flag(json, "required", in: "\(here), extension \(urn)") ?? false)
        }
        return SCIMResourceTypeDefinition(id: json.value(forAttribute: "id")?.stringValue, name: name, endpoint: endpoint,
                                          schema: schema, schemaExtensions: extensions)
    }

    // MARK: Fields

    private static func list(_ json: JSON, _ key: String, in context: String) throws(SCIMSchemaDecodingError) -> [JSON] {
        switch json.value(forAttribute: key) {
        case nil, .null?: return []
        case .array(let items)?: return items
        default: throw SCIMSchemaDecodingError(reason: "\(context): \(key) is not a list")
        }
    }

    private static func flag(_ json: JSON, _ key: String, in context: String) throws(SCIMSchemaDecodingError) -> Bool? {
        switch json.value(forAttribute: key) {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw SCIMSchemaDecodingError(reason: "\(context): \(key) is not a boolean")
        }
    }

    private static func strings(_ json: JSON, _ key: String, in context: String) throws(SCIMSchemaDecodingError) -> [String] {
        try list(json, key, in: context).map { item throws(SCIMSchemaDecodingError) in
            guard let string = item.stringValue else { throw SCIMSchemaDecodingError(reason: "\(context): \(key) holds a non-string") }
            return string
        }
    }

    /// One of RFC 7643's keywords, matched case-insensitively (servers write `readwrite` too).
    private static func enumeration<Value: RawRepresentable & CaseIterable>(_ json: JSON, _ key: String, in context: String)
        throws(SCIMSchemaDecodingError) -> Value? where Value.RawValue == String {
        switch json.value(forAttribute: key) {
        case nil, .null?: return nil
        case .string(let text)?:
            if let value = Value.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(text) == .orderedSame }) { return value }
            throw SCIMSchemaDecodingError(reason: "\(context): unknown \(key) \"\(text)\"")
        default: throw SCIMSchemaDecodingError(reason: "\(context): \(key) is not a string")
        }
    }
}
