/// One attribute value as the server sends it: raw bytes, because many attributes (objectGUID, objectSid,
/// unicodePwd, jpegPhoto) are binary and decoding them as text would corrupt them.
public typealias LDAPValue = [UInt8]

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of `string`, the encoding LDAPv3 uses for every string attribute (RFC 4511 §4.1.2).
    /// Labelled: an unlabelled `init(_: String)` would change what `Array(someString)` means in every
    /// file that imports this module.
    public init(utf8 string: String) {
        self.init(string.utf8)
    }
}
