internal import CLDAP

/// The attribute types a directory defines (RFC 4512 §4.2.1: its subschema entry's `attributeTypes`): which
/// attributes exist, under which names, and which are single-valued or binary. Names compare ignoring case,
/// as attribute names do (RFC 4512 §2.5); an attribute's OID is a name for it too.
public struct DirectorySchema: Sendable {
    /// One AttributeTypeDescription (RFC 4512 §4.1.2), with what idsync uses of it.
    public struct AttributeType: Sendable, Equatable {
        public let oid: String
        /// The NAME descriptors, the first being the usual one (`cn`, `commonName`).
        public let names: [String]
        /// SUP: the type this one inherits its syntax from when it names none (OpenLDAP's `cn` from `name`).
        public let supertype: String?
        /// The SYNTAX OID, without a length bound (`1.3.6.1.4.1.1466.115.121.1.15{256}` → `…1.15`).
        public let syntax: String?
        public let isSingleValued: Bool
    }

    public let attributeTypes: [AttributeType]
    private let index: [String: Int]

    public init(attributeTypes: [AttributeType]) {
        self.attributeTypes = attributeTypes
        var index: [String: Int] = [:]
        for (position, type) in attributeTypes.enumerated() {
            for key in [type.oid] + type.names where index[key.lowercased()] == nil { index[key.lowercased()] = position }
        }
        self.index = index
    }

    /// Parses every description; one that cannot be parsed fails the whole schema rather than leaving an
    /// attribute out (which would later read as "the directory has no such attribute").
    public init(descriptions: [String]) throws {
        self.init(attributeTypes: try descriptions.map(AttributeType.init(description:)))
    }

    /// The type of `name`, an attribute name or OID; options (`;binary`, `;range=…`) are ignored.
    public func attributeType(_ name: String) -> AttributeType? {
        let plain = name.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? name
        return index[plain.lowercased()].map { attributeTypes[$0] }
    }

    public func hasAttribute(_ name: String) -> Bool { attributeType(name) != nil }

    /// nil: the directory has no such attribute.
    public func isSingleValued(_ name: String) -> Bool? { attributeType(name)?.isSingleValued }

    /// The syntax of `name`, its own or inherited through SUP; nil when the attribute or every syntax is missing.
    public func syntax(of name: String) -> String? {
        var type = attributeType(name)
        var visited = Set<String>()
        while let current = type, visited.insert(current.oid).inserted {
            if let syntax = current.syntax { return syntax }
            type = current.supertype.flatMap(attributeType)
        }
        return nil
    }

    /// Whether `name`'s values are bytes rather than text (octet strings, photos, certificates, AD's security
    /// descriptors): such an attribute must be read raw. nil when the attribute or its syntax is unknown.
    public func isBinary(_ name: String) -> Bool? {
        syntax(of: name).map(Self.binarySyntaxes.contains)
    }

    /// Syntaxes whose values are not UTF-8 text: RFC 4517's Octet String, JPEG, Certificate, Certificate List,
    /// Certificate Pair, Fax, Audio, Binary, Supported Algorithm; Active Directory's NT-Sec-Desc. AD's own text
    /// syntaxes (DN-Binary `B:8:…:DN`, Large Integer, DN-String) are text on the wire.
    static let binarySyntaxes: Set<String> = [
        "1.3.6.1.4.1.1466.115.121.1.40", "1.3.6.1.4.1.1466.115.121.1.28", "1.3.6.1.4.1.1466.115.121.1.8",
        "1.3.6.1.4.1.1466.115.121.1.9", "1.3.6.1.4.1.1466.115.121.1.10", "1.3.6.1.4.1.1466.115.121.1.23",
        "1.3.6.1.4.1.1466.115.121.1.4", "1.3.6.1.4.1.1466.115.121.1.5", "1.3.6.1.4.1.1466.115.121.1.49",
        "1.2.840.113556.1.4.907",
    ]

    /// A description that does not follow RFC 4512's grammar.
    public struct InvalidDescription: Error, CustomStringConvertible, Sendable {
        public let text: String
        public let reason: String
        public var description: String { "attribute type description \(reason): \(text)" }
    }
}

extension DirectorySchema.AttributeType {
    /// Parses `( 2.5.4.3 NAME ( 'cn' 'commonName' ) SUP name )` or Samba's
    /// `( 1.2.840.113556.1.4.2214 NAME 'msDS-cloudExtensionAttribute1' SYNTAX '1.3.6.1.4.1.1466.115.121.1.15' SINGLE-VALUE )`
    /// (Active Directory quotes its OIDs). Keywords idsync does not use (DESC, EQUALITY, USAGE, X-…) are
    /// skipped with their values.
    public init(description text: String) throws {
        func invalid(_ reason: String) -> DirectorySchema.InvalidDescription { .init(text: text, reason: reason) }
        var tokens = try SchemaTokens(text, invalid: invalid)
        guard tokens.next() == .open else { throw invalid("does not start with '('") }
        guard case .word(let oid)? = tokens.next() else { throw invalid("has no OID") }
        var names: [String] = [], supertype: String?, syntax: String?, singleValued = false
        while let token = tokens.next() {
            switch token {
            case .close:
                guard tokens.next() == nil else { throw invalid("goes on after its closing ')'") }
                self.init(oid: oid, names: names, supertype: supertype, syntax: syntax, isSingleValued: singleValued)
                return
            case .open: throw invalid("has a '(' where a keyword belongs")
            case .word(let keyword):
                switch keyword.uppercased() {
                case "SINGLE-VALUE": singleValued = true
                case "OBSOLETE", "COLLECTIVE", "NO-USER-MODIFICATION": break
                case "NAME": names = try tokens.values(after: keyword)
                case "SUP": supertype = try tokens.values(after: keyword).first
                case "SYNTAX": syntax = try tokens.values(after: keyword).first.map { String($0.prefix { $0 != "{" }) }
                default: _ = try tokens.values(after: keyword)
                }
            }
        }
        throw invalid("has no closing ')'")
    }
}

/// The tokens of a schema description: parentheses, and words — bare (`SUP name`) or quoted (`'cn'`, with
/// RFC 4512's `\27` and `\5C` escapes undone). Quoted and bare words are alike, since servers differ in
/// which they quote.
private struct SchemaTokens {
    enum Token: Equatable { case open, close, word(String) }
    private var tokens: [Token]
    private let invalid: (String) -> DirectorySchema.InvalidDescription

    init(_ text: String, invalid: @escaping (String) -> DirectorySchema.InvalidDescription) throws {
        self.invalid = invalid
        tokens = []
        var characters = Substring(text)
        while let first = characters.first {
            switch first {
            case " ", "\t", "\n", "\r": characters.removeFirst()
            case "(": tokens.append(.open); characters.removeFirst()
            case ")": tokens.append(.close); characters.removeFirst()
            case "'":
                characters.removeFirst()
                guard let end = characters.firstIndex(of: "'") else { throw invalid("has an unterminated quote") }
                tokens.append(.word(try Self.unescaped(characters[..<end], invalid: invalid)))
                characters = characters[characters.index(after: end)...]
            default:
                let end = characters.firstIndex { " \t\n\r()'".contains($0) } ?? characters.endIndex
                tokens.append(.word(String(characters[..<end])))
                characters = characters[end...]
            }
        }
        tokens.reverse()   // next() pops from the end
    }

    mutating func next() -> Token? { tokens.popLast() }

    /// A keyword's value: one word, or a parenthesized list of them (`NAME ( 'cn' 'commonName' )`).
    mutating func values(after keyword: String) throws -> [String] {
        switch next() {
        case .word(let value)?: return [value]
        case .open?:
            var values: [String] = []
            while let token = next() {
                switch token {
                case .word(let value): values.append(value)
                case .close: return values
                case .open: throw invalid("has a nested '(' in \(keyword)")
                }
            }
            throw invalid("has an unclosed list after \(keyword)")
        case .close?, nil: throw invalid("has no value after \(keyword)")
        }
    }

    private static func unescaped(_ quoted: Substring, invalid: (String) -> DirectorySchema.InvalidDescription) throws -> String {
        guard quoted.contains("\\") else { return String(quoted) }
        var bytes: [UInt8] = []
        var rest = quoted.utf8[...]
        while let byte = rest.popFirst() {
            guard byte == UInt8(ascii: "\\") else { bytes.append(byte); continue }
            let hex = rest.prefix(2)
            guard hex.count == 2, let value = UInt8(String(decoding: hex, as: UTF8.self), radix: 16) else {
                throw invalid("has a bad escape in a quoted string")
            }
            bytes.append(value)
            rest = rest.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension LDAPConnection {
    /// The directory's schema: the root DSE names the subschema entry (Samba AD: `CN=Aggregate,CN=Schema,
    /// CN=Configuration,…`; OpenLDAP: `cn=Subschema`), whose operational `attributeTypes` must be asked for
    /// by name. A description idsync cannot parse fails the read, naming it.
    public func readSchema() async throws -> DirectorySchema {
        let operation = "schema read"
        let root = try await search(base: "", scope: .base, filter: "(objectClass=*)", attributes: ["subschemaSubentry"])
        guard let subschema = root.entries.first?.string("subschemaSubentry") else {
            throw LDAPError.local(LDAP_NO_SUCH_ATTRIBUTE, "the root DSE names no subschemaSubentry", operation: operation)
        }
        let found = try await search(base: subschema, scope: .base, filter: "(objectClass=*)", attributes: ["attributeTypes"])
        guard let entry = found.entries.first else {
            throw LDAPError.local(LDAP_NO_SUCH_OBJECT, "\(subschema) was not returned", operation: operation)
        }
        let raw = try await readingRemainingRanges(of: entry).values("attributeTypes")
        let descriptions = raw.compactMap { String(validating: $0, as: UTF8.self) }
        guard !raw.isEmpty, descriptions.count == raw.count else {
            throw LDAPError.local(LDAP_DECODING_ERROR, "\(subschema) holds \(raw.isEmpty ? "no" : "non-UTF-8") attributeTypes",
                                  operation: operation)
        }
        do {
            return try DirectorySchema(descriptions: descriptions)
        } catch let error as DirectorySchema.InvalidDescription {
            throw LDAPError.local(LDAP_DECODING_ERROR, "\(subschema): \(error.description)", operation: operation)
        }
    }
}
