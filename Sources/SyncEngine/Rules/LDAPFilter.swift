import Foundation

/// An RFC 4515 search filter, evaluated against an object's attributes in idsync (scoping rules), not
/// by a server. Comparisons ignore case, as directory matching rules for names do.
public indirect enum LDAPFilter: Sendable, Equatable {
    case and([LDAPFilter])
    case or([LDAPFilter])
    case not(LDAPFilter)
    case equal(String, String)
    case present(String)
    /// `attr=initial*any*final`: nil parts are absent.
    case substrings(String, initial: String?, any: [String], final: String?)
    case greaterOrEqual(String, String)
    case lessOrEqual(String, String)

    public func matches(_ attributes: [String: [String]]) -> Bool {
        func values(_ name: String) -> [String] {
            attributes.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value ?? []
        }
        switch self {
        case .and(let filters): return filters.allSatisfy { $0.matches(attributes) }
        case .or(let filters): return filters.contains { $0.matches(attributes) }
        case .not(let filter): return !filter.matches(attributes)
        case .present(let name): return !values(name).isEmpty
        case .equal(let name, let value): return values(name).contains { $0.caseInsensitiveCompare(value) == .orderedSame }
        case .substrings(let name, let initial, let any, let final):
            return values(name).contains { Self.matchSubstrings($0.lowercased(), initial?.lowercased(), any.map { $0.lowercased() }, final?.lowercased()) }
        case .greaterOrEqual(let name, let value): return values(name).contains { Self.compare($0, value) >= 0 }
        case .lessOrEqual(let name, let value): return values(name).contains { Self.compare($0, value) <= 0 }
        }
    }

    /// Every attribute the filter names (what an import must read for it).
    public var attributes: Set<String> {
        switch self {
        case .and(let filters), .or(let filters): filters.reduce(into: Set()) { $0.formUnion($1.attributes) }
        case .not(let filter): filter.attributes
        case .equal(let name, _), .present(let name), .substrings(let name, _, _, _), .greaterOrEqual(let name, _),
             .lessOrEqual(let name, _): [name]
        }
    }

    private static func matchSubstrings(_ value: String, _ initial: String?, _ any: [String], _ final: String?) -> Bool {
        var rest = Substring(value)
        if let initial {
            guard rest.hasPrefix(initial) else { return false }
            rest = rest.dropFirst(initial.count)
        }
        for part in any {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        if let final { return rest.hasSuffix(final) }
        return true
    }

    /// Numbers compare as numbers, anything else as case-folded text.
    private static func compare(_ a: String, _ b: String) -> Int {
        if let x = Int(a), let y = Int(b) { return x < y ? -1 : (x == y ? 0 : 1) }
        let (x, y) = (a.lowercased(), b.lowercased())
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    // MARK: Parsing

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let filter: String
        public let offset: Int
        public let reason: String
        public var description: String { "invalid LDAP filter \"\(filter)\" at character \(offset + 1): \(reason)" }
    }

    public static func parse(_ text: String) throws -> LDAPFilter {
        var parser = Parser(text: Array(text), source: text)
        let filter = try parser.filter()
        parser.skipSpaces()
        guard parser.position == parser.text.count else { throw parser.error("unexpected text after the filter") }
        return filter
    }

    private struct Parser {
        let text: [Character]
        let source: String
        var position = 0

        func error(_ reason: String) -> ParseError { ParseError(filter: source, offset: position, reason: reason) }

        mutating func skipSpaces() { while position < text.count, text[position] == " " { position += 1 } }

        mutating func expect(_ character: Character) throws {
            skipSpaces()
            guard position < text.count, text[position] == character else { throw error("expected \"\(character)\"") }
            position += 1
        }

        mutating func filter() throws -> LDAPFilter {
            try expect("(")
            guard position < text.count else { throw error("unexpected end") }
            let result: LDAPFilter
            switch text[position] {
            case "&": position += 1; result = .and(try list())
            case "|": position += 1; result = .or(try list())
            case "!": position += 1; result = .not(try filter())
            default: result = try item()
            }
            try expect(")")
            return result
        }

        mutating func list() throws -> [LDAPFilter] {
            var filters: [LDAPFilter] = []
            skipSpaces()
            while position < text.count, text[position] == "(" {
                filters.append(try filter())
                skipSpaces()
            }
            guard !filters.isEmpty else { throw error("expected at least one filter in the list") }
            return filters
        }

        mutating func item() throws -> LDAPFilter {
            let start = position
            while position < text.count, !"=<>~()".contains(text[position]) { position += 1 }
            let attribute = String(text[start..<position]).trimmingCharacters(in: .whitespaces)
            guard !attribute.isEmpty, attribute.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == ";" || $0 == "." }) else {
                throw error("expected an attribute name")
            }
            guard position < text.count else { throw error("expected an operator") }
            var op = String(text[position])
            position += 1
            if op != "=" {
                guard position < text.count, text[position] == "=" else { throw error("expected \(op)=") }
                position += 1
                op += "="
            }
            let valueStart = position
            while position < text.count, text[position] != ")" { position += 1 }
            let raw = String(text[valueStart..<position])
            switch op {
            case ">=": return .greaterOrEqual(attribute, try unescape(raw))
            case "<=": return .lessOrEqual(attribute, try unescape(raw))
            case "~=": return .equal(attribute, try unescape(raw))
            default:
                if raw == "*" { return .present(attribute) }
                guard raw.contains("*") else { return .equal(attribute, try unescape(raw)) }
                let parts = raw.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
                return .substrings(attribute, initial: parts.first!.isEmpty ? nil : try unescape(parts.first!),
                                   any: try parts.dropFirst().dropLast().filter { !$0.isEmpty }.map(unescape),
                                   final: parts.last!.isEmpty ? nil : try unescape(parts.last!))
            }
        }

        /// RFC 4515 value escapes: `\XX` hex bytes.
        func unescape(_ value: String) throws -> String {
            guard value.contains("\\") else { return value }
            var bytes: [UInt8] = []
            var characters = Array(value.utf8)[...]
            while let byte = characters.popFirst() {
                if byte == UInt8(ascii: "\\") {
                    guard characters.count >= 2, let hex = UInt8(String(decoding: characters.prefix(2), as: UTF8.self), radix: 16) else {
                        throw error("a backslash must be followed by two hex digits")
                    }
                    bytes.append(hex)
                    characters = characters.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
