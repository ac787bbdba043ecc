import Foundation

/// Reads one `SCIMPath`: the grammar first (RFC 7644 §3.10 and the PATCH path of §3.5.2, with filters
/// limited to one `eq`), then what RFC 7643 says about the attributes it defines.
struct SCIMPathParser {
    private let text: String
    private var rest: Substring

    init(_ text: String) {
        self.text = text
        rest = Substring(text.trimmingCharacters(in: .whitespaces))
    }

    mutating func parse() throws(SCIMPathError) -> SCIMPath {
        guard !rest.isEmpty else { throw failure("the path is empty") }
        var path = SCIMPath(schema: try schema(), attribute: try name("an attribute name"))
        if rest.first == "[" { path.filter = try filter() }
        if rest.first == "." {
            rest.removeFirst()
            path.subAttribute = try name("a sub-attribute name after \".\"")
        }
        if rest.first == "." { throw failure("complex attributes do not nest (RFC 7643 §2.3.8): one sub-attribute at most") }
        if rest.first == "[" {
            throw failure("the filter selects elements of the attribute and comes before the sub-attribute, e.g. emails[type eq \"work\"].value")
        }
        guard rest.isEmpty else { throw failure("unexpected \"\(rest)\"") }
        return try checked(path)
    }

    // MARK: Grammar

    /// `enterprise.` (idsync's short form) or a URN up to the last ":" before any filter; nil for the core schema.
    private mutating func schema() throws(SCIMPathError) -> String? {
        if rest.lowercased().hasPrefix("enterprise.") {
            rest = rest.dropFirst("enterprise.".count)
            return SCIMSchema.enterpriseUser
        }
        guard rest.lowercased().hasPrefix("urn:") else { return nil }
        let head = rest.prefix { $0 != "[" }
        let knownSchemas = SCIMResourceType.allCases.map(\.coreSchema) + [SCIMSchema.enterpriseUser]
        if let urn = knownSchemas.first(where: { head.caseInsensitiveCompare($0) == .orderedSame }) {
            throw failure("names the schema \(urn), not one of its attributes: add \":attribute\"")
        }
        guard let colon = head.lastIndex(of: ":") else { return nil }
        let urn = String(rest[..<colon])
        rest = rest[rest.index(after: colon)...]
        if rest.isEmpty { throw failure("names the schema \(urn), not one of its attributes: add \":attribute\"") }
        let segments = urn.split(separator: ":", omittingEmptySubsequences: false)
        if segments.count < 3 || segments.contains(where: \.isEmpty)
            || urn.contains(where: { $0.isWhitespace || "\"[]".contains($0) }) {
            throw failure("\(urn) is not a schema URN")
        }
        for core in SCIMResourceType.allCases.map(\.coreSchema) where urn.caseInsensitiveCompare(core) == .orderedSame {
            return nil
        }
        if urn.caseInsensitiveCompare(SCIMSchema.enterpriseUser) == .orderedSame { return SCIMSchema.enterpriseUser }
        return urn
    }

    /// ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_"), and `$ref`.
    private mutating func name(_ expected: String) throws(SCIMPathError) -> String {
        guard let first = rest.first, first.isASCII, first.isLetter || first == "$" else {
            throw failure("expected \(expected)" + (rest.isEmpty ? " at the end" : " at \"\(rest)\""))
        }
        let name = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "$") }
        rest = rest.dropFirst(name.count)
        return String(name)
    }

    /// `[sub eq "literal"]`, `[sub eq true]`.
    private mutating func filter() throws(SCIMPathError) -> SCIMPath.ValueFilter {
        rest.removeFirst()
        skipSpaces()
        let attribute = try name("the filter's sub-attribute")
        skipSpaces()
        let op = rest.prefix { $0.isLetter }
        rest = rest.dropFirst(op.count)
        guard op.lowercased() == "eq" else {
            throw failure(op.isEmpty ? "expected \"eq\" after \(attribute) in the filter"
                          : "only \"eq\" filters name elements idsync can write, not \"\(op)\"")
        }
        skipSpaces()
        let value = try literal()
        skipSpaces()
        guard rest.first == "]" else {
            throw failure(rest.isEmpty ? "the filter has no closing \"]\"" : "the filter compares one sub-attribute only, found \"\(rest)\"")
        }
        rest.removeFirst()
        return SCIMPath.ValueFilter(attribute: attribute, value: value)
    }

    private mutating func literal() throws(SCIMPathError) -> JSON {
        if rest.first == "\"" {
            var index = rest.index(after: rest.startIndex)
            var escaped = false
            while index < rest.endIndex {
                let character = rest[index]
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { break }
                index = rest.index(after: index)
            }
            guard index < rest.endIndex else { throw failure("the filter's string has no closing quote") }
            let quoted = rest[...index]
            rest = rest[rest.index(after: index)...]
            // JSON string syntax (RFC 7644 §3.4.2.2); decoded inside an array, as a bare string is a fragment.
            guard let decoded = try? JSON.decode(Data("[\(quoted)]".utf8)), let string = decoded.arrayValue?.first?.stringValue else {
                throw failure("the filter's string \(quoted) is not a valid JSON string")
            }
            return .string(string)
        }
        let word = rest.prefix { $0.isLetter }
        switch word.lowercased() {
        case "true": rest = rest.dropFirst(word.count); return .bool(true)
        case "false": rest = rest.dropFirst(word.count); return .bool(false)
        default: throw failure("the filter compares with a string in double quotes, true or false")
        }
    }

    private mutating func skipSpaces() { rest = rest.drop { $0 == " " } }

    // MARK: RFC 7643

    /// RFC 7643's spelling for the names it defines, its shorthands, and the paths no flow can write.
    private func checked(_ parsed: SCIMPath) throws(SCIMPathError) -> SCIMPath {
        var path = parsed
        let known = KnownAttributes.attribute(path.attribute, schema: path.schema)
        if let known {
            path.attribute = known.name
            path.subAttribute = path.subAttribute.map { known.subAttribute($0) ?? $0 }
            if let filter = path.filter { path.filter?.attribute = known.subAttribute(filter.attribute) ?? filter.attribute }
        }
        if path.schema == nil, ["id", "meta", "schemas"].contains(path.attribute) {
            throw failure("\(path.attribute) is set by the service provider, not by a flow")
        }
        if let filter = path.filter {
            if let known, !known.multiValued { throw failure("\(known.name) is single-valued: it has no elements to select") }
            guard let sub = path.subAttribute else {
                throw failure("name the sub-attribute the values go to, e.g. \(path.attribute)\(filter.text).value")
            }
            if sub.caseInsensitiveCompare(filter.attribute) == .orderedSame {
                throw failure("the filter sets \(sub) already; flow to another sub-attribute")
            }
        }
        if let known, known.isComplex, path.filter == nil {
            if path.subAttribute == "value" {
                // `emails.value` is every element's value: the shorthand `emails`; `manager.value` is `manager`.
                path.subAttribute = nil
            } else if path.subAttribute == nil, known.subAttribute("value") == nil {
                throw failure("\(known.name) is complex: name one of its sub-attributes ("
                              + known.subAttributes.map { "\(known.name).\($0)" }.joined(separator: ", ") + ")")
            }
        }
        return path
    }

    private func failure(_ reason: String) -> SCIMPathError { SCIMPathError(path: text, reason: reason) }
}
