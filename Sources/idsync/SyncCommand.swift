import ArgumentParser
import Foundation
import SyncEngine
import SyncService
import SyncStore

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one sync cycle: import from the directories, sync into the metaverse, export to the target.",
        discussion: """
            Every connector must connect and authenticate first; when one cannot, idsync names it and \
            stops before changing anything. Prints what each run added, updated, deleted and could not process.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Run a full sync: re-evaluate every object, not only those whose import changed.")
    var full = false

    func run() async throws {
        let config = try global.loadConfig(logLevel: .info)
        let connectors: ConnectorSet
        do {
            connectors = try await ConnectorSet.open(config, secrets: LazyVaultSecrets(config: config, logger: cliLogger).secrets,
                                                    logger: cliLogger)
        } catch let error as ConnectorError {
            throw CLIError("\(error)")
        }
        let store: SQLiteStore
        do {
            store = try openStore(config)
        } catch {
            await connectors.close()
            throw error
        }
        let runs = await SyncCycle(store: store, logger: cliLogger).run(connectors, options: .init(fullSync: full))
        await connectors.close()
        print(RunTable.render(runs))
        if let failed = runs.first(where: { $0.status == .failed }) {
            throw CLIError("\(failed.connector): \(failed.profile.rawValue) failed: \(failed.message ?? "see idsync runs")")
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
