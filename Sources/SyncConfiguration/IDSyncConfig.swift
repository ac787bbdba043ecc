/// idsync.yaml, validated. Every key is documented in docs/configuration.md.
public struct IDSyncConfig: Sendable {
    /// The file this was read from; relative paths inside it were resolved against its directory.
    public var file: String
    /// The SQLite database holding connector spaces, metaverse, pending exports and run history.
    public var database: String
    public var service: ServiceConfig
    public var sync: SyncSettings
    public var connectors: [ConnectorConfig]

    public func connector(named name: String) -> ConnectorConfig? { connectors.first { $0.name == name } }

    /// The directories idsync reads from, in configuration order.
    public var sourceConnectors: [ConnectorConfig] { connectors.filter { $0.role == .source } }
    /// The applications idsync writes to (SCIM service providers), in configuration order.
    public var targetConnectors: [ConnectorConfig] { connectors.filter { $0.role == .target } }

    /// The target connector named `name`, with its SCIM settings.
    public func scimConnector(named name: String) -> SCIMConnectorConfig? {
        guard case .scim(let scim)? = connector(named: name)?.kind else { return nil }
        return scim
    }

    /// The directory the service logs on to as its service account.
    public var logonConnector: (name: String, ldap: LDAPConnectorConfig)? {
        let connector = service.logonConnector.flatMap(connector(named:)) ?? sourceConnectors.first
        guard let connector, case .ldap(let ldap) = connector.kind else { return nil }
        return (connector.name, ldap)
    }
}

public struct ServiceConfig: Sendable {
    /// The directory account the service logs on as (a UPN or DN).
    public var account: String?
    /// Where the service account's password is kept (0600).
    public var passwordFile: String?
    /// The ldap connector whose directory the service logs on to; nil: the first ldap connector.
    public var logonConnector: String?
    /// How long the service waits between sync cycles.
    public var interval: Duration = .seconds(30 * 60)
    /// `schedule: continuous`: delta cycles back to back, idling at most a second when nothing changed.
    public var continuous = false
    /// Staging mode: import and sync, never export (a standby server, or a look before going live).
    public var staging = false
    /// Where `idsync service start` sends the detached service's output; nil: beside the database.
    public var logFile: String?
}

/// How runs behave, whoever starts them (the service or `idsync sync`).
public struct SyncSettings: Sendable {
    /// More pending deletes than this stops the export (event 116) unless a run allows them.
    public var deletionThreshold = 500
    /// Run history older than this is purged.
    public var runHistoryRetention: Duration = .seconds(7 * 86400)
    /// A full cycle (full import and full sync) runs at least this often.
    public var fullCycleInterval: Duration = .seconds(7 * 86400)
    /// The sync rules file; nil: the built-in rules of each connector's flavor.
    public var rulesFile: String?
    /// How many targets one cycle exports to at once.
    public var exportConcurrency = 2
    public init() {}
}

public struct ConnectorConfig: Sendable {
    public enum Role: Sendable { case source, target }
    public enum Kind: Sendable {
        case ldap(LDAPConnectorConfig)
        case scim(SCIMConnectorConfig)
    }
    public var name: String
    public var kind: Kind
    /// LDAP directories are read from, the SCIM service is written to.
    public var role: Role {
        switch kind { case .ldap: .source; case .scim: .target }
    }
    public var typeName: String {
        switch kind { case .ldap: "ldap"; case .scim: "scim" }
    }
}

public struct LDAPConnectorConfig: Sendable {
    public enum Flavor: String, Sendable { case activeDirectory = "active-directory", openLDAP = "openldap" }
    public var flavor: Flavor
    public var url: String
    public var startTLS: Bool
    public var tlsCAFile: String?
    /// false only for labs: certificates are then not verified, and idsync warns on every connect.
    public var tlsVerify: Bool
    /// true only for labs: a simple bind over ldap:// without StartTLS is then allowed (idsync warns at every
    /// start); otherwise it is refused before the password is sent.
    public var allowPlaintextBind = false
    public var bindDN: String
    public var passwordFile: String?
    public var baseDN: String
    /// Subtrees in scope; empty means the whole base DN.
    public var containers: [String]
    public var pageSize: Int
    /// The longest one LDAP operation may take.
    public var timeout: Duration
    /// The longest connecting may take: TCP, then the TLS handshake (a slow link to a remote DC needs more).
    public var connectTimeout: Duration = .seconds(10)
    /// How a delta import finds deletes: `sweep` compares the objectGUIDs in scope with the connector
    /// space (always right, one attribute per object); `tombstones` trusts DirSync to return deleted
    /// objects, which needs an account that can read them (Windows AD: Replicating Directory Changes).
    public var deleteDetection: DeleteDetection = .sweep

    public enum DeleteDetection: String, Sendable { case sweep, tombstones }

    /// The subtrees searched: the containers, or the base DN when none are listed.
    public var searchBases: [String] { containers.isEmpty ? [baseDN] : containers }
}

public struct SCIMConnectorConfig: Sendable {
    public enum Auth: Sendable {
        case bearer(tokenFile: String?)
        /// RFC 6749 client credentials; the client is registered by `idsync cloud-account reinit`.
        case oauth2ClientCredentials(OAuth2Settings)
    }

    public struct OAuth2Settings: Sendable {
        /// The identity provider; its /.well-known/openid-configuration gives the endpoints not set here.
        public var issuer: String?
        public var tokenURL: String?
        public var registrationURL: String?
        /// "client_secret_basic" (default) or "client_secret_post".
        public var clientAuth: String
        public var scope: String?
        /// The client name registered with the provider.
        public var clientName: String?
    }
    public var url: String
    public var auth: Auth
    public var timeout: Duration
    /// Use SCIM Bulk when the service provider advertises it (false for one whose Bulk misbehaves).
    public var bulk = true
    /// Requests in flight at once when Bulk is not used.
    public var concurrency = 8
    /// What happens in this target to an object that leaves its scope or is deleted in the source.
    public var deprovision: Deprovision = .delete
    /// With `deprovision: disable`, how long a disabled object stays before it is deleted; nil: never.
    public var deprovisionDeleteAfter: Duration?
    /// This target's deletion threshold; nil: sync.deletion_threshold.
    public var deletionThreshold: Int?
    /// Staging for this target alone (imports and syncs, no export to it); nil: service.staging.
    public var staging: Bool?

    public enum Deprovision: String, Sendable {
        /// DELETE the object (Entra Connect's behaviour).
        case delete
        /// PATCH `active: false` (users; groups are deleted), as Entra provisioning does for applications.
        case disable
    }
}
