import Crypto
import Foundation

/// Attribute name → values, the shape every connector-space and metaverse object has. Values are strings;
/// binary source attributes are converted by the connector (objectGUID to its canonical string).
public typealias AttributeMap = [String: [String]]

extension Dictionary where Key == String, Value == [String] {
    /// The map without empty value lists: "no value" has one representation.
    public var normalized: AttributeMap { filter { !$0.value.isEmpty } }

    /// The first value of an attribute.
    public func first(_ name: String) -> String? { self[name]?.first }

    /// Deterministic JSON (sorted keys, no empty lists), so equal maps store equal bytes and hash equally.
    /// Written by hand for this one shape: it runs for every object a sync touches, and JSONEncoder is
    /// several times slower.
    public func canonicalJSON() -> String {
        var out = "{"
        var first = true
        for key in keys.sorted() {
            guard let values = self[key], !values.isEmpty else { continue }
            if !first { out += "," }
            first = false
            appendJSONString(key, to: &out)
            out += ":["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                appendJSONString(value, to: &out)
            }
            out += "]"
        }
        return out + "}"
    }

    /// SHA-256 of the canonical JSON, hex: "has anything changed" without comparing whole maps.
    public func digest() -> String { digest(ofCanonicalJSON: canonicalJSON()) }

    /// The digest of JSON already made by `canonicalJSON()`.
    public func digest(ofCanonicalJSON json: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(json.utf8)) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads what `canonicalJSON()` wrote, with a small parser for that one shape (object of string arrays);
    /// anything else goes to JSONDecoder.
    public static func fromJSON(_ text: String) throws -> AttributeMap {
        var copy = text
        if let map = copy.withUTF8({ bytes -> AttributeMap? in
            var parser = AttributeMapParser(bytes: bytes)
            return parser.parse()
        }) { return map }
        return try JSONDecoder().decode(AttributeMap.self, from: Data(text.utf8))
    }
}

extension Dictionary where Key == String, Value == [Reference] {
    /// Deterministic JSON for the store: sorted keys, no empty lists, a metaverse reference as its id (a JSON
    /// number), a target reference as its id there (a JSON string): `{"member":[12,"4f2a…"]}`.
    public func canonicalJSON() -> String {
        var out = "{"
        var first = true
        for key in keys.sorted() {
            guard let references = self[key], !references.isEmpty else { continue }
            if !first { out += "," }
            first = false
            appendJSONString(key, to: &out)
            out += ":["
            for (index, reference) in references.enumerated() {
                if index > 0 { out += "," }
                switch reference {
                case .metaverse(let id): out += String(id)
                case .target(let id): appendJSONString(id, to: &out)
                }
            }
            out += "]"
        }
        return out + "}"
    }

    /// Reads what `canonicalJSON()` wrote.
    public static func fromJSON(_ text: String) throws -> ReferenceMap {
        if text == "{}" { return [:] }
        var copy = text
        let parsed = copy.withUTF8 { bytes -> ReferenceMap? in
            var parser = AttributeMapParser(bytes: bytes)
            return parser.parseReferences()
        }
        guard let parsed else { throw StoreError.corrupt("a stored reference map: \(text.prefix(80))") }
        return parsed
    }
}

/// A JSON string literal (RFC 8259 §7): quotes, backslashes and control characters escaped.
private func appendJSONString(_ string: String, to out: inout String) {
    out += "\""
    // Most values need no escape: append them whole.
    if !string.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
        out += string
        out += "\""
        return
    }
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}

/// A parser for `{"name":["value",…],…}` only (and, for reference maps, numbers among the values); nil for
/// anything it does not expect.
private struct AttributeMapParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func parse() -> AttributeMap? { parseMap { $0.string() } }

    /// A reference map: numbers are metaverse ids, strings target ids.
    mutating func parseReferences() -> ReferenceMap? {
        parseMap { parser in
            if let id = parser.integer() { return Reference.metaverse(id) }
            return parser.string().map(Reference.target)
        }
    }

    private mutating func parseMap<Element>(_ element: (inout AttributeMapParser) -> Element?) -> [String: [Element]]? {
        var map: [String: [Element]] = [:]
        guard take(UInt8(ascii: "{")) else { return nil }
        if take(UInt8(ascii: "}")) { return position == bytes.count ? map : nil }
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")), take(UInt8(ascii: "[")) else { return nil }
            var values: [Element] = []
            if !take(UInt8(ascii: "]")) {
                repeat {
                    guard let value = element(&self) else { return nil }
                    values.append(value)
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "]")) else { return nil }
            }
            map[key] = values
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")), position == bytes.count else { return nil }
        return map
    }

    /// A JSON integer (digits, an optional leading minus); nil, without moving, for anything else.
    private mutating func integer() -> Int64? {
        var end = position, value: Int64 = 0
        let negative = end < bytes.count && bytes[end] == UInt8(ascii: "-")
        if negative { end += 1 }
        let digits = end
        // Digit by digit, without a String per number (a group's members are thousands of them).
        while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") {
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdding) = times10.addingReportingOverflow(Int64(bytes[end] - UInt8(ascii: "0")))
            guard !overflow, !overflowAdding else { return nil }
            value = sum
            end += 1
        }
        guard end > digits else { return nil }
        position = end
        return negative ? -value : value
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        // Fast path: no escapes.
        while position < bytes.count, bytes[position] != UInt8(ascii: "\""), bytes[position] != UInt8(ascii: "\\") { position += 1 }
        guard position < bytes.count else { return nil }
        if bytes[position] == UInt8(ascii: "\"") {
            defer { position += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        }
        var out = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard position < bytes.count else { return nil }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if (0xD800..<0xDC00).contains(scalar) {     // a surrogate pair
                    guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let unicode = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count,
              let value = UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + 4]), as: UTF8.self), radix: 16)
        else { return nil }
        position += 4
        return value
    }
}
