import Synchronization

/// How the values of one flat attribute (a canonical path and its values) sit in a resource, decided by the
/// target's schema when there is a catalog and by RFC 7643 otherwise.
struct SCIMAttributeLayout: Sendable {
    enum Shape: Sendable {
        /// `"userName": "alice"`
        case scalar
        /// A multi-valued simple attribute: `"tags": ["a", "b"]`.
        case list
        /// A sub-attribute of a single-valued complex attribute: `"name": {"givenName": "Alice"}`.
        case subAttribute
        /// A single-valued complex attribute written by its `value` (`"manager": {"value": "id"}`).
        case valueObject
        /// One sub-attribute of the elements of a multi-valued complex attribute that the path's filter
        /// selects (all elements no other flow's filter selects, without a filter): one element per value.
        case elements
    }

    let key: String
    let path: SCIMPath
    let shape: Shape
    let valueType: SCIMAttributeDefinition.DataType

    /// The sub-attribute an element's value goes to: `value` for the shorthand `emails`.
    var elementSubAttribute: String { path.subAttribute ?? "value" }

    /// A key that is not a path (a stored attribute from before paths were checked) is written as it is,
    /// at the top level, as idsync always did.
    init(key: String, resourceType: SCIMResourceType, catalog: SCIMSchemaCatalog?) {
        self.key = key
        let path = Self.parse(key)
        self.path = path
        let defined = catalog?.attribute(path, in: resourceType)
        let known = KnownAttributes.attribute(path.attribute, schema: path.schema)
        let multiValued = defined?.multiValued ?? known?.multiValued ?? (path.filter != nil)
        let complex = defined.map { $0.type == .complex } ?? known?.isComplex ?? (path.subAttribute != nil || path.filter != nil)
        shape = if path.filter != nil || (multiValued && complex) { .elements }
            else if multiValued { .list }
            else if path.subAttribute != nil { .subAttribute }
            else if complex { .valueObject }
            else { .scalar }
        if let catalog {
            let target = catalog.valueDefinition(path, in: resourceType)?.type ?? .string
            valueType = target == .complex ? .string : target
        } else {
            let sub = shape == .elements ? "value" : nil
            let isPrimary = (path.subAttribute ?? sub)?.lowercased() == "primary"
            let isActive = path.schema == nil && path.attribute == "active" && path.subAttribute == nil
            valueType = isPrimary || isActive ? .boolean : .string
        }
    }

    private static func parse(_ key: String) -> SCIMPath {
        if key.utf8.allSatisfy({ $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: ":") }) {
            return SCIMPath(attribute: key)
        }
        do {
            return try SCIMPath(parsing: key)
        } catch {
            return SCIMPath(attribute: key)
        }
    }

    private struct CacheKey: Hashable {
        let key: String
        let resourceType: SCIMResourceType
        let catalog: Int?
    }

    /// Keys come from a few rules but are met for every attribute of every object: each layout is worked out
    /// once per catalog.
    private static let cache = Mutex<[CacheKey: SCIMAttributeLayout]>([:])

    static func cached(key: String, resourceType: SCIMResourceType, catalog: SCIMSchemaCatalog?) -> SCIMAttributeLayout {
        let cacheKey = CacheKey(key: key, resourceType: resourceType, catalog: catalog?.identity)
        if let known = cache.withLock({ $0[cacheKey] }) { return known }
        let layout = SCIMAttributeLayout(key: key, resourceType: resourceType, catalog: catalog)
        cache.withLock { cache in
            // Bounded, should keys ever come from data rather than rules, or catalogs be read again and again.
            if cache.count >= 20_000 { cache.removeAll() }
            cache[cacheKey] = layout
        }
        return layout
    }

    // MARK: Values

    /// The JSON of one value by the attribute's type. A value that does not read as its type is sent as the
    /// string it is, for the target to refuse with a message naming the attribute — never as a guess
    /// (`active: "yes"` is not sent as false).
    func json(_ text: String) -> JSON {
        switch valueType {
        case .boolean:
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .string(text)
            }
        case .integer:
            // A JSON number holds integers exactly up to 2^53 only.
            if let integer = Int64(text), abs(integer) <= 1 << 53 { return .number(Double(integer)) }
            return .string(text)
        case .decimal:
            if let number = Double(text), number.isFinite { return .number(number) }
            return .string(text)
        default:
            return .string(text)
        }
    }

    /// A value read back as text: the inverse of `json(_:)` for values in their canonical spelling.
    static func text(_ json: JSON) -> String? {
        switch json {
        case .string(let string): string
        case .bool(let bool): bool ? "true" : "false"
        case .number(let number): Int64(exactly: number).map(String.init) ?? String(number)
        case .null, .array, .object: nil
        }
    }
}
