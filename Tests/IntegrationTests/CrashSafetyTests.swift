import Foundation
import IDSyncTesting
import ProcessSpawn
import SyncStore
import Testing

/// kill -9 during a 10,000-object initial sync — import, sync and export — at 20 points, then let it finish:
/// the target must hold exactly the source. Exports are recorded before they are sent and a create whose
/// answer was lost is found again by its anchor, so nothing is duplicated, missed or deleted.
@Suite("Crash safety: kill -9 at 20 points of a 10,000-object sync")
struct CrashSafetyTests {
    @Test func killedTwentyTimesThenConverges() async throws {
        let directory = try await BulkDirectory.make(users: 10_000, groups: 20, membersPerGroup: 50)
        defer { Task { await directory.stop() } }
        let install = try directory.installation()
        var environment = ProcessInfo.processInfo.environment
        environment["IDSYNC_CONFIG"] = install.configPath
        environment["IDSYNC_LOG_LEVEL"] = "error"

        // Kill points by progress, not by the clock (a loaded machine would otherwise never get past the import):
        // four during the import, four during the sync, twelve during the export at rising target counts, each
        // after a further random delay drawn with a fixed seed.
        var seed: UInt64 = 2026
        func draw(_ range: ClosedRange<Double>) -> Double {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return range.lowerBound + Double(seed >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
        }
        let points: [KillPoint] = Array(repeating: .importing, count: 4) + Array(repeating: .syncing, count: 4)
            + (0..<12).map { .exported(users: 500 + $0 * 750) }
        var landed: [String] = [], finishedEarly = 0
        let log = install.directory.file("runs.log")
        for point in points {
            let pid = try Spawn.start([Repository.idsyncBinary, "sync"], stdout: log, appendOutput: true, environment: environment)
            var reached = false
            let deadline = ContinuousClock.now + .seconds(120)
            while Spawn.poll(pid) == nil && ContinuousClock.now < deadline {
                if try await point.reached(install: install, scim: directory.scim) { reached = true; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(Int(draw(0...0.4) * 1000)))
            if reached, Spawn.poll(pid) == nil {
                kill(pid, SIGKILL)
                _ = Spawn.wait(pid)
                landed.append("\(point) → \(try await directory.scim.count("Users")) users")
            } else {
                finishedEarly += 1
                if Spawn.poll(pid) == nil { kill(pid, SIGKILL); _ = Spawn.wait(pid) }
            }
        }
        print("crash safety: \(landed.count) kills (SIGKILL), \(finishedEarly) runs ended before their kill point: \(landed)")
        #expect(landed.count == points.count, "kills that did not land: \(finishedEarly)")

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
        // And idempotent afterwards: nothing left to write.
        let mark = try directory.scim.requests().count
        #expect(try await install.idsync(["sync"]).status == 0)
        #expect(try directory.scim.writes(since: mark) == [])
    }
}

/// Where a crash-safety kill lands: while a run of the given kind is in progress, or once the target holds
/// so many users.
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
