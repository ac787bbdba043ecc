import Foundation

/// A regular expression (NSRegularExpression's ICU syntax), compiled once.
public struct RegexPattern: Sendable, Equatable {
    public let pattern: String
    let expression: NSRegularExpression

    /// Throws NSRegularExpression's error for a pattern it cannot compile.
    public init(_ pattern: String) throws {
        self.pattern = pattern
        expression = try NSRegularExpression(pattern: pattern)
    }

    public static func == (lhs: RegexPattern, rhs: RegexPattern) -> Bool { lhs.pattern == rhs.pattern }
}

/// Replace(source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName,
/// template), as Entra documents it; the arguments given choose what it does:
///
/// - oldValue, replacementValue: every occurrence of oldValue in each value replaced (exact case).
/// - oldValue, template: the template, with every occurrence of oldValue in it replaced by each value.
/// - regexPattern, replacementValue: every match replaced; `$1`, `${name}` and `$$` in replacementValue
///   name the match's groups and a dollar sign.
/// - regexPattern, regexGroupName, replacementValue: in every match, the group's text replaced.
/// - regexPattern, regexGroupName, replacementAttributeName: the source when it has a value; else, from
///   each value of the replacement attribute, the group's text in the pattern's first match.
enum Replace {
    private enum Argument: Int { case source, oldValue, pattern, groupName, replacement, replacementAttribute, template }

    /// Why the arguments given are not one of the combinations above, if they are not.
    static func problem(given: (Int) -> Bool) -> String? {
        func has(_ argument: Argument) -> Bool { given(argument.rawValue) }
        if has(.oldValue) == has(.pattern) { return "Replace needs either an old value or a regex pattern (the 2nd or 3rd argument)" }
        if has(.oldValue) {
            guard has(.replacement) != has(.template), !has(.groupName), !has(.replacementAttribute) else {
                return "Replace with an old value needs either a replacement value or a template (the 5th or 7th argument)"
            }
        } else {
            guard !has(.template), has(.replacement) != has(.replacementAttribute), has(.groupName) || has(.replacement) else {
                return "Replace with a regex pattern needs a replacement value, or a group name and a replacement attribute"
            }
        }
        return nil
    }

    static func apply(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        func given(_ argument: Argument) -> Bool { arguments.isGiven(argument.rawValue) }
        func first(_ argument: Argument) -> String { arguments.first(argument.rawValue) ?? "" }
        let source = arguments.all(Argument.source.rawValue)
        var results: [String]
        if given(.oldValue) {
            let old = first(.oldValue)
            if given(.template) {
                let template = first(.template)
                results = source.map { old.isEmpty ? template : template.replacingOccurrences(of: old, with: $0) }
            } else {
                let replacement = first(.replacement)
                results = source.map { old.isEmpty ? $0 : $0.replacingOccurrences(of: old, with: replacement) }
            }
        } else {
            let regex = try expression(arguments)
            if given(.replacementAttribute) {
                guard source.isEmpty else { return source }
                let group = first(.groupName)
                results = arguments.all(Argument.replacementAttribute.rawValue).map { groupText(group, regex, in: $0) }
            } else if given(.groupName) {
                let (group, replacement) = (first(.groupName), first(.replacement))
                results = source.map { replaceGroup(group, regex, in: $0, with: replacement) }
            } else {
                let template = first(.replacement)
                results = source.map { replaceMatches(regex, in: $0, template: template) }
            }
        }
        return results.filter { !$0.isEmpty }
    }

    /// The pattern compiled when the rules loaded, or, when it comes from an attribute, compiled now.
    private static func expression(_ arguments: Arguments) throws(ExpressionError) -> NSRegularExpression {
        let index = Argument.pattern.rawValue
        if case .regex(let compiled)? = arguments.expressions[index] { return compiled.expression }
        guard let pattern = arguments.first(index) else { throw ExpressionError("Replace", "the regex pattern has no value") }
        do { return try NSRegularExpression(pattern: pattern) } catch {
            throw ExpressionError("Replace", "\"\(pattern)\" is not a valid regular expression")
        }
    }

    private static func matches(_ regex: NSRegularExpression, in value: String) -> [NSTextCheckingResult] {
        regex.matches(in: value, range: NSRange(value.startIndex..., in: value))
    }

    /// The range of group `name` (or number) in a match; nil when the group took no part in it.
    private static func groupRange(_ name: String, of match: NSTextCheckingResult, in value: String) -> Range<String.Index>? {
        let range = Int(name).map { $0 < match.numberOfRanges ? match.range(at: $0) : NSRange(location: NSNotFound, length: 0) }
            ?? match.range(withName: name)
        return Range(range, in: value)
    }

    private static func groupText(_ group: String, _ regex: NSRegularExpression, in value: String) -> String {
        guard let match = matches(regex, in: value).first, let range = groupRange(group, of: match, in: value) else { return "" }
        return String(value[range])
    }

    private static func replaceGroup(_ group: String, _ regex: NSRegularExpression, in value: String, with replacement: String) -> String {
        var result = value
        // From the last match back, so the earlier ranges stay valid.
        for match in matches(regex, in: value).reversed() {
            guard let range = groupRange(group, of: match, in: value) else { continue }
            result.replaceSubrange(range, with: replacement)
        }
        return result
    }

    private static func replaceMatches(_ regex: NSRegularExpression, in value: String, template: String) -> String {
        var result = value
        for match in matches(regex, in: value).reversed() {
            guard let range = Range(match.range, in: value) else { continue }
            result.replaceSubrange(range, with: expand(template, match, in: value))
        }
        return result
    }

    /// The replacement text for one match: `$n` and `${name}` are groups (a group that took no part is ""),
    /// `$$` is "$"; any other `$` stays as written.
    static func expand(_ template: String, _ match: NSTextCheckingResult, in value: String) -> String {
        var result = ""
        var rest = Substring(template)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.first == "$" {
                result += "$"
                rest = after.dropFirst()
            } else if after.first == "{", let close = after.firstIndex(of: "}") {
                let name = String(after[after.index(after: after.startIndex)..<close])
                result += groupRange(name, of: match, in: value).map { String(value[$0]) } ?? ""
                rest = after[after.index(after: close)...]
            } else if let digit = after.first, digit.isASCII, digit.isNumber {
                let digits = after.prefix(while: { $0.isASCII && $0.isNumber })
                result += groupRange(String(digits), of: match, in: value).map { String(value[$0]) } ?? ""
                rest = after.dropFirst(digits.count)
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }
}
