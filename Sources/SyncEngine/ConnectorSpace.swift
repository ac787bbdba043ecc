import LDAP
import SyncConfiguration

/// How connector-space objects are looked up by name.
public enum ConnectorSpace {
    /// Directory objects by their normalized DN (AD compares DNs case-insensitively); cloud objects by
    /// their display name (userName / group displayName) in lower case.
    public static func dnKey(_ dn: String, role: ConnectorConfig.Role) -> String {
        switch role {
        case .source: DistinguishedName.normalized(dn)
        case .target: dn.lowercased()
        }
    }
}
