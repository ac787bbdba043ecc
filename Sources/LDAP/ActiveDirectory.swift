/// Active Directory's encodings and controls.
public enum ActiveDirectory {
    /// `objectGUID`'s 16 bytes in AD's textual form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase, as
    /// `<GUID=…>` DNs and Samba's tools write it. The bytes are a Windows GUID structure, whose first three
    /// fields are little-endian, so they are not in the order of the text.
    public static func guidString(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 16 else { return nil }
        return UUIDText.format(guidByteOrder.map { bytes[$0] })
    }

    /// The inverse of ``guidString(_:)``: the bytes to compare with `objectGUID` or to put in a filter.
    /// Accepts either case, with or without braces.
    public static func guidBytes(_ string: String) -> [UInt8]? {
        guard let textOrder = UUIDText.parse(string) else { return nil }
        // The reordering only swaps bytes within the little-endian fields, so it is its own inverse.
        return guidByteOrder.map { textOrder[$0] }
    }

    /// For each position of the text, the byte of the GUID structure shown there.
    private static let guidByteOrder = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]

    /// A `unicodePwd` value: the password in double quotes, encoded as UTF-16LE, as AD requires for setting
    /// (replace) or changing (delete old, add new) a password over an encrypted connection.
    public static func unicodePwd(_ password: String) -> LDAPValue {
        "\"\(password)\"".utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
    }

    /// The DirSync request control (`LDAP_SERVER_DIRSYNC_OID`, MS-ADTS §3.1.1.3.4.1.3):
    /// `SEQUENCE { flags INTEGER, maxAttributeCount INTEGER, cookie OCTET STRING }`. Critical, as a server
    /// that ignored it would answer with a plain search and no cookie. An empty cookie starts a full sync.
    public static func dirSyncControl(flags: Int32, maxAttributeCount: Int32, cookie: [UInt8]) -> LDAPControl {
        LDAPControl(oid: dirSyncOID, critical: true, value: BER.sequence([
            BER.integer(Int64(flags)), BER.integer(Int64(maxAttributeCount)), BER.octetString(cookie),
        ]))
    }

    /// The DirSync response control's value, `SEQUENCE { moreResults INTEGER, unused INTEGER, cookie OCTET STRING }`:
    /// whether another request with the new cookie would return more, and that cookie. `nil` for another
    /// control or a malformed value.
    public static func parseDirSyncResponse(_ control: LDAPControl) -> (moreResults: Bool, cookie: [UInt8])? {
        guard control.oid == dirSyncOID, let value = control.value else { return nil }
        var outer = BER.Reader(value)
        guard var fields = outer.readSequence(),
              let moreResults = fields.readInteger(),
              fields.readInteger() != nil,
              let cookie = fields.readOctetString() else { return nil }
        return (moreResults != 0, cookie)
    }

    public static let dirSyncOID = "1.2.840.113556.1.4.841"

    /// Flags of the DirSync request control (MS-ADTS §3.1.1.3.4.1.3).
    public enum DirSyncFlags {
        /// Returns only what the bound identity may read, which lets a non-administrator use DirSync.
        public static let objectSecurity: Int32 = 0x0000_0001
        /// Returns parents before their children.
        public static let ancestorsFirstOrder: Int32 = 0x0000_0800
        /// Leaves out secret attributes (passwords and keys).
        public static let publicDataOnly: Int32 = 0x0000_2000
        /// Returns only the values of a multi-valued attribute that changed, not all of them.
        public static let incrementalValues: Int32 = Int32(bitPattern: 0x8000_0000)
    }

    /// `LDAP_SERVER_SHOW_DELETED_OID`: includes tombstones (`isDeleted=TRUE`) in a search. No value.
    public static let showDeletedControl = LDAPControl(oid: "1.2.840.113556.1.4.417", critical: true, value: nil)
}
