/// A UTC instant as a proleptic Gregorian date and time, to 100 ns (a FILETIME tick), without a calendar
/// object: the conversions are integer arithmetic on days since 1970-01-01.
struct CivilTime: Equatable {
    var year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0
    /// 100-ns ticks within the second, 0..<10_000_000.
    var ticks = 0

    static let ticksPerSecond: Int64 = 10_000_000

    /// Seconds since 1970-01-01T00:00:00Z.
    var epochSeconds: Int64 {
        Self.days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, ticks: Int = 0) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second, self.ticks) = (year, month, day, hour, minute, second, ticks)
    }

    init(epochSeconds: Int64, ticks: Int = 0) {
        let days = epochSeconds.floorDivided(by: 86_400)
        let secondOfDay = Int(epochSeconds - days * 86_400)
        (year, month, day) = Self.date(days: days)
        (hour, minute, second) = (secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
        self.ticks = ticks
    }

    /// 1 = Monday … 7 = Sunday (ISO 8601); 1970-01-01 was a Thursday.
    var weekday: Int { Int((Self.days(year: year, month: month, day: day) + 3).floorModulo(7)) + 1 }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01: years counted from March, so the leap day ends each 400-year era's years.
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let marchYear = Int64(month <= 2 ? year - 1 : year)
        let era = marchYear.floorDivided(by: 400)
        let yearOfEra = marchYear - era * 400
        let dayOfYear = Int64((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func date(days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        let month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        return (Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 { (self - floorModulo(divisor)) / divisor }
    func floorModulo(_ divisor: Int64) -> Int64 { ((self % divisor) + divisor) % divisor }
}
