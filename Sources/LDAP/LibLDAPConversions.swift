internal import CLDAP
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

// Copies out of libldap's structures into Swift values. None of these free anything: the caller owns the
// C memory and frees it with the libldap function that matches its allocator.

/// The bytes a `berval` points to. A `berval` is length-delimited and may contain NULs, so it is never read
/// as a C string.
func bytes(of value: berval) -> [UInt8] {
    guard let start = value.bv_val, value.bv_len > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: start, count: Int(value.bv_len)))
}

/// The strings of a NULL-terminated `char **`.
func stringArray(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard var cursor = array else { return [] }
    var strings: [String] = []
    while let string = cursor.pointee {
        strings.append(String(cString: string))
        cursor += 1
    }
    return strings
}

/// Frees a NULL-terminated `char **` that libldap allocated, strings and array.
func freeStringArray(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
    guard let array else { return }
    ldap_memvfree(UnsafeMutableRawPointer(array).assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
}

/// The controls of a NULL-terminated `LDAPControl **`.
func swiftControls(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CLDAP.LDAPControl>?>?) -> [LDAPControl] {
    guard var cursor = array else { return [] }
    var controls: [LDAPControl] = []
    while let control = cursor.pointee {
        let oid = control.pointee.ldctl_oid.map { String(cString: $0) } ?? ""
        // A control without a value has a NULL bv_val; one with an empty value has a non-NULL one.
        let value = control.pointee.ldctl_value.bv_val == nil ? nil : bytes(of: control.pointee.ldctl_value)
        controls.append(LDAPControl(oid: oid, critical: control.pointee.ldctl_iscritical != 0, value: value))
        cursor += 1
    }
    return controls
}

/// `ldap_msgtype` as the `ber_tag_t` constants (`LDAP_RES_SEARCH_ENTRY`…) are typed; -1 becomes `LBER_ERROR`.
func messageType(_ message: OpaquePointer) -> ber_tag_t {
    ber_tag_t(truncatingIfNeeded: ldap_msgtype(message))
}

extension Duration {
    /// This duration as libldap's timeouts take it, to the microsecond; negative durations become zero.
    var cTimeval: timeval {
        let (seconds, attoseconds) = max(self, .zero).components
        return timeval(tv_sec: time_t(clamping: seconds), tv_usec: suseconds_t(attoseconds / 1_000_000_000_000))
    }
}
