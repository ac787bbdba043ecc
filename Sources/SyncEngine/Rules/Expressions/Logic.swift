/// The boolean and choice functions. Booleans are the values "true" and "false"; as input, "true" and
/// "false" in any case, or a whole number (non-zero is true, as CBool has it).
enum Logic {
    static func text(_ value: Bool) -> String { value ? "true" : "false" }

    static func boolean(_ value: String, in function: ExpressionFunction) throws(ExpressionError) -> Bool {
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default:
            guard let number = Int(value) else {
                throw ExpressionError(function.name, "\"\(value)\" is not a boolean (true, false or a number)")
            }
            return number != 0
        }
    }

    /// A condition without a value does not hold.
    static func condition(_ values: [String], in function: ExpressionFunction) throws(ExpressionError) -> Bool {
        guard let first = values.first else { return false }
        return try boolean(first, in: function)
    }

    /// No value, or only empty values.
    static func isNullOrEmpty(_ values: [String]) -> Bool { values.allSatisfy(\.isEmpty) }

    /// CBool(expression): the first value as a boolean; no value gives no value.
    static func cBool(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        guard let value = arguments.first(0) else { return [] }
        return [text(try boolean(value, in: .cBool))]
    }

    /// Not(boolean): no value gives no value.
    static func not(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        guard let value = arguments.first(0) else { return [] }
        return [text(!(try boolean(value, in: .not)))]
    }

    /// IIF(condition, valueIfTrue, valueIfFalse). Both values are evaluated, as VBA's IIf does.
    static func iif(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        arguments.all(try condition(arguments.all(0), in: .iif) ? 1 : 2)
    }

    /// BitAnd(value1, value2): the bitwise AND of two whole numbers.
    static func bitAnd(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        guard let left = try arguments.integer(0, of: .bitAnd), let right = try arguments.integer(1, of: .bitAnd) else { return [] }
        return [String(left & right)]
    }

    /// Switch(source, defaultValue, key1, value1, key2, value2, …): the value of the first key equal
    /// (exactly) to the source's first value, else the default — also when the source has no value.
    static func switchValue(_ arguments: Arguments) -> [String] {
        if let source = arguments.first(0) {
            for key in stride(from: 2, to: arguments.values.count - 1, by: 2) where arguments.first(key) == source {
                return arguments.all(key + 1)
            }
        }
        return arguments.all(1)
    }
}
