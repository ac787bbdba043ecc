import Foundation

/// The date functions. Dates are written in UTC.
enum Dates {
    /// What DateFromNum writes: Entra's UTC date-time form.
    static let isoFormat = try! DateFormat("yyyy-MM-ddTHH:mm:ssZ")
    /// Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01.
    static let fileTimeEpochOffset: Int64 = 11_644_473_600

    /// DateFromNum(value): AD's FILETIME (100-ns intervals since 1601-01-01 UTC: accountExpires,
    /// pwdLastSet, lastLogonTimestamp) → "2012-01-01T23:00:00Z". 0 and 9223372036854775807 are AD's
    /// "never" and give no value.
    static func dateFromNum(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        var results: [String] = []
        for value in arguments.all(0) {
            guard let number = Int64(value.trimmingCharacters(in: .whitespaces)) else {
                throw ExpressionError("DateFromNum", "\"\(value)\" is not a number")
            }
            guard number >= 0 else { throw ExpressionError("DateFromNum", "\"\(value)\" is before 1601 (negative)") }
            if number == 0 || number == Int64.max { continue }
            let seconds = number / CivilTime.ticksPerSecond - fileTimeEpochOffset
            let ticks = Int(number % CivilTime.ticksPerSecond)
            results.append(isoFormat.format(CivilTime(epochSeconds: seconds, ticks: ticks)))
        }
        return results
    }

    /// FormatDateTime(source, dateTimeStyles, inputFormat, outputFormat): each value read with the input
    /// format and written with the output format, in UTC.
    static func formatDateTime(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        let styles = try Styles(arguments.first(1))
        let input = try format(arguments.first(2), "input")
        let output = try format(arguments.first(3), "output")
        var results: [String] = []
        for value in arguments.all(0) {
            let text = styles.trimming(value)
            guard let time = input.format.parse(text, localZone: styles.assumeLocal ? TimeZone.current : nil) else {
                throw ExpressionError("FormatDateTime", "\"\(value)\" does not match the input format \"\(input.text)\"")
            }
            let written = output.format.format(time)
            if !written.isEmpty { results.append(written) }
        }
        return results
    }

    private static func format(_ text: String?, _ which: String) throws(ExpressionError) -> (text: String, format: DateFormat) {
        guard let text else { throw ExpressionError("FormatDateTime", "the \(which) format has no value") }
        do { return (text, try DateFormat(text)) } catch { throw ExpressionError("FormatDateTime", "the \(which) format \"\(text)\": \(error.reason)") }
    }

    /// .NET's DateTimeStyles, as far as they mean something here (the output is always UTC, so
    /// AdjustToUniversal is what idsync does anyway, and AssumeUniversal is its default).
    struct Styles {
        var assumeLocal = false
        var trimLeading = false
        var trimTrailing = false

        static let known = ["None", "AssumeUniversal", "AdjustToUniversal", "AssumeLocal", "AllowLeadingWhite",
                            "AllowTrailingWhite", "AllowWhiteSpaces"]

        /// Names separated by commas ("AllowWhiteSpaces, AssumeLocal"); nil or "" is None.
        init(_ text: String?) throws(ExpressionError) {
            let names = (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in names {
                switch name.lowercased() {
                case "none", "assumeuniversal", "adjusttouniversal": break
                case "assumelocal": assumeLocal = true
                case "allowleadingwhite": trimLeading = true
                case "allowtrailingwhite": trimTrailing = true
                case "allowwhitespaces": trimLeading = true; trimTrailing = true
                default:
                    throw ExpressionError("FormatDateTime", "\"\(name)\" is not a date-time style (\(Self.known.joined(separator: ", ")))")
                }
            }
            if assumeLocal, names.contains(where: { $0.lowercased() == "assumeuniversal" }) {
                throw ExpressionError("FormatDateTime", "AssumeLocal and AssumeUniversal exclude each other")
            }
        }

        func trimming(_ value: String) -> String {
            var text = Substring(value)
            if trimLeading { text = text.drop(while: \.isWhitespace) }
            if trimTrailing { while text.last?.isWhitespace == true { text.removeLast() } }
            return String(text)
        }
    }
}
