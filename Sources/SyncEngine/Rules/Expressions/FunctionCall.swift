import Foundation

/// A function call as written, checked and turned into its ``FlowExpression`` when the rules load.
struct FunctionCall {
    let parser: ExpressionParser
    let name: String
    /// Where the call starts, for the error.
    let offset: Int
    let isWholeExpression: Bool

    /// idsync's own names, and the Entra functions with a case of their own, besides ``ExpressionFunction``.
    static let ownNames = ["base64", "bit_clear", "bit_set", "Coalesce", "concat", "lower", "ref", "SelectUniqueValue",
                           "split", "upper"]
    static var knownNames: String {
        let entra = ExpressionFunction.allCases.map(\.name).filter { $0.first?.isLetter == true }
        return (ownNames + entra).sorted { $0.lowercased() < $1.lowercased() }.joined(separator: ", ")
    }

    func error(_ reason: String) -> FlowExpression.ParseError {
        FlowExpression.ParseError(expression: parser.source, offset: offset, reason: reason)
    }

    func make(_ written: [FlowExpression?]) throws -> FlowExpression {
        switch name.lowercased() {
        case "coalesce": return .coalesce(try present(written, 1...Int.max))
        case "concat": return .concat(try present(written, 1...Int.max), separator: "")
        case "lower", "tolower", "upper", "toupper":
            let arguments = try present(written, 1...2)
            let upper = name.lowercased().hasSuffix("upper")
            if arguments.count == 2 { return .call(upper ? .toUpper : .toLower, arguments) }
            return upper ? .upper(arguments[0]) : .lower(arguments[0])
        case "split":
            let arguments = try present(written, 2...2)
            return .split(arguments[0], separator: try constant(arguments[1], "a quoted delimiter"))
        case "join":
            // idsync's join(source, ',') and Entra's Join(separator, source1, …) share the name: a second
            // argument that is a quoted constant after a first that is not can only be idsync's separator.
            if written.count == 2, let first = written[0], case .constant(let separator)? = written[1], !first.isConstant {
                return .join(first, separator: separator)
            }
            return try entra(.join, written)
        case "bit_clear", "bit_set":
            let arguments = try present(written, 2...2)
            guard case .attribute(let attribute) = arguments[0] else { throw error("\(name) needs an attribute name first") }
            guard case .constant(let digits) = arguments[1], let mask = Int(digits) else { throw error("\(name) needs a number as its mask") }
            return name.lowercased() == "bit_clear" ? .bitsClear(attribute, mask: mask) : .bitsSet(attribute, mask: mask)
        case "ref": return .reference(try attributeName(try present(written, 1...1)[0]))
        case "base64": return .binary(try attributeName(try present(written, 1...1)[0]))
        case "selectuniquevalue":
            guard isWholeExpression else { throw error("SelectUniqueValue must be the whole expression, as in Entra") }
            return .selectUniqueValue(try present(written, 2...Int.max))
        case "replace":
            // Replace(source, old, new) is the long form's source, oldValue and replacementValue.
            guard written.count == 3 || written.count == 7 else { throw error("Replace takes 3 or 7 arguments") }
            return try entra(.replace, written.count == 3 ? [written[0], written[1], nil, nil, written[2], nil, nil] : written)
        case "formatdatetime":
            // FormatDateTime(source, inputFormat, outputFormat): dateTimeStyles left out.
            guard written.count == 3 || written.count == 4 else { throw error("FormatDateTime takes 3 or 4 arguments") }
            return try entra(.formatDateTime, written.count == 3 ? [written[0], nil, written[1], written[2]] : written)
        default:
            guard let function = ExpressionFunction.allCases.first(where: { $0.name.lowercased() == name.lowercased() }),
                  function != .equal, function != .notEqual else {
                throw error("unknown function \(name); known: \(Self.knownNames)")
            }
            return try entra(function, written)
        }
    }

    /// Arguments that must all be given, `count` of them.
    private func present(_ written: [FlowExpression?], _ count: ClosedRange<Int>) throws -> [FlowExpression] {
        guard count.contains(written.count) else { throw error("\(name) takes \(Self.describe(count)) argument(s)") }
        return try written.enumerated().map { index, argument in
            guard let argument else { throw error("\(name)'s argument \(index + 1) is missing") }
            return argument
        }
    }

    private func attributeName(_ expression: FlowExpression) throws -> String {
        guard case .attribute(let attribute) = expression else { throw error("\(name) needs an attribute name") }
        return attribute
    }

    private func constant(_ expression: FlowExpression, _ what: String) throws -> String {
        guard case .constant(let value) = expression else { throw error("\(name) needs \(what)") }
        return value
    }

    static func describe(_ count: ClosedRange<Int>) -> String {
        count.upperBound == Int.max ? "\(count.lowerBound) or more"
            : count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
    }

    private func entra(_ function: ExpressionFunction, _ written: [FlowExpression?]) throws -> FlowExpression {
        let signature = function.signature
        guard signature.arity.contains(written.count) else { throw error("\(function.name) takes \(Self.describe(signature.arity)) argument(s)") }
        var arguments = written
        for (index, argument) in arguments.enumerated() {
            guard let argument else {
                guard signature.omittable.contains(index) else { throw error("\(function.name)'s argument \(index + 1) is missing") }
                continue
            }
            if signature.integers.contains(index), case .constant(let value) = argument, Int(value) == nil {
                throw error("\(function.name)'s argument \(index + 1) must be a whole number, not \"\(value)\"")
            }
        }
        if let problem = check(function, &arguments) { throw error(problem) }
        return .call(function, arguments)
    }

    /// What only some functions ask of their arguments; constant arguments are prepared (a regex compiled).
    private func check(_ function: ExpressionFunction, _ arguments: inout [FlowExpression?]) -> String? {
        func integer(_ index: Int) -> Int? {
            guard index < arguments.count, case .constant(let value)? = arguments[index] else { return nil }
            return Int(value)
        }
        switch function {
        case .switch:
            return arguments.count.isMultiple(of: 2) ? nil : "Switch needs a value for every key: Switch(source, default, key1, value1, …)"
        case .item:
            if let index = integer(1), index < 1 { return "Item's index starts at 1, not \(index)" }
            return nil
        case .mid:
            if let start = integer(1), start < 1 { return "Mid's start is 1-based: \(start) is before the first character" }
            if let length = integer(2), length < 0 { return "Mid's length cannot be negative (\(length))" }
            return nil
        case .inStr:
            if let start = integer(2), start < 1 { return "InStr's start is 1-based: \(start) is before the first character" }
            // vbTextCompare and vbBinaryCompare are written bare, as in VBA: they are names, not attributes.
            if arguments.count == 4, case .attribute(let compare)? = arguments[3],
               ["vbtextcompare", "vbbinarycompare"].contains(compare.lowercased()) {
                arguments[3] = .constant(compare)
            }
            if arguments.count == 4, case .constant(let compare)? = arguments[3] {
                do throws(ExpressionError) { _ = try Strings.ignoresCase(compare) } catch { return error.description }
            }
            return nil
        case .replace:
            if let problem = Replace.problem(given: { arguments[$0] != nil }) { return problem }
            if case .constant(let pattern)? = arguments[2] {
                do { arguments[2] = .regex(try RegexPattern(pattern)) } catch {
                    return "\"\(pattern)\" is not a valid regular expression"
                }
            }
            return nil
        case .formatDateTime:
            if case .constant(let styles)? = arguments[1] {
                do throws(ExpressionError) { _ = try Dates.Styles(styles) } catch { return error.description }
            }
            for index in [2, 3] {
                guard case .constant(let format)? = arguments[index] else { continue }
                do throws(DateFormat.Problem) { _ = try DateFormat(format) } catch { return "FormatDateTime: \"\(format)\": \(error.reason)" }
            }
            return nil
        default:
            return nil
        }
    }
}
