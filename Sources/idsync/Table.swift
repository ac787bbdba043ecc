import Foundation

/// Plain-text columns for command output: left-aligned text, right-aligned numbers.
struct Table {
    var headers: [String]
    var rows: [[String]] = []
    var rightAligned: Set<Int> = []

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

enum Format {
    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    static func duration(from start: Date, to end: Date?) -> String {
        guard let end else { return "-" }
        let seconds = end.timeIntervalSince(start)
        return seconds < 60 ? String(format: "%.1fs", seconds) : String(format: "%.0fm%02.0fs", (seconds / 60).rounded(.down),
                                                                           seconds.truncatingRemainder(dividingBy: 60))
    }

    /// A configured duration as the configuration writes it: 30d, 12h, 5m, 45s.
    static func duration(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60)] where seconds >= size && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }

    /// Attribute lines, sorted, one value per line, for `cs show` and `mv search`.
    static func attributes(_ attributes: [String: [String]], indent: String = "  ") -> String {
        attributes.keys.sorted().flatMap { name in
            (attributes[name] ?? []).map { "\(indent)\(name): \($0)" }
        }.joined(separator: "\n")
    }
}
