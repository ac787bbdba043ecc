/// The textual form of 16-byte identifiers, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase, with the
/// bytes in the order of the text. Directories differ in how their bytes map to it (see
/// ``ActiveDirectory/guidString(_:)`` and ``OpenLDAP/uuidString(_:)``).
enum UUIDText {
    static func format(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 16 else { return nil }
        let hex = bytes.map { $0 < 0x10 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]]
            .map { $0.joined() }
            .joined(separator: "-")
    }

    /// The bytes in text order. Accepts either case, with or without braces.
    static func parse(_ string: String) -> [UInt8]? {
        var text = Substring(string)
        if text.first == "{" && text.last == "}" { text = text.dropFirst().dropLast() }
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return nil }
        var bytes: [UInt8] = []
        for group in groups {
            var digits = group.makeIterator()
            while let high = digits.next(), let low = digits.next() {
                guard high.isASCII, low.isASCII, let high = high.hexDigitValue, let low = low.hexDigitValue else {
                    return nil
                }
                bytes.append(UInt8(high << 4 | low))
            }
        }
        return bytes
    }
}
