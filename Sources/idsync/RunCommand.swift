import ArgumentParser
import SyncEngine
import SyncService
import SyncStore

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one run profile on one connector: full-import, delta-import, full-sync, delta-sync (directories) or export (the target).",
        discussion: "Entra Connect's Run Profiles, one at a time. `idsync sync` runs them in order as a cycle.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The connector.") var connector: String
    @Argument(help: ArgumentHelp("The run profile.", valueName: "full-import|delta-import|full-sync|delta-sync|export")) var profile: String
    @Option(help: ArgumentHelp("Export: allow up to N deletions above sync.deletion_threshold.", valueName: "N")) var allowDeletes: Int?

    func run() async throws {
        guard let runProfile = RunProfile(rawValue: profile) else {
            throw ValidationError("unknown run profile \"\(profile)\"; expected one of \(RunProfile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let config = try global.loadConfig(logLevel: .info)
        guard config.connector(named: connector) != nil else { throw CLIError("no connector named \"\(connector)\" in \(config.file)") }
        let rules = try loadRules(config)
        let cycleLock = try takeCycleLock(config)
        defer { withExtendedLifetime(cycleLock) {} }
        let record = try await runCycle(config, rules) { cycle, connectors in
            await cycle.run(runProfile, on: connector, connectors, allowDeletes: allowDeletes)
        }
        print(RunTable.render([record]))
        if [RunStatus.failed, .stoppedDeletionThreshold].contains(record.status) {
            throw CLIError("\(connector): \(profile) \(record.status == .failed ? "failed" : "stopped"): \(record.message ?? "see idsync runs")")
        }
        if record.status == .completedWithErrors { throw ExitCode(2) }
    }
}
