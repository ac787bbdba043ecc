import Logging
import SCIM
import SyncConfiguration
import SyncStore

/// Opens the configured connectors: every one must connect and authenticate before a run starts.
public struct ConnectorSet: Sendable {
    public let sources: [any SourceConnector]
    public let target: SCIMTargetConnector

    /// Builds the connectors of `config` and opens them; throws `ConnectorError` naming the first that
    /// cannot be used, after closing the others. Nothing is written anywhere before this succeeds.
    public static func open(_ config: IDSyncConfig, secrets: ConnectorSecrets, logger: Logger) async throws -> ConnectorSet {
        var sources: [any SourceConnector] = []
        var target: SCIMTargetConnector?
        for connector in config.connectors {
            let name = connector.name
            switch connector.kind {
            case .ldap(let ldap):
                sources.append(LDAPSourceConnector(name: name, config: ldap, password: {
                    try secrets.secret(connector: name, field: SecretField.password, file: ldap.passwordFile)
                }, logger: logger))
            case .scim(let scim):
                let credentials: any SCIMCredentialProvider
                switch scim.auth {
                case .bearer(let tokenFile):
                    credentials = BearerToken(try secrets.secret(connector: name, field: SecretField.token, file: tokenFile))
                case .oauth2ClientCredentials(let settings):
                    credentials = try await oauth2Credentials(connector: name, settings, secrets: secrets)
                }
                target = SCIMTargetConnector(name: name, config: scim, credentials: credentials, logger: logger)
            }
        }
        guard let target else { throw ConnectorError(connector: "connectors", "no scim connector configured") }
        let set = ConnectorSet(sources: sources, target: target)
        do {
            for source in sources { try await source.open() }
            try await target.open()
        } catch {
            await set.close()
            if let error = error as? ConnectorError { throw error }
            throw ConnectorError(connector: "connectors", "\(error)")
        }
        return set
    }

    /// The OAuth 2.0 client idsync registered for the connector (`idsync cloud-account reinit`), with the
    /// token endpoint configured or discovered from the issuer.
    static func oauth2Credentials(connector: String, _ settings: SCIMConnectorConfig.OAuth2Settings,
                                  secrets: ConnectorSecrets) async throws -> OAuth2ClientCredentials {
        let reinit = "run `idsync cloud-account reinit --connector \(connector)`"
        let id = try secrets.secret(connector: connector, field: SecretField.clientID, file: nil, hint: reinit)
        let secret = try secrets.secret(connector: connector, field: SecretField.clientSecret, file: nil, hint: reinit)
        let tokenURL: String
        do {
            if let configured = settings.tokenURL {
                tokenURL = configured
            } else {
                tokenURL = try await ProviderMetadata.discover(issuer: settings.issuer ?? "").tokenEndpoint
            }
        } catch {
            throw ConnectorError(connector: connector, "\(error)")
        }
        return OAuth2ClientCredentials(tokenURL: tokenURL, client: .init(id: id, secret: secret),
                                       method: ClientAuthMethod(rawValue: settings.clientAuth) ?? .clientSecretBasic,
                                       scope: settings.scope)
    }

    public func close() async {
        for source in sources { await source.close() }
        await target.close()
    }
}

/// The names of connector secrets in the vault.
public enum SecretField {
    /// An LDAP connector's bind password.
    public static let password = "password"
    /// A SCIM connector's bearer token.
    public static let token = "token"
    /// The OAuth 2.0 client idsync registered (`idsync cloud-account reinit`): its id and secret, and the
    /// RFC 7592 registration access token that manages it.
    public static let clientID = "client_id"
    public static let clientSecret = "client_secret"
    public static let registrationAccessToken = "registration_access_token"

    /// The field a connector of this configuration keeps its secret in, and the file configured for it, if any.
    public static func of(_ connector: ConnectorConfig) -> (field: String, file: String?) {
        switch connector.kind {
        case .ldap(let ldap): (password, ldap.passwordFile)
        case .scim(let scim):
            switch scim.auth {
            case .bearer(let file): (token, file)
            case .oauth2ClientCredentials: (clientSecret, nil)
            }
        }
    }

    /// How an admin gives the connector its secret again.
    public static func reentry(_ connector: ConnectorConfig) -> String {
        if case .scim(let scim) = connector.kind, case .oauth2ClientCredentials = scim.auth {
            return "idsync cloud-account reinit --connector \(connector.name)"
        }
        return "idsync connector set-password \(connector.name)"
    }
}

/// One sync cycle in Entra Connect's order: import every source, sync every source, export to the target.
public struct SyncCycle {
    public struct Options: Sendable {
        /// Full sync (re-evaluate every object) instead of delta sync (only pending imports).
        public var fullSync: Bool
        public init(fullSync: Bool = false) { self.fullSync = fullSync }
    }

    let store: any SyncStore
    let rules: RuleSet
    let logger: Logger

    public init(store: any SyncStore, rules: RuleSet = .activeDirectoryToSCIM, logger: Logger) {
        self.store = store
        self.rules = rules
        self.logger = logger
    }

    /// Runs the cycle; returns every run's record. A failed import stops that source's sync, and any
    /// failed import or sync stops the export (exporting from a partial picture could delete objects).
    public func run(_ connectors: ConnectorSet, options: Options) async -> [RunRecord] {
        var runs: [RunRecord] = []
        var sourcesOK = true
        for source in connectors.sources {
            let imported = await FullImport(store: store, logger: logger).run(source)
            runs.append(imported)
            guard imported.status != .failed else { sourcesOK = false; continue }
            let sync = Synchronization(store: store, rules: rules, targetConnector: connectors.target.name, logger: logger)
            let synced = await sync.run(source.name, full: options.fullSync)
            runs.append(synced)
            if synced.status == .failed { sourcesOK = false }
        }
        guard sourcesOK else { return runs }
        runs.append(await Export(store: store, target: connectors.target, logger: logger).run())
        return runs
    }
}
