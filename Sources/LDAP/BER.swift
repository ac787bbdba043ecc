/// Just enough BER (ITU-T X.690) for the values of the controls and intermediate responses this module
/// builds and reads: SEQUENCE, SET, INTEGER, ENUMERATED, BOOLEAN, OCTET STRING and context-specific tags
/// (single-byte tags), definite lengths only, as LDAP requires (RFC 4511 §5.1).
///
/// Written in Swift rather than through libldap's `ber_printf`/`ber_scanf`: those are variadic, which Swift
/// cannot call, so they would need C wrappers per format string; and bounds-checked Swift is the safer place
/// to parse bytes that come from the network. The tests check this encoder and decoder against libldap's.
enum BER {
    static let booleanTag: UInt8 = 0x01
    static let integerTag: UInt8 = 0x02
    static let octetStringTag: UInt8 = 0x04
    static let enumeratedTag: UInt8 = 0x0A
    static let sequenceTag: UInt8 = 0x30
    static let setTag: UInt8 = 0x31

    /// The tag of a context-specific `[number]` (IMPLICIT) element, primitive or constructed (X.690 §8.1.2).
    static func contextTag(_ number: UInt8, constructed: Bool) -> UInt8 {
        0x80 | (constructed ? 0x20 : 0) | number
    }

    static func integer(_ value: Int64) -> [UInt8] {
        element(integerTag, twosComplement(value))
    }

    /// Encoded like an INTEGER, with its own tag (X.690 §8.4).
    static func enumerated(_ value: Int64) -> [UInt8] {
        element(enumeratedTag, twosComplement(value))
    }

    /// TRUE as 0xFF, the only form DER allows and the one LDAP servers send (X.690 §11.1).
    static func boolean(_ value: Bool) -> [UInt8] {
        element(booleanTag, [value ? 0xFF : 0x00])
    }

    /// Two's complement, big-endian, in as few bytes as keep the sign (X.690 §8.3.2).
    private static func twosComplement(_ value: Int64) -> [UInt8] {
        var content: [UInt8] = withUnsafeBytes(of: value.bigEndian, Array.init)
        while content.count > 1,
              (content[0] == 0x00 && content[1] & 0x80 == 0) || (content[0] == 0xFF && content[1] & 0x80 != 0) {
            content.removeFirst()
        }
        return content
    }

    static func octetString(_ bytes: [UInt8]) -> [UInt8] {
        element(octetStringTag, bytes)
    }

    static func sequence(_ elements: [[UInt8]]) -> [UInt8] {
        element(sequenceTag, elements.flatMap { $0 })
    }

    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
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

        /// The tag of the next element, to tell which of a CHOICE it is or whether an OPTIONAL one is there.
        var nextTag: UInt8? { remaining.first }

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

        /// The contents of a constructed element (SET, a context-specific tag) as a reader of its own.
        mutating func readConstructed(tag: UInt8) -> Reader? {
            read(tag: tag).map(Reader.init)
        }

        /// An INTEGER of up to 8 content bytes.
        mutating func readInteger() -> Int64? {
            readTwosComplement(tag: BER.integerTag)
        }

        mutating func readEnumerated() -> Int64? {
            readTwosComplement(tag: BER.enumeratedTag)
        }

        /// Any non-zero content byte is TRUE in BER (X.690 §8.2.2), though DER senders only use 0xFF.
        mutating func readBoolean() -> Bool? {
            guard let content = read(tag: BER.booleanTag), content.count == 1, let byte = content.first else {
                return nil
            }
            return byte != 0
        }

        private mutating func readTwosComplement(tag: UInt8) -> Int64? {
            guard let content = read(tag: tag), (1...8).contains(content.count),
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
