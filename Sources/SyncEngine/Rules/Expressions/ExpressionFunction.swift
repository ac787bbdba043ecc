import Foundation

/// The functions of Entra provisioning's expression language that idsync evaluates (besides its own
/// `coalesce`, `concat`, `lower`, `upper`, `split`, `join`, `bit_clear`, `bit_set`, `ref`, `base64` and
/// `SelectUniqueValue`, which ``FlowExpression`` has cases of its own for). The raw value is the name as
/// Microsoft documents it; names are matched ignoring case.
public enum ExpressionFunction: String, Sendable, CaseIterable {
    case append = "Append", bitAnd = "BitAnd", cBool = "CBool", convertToBase64 = "ConvertToBase64"
    case count = "Count", cStr = "CStr", dateFromNum = "DateFromNum", formatDateTime = "FormatDateTime"
    case ignoreFlowIfNullOrEmpty = "IgnoreFlowIfNullOrEmpty", iif = "IIF", inStr = "InStr", isNull = "IsNull"
    case isNullOrEmpty = "IsNullOrEmpty", isPresent = "IsPresent", item = "Item", join = "Join", left = "Left"
    case mid = "Mid", normalizeDiacritics = "NormalizeDiacritics", not = "Not", pCase = "PCase"
    case removeDuplicates = "RemoveDuplicates", replace = "Replace", stripSpaces = "StripSpaces"
    case `switch` = "Switch", toLower = "ToLower", toUpper = "ToUpper", word = "Word"
    /// `a = b` and `a <> b`: the first values compared exactly (Entra's `IIF([country]="USA", …)`).
    case equal = "=", notEqual = "<>"

    var name: String { rawValue }

    /// How many arguments the function takes, which of them may be left empty (`Replace(x, , "^a", , "", , )`)
    /// and which must be whole numbers (checked when the rules load when they are constants).
    struct Signature {
        var arity: ClosedRange<Int>
        var omittable: Set<Int> = []
        var integers: Set<Int> = []
    }

    var signature: Signature {
        switch self {
        case .cBool, .convertToBase64, .count, .cStr, .dateFromNum, .ignoreFlowIfNullOrEmpty, .isNull, .isNullOrEmpty,
             .isPresent, .normalizeDiacritics, .not, .removeDuplicates, .stripSpaces:
            Signature(arity: 1...1)
        case .append, .equal, .notEqual: Signature(arity: 2...2)
        case .bitAnd: Signature(arity: 2...2, integers: [0, 1])
        case .item, .left: Signature(arity: 2...2, integers: [1])
        case .iif: Signature(arity: 3...3)
        case .mid: Signature(arity: 3...3, integers: [1, 2])
        case .word: Signature(arity: 3...3, integers: [1])
        case .pCase, .toLower, .toUpper: Signature(arity: 1...2)
        case .inStr: Signature(arity: 2...4, omittable: [2, 3], integers: [2])
        // The parser gives both forms all four and seven arguments: FormatDateTime(source, inputFormat,
        // outputFormat) and Replace(source, old, new) are the long forms with arguments left out.
        case .formatDateTime: Signature(arity: 4...4, omittable: [1])
        case .replace: Signature(arity: 7...7, omittable: Set(1...6))
        case .join: Signature(arity: 2...Int.max)
        case .switch: Signature(arity: 4...Int.max)
        }
    }

    /// Computes the function's values from its arguments' values.
    func apply(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        switch self {
        case .append: try Strings.append(arguments)
        case .convertToBase64: Strings.perValue(arguments) { Strings.base64OfUTF16LE($0) }
        case .cStr: Strings.perValue(arguments) { $0 }
        case .inStr: try Strings.inStr(arguments)
        case .left: try Strings.left(arguments)
        case .mid: try Strings.mid(arguments)
        case .normalizeDiacritics: Strings.perValue(arguments) { Diacritics.normalize($0) }
        case .pCase: Strings.pCase(arguments)
        case .stripSpaces: Strings.perValue(arguments) { $0.filter { !$0.isWhitespace } }
        case .toLower: Strings.changeCase(arguments, upper: false)
        case .toUpper: Strings.changeCase(arguments, upper: true)
        case .word: try Strings.word(arguments)
        case .replace: try Replace.apply(arguments)
        case .bitAnd: try Logic.bitAnd(arguments)
        case .cBool: try Logic.cBool(arguments)
        case .iif: try Logic.iif(arguments)
        case .isNull: [Logic.text(arguments.all(0).isEmpty)]
        case .isNullOrEmpty: [Logic.text(Logic.isNullOrEmpty(arguments.all(0)))]
        case .isPresent: [Logic.text(!Logic.isNullOrEmpty(arguments.all(0)))]
        case .ignoreFlowIfNullOrEmpty: arguments.all(0).filter { !$0.isEmpty }
        case .not: try Logic.not(arguments)
        case .switch: Logic.switchValue(arguments)
        case .equal: [Logic.text(arguments.all(0).first == arguments.all(1).first)]
        case .notEqual: [Logic.text(arguments.all(0).first != arguments.all(1).first)]
        case .count: [String(arguments.all(0).count)]
        case .item: try Collections.item(arguments)
        case .join: Collections.join(arguments)
        case .removeDuplicates: Collections.removeDuplicates(arguments.all(0))
        case .dateFromNum: try Dates.dateFromNum(arguments)
        case .formatDateTime: try Dates.formatDateTime(arguments)
        }
    }
}

/// A function's arguments once evaluated; `nil` for an argument left out.
struct Arguments {
    let values: [[String]?]
    /// The arguments as written, for what was prepared when the rules loaded (a constant regex, compiled).
    let expressions: [FlowExpression?]

    /// Every value of argument `index`; none when it is left out or has no value.
    func all(_ index: Int) -> [String] { index < values.count ? values[index] ?? [] : [] }
    func first(_ index: Int) -> String? { all(index).first }
    func isGiven(_ index: Int) -> Bool { index < values.count && values[index] != nil }

    /// Argument `index`'s first value as a whole number; nil when it has no value.
    func integer(_ index: Int, of function: ExpressionFunction) throws(ExpressionError) -> Int? {
        guard let text = first(index) else { return nil }
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw ExpressionError(function.name, "\"\(text)\" is not a whole number")
        }
        return number
    }

    /// As ``integer(_:of:)``, for an argument the function cannot do without.
    func requiredInteger(_ index: Int, of function: ExpressionFunction, _ what: String) throws(ExpressionError) -> Int {
        guard let number = try integer(index, of: function) else { throw ExpressionError(function.name, "\(what) has no value") }
        return number
    }
}
