import Foundation

extension DateFormat {
    /// Reads `text`, which must match the format exactly, as .NET's ParseExact does. Without an offset
    /// or Z in the text, the time is UTC, or in `localZone` when given (DateTimeStyles.AssumeLocal).
    /// Parts the format does not name are those of 0001-01-01T00:00:00. Nil when it does not match.
    func parse(_ text: String, localZone: TimeZone? = nil) -> CivilTime? {
        var reader = Reader(characters: Array(text))
        var time = CivilTime(year: 1, month: 1, day: 1)
        var offsetSeconds: Int?
        var hour12: Int?
        var isPM: Bool?
        for token in tokens {
            switch token {
            case .year(let width):
                guard let year = reader.number(digits: width <= 2 ? 1...2 : width...max(width, 4)) else { return nil }
                // .NET's two-digit year window: 00–29 are 2000s, 30–99 the 1900s.
                time.year = width <= 2 ? (year < 30 ? 2000 + year : 1900 + year) : year
            case .month(let width):
                if width <= 2 {
                    guard let month = reader.number(digits: width == 1 ? 1...2 : 2...2) else { return nil }
                    time.month = month
                } else {
                    guard let month = reader.name(from: Self.monthNames, abbreviated: width == 3) else { return nil }
                    time.month = month + 1
                }
            case .day(let width):
                if width <= 2 {
                    guard let day = reader.number(digits: width == 1 ? 1...2 : 2...2) else { return nil }
                    time.day = day
                } else {
                    // The weekday is read and not checked against the date, as .NET does not either.
                    guard reader.name(from: Self.dayNames, abbreviated: width == 3) != nil else { return nil }
                }
            case .hour24(let width):
                guard let hour = reader.number(digits: width == 1 ? 1...2 : 2...2) else { return nil }
                time.hour = hour
            case .hour12(let width):
                guard let hour = reader.number(digits: width == 1 ? 1...2 : 2...2) else { return nil }
                hour12 = hour
            case .minute(let width):
                guard let minute = reader.number(digits: width == 1 ? 1...2 : 2...2) else { return nil }
                time.minute = minute
            case .second(let width):
                guard let second = reader.number(digits: width == 1 ? 1...2 : 2...2) else { return nil }
                time.second = second
            case .fraction(let digits, let optional):
                let read = reader.digits(optional ? 0...digits : digits...digits)
                guard let read else { return nil }
                time.ticks = Int((read + String(repeating: "0", count: 7 - read.count)).prefix(7)) ?? 0
            case .amPm(let width):
                guard let marker = reader.name(from: width == 1 ? ["A", "P"] : ["AM", "PM"], abbreviated: false) else { return nil }
                isPM = marker == 1
            case .offset:
                guard let offset = reader.offset() else { return nil }
                offsetSeconds = offset
            case .utc:
                if reader.take("Z") || reader.take("z") { offsetSeconds = 0 } else {
                    guard let offset = reader.offset() else { return nil }
                    offsetSeconds = offset
                }
            case .literal(let literal):
                guard reader.take(literal) else { return nil }
            }
        }
        guard reader.atEnd else { return nil }
        if let hour12 {
            guard (1...12).contains(hour12) else { return nil }
            time.hour = hour12 % 12 + (isPM == true ? 12 : 0)
        } else if let isPM {
            guard time.hour <= 12 else { return nil }
            if isPM, time.hour < 12 { time.hour += 12 }
        }
        guard (1...12).contains(time.month), (1...CivilTime.daysIn(month: time.month, year: time.year)).contains(time.day),
              time.hour < 24, time.minute < 60, time.second < 60 else { return nil }
        let seconds = time.epochSeconds
        let offset = offsetSeconds ?? localZone.map { zone in
            // The zone's offset at that wall-clock time, taken at the same reading as UTC (DST edges aside).
            zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
        } ?? 0
        return CivilTime(epochSeconds: seconds - Int64(offset), ticks: time.ticks)
    }
}

/// Reads a date's text left to right.
private struct Reader {
    let characters: [Character]
    var position = 0

    var atEnd: Bool { position >= characters.count }

    mutating func take(_ literal: String) -> Bool {
        let expected = Array(literal)
        guard position + expected.count <= characters.count, Array(characters[position..<position + expected.count]) == expected else {
            return false
        }
        position += expected.count
        return true
    }

    /// As many ASCII digits as there are, within `count`; nil when fewer than its lower bound.
    mutating func digits(_ count: ClosedRange<Int>) -> String? {
        var read = ""
        while read.count < count.upperBound, !atEnd, characters[position].isASCII, characters[position].isNumber {
            read.append(characters[position])
            position += 1
        }
        return read.count >= count.lowerBound ? read : nil
    }

    mutating func number(digits count: ClosedRange<Int>) -> Int? { digits(count).flatMap { Int($0) } }

    /// The index of the name (or its first three letters) that comes next, ignoring case.
    mutating func name(from names: [String], abbreviated: Bool) -> Int? {
        for (index, name) in names.enumerated() {
            let candidate = abbreviated ? String(name.prefix(3)) : name
            let end = position + candidate.count
            guard end <= characters.count else { continue }
            if String(characters[position..<end]).lowercased() == candidate.lowercased() {
                position = end
                return index
            }
        }
        return nil
    }

    /// "+hh", "+hhmm" or "+hh:mm" (or "-…"), in seconds east of UTC.
    mutating func offset() -> Int? {
        guard !atEnd, characters[position] == "+" || characters[position] == "-" else { return nil }
        let sign = characters[position] == "-" ? -1 : 1
        position += 1
        guard let hours = number(digits: 2...2), hours <= 14 else { return nil }
        _ = take(":")
        let minutes = number(digits: 2...2) ?? 0
        guard minutes < 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}
