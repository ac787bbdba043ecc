import CLDAP
@testable import LDAP
import Testing

/// The Swift BER encoder and decoder against libldap's own, on the paged-results control, whose value has
/// the same building blocks as DirSync's (SEQUENCE, INTEGER, OCTET STRING).
@Suite("BER against libldap (no server)")
struct BERCrossCheckTests {
    static let pageSizes: [Int32] = [0, 1, 100, 127, 128, 255, 256, 500, 32_767, 32_768, 65_536, Int32.max]
    static let cookieLengths = [0, 1, 127, 128, 255, 256, 1_000, 70_000]

    // libldap refuses to encode a page size of 0 (the RFC 2696 way to abandon a paged search).
    @Test(arguments: pageSizes.filter { $0 > 0 }, cookieLengths)
    func encoderMatchesLibLDAP(pageSize: Int32, cookieLength: Int) throws {
        let cookie = (0..<cookieLength).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let ours = try #require(PagedResultsControl.request(pageSize: pageSize, cookie: cookie).value)
        let theirs = try withLibLDAP { ld in try libldapPageControlValue(ld, pageSize: pageSize, cookie: cookie) }
        #expect(ours == theirs)
    }

    @Test(arguments: pageSizes, cookieLengths)
    func libldapDecodesOurEncoding(pageSize: Int32, cookieLength: Int) throws {
        let cookie = (0..<cookieLength).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let control = PagedResultsControl.request(pageSize: pageSize, cookie: cookie)
        let decoded = try withLibLDAP { ld in try libldapParsePageResponse(ld, control) }
        #expect(decoded.count == pageSize)
        #expect(decoded.cookie == cookie)
        // And ours reads it back the same.
        let parsed = try #require(PagedResultsControl.parseResponse(control))
        #expect(parsed.estimatedTotal == Int64(pageSize))
        #expect(parsed.cookie == cookie)
    }

    @Test(arguments: [Int64.min, -129, -128, -1, 0, 1, 127, 128, 255, 256, Int64(Int32.min), Int64(Int32.max), Int64.max])
    func integersRoundTrip(_ value: Int64) {
        var reader = BER.Reader(BER.integer(value))
        #expect(reader.readInteger() == value)
        #expect(reader.isAtEnd)
    }

    private func withLibLDAP<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        var ld: OpaquePointer?
        // Only for its encoder: nothing connects.
        try #require(ldap_initialize(&ld, "ldap://127.0.0.1:1") == LDAP_SUCCESS)
        let session = try #require(ld)
        defer { ldap_unbind_ext_s(session, nil, nil) }
        return try body(session)
    }

    private func libldapPageControlValue(_ ld: OpaquePointer, pageSize: Int32, cookie: [UInt8]) throws -> [UInt8] {
        var cookieCopy = cookie
        var value = berval(bv_len: 0, bv_val: nil)
        let rc = cookieCopy.withUnsafeMutableBytes { bytes in
            var cookieValue = berval(bv_len: ber_len_t(bytes.count),
                                     bv_val: bytes.baseAddress?.assumingMemoryBound(to: CChar.self))
            return ldap_create_page_control_value(ld, pageSize, &cookieValue, &value)
        }
        try #require(rc == LDAP_SUCCESS)
        defer { ldap_memfree(value.bv_val) }
        return Array(UnsafeRawBufferPointer(start: value.bv_val, count: Int(value.bv_len)))
    }

    private func libldapParsePageResponse(_ ld: OpaquePointer, _ control: LDAP.LDAPControl) throws -> (count: Int32, cookie: [UInt8]) {
        var value = try #require(control.value)
        var count: ber_int_t = -1
        var cookie = berval(bv_len: 0, bv_val: nil)
        let rc = control.oid.withCString { oid in
            value.withUnsafeMutableBytes { bytes in
                var cControl = CLDAP.LDAPControl(
                    ldctl_oid: UnsafeMutablePointer(mutating: oid),
                    ldctl_value: berval(bv_len: ber_len_t(bytes.count), bv_val: bytes.baseAddress?.assumingMemoryBound(to: CChar.self)),
                    ldctl_iscritical: 0)
                return ldap_parse_pageresponse_control(ld, &cControl, &count, &cookie)
            }
        }
        try #require(rc == LDAP_SUCCESS)
        defer { ldap_memfree(cookie.bv_val) }
        return (count, Array(UnsafeRawBufferPointer(start: cookie.bv_val, count: Int(cookie.bv_len))))
    }
}
