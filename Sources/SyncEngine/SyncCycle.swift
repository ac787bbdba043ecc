import Foundation
import Logging
import SCIM
import SyncConfiguration
import SyncStore

/// Opens the configured connectors: every directory must connect and authenticate before a run starts;
/// of the targets, those that can. A target that cannot (down, refused credential) is kept aside with its
/// reason: its export fails on its own and the other targets still get theirs. When no target can be
/// opened, nothing runs at all.
public struct ConnectorSet: Sendable {
    public let sources: [any SourceConnector]
    public let targets: [SCIMTargetConnector]
    /// Targets that could not be opened, with the reason (their exports fail with it).
    public let unavailable: [(name: String, reason: String)]

    public func target(named name: String) -> SCIMTargetConnector? { targets.first { $0.name == name } }

    /// A target connector with its credential (from its file or the vault), not opened yet.
    public static func makeTarget(name: String, config: SCIMConnectorConfig, secrets: ConnectorSecrets,
                                  logger: Logger) async throws -> SCIMTargetConnector {
        let credentials: any SCIMCredentialProvider
        switch config.auth {
        case .bearer(let tokenFile):
            credentials = BearerToken(try secrets.secret(connector: name, field: SecretField.token, file: tokenFile))
        case .oauth2ClientCredentials(let settings):
            credentials = try await oauth2Credentials(connector: name, settings, secrets: secrets)
        }
        return SCIMTargetConnector(name: name, config: config, credentials: credentials, logger: logger)
    }

    /// Builds the connectors of `config` and opens them; throws `ConnectorError` naming the first directory
    /// that cannot be used (or the first target, when none can), after closing the others. Nothing is
    /// written anywhere before this succeeds.
    public static func open(_ config: IDSyncConfig, rules: RuleSet, secrets: ConnectorSecrets, logger: Logger) async throws -> ConnectorSet {
        var sources: [any SourceConnector] = []
        var candidates: [(name: String, make: () async throws -> SCIMTargetConnector)] = []
        for connector in config.connectors {
            let name = connector.name
            switch connector.kind {
            case .ldap(let ldap):
                sources.append(LDAPSourceConnector(name: name, config: ldap, password: {
                    try secrets.secret(connector: name, field: SecretField.password, file: ldap.passwordFile)
                }, logger: logger, attributes: rules.sourceAttributes(connector: name)))
            case .scim(let scim):
                candidates.append((name, { try await makeTarget(name: name, config: scim, secrets: secrets, logger: logger) }))
            }
        }
        var made: [SCIMTargetConnector] = [], opened: [SCIMTargetConnector] = []
        var unavailable: [(name: String, reason: String)] = []
        var firstFailure: (any Error)?
        func setAside(_ name: String, _ error: any Error) {
            firstFailure = firstFailure ?? error
            unavailable.append((name, (error as? ConnectorError)?.message ?? "\(error)"))
            logger.error("target connector cannot be used this cycle", metadata: ["connector": "\(name)", "error": "\(error)"])
        }
        do {
            // The targets' credentials first (a secret that cannot be read is named before anything connects),
            // then the directories, then the targets that have their credentials.
            for candidate in candidates {
                do { made.append(try await candidate.make()) } catch { setAside(candidate.name, error) }
            }
            if made.isEmpty, let firstFailure { throw firstFailure }
            for source in sources { try await source.open() }
            for target in made {
                do {
                    try await target.open()
                    opened.append(target)
                } catch {
                    setAside(target.name, error)
                }
            }
            if opened.isEmpty, let firstFailure { throw firstFailure }
        } catch {
            await ConnectorSet(sources: sources, targets: made, unavailable: []).close()
            if let error = error as? ConnectorError { throw error }
            throw ConnectorError(connector: "connectors", "\(error)")
        }
        for target in made where !opened.contains(where: { $0 === target }) { await target.close() }
        return ConnectorSet(sources: sources, targets: opened, unavailable: unavailable)
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
        for target in targets { await target.close() }
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

/// One sync cycle in Entra Connect's order: import every source, sync every source, export to every target
/// (a bounded number at once; each on its own: one that fails does not stop the others). The service,
/// `idsync sync` and `idsync run` all run their cycles and run profiles through this type.
public struct SyncCycle: Sendable {
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

    public let store: any SyncStore
    let rules: RuleSet
    let settings: SyncSettings
    let targets: [TargetPolicy]
    let logger: Logger
    let events: EventSink

    public init(store: any SyncStore, rules: RuleSet, settings: SyncSettings = SyncSettings(), targets: [TargetPolicy],
                logger: Logger, events: @escaping EventSink = { _ in }) {
        self.store = store
        self.rules = rules
        self.settings = settings
        self.targets = targets
        self.logger = logger
        self.events = events
    }

    /// The cycle of a configuration: its sync settings and its targets' policies.
    public init(store: any SyncStore, rules: RuleSet, config: IDSyncConfig, logger: Logger, events: @escaping EventSink = { _ in }) {
        self.init(store: store, rules: rules, settings: config.sync, targets: TargetPolicy.of(config), logger: logger, events: events)
    }

    /// The targets this cycle exports to: not staged.
    public var exportingTargets: [String] { targets.filter { !$0.staging }.map(\.name) }

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
            runs += await exportAll(connectors, allowDeletes: options.allowDeletes)
        }
        purgeHistory()
        return runs
    }

    /// The exports of every target that is not staged, `settings.exportConcurrency` at a time, in
    /// configuration order in the result.
    private func exportAll(_ connectors: ConnectorSet, allowDeletes: Int?) async -> [RunRecord] {
        let names = exportingTargets
        var records = [RunRecord?](repeating: nil, count: names.count)
        await withTaskGroup(of: (Int, RunRecord).self) { group in
            var next = names.enumerated().makeIterator()
            func addNext() {
                guard let (index, name) = next.next() else { return }
                group.addTask { (index, await runProfile(.export, on: name, connectors, allowDeletes: allowDeletes)) }
            }
            for _ in 0..<max(1, settings.exportConcurrency) { addNext() }
            while let (index, record) = await group.next() {
                records[index] = record
                addNext()
            }
        }
        return records.compactMap { $0 }
    }

    /// One run profile on one connector (`idsync run CONNECTOR PROFILE`): imports and syncs apply to
    /// directories, export to the target. The caller holds the cycle lock.
    public func run(_ profile: RunProfile, on connector: String, _ connectors: ConnectorSet, allowDeletes: Int? = nil) async -> RunRecord {
        endInterruptedRuns()
        return await runProfile(profile, on: connector, connectors, allowDeletes: allowDeletes)
    }

    /// Checks the rules against what the open connectors say of themselves (their schemas) before a cycle or
    /// a run profile touches anything; throws ``RuleCheckFailed`` naming each flow they cannot take.
    public func checkRules(_ connectors: ConnectorSet) async throws -> RuleCheck {
        let check = try await RuleCheck.run(rules, connectors)
        if !check.errors.isEmpty { throw RuleCheckFailed(problems: check.errors) }
        for note in check.notes { logger.notice("\(note)") }
        return check
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
            return await Synchronization(store: store, rules: rules, targets: targets, sources: connectors.sources.map(\.name),
                                         logger: logger).run(connector, full: profile == .fullSync)
        case (.export, nil) where targets.contains { $0.name == connector }:
            let policy = targets.first { $0.name == connector } ?? TargetPolicy(name: connector)
            guard let target = connectors.target(named: connector) else {
                let reason = connectors.unavailable.first { $0.name == connector }?.reason ?? "\(connector) is not open"
                return await RunRecorder.record(store: store, connector: connector, profile: .export) { _ in
                    throw ConnectorError(connector: connector, reason)
                }
            }
            let limit = max(policy.deletionThreshold, allowDeletes ?? 0)
            return await Export(store: store, target: target, logger: logger, deletionLimit: limit, deleteAfter: policy.deleteAfter,
                                events: events, managed: rules.managedAttributes(connector: connector)).run()
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
