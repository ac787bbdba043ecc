import ArgumentParser
import Foundation
import Logging
import SyncConfiguration
import SyncEngine
import SyncService
import SyncStore
import Synchronization

/// Options every command that reads the configuration takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The configuration file.", discussion: "Default: $IDSYNC_CONFIG, else \(ConfigLoader.defaultPath).",
        valueName: "path"))
    var config: String?

    @Flag(name: .shortAndLong, help: "Log debugging detail to standard error.")
    var verbose = false

    /// Loads and validates the configuration, or exits with the problem on one line; checks that the database
    /// and the secret files it names are private (``PrivateFiles``). `logLevel`: what this command logs by
    /// default — info for the long-running ones (sync, service run), notice for the rest.
    func loadConfig(logLevel: Logger.Level = .notice) throws -> IDSyncConfig {
        bootstrapLogging(verbose: verbose, defaultLevel: logLevel)
        let path = ConfigLoader.resolvePath(explicit: config)
        let config: IDSyncConfig
        do {
            config = try ConfigLoader.load(path: path)
        } catch let error as ConfigError {
            throw CLIError("\(error)")
        }
        // Before anything reads them: a database or secret file others can read is refused, as ssh refuses such a key.
        do {
            try PrivateFiles.check(config)
        } catch {
            throw CLIError("\(error)")
        }
        return config
    }
}

/// The sync rules of the configuration, checked like the configuration (file, line, key path).
func loadRules(_ config: IDSyncConfig) throws -> RuleSet {
    do {
        return try RuleLoader.rules(for: config)
    } catch let error as ConfigError {
        throw CLIError("\(error)")
    }
}

/// The cycle of `sync` and `run` (``CycleSession``, as the service runs it), its failures told as one line
/// with what to do next.
func runCycle<T>(_ config: IDSyncConfig, _ rules: RuleSet,
                 _ body: (SyncCycle, ConnectorSet) async throws -> T) async throws -> T {
    do {
        return try await cycleSession(config, rules).run(store: { try openStore(config) }, body)
    } catch let error as ConnectorError {
        throw CLIError("\(error)")
    } catch let failed as RuleCheckFailed {
        throw CLIError("\(failed)\nnothing was run; fix the rules (sync.rules), then check them with `idsync rules check`")
    } catch let uncheckable as RulesNotCheckable {
        throw CLIError("\(uncheckable)")
    }
}

/// Every connector open for `body`, as a cycle opens them; `hint` follows a connector's failure.
func withConnectors<T>(_ config: IDSyncConfig, _ rules: RuleSet, hint: String = "",
                       _ body: (ConnectorSet) async throws -> T) async throws -> T {
    do {
        return try await cycleSession(config, rules).withConnectors(body)
    } catch let error as ConnectorError {
        throw CLIError("\(error)\(hint)")
    }
}

/// The CLI's cycles read connector secrets from the vault only when a connector needs one.
private func cycleSession(_ config: IDSyncConfig, _ rules: RuleSet) -> CycleSession {
    CycleSession(config: config, rules: rules, secrets: LazyVaultSecrets(config: config, logger: cliLogger).secrets,
                 logger: cliLogger)
}

/// A command failure: printed as one line on standard error, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

extension CLIError: LocalizedError {
    var errorDescription: String? { description }
}

/// Opens the store of an existing installation (queries must not create an empty database).
func openExistingStore(_ config: IDSyncConfig) throws -> any IDSyncStore {
    guard FileManager.default.fileExists(atPath: config.database) else {
        throw CLIError("no database at \(config.database) yet: run `idsync sync` first")
    }
    return try openStore(config)
}

/// Creates the database's directory (0700) when it does not exist yet.
func makeDatabaseDirectory(_ config: IDSyncConfig) throws {
    let directory = URL(fileURLWithPath: config.database).deletingLastPathComponent().path
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    } catch {
        throw CLIError("cannot create the database directory \(directory): \(error.localizedDescription)")
    }
}

/// The cycle lock, for the commands that run sync profiles: refused while another cycle runs.
func takeCycleLock(_ config: IDSyncConfig) throws -> FileLock {
    try makeDatabaseDirectory(config)
    guard let lock = try CycleLock.acquire(config) else { throw CLIError(CycleLock.busy(config)) }
    return lock
}

/// Opens the database, creating it (and its directory, 0700) on first use.
func openStore(_ config: IDSyncConfig) throws -> any IDSyncStore {
    try makeDatabaseDirectory(config)
    do {
        return try Stores.open(path: config.database)
    } catch {
        throw CLIError("cannot open the database \(config.database): \(error)")
    }
}

private let loggingBootstrapped = Mutex(false)

/// Logs go to standard error (the journal, under systemd); standard output carries command results.
/// The level: --verbose, else $IDSYNC_LOG_LEVEL (trace … critical), else the command's default.
func bootstrapLogging(verbose: Bool, defaultLevel: Logger.Level) {
    let level: Logger.Level = verbose ? .debug
        : ProcessInfo.processInfo.environment["IDSYNC_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
    let first = loggingBootstrapped.withLock { done in defer { done = true }; return !done }
    guard first else { return }
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

var cliLogger: Logger { Logger(label: "idsync") }
