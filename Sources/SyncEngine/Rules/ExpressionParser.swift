import Foundation

/// Reads the expressions of a rules file — idsync's own and Entra provisioning's, one language:
///
///     displayName  [displayName]                    an attribute's values
///     'Engineering'  "x"  42  &HF7                  constants (a number is a constant; &H is hexadecimal)
///     coalesce(displayName, concat(givenName, ' ', sn))
///     lower(mail)  upper(x)  split(proxyAddresses, ';')  join(member, ',')
///     bit_clear(userAccountControl, 2)  bit_set(userAccountControl, 2)
///     ref(manager)                                  a DN → the metaverse object it names
///     base64(objectSid)                             a binary attribute, as base64
///     Join(", ", [givenName], [sn])  Replace([proxyAddresses], , "^SMTP:", , "", , )  [c] = "US"
///
/// Function names are matched ignoring case. Wrong argument counts, unknown functions, constants that
/// cannot be what their argument needs (a regex that does not compile, a date format, a number) are
/// errors here, when the rules load, rather than on every object.
extension FlowExpression {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let expression: String
        public let offset: Int
        public let reason: String
        public var description: String { "invalid expression \"\(expression)\" at character \(offset + 1): \(reason)" }
    }

    public static func parse(_ text: String) throws -> FlowExpression {
        var parser = ExpressionParser(text: Array(text), source: text)
        let expression = try parser.expression()
        parser.skipSpaces()
        guard parser.atEnd else { throw parser.error("unexpected text after the expression") }
        return expression
    }
}

struct ExpressionParser {
    let text: [Character]
    let source: String
    var position = 0
    /// How many calls the parser is inside: SelectUniqueValue must be the whole expression.
    var depth = 0

    var atEnd: Bool { position >= text.count }

    func error(_ reason: String) -> FlowExpression.ParseError {
        FlowExpression.ParseError(expression: source, offset: position, reason: reason)
    }

    mutating func skipSpaces() { while !atEnd, text[position].isWhitespace { position += 1 } }

    /// An operand, or two compared: `a = b`, `a <> b`.
    mutating func expression() throws -> FlowExpression {
        let left = try operand()
        skipSpaces()
        let comparison: ExpressionFunction
        if !atEnd, text[position] == "=" {
            comparison = .equal
            position += 1
        } else if position + 1 < text.count, text[position] == "<", text[position + 1] == ">" {
            comparison = .notEqual
            position += 2
        } else {
            return left
        }
        if case .selectUniqueValue = left { throw error("SelectUniqueValue must be the whole expression, as in Entra") }
        depth += 1
        defer { depth -= 1 }
        return .call(comparison, [left, try operand()])
    }

    mutating func operand() throws -> FlowExpression {
        skipSpaces()
        guard !atEnd else { throw error("expected an expression") }
        switch text[position] {
        case "'", "\"": return .constant(try string())
        case "[": return .attribute(try bracketedAttribute())
        case "&": return .constant(try hexadecimal())
        default: break
        }
        let start = position
        let name = identifier()
        guard !name.isEmpty else { throw error("expected an attribute, a function or a quoted constant") }
        if Int(name) != nil { return .constant(name) }
        skipSpaces()
        guard !atEnd, text[position] == "(" else { return .attribute(name) }
        position += 1
        let isWholeExpression = depth == 0
        depth += 1
        defer { depth -= 1 }
        let arguments = try argumentList()
        return try FunctionCall(parser: self, name: name, offset: start, isWholeExpression: isWholeExpression).make(arguments)
    }

    mutating func identifier() -> String {
        let start = position
        while !atEnd, text[position].isLetter || text[position].isNumber || "_-.".contains(text[position]) { position += 1 }
        return String(text[start..<position])
    }

    /// Entra's `[attribute]`.
    mutating func bracketedAttribute() throws -> String {
        position += 1
        skipSpaces()
        let name = identifier()
        skipSpaces()
        guard !name.isEmpty, !atEnd, text[position] == "]" else { throw error("expected an attribute name and \"]\"") }
        position += 1
        return name
    }

    /// VBA's `&HF7`, as Entra's BitAnd example writes numbers: read as its decimal value.
    mutating func hexadecimal() throws -> String {
        position += 1
        guard !atEnd, text[position] == "H" || text[position] == "h" else { throw error("expected &H and hexadecimal digits") }
        position += 1
        let start = position
        while !atEnd, text[position].isHexDigit { position += 1 }
        guard let value = Int(String(text[start..<position]), radix: 16) else { throw error("expected hexadecimal digits after &H") }
        return String(value)
    }

    mutating func string() throws -> String {
        let quote = text[position]
        position += 1
        var value = ""
        while !atEnd, text[position] != quote {
            if text[position] == "\\", position + 1 < text.count { position += 1 }
            value.append(text[position])
            position += 1
        }
        guard !atEnd else { throw error("unterminated string") }
        position += 1
        return value
    }

    /// The arguments up to ")"; an argument left empty (`f(a, , b)`) is nil.
    mutating func argumentList() throws -> [FlowExpression?] {
        var arguments: [FlowExpression?] = []
        skipSpaces()
        if !atEnd, text[position] == ")" { position += 1; return arguments }
        while true {
            skipSpaces()
            guard !atEnd else { throw error("expected \",\" or \")\"") }
            arguments.append(text[position] == "," || text[position] == ")" ? nil : try expression())
            skipSpaces()
            guard !atEnd else { throw error("expected \",\" or \")\"") }
            if text[position] == ")" { position += 1; return arguments }
            guard text[position] == "," else { throw error("expected \",\" or \")\"") }
            position += 1
        }
    }
}
