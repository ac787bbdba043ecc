/// A .NET custom date and time format string ("yyyy-MM-ddTHH:mm:ss.fffzzz"), for reading and writing dates
/// in the invariant culture. Specifiers: yyyy yy y, MMMM MMM MM M, dddd ddd dd d, HH H, hh h, mm m, ss s,
/// f…fffffff and F…FFFFFFF (fractions), tt t, zzz zz z (offsets), K; also Z, which .NET treats as a
/// literal but generalized time ("yyyyMMddHHmmss.fZ", as AD writes whenChanged) means UTC by, so idsync
/// reads it as UTC or an offset and writes "Z". Quoted text ('…' or "…") and \x are literals.
struct DateFormat: Equatable {
    enum Token: Equatable {
        case year(width: Int), month(width: Int), day(width: Int), hour24(width: Int), hour12(width: Int)
        case minute(width: Int), second(width: Int)
        /// f: exactly `digits`; F: up to `digits`, trailing zeros left out.
        case fraction(digits: Int, optional: Bool)
        case amPm(width: Int), offset(width: Int)
        /// Z or K: "Z" for UTC.
        case utc
        case literal(String)
    }

    let tokens: [Token]

    struct Problem: Error { let reason: String }

    init(_ format: String) throws(Problem) {
        guard !format.isEmpty else { throw Problem(reason: "the date format is empty") }
        var tokens: [Token] = []
        let characters = Array(format)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            var run = 1
            while index + run < characters.count, characters[index + run] == character { run += 1 }
            switch character {
            case "y": tokens.append(.year(width: run))
            case "M": tokens.append(.month(width: run))
            case "d": tokens.append(.day(width: run))
            case "H", "h", "m", "s":
                guard run <= 2 else { throw Problem(reason: "\"\(String(repeating: character, count: run))\" is not a date format specifier") }
                tokens.append(character == "H" ? .hour24(width: run) : character == "h" ? .hour12(width: run)
                              : character == "m" ? .minute(width: run) : .second(width: run))
            case "f", "F":
                guard run <= 7 else { throw Problem(reason: "a fraction has at most 7 digits") }
                tokens.append(.fraction(digits: run, optional: character == "F"))
            case "t": tokens.append(.amPm(width: min(run, 2)))
            case "z": tokens.append(.offset(width: min(run, 3)))
            case "Z", "K": run = 1; tokens.append(.utc)
            case "'", "\"":
                guard let close = characters[(index + 1)...].firstIndex(of: character) else {
                    throw Problem(reason: "the quoted text in the date format is not closed")
                }
                tokens.append(.literal(String(characters[(index + 1)..<close])))
                run = close - index + 1
            case "\\":
                guard index + 1 < characters.count else { throw Problem(reason: "the date format ends with \\") }
                tokens.append(.literal(String(characters[index + 1])))
                run = 2
            default:
                run = 1
                tokens.append(.literal(String(character)))
            }
            index += run
        }
        self.tokens = tokens
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                             "October", "November", "December"]
    static let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// The instant written in UTC.
    func format(_ time: CivilTime) -> String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var result = ""
        for token in tokens {
            switch token {
            case .year(let width): result += width <= 2 ? padded(time.year % 100, width) : padded(time.year, width)
            case .month(let width):
                result += width <= 2 ? padded(time.month, width) : String(Self.monthNames[time.month - 1].prefix(width == 3 ? 3 : 20))
            case .day(let width):
                result += width <= 2 ? padded(time.day, width) : String(Self.dayNames[time.weekday - 1].prefix(width == 3 ? 3 : 20))
            case .hour24(let width): result += padded(time.hour, width)
            case .hour12(let width): result += padded(time.hour % 12 == 0 ? 12 : time.hour % 12, width)
            case .minute(let width): result += padded(time.minute, width)
            case .second(let width): result += padded(time.second, width)
            case .fraction(let digits, let optional):
                var text = String(padded(time.ticks, 7).prefix(digits))
                if optional { while text.hasSuffix("0") { text.removeLast() } }
                // .NET drops the separator before an empty F fraction too: "ss.FFF" → "05" for a whole second.
                if optional, text.isEmpty, result.hasSuffix(".") { result.removeLast() }
                result += text
            case .amPm(let width): result += String((time.hour < 12 ? "AM" : "PM").prefix(width))
            case .offset(let width): result += width == 1 ? "+0" : width == 2 ? "+00" : "+00:00"
            case .utc: result += "Z"
            case .literal(let text): result += text
            }
        }
        return result
    }
}
