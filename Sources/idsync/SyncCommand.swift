import ArgumentParser
import Foundation
import SyncEngine
import SyncService
import SyncStore

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one sync cycle: import from the directories, sync into the metaverse, export to the target.",
        discussion: """
            A delta cycle (delta import, delta sync, export) unless --full, a first run, or a last full cycle \
            older than sync.full_cycle_interval asks for an initial one (full import, full sync, export). Every \
            connector must connect and authenticate first; when one cannot, idsync names it and stops before \
            changing anything. Prints what each run added, updated, deleted and could not process.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Run an initial cycle: full import and full sync (re-evaluate every object).")
    var full = false

    @Flag(help: "Import and sync, but export nothing: the changes stay queued (see `idsync pending-exports`).")
    var dryRun = false

    @Option(help: ArgumentHelp("Allow up to N deletions in this run's export, above sync.deletion_threshold.", valueName: "N"))
    var allowDeletes: Int?

    func validate() throws {
        if let allowDeletes, allowDeletes < 0 { throw ValidationError("--allow-deletes must not be negative") }
    }

    func run() async throws {
        let config = try global.loadConfig(logLevel: .info)
        let rules = try loadRules(config)
        let cycleLock = try takeCycleLock(config)
        defer { withExtendedLifetime(cycleLock) {} }
        let options = SyncCycle.Options(full: full, export: !dryRun, allowDeletes: allowDeletes)
        let (runs, held) = try await runCycle(config, rules) { cycle, connectors in
            let runs = await cycle.run(connectors, options: options)
            // What stays queued: every target on a dry run, the staged ones otherwise.
            let held = try config.targetConnectors.filter { dryRun || !cycle.exportingTargets.contains($0.name) }.map {
                (name: $0.name, pending: try cycle.store.read { [name = $0.name] in try $0.pendingExportCount(connector: name) })
            }
            return (runs, held)
        }
        print(RunTable.render(runs))
        for (name, pending) in held {
            print("\(name): \(dryRun ? "dry run" : "staging mode"): nothing was exported; \(pending) pending exports "
                  + "(idsync pending-exports --connector \(name))")
        }
        if let failed = runs.first(where: { [RunStatus.failed, .stoppedDeletionThreshold].contains($0.status) }) {
            throw CLIError("\(failed.connector): \(failed.profile.rawValue) \(failed.status == .failed ? "failed" : "stopped"): "
                           + (failed.message ?? "see idsync runs"))
        }
        if runs.contains(where: { $0.status == .completedWithErrors }) {
            throw ExitCode(2)
        }
    }
}

/// The run table `sync` and `runs` print.
enum RunTable {
    static func render(_ runs: [RunRecord], withIDs: Bool = false) -> String {
        var table = Table(headers: (withIDs ? ["RUN"] : []) + ["CONNECTOR", "PROFILE", "STARTED", "TIME", "ADDS", "UPDATES",
                                                              "DELETES", "ERRORS", "RESULT"])
        let offset = withIDs ? 1 : 0
        table.rightAligned = Set([4, 5, 6, 7].map { $0 + offset })
        for run in runs {
            table.add((withIDs ? [String(run.id ?? 0)] : []) + [
                run.connector, run.profile.rawValue, Format.time(run.started), Format.duration(from: run.started, to: run.ended),
                String(run.adds), String(run.updates), String(run.deletes), String(run.errors), run.status.rawValue,
            ])
        }
        return table.render()
    }
}
