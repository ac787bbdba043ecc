import Foundation

/// The text functions. Each maps over every value of its source and drops the empty results, so a
/// multi-valued attribute stays multi-valued and a value that becomes "" is not flowed.
enum Strings {
    static func perValue(_ arguments: Arguments, _ transform: (String) -> String) -> [String] {
        arguments.all(0).map(transform).filter { !$0.isEmpty }
    }

    /// Append(source, suffix).
    static func append(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        let suffix = arguments.first(1) ?? ""
        return perValue(arguments) { $0 + suffix }
    }

    /// ConvertToBase64: base64 of the UTF-16 little-endian bytes, as .NET's Unicode encoding gives them.
    static func base64OfUTF16LE(_ value: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf16.count * 2)
        for unit in value.utf16 { bytes.append(UInt8(unit & 0xFF)); bytes.append(UInt8(unit >> 8)) }
        return Data(bytes).base64EncodedString()
    }

    /// Left(source, numChars): numChars < 0 gives the whole value, as Entra's does.
    static func left(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        let count = try arguments.requiredInteger(1, of: .left, "the number of characters")
        return perValue(arguments) { count < 0 ? $0 : String($0.prefix(count)) }
    }

    /// Mid(source, start, length): start is 1-based; past the end gives nothing.
    static func mid(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        let start = try arguments.requiredInteger(1, of: .mid, "the start")
        let length = try arguments.requiredInteger(2, of: .mid, "the length")
        guard start >= 1 else { throw ExpressionError("Mid", "the start \(start) is before the first character (1)") }
        guard length >= 0 else { throw ExpressionError("Mid", "the length \(length) is negative") }
        return perValue(arguments) { String($0.dropFirst(start - 1).prefix(length)) }
    }

    /// Word(string, wordNumber, delimiters): the words are the runs of characters between any of the
    /// delimiters; a number below 1 or past the last word gives nothing.
    static func word(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        let number = try arguments.requiredInteger(1, of: .word, "the word number")
        let delimiters = Set(arguments.first(2) ?? "")
        return perValue(arguments) { value in
            let words = value.split(whereSeparator: { delimiters.contains($0) })
            return number >= 1 && number <= words.count ? String(words[number - 1]) : ""
        }
    }

    /// PCase(source, wordSeparators): each word's first character upper case, the others lower case.
    /// Without separators, words are separated by white space and hyphens ("Jean-Luc").
    static func pCase(_ arguments: Arguments) -> [String] {
        let separators = arguments.first(1).map(Set.init)
        func isSeparator(_ character: Character) -> Bool {
            separators?.contains(character) ?? (character.isWhitespace || character == "-")
        }
        return perValue(arguments) { value in
            var result = ""
            var atWordStart = true
            for character in value {
                if isSeparator(character) {
                    result.append(character)
                    atWordStart = true
                } else {
                    result += atWordStart ? character.uppercased() : character.lowercased()
                    atWordStart = false
                }
            }
            return result
        }
    }

    /// ToLower/ToUpper(source, culture): the culture's rules when one is given ("tr-TR": I → ı).
    static func changeCase(_ arguments: Arguments, upper: Bool) -> [String] {
        let locale = arguments.first(1).map { Locale(identifier: $0) }
        return perValue(arguments) { upper ? $0.uppercased(with: locale) : $0.lowercased(with: locale) }
    }

    /// InStr(value1, value2, start, compareType): the 1-based position of value2 in each value of value1
    /// at or after `start`, or 0. vbBinaryCompare (the default) is exact, vbTextCompare ignores case.
    static func inStr(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        guard let sought = arguments.first(1) else { return [] }
        let start = try arguments.integer(2, of: .inStr) ?? 1
        guard start >= 1 else { throw ExpressionError("InStr", "the start \(start) is before the first character (1)") }
        let options: String.CompareOptions = try ignoresCase(arguments.first(3)) ? [.caseInsensitive] : [.literal]
        return arguments.all(0).map { value in
            let characters = value.count
            guard start <= characters + 1 else { return "0" }
            let from = value.index(value.startIndex, offsetBy: start - 1)
            if sought.isEmpty { return String(start) }
            guard let found = value.range(of: sought, options: options, range: from..<value.endIndex) else { return "0" }
            return String(start + value.distance(from: from, to: found.lowerBound))
        }
    }

    /// InStr's compareType: vbBinaryCompare / 0, or vbTextCompare / 1.
    static func ignoresCase(_ compareType: String?) throws(ExpressionError) -> Bool {
        switch compareType?.lowercased() {
        case nil, "vbbinarycompare", "0": false
        case "vbtextcompare", "1": true
        default: throw ExpressionError("InStr", "\"\(compareType ?? "")\" is not a compare type (vbBinaryCompare or vbTextCompare)")
        }
    }
}
