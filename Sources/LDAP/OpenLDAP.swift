/// OpenLDAP's encodings.
public enum OpenLDAP {
    /// An `entryUUID` as syncrepl sends it (the 16 bytes of a syncUUID) in the form slapd shows the
    /// attribute, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase: RFC 4122's byte order, big-endian
    /// throughout, so the text is the bytes in order (unlike Active Directory's objectGUID).
    public static func uuidString(_ bytes: [UInt8]) -> String? {
        UUIDText.format(bytes)
    }

    /// The inverse of ``uuidString(_:)``: the syncUUID bytes of an `entryUUID` value read as text.
    public static func uuidBytes(_ string: String) -> [UInt8]? {
        UUIDText.parse(string)
    }
}
