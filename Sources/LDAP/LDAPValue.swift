/// One attribute value as the server sends it: raw bytes, because many attributes (objectGUID, objectSid,
/// unicodePwd, jpegPhoto) are binary and decoding them as text would corrupt them.
public typealias LDAPValue = [UInt8]

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of `string`, the encoding LDAPv3 uses for every string attribute (RFC 4511 §4.1.2).
    public init(_ string: String) {
        self.init(string.utf8)
    }
}
