import LDAP
import SyncConfiguration

extension LDAPConnectorConfig {
    /// How to reach and trust this connector's server: the same for the connector's reads and for the
    /// service account's logons through it.
    public var connectionOptions: LDAPConnectionOptions {
        LDAPConnectionOptions(url: url, startTLS: startTLS, caFile: tlsCAFile, verifyCertificate: tlsVerify,
                              networkTimeout: connectTimeout, operationTimeout: timeout)
    }
}
