/// The simple paged results control (RFC 2696): `SEQUENCE { size INTEGER, cookie OCTET STRING }` both ways.
enum PagedResultsControl {
    static let oid = "1.2.840.113556.1.4.319"

    /// Critical, so that a server without paging fails the search instead of sending every entry in one
    /// response, which the caller chose paging to avoid.
    static func request(pageSize: Int32, cookie: [UInt8]) -> LDAPControl {
        LDAPControl(oid: oid, critical: true,
                    value: BER.sequence([BER.integer(Int64(pageSize)), BER.octetString(cookie)]))
    }

    /// The server's estimate of the total (0 when it does not say) and the cookie for the next page, empty
    /// after the last one.
    static func parseResponse(_ control: LDAPControl) -> (estimatedTotal: Int64, cookie: [UInt8])? {
        guard let value = control.value else { return nil }
        var outer = BER.Reader(value)
        guard var fields = outer.readSequence(),
              let estimatedTotal = fields.readInteger(),
              let cookie = fields.readOctetString() else { return nil }
        return (estimatedTotal, cookie)
    }
}
