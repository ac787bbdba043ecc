/// One relative distinguished name: one or more `type=value` pairs joined by `+`.
struct RelativeDN {
    struct Attribute {
        var type: String
        var value: Value
    }

    enum Value {
        /// The value with escapes resolved, as bytes: hex escapes may spell any byte, valid UTF-8 or not.
        case bytes([UInt8])
        /// `#` followed by the hex of a BER encoding (RFC 4514 §2.4), kept as written.
        case ber(String)
    }

    var attributes: [Attribute]
    /// Where this RDN starts in the DN string.
    var range: Range<String.Index>

    /// Case-folded, with canonical escapes and sorted attributes: see ``DistinguishedName/normalized(_:)``.
    var normalized: String {
        attributes.map { attribute in
            let value = switch attribute.value {
            case .ber(let hex): hex.lowercased()
            case .bytes(let bytes):
                if let text = String(validating: bytes, as: UTF8.self) {
                    DistinguishedName.escapeValue(text.lowercased())
                } else {
                    bytes.map(DistinguishedName.hexEscape).joined()
                }
            }
            return attribute.type.lowercased() + "=" + value
        }
        .sorted()
        .joined(separator: "+")
    }
}

/// Parses the string form of a DN (RFC 4514 §3), leniently as to what it accepts unescaped (it reads what
/// servers send; it does not validate what users type), strictly as to structure.
struct DNParser {
    private let dn: String
    private let utf8: String.UTF8View
    private var index: String.Index

    private init(_ dn: String) {
        self.dn = dn
        utf8 = dn.utf8
        index = utf8.startIndex
    }

    /// The RDNs of `dn`, the entry's own first; empty for the empty DN; `nil` if it is not a DN.
    static func parse(_ dn: String) -> [RelativeDN]? {
        var parser = DNParser(dn)
        parser.skipSpaces()
        if parser.isAtEnd { return [] }
        var rdns: [RelativeDN] = []
        var current = RelativeDN(attributes: [], range: parser.index..<parser.index)
        while true {
            guard let attribute = parser.readAttribute() else { return nil }
            current.attributes.append(attribute)
            current.range = current.range.lowerBound..<parser.index
            switch parser.popByte() {
            case nil:
                rdns.append(current)
                return rdns
            case UInt8(ascii: ","):
                rdns.append(current)
                parser.skipSpaces()
                current = RelativeDN(attributes: [], range: parser.index..<parser.index)
            case UInt8(ascii: "+"):
                continue
            default:
                return nil
            }
        }
    }

    private var isAtEnd: Bool { index == utf8.endIndex }

    private var peek: UInt8? { isAtEnd ? nil : utf8[index] }

    private mutating func popByte() -> UInt8? {
        guard let byte = peek else { return nil }
        utf8.formIndex(after: &index)
        return byte
    }

    private mutating func skipSpaces() {
        while peek == UInt8(ascii: " ") { _ = popByte() }
    }

    /// `type = value`, and the spaces around it.
    private mutating func readAttribute() -> RelativeDN.Attribute? {
        skipSpaces()
        var type: [UInt8] = []
        // A descriptor (cn) or a numeric OID (2.5.4.3).
        while let byte = peek, byte.isASCIILetterOrDigit || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") {
            type.append(byte)
            _ = popByte()
        }
        skipSpaces()
        guard !type.isEmpty, popByte() == UInt8(ascii: "=") else { return nil }
        skipSpaces()
        let value = peek == UInt8(ascii: "#") ? readBERValue() : readStringValue()
        skipSpaces()
        return value.map { RelativeDN.Attribute(type: String(decoding: type, as: UTF8.self), value: $0) }
    }

    private mutating func readBERValue() -> RelativeDN.Value? {
        var hex = [popByte() ?? 0]
        while let byte = peek, byte.isASCIIHexDigit {
            hex.append(byte)
            _ = popByte()
        }
        // '#' and an even, non-zero number of hex digits.
        guard hex.count > 1, hex.count % 2 == 1 else { return nil }
        return .ber(String(decoding: hex, as: UTF8.self))
    }

    private mutating func readStringValue() -> RelativeDN.Value? {
        var value: [UInt8] = []
        // Unescaped trailing spaces are not part of the value (RFC 4514 §2.4); escaped ones are.
        var significantLength = 0
        while let byte = peek, byte != UInt8(ascii: ","), byte != UInt8(ascii: "+") {
            _ = popByte()
            if byte == UInt8(ascii: "\\") {
                guard let escaped = popByte() else { return nil }
                if escaped.isASCIIHexDigit {
                    guard let low = popByte(), low.isASCIIHexDigit else { return nil }
                    value.append(escaped.hexValue << 4 | low.hexValue)
                } else {
                    value.append(escaped)
                }
                significantLength = value.count
            } else {
                value.append(byte)
                if byte != UInt8(ascii: " ") { significantLength = value.count }
            }
        }
        return .bytes(Array(value.prefix(significantLength)))
    }
}

private extension UInt8 {
    var isASCIILetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }

    var isASCIIHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self | 0x20)
    }

    /// The value of a hex digit; only called after `isASCIIHexDigit`.
    var hexValue: UInt8 {
        self <= UInt8(ascii: "9") ? self - UInt8(ascii: "0") : (self | 0x20) - UInt8(ascii: "a") + 10
    }
}
