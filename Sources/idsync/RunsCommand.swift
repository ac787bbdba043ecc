import ArgumentParser
import SyncStore

struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the run history: start, duration, connector, profile, counts and result.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "How many runs to show, newest last.") var last = 20

    @Option(help: "Only the runs of this connector.") var connector: String?

    @Flag(help: "Also list each run's per-object errors.") var errors = false

    func validate() throws {
        guard last > 0 else { throw ValidationError("--last must be at least 1") }
    }

    func run() throws {
        let config = try global.loadConfig()
        let store = try openExistingStore(config)
        let runs = try store.read { try $0.runs(connector: connector, last: last) }
        guard !runs.isEmpty else {
            print("no runs yet")
            return
        }
        print(RunTable.render(runs, withIDs: true))
        for run in runs where run.message != nil {
            print("run \(run.id ?? 0): \(run.message ?? "")")
        }
        guard errors else { return }
        for run in runs where run.errors > 0 {
            let list = try store.read { try $0.runErrors(runID: run.id ?? 0) }
            print("\nrun \(run.id ?? 0) (\(run.connector) \(run.profile.rawValue)) errors:")
            for error in list {
                print("  \(error.object)\(error.attribute.map { " [\($0)]" } ?? ""): \(error.message)")
            }
        }
    }
}
