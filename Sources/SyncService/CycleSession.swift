import Logging
import SyncConfiguration
import SyncEngine
import SyncStore

/// How `idsync sync`, `idsync run`, `idsync rules check` and the service get to a cycle, so all of them do it
/// one way. Every connector is opened first — each must connect and authenticate — so a cycle that cannot
/// reach one changes nothing, not even the database; then the store, the rules checked against the connected
/// systems' schemas, the caller's run profiles; and the connectors are closed whatever happened.
public struct CycleSession: Sendable {
    public let config: IDSyncConfig
    public let rules: RuleSet
    public let secrets: ConnectorSecrets
    public let logger: Logger

    public init(config: IDSyncConfig, rules: RuleSet, secrets: ConnectorSecrets, logger: Logger) {
        self.config = config
        self.rules = rules
        self.secrets = secrets
        self.logger = logger
    }

    /// Runs `body` with every connector open. Throws the ``ConnectorError`` of a connector that cannot be
    /// opened, before `body` runs.
    public func withConnectors<T>(_ body: (ConnectorSet) async throws -> T) async throws -> T {
        let connectors = try await ConnectorSet.open(config, rules: rules, secrets: secrets, logger: logger)
        do {
            let result = try await body(connectors)
            await connectors.close()
            return result
        } catch {
            await connectors.close()
            throw error
        }
    }

    /// Runs `body` with the cycle over the store `openStore` gives (opened once the connectors are) and the
    /// connectors open. With `checkRules`, nothing runs when the rules do not fit the connected systems:
    /// ``RuleCheckFailed`` names each flow at fault, ``RulesNotCheckable`` says why the schemas could not be read.
    public func run<T>(checkRules: Bool = true, store openStore: () throws -> any IDSyncStore,
                       _ body: (SyncCycle, ConnectorSet) async throws -> T) async throws -> T {
        try await withConnectors { connectors in
            let store = try openStore()
            let events = EventLog(store: store, logger: logger)
            let cycle = SyncCycle(store: store, rules: rules, config: config, logger: logger, events: { events.record($0) })
            if checkRules {
                do {
                    _ = try await cycle.checkRules(connectors)
                } catch let failed as RuleCheckFailed {
                    throw failed
                } catch {
                    throw RulesNotCheckable(reason: "\(error)")
                }
            }
            return try await body(cycle, connectors)
        }
    }
}

/// The connected systems' schemas could not be read, so the rules could not be checked against them.
public struct RulesNotCheckable: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { "the rules could not be checked against the connected systems: \(reason)" }
}
