import Failpoints
import Foundation
import IDSyncTesting
import ProcessSpawn
import SyncStore
import Testing

/// kill -9 during a 10,000-object initial sync — import, sync and export — at 20 points, then let it finish:
/// the target must hold exactly the source. Exports are recorded before they are sent and a create whose
/// answer was lost is found again by its anchor, so nothing is duplicated, missed or deleted.
///
/// Each kill is a progress failpoint (IDSYNC_FAILPOINT=`exported:250`: the export run dies at the 250th object
/// it counts), so it lands at the same place however loaded the machine is; the clock only guards against a hang.
@Suite("Crash safety: kill -9 at 20 points of a 10,000-object sync", .hangGuard)
struct CrashSafetyTests {
    static let users = 10_000, groups = 20

    /// The points, in the order of the runs they are given, each certainly reached by its run. What a run
    /// still has to count after a kill:
    /// - import: a killed full import is run again from the start (no watermark and no last full import yet);
    ///   the batches (500 objects, one transaction each) it committed are unchanged, so not counted again,
    ///   and the one it was in is rolled back and counted again: `imported:N` stores 500·⌊(N−1)/500⌋ more.
    ///   7 points, from 10,020 objects left down to 2,520 left before the last (N = 800).
    /// - sync: a killed sync leaves its connector marked unfinished, so the next is a full sync; it counts
    ///   only objects not projected yet, the batch it was in (500) included. Same arithmetic: 8 points.
    /// - export: pipelined, a part (at most 1000) is recorded while the next is being sent, and the server
    ///   finishes what it was sent after the client died. A kill while recording a part leaves that part and
    ///   the next in the target but not in the store; the next export adopts them (found by externalId,
    ///   already equal: nothing sent, nothing counted). So a run killed at its N-th count adds up to
    ///   N + 1999 objects to the target, and the next has that many fewer to count. 5 points whose N sum to
    ///   2001: 2001 + 4·1999 ≤ 10,020, so the fifth run still has its N to count. A sixth would leave N's
    ///   summing to 25 at most, and the twelve export kills of the polling version cannot all land.
    /// Before each run the test works out from the store and the target what the run still has to count
    /// (what is not yet stored, projected, or in the target) and checks the point is within it.
    static let plan: [ProgressPoint] =
        [1, 2000, 3000, 2500, 1500, 1000, 800].map { ProgressPoint(.importing, count: $0) }
        + [1, 2000, 3000, 2500, 1500, 1000, 800, 600].map { ProgressPoint(.syncing, count: $0) }
        + [1, 400, 800, 300, 500].map { ProgressPoint(.exporting, count: $0) }

    /// Only a guard against a hang: a killed run ends at its point, whatever the machine's load.
    static let hangGuard = Duration.seconds(15 * 60)

    @Test func killedTwentyTimesThenConverges() async throws {
        let directory = try await BulkDirectory.make(users: Self.users, groups: Self.groups, membersPerGroup: 50)
        do {
            try await killThenConverge(directory)
        } catch {
            await directory.stop()
            throw error
        }
        await directory.stop()
    }

    private func killThenConverge(_ directory: BulkDirectory) async throws {
        let install = try directory.installation()
        let progress = SyncProgress(install: install, scim: directory.scim, objects: Self.users + Self.groups)
        let started = ContinuousClock.now
        var landed: [String] = []
        for point in Self.plan {
            let left = try await progress.left(point.run)
            #expect(left >= point.count, "\(point.setting) is past what the run still has to count (\(left))")
            let status = try await runSync(install, failpoint: point.setting)
            let dying = try progress.lastRun()
            let killed = status == 128 + SIGKILL && dying?.status == .inProgress
                && dying.map { ProgressPoint.Run($0.profile) == point.run } == true
            if killed {
                landed.append("\(point.setting) (\(try await progress.done(point.run)) \(progress.doneName(point.run)))")
            } else {
                let last = dying.map { "\($0.profile.rawValue) \($0.status.rawValue)" } ?? "none"
                let output = (try? String(contentsOfFile: install.directory.file("runs.log"), encoding: .utf8)) ?? "(no output)"
                let message = "\(point.setting): idsync sync ended with status \(status), last run \(last); its output ends:\n"
                    + String(output.suffix(2000))
                Issue.record(Comment(rawValue: message))
            }
        }
        print("crash safety: \(landed.count) of \(Self.plan.count) kills landed (SIGKILL) in \(ContinuousClock.now - started): \(landed)")
        #expect(landed.count == Self.plan.count)

        // Let it finish: a few runs at most (an object whose create was cut off is adopted, not duplicated).
        var final: ProcessResult?
        for _ in 0..<4 {
            final = try await install.idsync(["sync"])
            if final?.status == 0 { break }
        }
        #expect(final?.status == 0, "\(final?.output ?? "")")
        let problems = try await directory.convergence()
        #expect(problems.isEmpty, "\(problems)")
        #expect(try directory.scim.requests().filter { $0.method == "DELETE" }.isEmpty, "spurious deletes")
        // The plan's arithmetic counted every source object once in each kind of run.
        #expect(try await progress.done(.importing) == Self.users + Self.groups)
        #expect(try await progress.done(.syncing) == Self.users + Self.groups)
        // And idempotent afterwards: nothing left to write.
        let mark = try directory.scim.requests().count
        #expect(try await install.idsync(["sync"]).status == 0)
        #expect(try directory.scim.writes(since: mark) == [])
    }

    /// `idsync sync` with the failpoint armed, to its end; its wait status (128 + the signal that ended it).
    private func runSync(_ install: IDSyncInstallation, failpoint: String) async throws -> Int32 {
        var environment = ProcessInfo.processInfo.environment
        environment["IDSYNC_CONFIG"] = install.configPath
        environment["IDSYNC_LOG_LEVEL"] = "error"
        environment["IDSYNC_FAILPOINT"] = failpoint
        let pid = try Spawn.start([Repository.idsyncBinary, "sync"], stdout: install.directory.file("runs.log"),
                                  appendOutput: true, environment: environment)
        let deadline = ContinuousClock.now + Self.hangGuard
        while true {
            if let status = Spawn.poll(pid) { return status }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = Spawn.wait(pid)
                Issue.record("\(failpoint): idsync sync still running after \(Self.hangGuard); killed")
                return -1
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// How far the initial sync got, read between runs: objects stored by the import, projected by the sync,
/// and present in the target.
struct SyncProgress {
    let install: IDSyncInstallation
    let scim: SCIMServer
    /// The source's users and groups.
    let objects: Int

    /// What a run of this kind still has to count: the objects not stored, not projected, or not in the
    /// target yet. A lower bound: an object the next run finds already done is not counted.
    func left(_ run: ProgressPoint.Run) async throws -> Int { objects - (try await done(run)) }

    func done(_ run: ProgressPoint.Run) async throws -> Int {
        switch run {
        case .importing: try read { try $0.csCount(connector: install.sourceName) }
        case .syncing: try read { try $0.mvCount() }
        case .exporting: try await scim.count("Users") + scim.count("Groups")
        }
    }

    func doneName(_ run: ProgressPoint.Run) -> String {
        switch run {
        case .importing: "objects stored"
        case .syncing: "projected"
        case .exporting: "in the target"
        }
    }

    /// The newest run in the history: the one a killed process was in.
    func lastRun() throws -> RunRecord? {
        guard FileManager.default.fileExists(atPath: install.databasePath) else { return nil }
        return try SQLiteStore(readingOnly: install.databasePath).read { try $0.runs(connector: nil, last: 1) }.last
    }

    /// Before the first run there is no database: nothing done.
    private func read(_ count: (any StoreReader) throws -> Int) throws -> Int {
        guard FileManager.default.fileExists(atPath: install.databasePath) else { return 0 }
        return try SQLiteStore(readingOnly: install.databasePath).read(count)
    }
}

extension ProgressPoint.Run {
    /// The kind of run a progress point names for a run profile of the history.
    init(_ profile: RunProfile) {
        switch profile {
        case .fullImport, .deltaImport: self = .importing
        case .fullSync, .deltaSync: self = .syncing
        case .export: self = .exporting
        }
    }
}

/// A state other tests wait for with a running `idsync sync` (CycleLockTests, SourceFaultTests): a run of the
/// given kind in progress, or the target holding so many users. The crash-safety kills are failpoints instead.
enum KillPoint: CustomStringConvertible {
    case importing, syncing
    case exported(users: Int)

    var description: String {
        switch self {
        case .importing: "import"
        case .syncing: "sync"
        case .exported(let users): "export past \(users)"
        }
    }

    func reached(install: IDSyncInstallation, scim: SCIMServer) async throws -> Bool {
        switch self {
        case .importing, .syncing:
            guard FileManager.default.fileExists(atPath: install.databasePath),
                  let last = try? SQLiteStore(readingOnly: install.databasePath).read({ try $0.runs(connector: nil, last: 1) }).last
            else { return false }
            let profiles: [RunProfile] = if case .importing = self { [.fullImport, .deltaImport] } else { [.fullSync, .deltaSync] }
            return last.status == .inProgress && profiles.contains(last.profile)
        case .exported(let users):
            return try await scim.count("Users") >= users
        }
    }
}
