/// Just enough BER (ITU-T X.690) for the values of the controls this module builds and reads: SEQUENCE,
/// INTEGER and OCTET STRING, definite lengths only, as LDAP requires (RFC 4511 §5.1).
///
/// Written in Swift rather than through libldap's `ber_printf`/`ber_scanf`: those are variadic, which Swift
/// cannot call, so they would need C wrappers per format string; and bounds-checked Swift is the safer place
/// to parse bytes that come from the network. The tests check this encoder and decoder against libldap's.
enum BER {
    static let integerTag: UInt8 = 0x02
    static let octetStringTag: UInt8 = 0x04
    static let sequenceTag: UInt8 = 0x30

    static func integer(_ value: Int64) -> [UInt8] {
        // Two's complement, big-endian, in as few bytes as keep the sign (X.690 §8.3.2).
        var content: [UInt8] = withUnsafeBytes(of: value.bigEndian, Array.init)
        while content.count > 1,
              (content[0] == 0x00 && content[1] & 0x80 == 0) || (content[0] == 0xFF && content[1] & 0x80 != 0) {
            content.removeFirst()
        }
        return element(integerTag, content)
    }

    static func octetString(_ bytes: [UInt8]) -> [UInt8] {
        element(octetStringTag, bytes)
    }

    static func sequence(_ elements: [[UInt8]]) -> [UInt8] {
        element(sequenceTag, elements.flatMap { $0 })
    }

    private static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    /// Short form below 128, otherwise the long form's minimal big-endian byte count (X.690 §8.1.3).
    private static func length(_ count: Int) -> [UInt8] {
        guard count >= 0x80 else { return [UInt8(count)] }
        let bigEndian: [UInt8] = withUnsafeBytes(of: UInt64(count).bigEndian, Array.init)
        let bytes = bigEndian.drop(while: { $0 == 0 })
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// Reads elements one after the other from untrusted bytes; every read checks the bounds and returns
    /// `nil` instead of trapping on malformed input.
    struct Reader {
        private var remaining: ArraySlice<UInt8>

        init(_ bytes: ArraySlice<UInt8>) {
            remaining = bytes
        }

        init(_ bytes: [UInt8]) {
            self.init(bytes[...])
        }

        var isAtEnd: Bool { remaining.isEmpty }

        /// The contents of the next element, which must have tag `tag`.
        mutating func read(tag: UInt8) -> ArraySlice<UInt8>? {
            var cursor = remaining
            guard cursor.popFirst() == tag, let length = Self.readLength(&cursor), length <= cursor.count else {
                return nil
            }
            let content = cursor.prefix(length)
            remaining = cursor.dropFirst(length)
            return content
        }

        mutating func readSequence() -> Reader? {
            read(tag: BER.sequenceTag).map(Reader.init)
        }

        /// An INTEGER of up to 8 content bytes.
        mutating func readInteger() -> Int64? {
            guard let content = read(tag: BER.integerTag), (1...8).contains(content.count),
                  let first = content.first else { return nil }
            // Sign-extend from the first byte, then shift in the rest.
            var value: Int64 = first & 0x80 == 0 ? 0 : -1
            for byte in content {
                value = value << 8 | Int64(byte)
            }
            return value
        }

        mutating func readOctetString() -> [UInt8]? {
            read(tag: BER.octetStringTag).map(Array.init)
        }

        private static func readLength(_ cursor: inout ArraySlice<UInt8>) -> Int? {
            guard let first = cursor.popFirst() else { return nil }
            if first < 0x80 { return Int(first) }
            // 0x80 alone would be the indefinite form, which LDAP forbids; more than 4 length bytes would
            // describe more than 4 GiB, which no control value has.
            let byteCount = Int(first & 0x7F)
            guard (1...4).contains(byteCount), cursor.count >= byteCount else { return nil }
            var length = 0
            for _ in 0..<byteCount {
                guard let byte = cursor.popFirst() else { return nil }
                length = length << 8 | Int(byte)
            }
            return length
        }
    }
}
