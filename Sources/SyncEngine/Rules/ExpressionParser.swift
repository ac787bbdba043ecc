/// Reads the expressions of a rules file:
///
///     displayName                                   an attribute's values
///     'Engineering'  "x"                            a constant
///     coalesce(displayName, concat(givenName, ' ', sn))
///     lower(mail)  upper(x)  split(proxyAddresses, ';')  join(member, ',')
///     bit_clear(userAccountControl, 2)  bit_set(userAccountControl, 2)
///     ref(manager)                                  a DN → the metaverse object it names
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

private struct ExpressionParser {
    let text: [Character]
    let source: String
    var position = 0

    var atEnd: Bool { position >= text.count }

    func error(_ reason: String) -> FlowExpression.ParseError {
        FlowExpression.ParseError(expression: source, offset: position, reason: reason)
    }

    mutating func skipSpaces() { while !atEnd, text[position].isWhitespace { position += 1 } }

    mutating func expression() throws -> FlowExpression {
        skipSpaces()
        guard !atEnd else { throw error("expected an expression") }
        if text[position] == "'" || text[position] == "\"" { return .constant(try string()) }
        let name = identifier()
        guard !name.isEmpty else { throw error("expected an attribute, a function or a quoted constant") }
        skipSpaces()
        guard !atEnd, text[position] == "(" else { return .attribute(name) }
        position += 1
        let arguments = try argumentList()
        return try call(name, arguments)
    }

    mutating func identifier() -> String {
        let start = position
        while !atEnd, text[position].isLetter || text[position].isNumber || "_-.".contains(text[position]) { position += 1 }
        return String(text[start..<position])
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

    mutating func argumentList() throws -> [FlowExpression] {
        var arguments: [FlowExpression] = []
        skipSpaces()
        if !atEnd, text[position] == ")" { position += 1; return arguments }
        while true {
            arguments.append(try expression())
            skipSpaces()
            guard !atEnd else { throw error("expected \",\" or \")\"") }
            if text[position] == ")" { position += 1; return arguments }
            guard text[position] == "," else { throw error("expected \",\" or \")\"") }
            position += 1
        }
    }

    func call(_ name: String, _ arguments: [FlowExpression]) throws -> FlowExpression {
        func count(_ expected: ClosedRange<Int>) throws {
            guard expected.contains(arguments.count) else {
                throw error("\(name) takes \(expected.lowerBound == expected.upperBound ? "\(expected.lowerBound)" : "\(expected.lowerBound) or more") argument(s)")
            }
        }
        func attributeName(_ expression: FlowExpression) throws -> String {
            guard case .attribute(let attribute) = expression else { throw error("\(name) needs an attribute name first") }
            return attribute
        }
        func constant(_ expression: FlowExpression) throws -> String {
            guard case .constant(let value) = expression else { throw error("\(name) needs a quoted constant") }
            return value
        }
        func mask(_ expression: FlowExpression) throws -> Int {
            guard case .attribute(let digits) = expression, let value = Int(digits) else { throw error("\(name) needs a number as its mask") }
            return value
        }
        switch name.lowercased() {
        case "coalesce": try count(1...Int.max); return .coalesce(arguments)
        case "concat": try count(1...Int.max); return .concat(arguments, separator: "")
        case "lower": try count(1...1); return .lower(arguments[0])
        case "upper": try count(1...1); return .upper(arguments[0])
        case "split": try count(2...2); return .split(arguments[0], separator: try constant(arguments[1]))
        case "join": try count(2...2); return .join(arguments[0], separator: try constant(arguments[1]))
        case "bit_clear": try count(2...2); return .bitsClear(try attributeName(arguments[0]), mask: try mask(arguments[1]))
        case "bit_set": try count(2...2); return .bitsSet(try attributeName(arguments[0]), mask: try mask(arguments[1]))
        case "ref": try count(1...1); return .reference(try attributeName(arguments[0]))
        default: throw error("unknown function \(name); known: coalesce, concat, lower, upper, split, join, bit_clear, bit_set, ref")
        }
    }
}
