/// An attribute path (RFC 7644 §3.10, the PATCH `path` grammar of §3.5.2) as idsync's outbound rules name a
/// target attribute: an optional schema URN, an attribute, an optional value filter selecting elements of a
/// multi-valued attribute, an optional sub-attribute — `name.givenName`, `emails[type eq "work"].value`,
/// `urn:ietf:params:scim:schemas:extension:contoso:2.0:User:cloudAttribute1`.
///
/// The canonical text is the key of the flat target attribute map: `enterprise.<attr>` for the enterprise
/// User extension (what existing installations store), the full URN for every other extension, no URN for
/// the core schemas, RFC 7643's spelling of the names it defines.
public struct SCIMPath: Sendable, Hashable, CustomStringConvertible {
    /// The extension schema's URN; nil for the resource type's core schema.
    public var schema: String?
    public var attribute: String
    /// Selects the elements of a multi-valued attribute that the values go to (and that idsync writes).
    public var filter: ValueFilter?
    public var subAttribute: String?

    /// `sub eq literal`: the one filter form that names elements idsync can also write (each element it
    /// creates carries the compared sub-attribute with the literal).
    public struct ValueFilter: Sendable, Hashable {
        public var attribute: String
        /// A string or a boolean.
        public var value: JSON

        public init(attribute: String, value: JSON) { self.attribute = attribute; self.value = value }

        /// Whether an element is selected; strings compare case-insensitively (`type` is caseExact false).
        public func matches(_ element: JSON) -> Bool {
            guard let actual = element.value(forAttribute: attribute) else { return false }
            switch (actual, value) {
            case (.string(let a), .string(let b)): return a.caseInsensitiveCompare(b) == .orderedSame
            default: return actual == value
            }
        }

        var text: String {
            let literal = switch value {
            case .string(let string): scimFilterString(string)
            case .bool(let bool): bool ? "true" : "false"
            default: "null"
            }
            return "[\(attribute) eq \(literal)]"
        }
    }

    public init(schema: String? = nil, attribute: String, filter: ValueFilter? = nil, subAttribute: String? = nil) {
        self.schema = schema; self.attribute = attribute; self.filter = filter; self.subAttribute = subAttribute
    }

    /// Parses and canonicalizes a path; throws `SCIMPathError` with the reason a path is malformed.
    public init(parsing text: String) throws(SCIMPathError) {
        var parser = SCIMPathParser(text)
        self = try parser.parse()
    }

    /// The canonical key of a path, as the rule loader stores each outbound flow's target.
    public static func canonical(_ text: String) throws(SCIMPathError) -> String {
        try SCIMPath(parsing: text).canonical
    }

    public var isEnterprise: Bool { schema == SCIMSchema.enterpriseUser }

    /// The canonical text (the flat attribute map's key).
    public var canonical: String {
        let prefix = switch schema {
        case nil: ""
        case SCIMSchema.enterpriseUser?: "enterprise."
        case let urn?: urn + ":"
        }
        return prefix + attribute + (filter?.text ?? "") + (subAttribute.map { "." + $0 } ?? "")
    }

    /// The path as a PATCH operation names it: extensions by their full URN (RFC 7644 §3.5.2).
    public var patchPath: String { attributePatchPath + (filter?.text ?? "") + (subAttribute.map { "." + $0 } ?? "") }

    /// The whole attribute (no filter, no sub-attribute), as a PATCH names it.
    public var attributePatchPath: String { (schema.map { $0 + ":" } ?? "") + attribute }

    /// The selected elements themselves (`emails[type eq "work"]`), as a PATCH names them.
    public var elementsPatchPath: String { attributePatchPath + (filter?.text ?? "") }

    /// The same attribute without sub-attribute or filter.
    public var wholeAttribute: SCIMPath { SCIMPath(schema: schema, attribute: attribute) }

    public var description: String { canonical }
}

/// Why a path is malformed; `path` is the text as written.
public struct SCIMPathError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "invalid SCIM attribute path \"\(path)\": \(reason)" }
}
