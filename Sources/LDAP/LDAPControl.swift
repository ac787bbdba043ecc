/// A request or response control (RFC 4511 §4.1.11). `value` is the control's BER-encoded value, if it has one.
public struct LDAPControl: Sendable, Equatable {
    public var oid: String
    /// A critical control that the server does not support fails the request instead of being ignored.
    public var critical: Bool
    public var value: [UInt8]?

    public init(oid: String, critical: Bool = false, value: [UInt8]? = nil) {
        self.oid = oid
        self.critical = critical
        self.value = value
    }
}

extension Array where Element == LDAPControl {
    /// The first control with this OID, as response controls are looked up by type.
    func first(oid: String) -> LDAPControl? {
        first { $0.oid == oid }
    }
}
