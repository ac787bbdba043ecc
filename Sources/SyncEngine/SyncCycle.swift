import Foundation
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
        /// An initial cycle: full import and full sync (re-evaluate every object), not delta import and
        /// delta sync. A full cycle also runs when the last one is older than sync.full_cycle_interval.
        public var full: Bool
        /// False: import and sync only, the pending exports stay queued (staging mode, dry run).
        public var export: Bool
        /// How many deletions this run may export, beyond the configured threshold.
        public var allowDeletes: Int?
        public init(full: Bool = false, export: Bool = true, allowDeletes: Int? = nil) {
            self.full = full; self.export = export; self.allowDeletes = allowDeletes
        }
    }

    let store: any SyncStore
    let rules: RuleSet
    let settings: SyncSettings
    let logger: Logger
    let events: EventSink

    public init(store: any SyncStore, rules: RuleSet, settings: SyncSettings = SyncSettings(),
                logger: Logger, events: @escaping EventSink = { _ in }) {
        self.store = store
        self.rules = rules
        self.settings = settings
        self.logger = logger
        self.events = events
    }

    /// Runs the cycle; returns every run's record. A failed import stops that source's sync, and any
    /// failed import or sync stops the export (exporting from a partial picture could delete objects).
    /// The caller holds the cycle lock.
    public func run(_ connectors: ConnectorSet, options: Options) async -> [RunRecord] {
        endInterruptedRuns()
        var runs: [RunRecord] = []
        var sourcesOK = true
        for source in connectors.sources {
            let full = options.full || fullCycleDue(source.name)
            let imported = await runProfile(full ? .fullImport : .deltaImport, on: source.name, connectors)
            runs.append(imported)
            guard imported.status != .failed else { sourcesOK = false; continue }
            let synced = await runProfile(full ? .fullSync : .deltaSync, on: source.name, connectors)
            runs.append(synced)
            if synced.status == .failed { sourcesOK = false }
        }
        if sourcesOK && options.export {
            runs.append(await runProfile(.export, on: connectors.target.name, connectors, allowDeletes: options.allowDeletes))
        }
        purgeHistory()
        return runs
    }

    /// One run profile on one connector (`idsync run CONNECTOR PROFILE`): imports and syncs apply to
    /// directories, export to the target. The caller holds the cycle lock.
    public func run(_ profile: RunProfile, on connector: String, _ connectors: ConnectorSet, allowDeletes: Int? = nil) async -> RunRecord {
        endInterruptedRuns()
        return await runProfile(profile, on: connector, connectors, allowDeletes: allowDeletes)
    }

    /// Runs left in progress by a process that died are ended as failed, so the history says what happened.
    private func endInterruptedRuns() {
        do {
            let ended = try store.write { try $0.markInterruptedRuns() }
            if ended > 0 { logger.warning("runs of an interrupted process marked failed", metadata: ["runs": "\(ended)"]) }
        } catch {
            logger.warning("interrupted runs could not be marked", metadata: ["error": "\(error)"])
        }
    }

    private func runProfile(_ profile: RunProfile, on connector: String, _ connectors: ConnectorSet, allowDeletes: Int? = nil) async -> RunRecord {
        let source = connectors.sources.first { $0.name == connector }
        switch (profile, source) {
        case (.fullImport, let source?):
            return await FullImport(store: store, logger: logger).run(source)
        case (.deltaImport, let source?):
            return await DeltaImport(store: store, logger: logger).run(source)
        case (.fullSync, _?), (.deltaSync, _?):
            return await Synchronization(store: store, rules: rules, targetConnector: connectors.target.name, logger: logger)
                .run(connector, full: profile == .fullSync)
        case (.export, nil) where connector == connectors.target.name:
            let limit = max(settings.deletionThreshold, allowDeletes ?? 0)
            return await Export(store: store, target: connectors.target, logger: logger, deletionLimit: limit, events: events).run()
        default:
            var record = RunRecord(connector: connector, profile: profile, status: .failed)
            record.message = "\(profile.rawValue) does not apply to connector \(connector)"
                + (source == nil ? " (the target: only export)" : " (a directory: imports and syncs)")
            return record
        }
    }

    /// Whether the connector's last full import is older than sync.full_cycle_interval (or never ran).
    private func fullCycleDue(_ connector: String) -> Bool {
        guard let last = try? store.read({ try $0.lastFullImport(connector: connector) }) else { return true }
        return Date().timeIntervalSince(last) > Double(settings.fullCycleInterval.components.seconds)
    }

    /// Run history older than the retention is dropped (Entra keeps 7 days).
    private func purgeHistory() {
        let cutoff = Date().addingTimeInterval(-Double(settings.runHistoryRetention.components.seconds))
        do {
            let purged = try store.write { try $0.purgeRuns(before: cutoff) }
            if purged > 0 { logger.info("run history purged", metadata: ["runs": "\(purged)"]) }
        } catch {
            logger.warning("run history could not be purged", metadata: ["error": "\(error)"])
        }
    }
}
