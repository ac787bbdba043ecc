import Synchronization

/// One attribute of a schema (RFC 7643 §7, the characteristics of §2.2).
public struct SCIMAttributeDefinition: Sendable, Equatable {
    public enum DataType: String, Sendable, CaseIterable {
        case string, boolean, decimal, integer, dateTime, binary, reference, complex
    }
    public enum Mutability: String, Sendable, CaseIterable { case readOnly, readWrite, immutable, writeOnly }
    public enum Returned: String, Sendable, CaseIterable { case always, never, `default`, request }
    public enum Uniqueness: String, Sendable, CaseIterable { case none, server, global }

    public var name: String
    public var type: DataType
    public var multiValued: Bool
    public var required: Bool
    public var caseExact: Bool
    public var mutability: Mutability
    public var returned: Returned
    public var uniqueness: Uniqueness
    /// For `reference`: the resource types (`User`, `Group`) or `external` / `uri` it may point to.
    public var referenceTypes: [String]
    public var canonicalValues: [String]
    public var subAttributes: [SCIMAttributeDefinition]

    /// RFC 7643 §2.2's defaults for whatever a server leaves out.
    public init(name: String, type: DataType = .string, multiValued: Bool = false, required: Bool = false,
                caseExact: Bool = false, mutability: Mutability = .readWrite, returned: Returned = .default,
                uniqueness: Uniqueness = .none, referenceTypes: [String] = [], canonicalValues: [String] = [],
                subAttributes: [SCIMAttributeDefinition] = []) {
        self.name = name; self.type = type; self.multiValued = multiValued; self.required = required
        self.caseExact = caseExact; self.mutability = mutability; self.returned = returned; self.uniqueness = uniqueness
        self.referenceTypes = referenceTypes; self.canonicalValues = canonicalValues; self.subAttributes = subAttributes
    }

    /// Attribute names are case-insensitive (RFC 7643 §2.1).
    public func subAttribute(_ name: String) -> SCIMAttributeDefinition? {
        subAttributes.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }
}

/// A schema the service provider serves at /Schemas.
public struct SCIMSchemaDefinition: Sendable, Equatable {
    public var id: String
    public var name: String?
    public var attributes: [SCIMAttributeDefinition]

    public init(id: String, name: String? = nil, attributes: [SCIMAttributeDefinition]) {
        self.id = id; self.name = name; self.attributes = attributes
    }

    public func attribute(_ name: String) -> SCIMAttributeDefinition? {
        attributes.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }
}

/// A resource type the service provider serves at /ResourceTypes (RFC 7643 §6).
public struct SCIMResourceTypeDefinition: Sendable, Equatable {
    public struct Extension: Sendable, Equatable {
        public var schema: String
        public var required: Bool
        public init(schema: String, required: Bool) { self.schema = schema; self.required = required }
    }
    public var id: String?
    public var name: String
    /// Relative to the base URL: `/Users`.
    public var endpoint: String
    /// The core schema's URN.
    public var schema: String
    public var schemaExtensions: [Extension]

    public init(id: String? = nil, name: String, endpoint: String, schema: String, schemaExtensions: [Extension] = []) {
        self.id = id; self.name = name; self.endpoint = endpoint; self.schema = schema; self.schemaExtensions = schemaExtensions
    }

    public func extensionEntry(_ urn: String) -> Extension? {
        schemaExtensions.first { $0.schema.caseInsensitiveCompare(urn) == .orderedSame }
    }
}

/// What a service provider says about its schemas and resource types, and the lookups idsync needs: the
/// definition a flow's target path names, and what is wrong with a flow to it (`problem(for:resourceType:)`).
public struct SCIMSchemaCatalog: Sendable, Equatable {
    /// Tells catalogs apart for the layout cache; copies share it, as a catalog never changes.
    let identity: Int
    private static let identities = Atomic<Int>(0)

    public let schemas: [SCIMSchemaDefinition]
    /// Empty when the target does not serve /ResourceTypes: the core schemas are then taken to be RFC 7643's,
    /// and which extensions a type lists is not checked.
    public let resourceTypes: [SCIMResourceTypeDefinition]

    public init(schemas: [SCIMSchemaDefinition], resourceTypes: [SCIMResourceTypeDefinition]) {
        self.schemas = schemas; self.resourceTypes = resourceTypes
        identity = Self.identities.wrappingAdd(1, ordering: .relaxed).newValue
    }

    public static func == (a: SCIMSchemaCatalog, b: SCIMSchemaCatalog) -> Bool {
        a.schemas == b.schemas && a.resourceTypes == b.resourceTypes
    }

    public func schema(_ id: String) -> SCIMSchemaDefinition? {
        schemas.first { $0.id.caseInsensitiveCompare(id) == .orderedSame }
    }

    /// The resource type served at the endpoint idsync writes (`/Users`), else the one of that name (`User`).
    public func resourceType(_ type: SCIMResourceType) -> SCIMResourceTypeDefinition? {
        let singular = String(type.rawValue.dropLast())
        return resourceTypes.first { $0.endpoint.trimmingPrefix("/").caseInsensitiveCompare(type.rawValue) == .orderedSame }
            ?? resourceTypes.first { $0.name.caseInsensitiveCompare(singular) == .orderedSame }
    }

    /// The URN of the type's core schema.
    public func coreSchema(_ type: SCIMResourceType) -> String { resourceType(type)?.schema ?? type.coreSchema }

    /// The definition of the path's attribute (not of its sub-attribute): from the core schema of the type when
    /// the path names none; id, externalId and meta also when a schema leaves them out (RFC 7643 §3.1).
    public func attribute(_ path: SCIMPath, in type: SCIMResourceType) -> SCIMAttributeDefinition? {
        let schemaID = path.schema ?? coreSchema(type)
        if let found = schema(schemaID)?.attribute(path.attribute) { return found }
        return path.schema == nil ? Self.commonAttributes.first { $0.name.caseInsensitiveCompare(path.attribute) == .orderedSame } : nil
    }

    /// The definition of what the values are written to: the sub-attribute when the path names one, `value`
    /// for a complex attribute written by its shorthand (`emails`, `manager`), else the attribute.
    public func valueDefinition(_ path: SCIMPath, in type: SCIMResourceType) -> SCIMAttributeDefinition? {
        guard let attribute = attribute(path, in: type) else { return nil }
        if let sub = path.subAttribute { return attribute.subAttribute(sub) }
        if attribute.type == .complex { return attribute.subAttribute("value") }
        return attribute
    }

    static let commonAttributes: [SCIMAttributeDefinition] = [
        SCIMAttributeDefinition(name: "id", caseExact: true, mutability: .readOnly, returned: .always, uniqueness: .server),
        SCIMAttributeDefinition(name: "externalId", caseExact: true),
        SCIMAttributeDefinition(name: "meta", type: .complex, mutability: .readOnly, subAttributes: [
            SCIMAttributeDefinition(name: "resourceType", caseExact: true, mutability: .readOnly),
            SCIMAttributeDefinition(name: "created", type: .dateTime, mutability: .readOnly),
            SCIMAttributeDefinition(name: "lastModified", type: .dateTime, mutability: .readOnly),
            SCIMAttributeDefinition(name: "location", type: .reference, caseExact: true, mutability: .readOnly, referenceTypes: ["uri"]),
            SCIMAttributeDefinition(name: "version", caseExact: true, mutability: .readOnly),
        ]),
    ]
}
