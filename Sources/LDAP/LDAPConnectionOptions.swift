/// How to reach and trust one LDAP server.
public struct LDAPConnectionOptions: Sendable {
    /// `ldaps://host:636` for TLS from the first byte, or `ldap://host:389` (with ``startTLS`` to encrypt).
    public var url: String
    /// Upgrades an `ldap://` connection with the StartTLS extended operation (RFC 4513 §3) before anything else
    /// is sent. Meaningless (and refused) for `ldaps://`, which is encrypted already.
    public var startTLS: Bool
    /// PEM bundle of the certificate authorities to trust for this connection only. `nil` uses the system's
    /// trust store (`TLS_CACERT` in ldap.conf).
    public var caFile: String?
    /// `false` accepts any server certificate, which lets anyone on the path read the passwords this service
    /// sends. For throwaway labs only.
    public var verifyCertificate: Bool
    /// Bound on establishing the TCP connection.
    public var networkTimeout: Duration
    /// Bound on each operation (bind, search request, modify…), from sending it to its final response.
    public var operationTimeout: Duration

    public init(
        url: String,
        startTLS: Bool = false,
        caFile: String? = nil,
        verifyCertificate: Bool = true,
        networkTimeout: Duration = .seconds(10),
        operationTimeout: Duration = .seconds(120)
    ) {
        self.url = url
        self.startTLS = startTLS
        self.caFile = caFile
        self.verifyCertificate = verifyCertificate
        self.networkTimeout = networkTimeout
        self.operationTimeout = operationTimeout
    }
}
