import Foundation
import IDSyncTesting
import ProcessSpawn
import Testing

/// One sync cycle at a time per database, and the history tells what a killed cycle left behind.
@Suite("Cycle lock and interrupted runs", .hangGuard)
struct CycleLockTests {
    @Test("a second sync while one runs is refused; a killed run is ended as failed by the next cycle")
    func oneCycleAtATime() async throws {
        let directory = try await BulkDirectory.make(users: 3_000, groups: 5, membersPerGroup: 20)
        try await withCleanup { cleanup in
            cleanup.add { await directory.stop() }
            let install = try directory.installation()
            var environment = ProcessInfo.processInfo.environment
            environment["IDSYNC_CONFIG"] = install.configPath

            // A cycle under way (its import is in progress): another one is refused and changes nothing.
            let pid = try Spawn.start([Repository.idsyncBinary, "sync"], environment: environment)
            var importing = false
            while Spawn.poll(pid) == nil && !importing {
                importing = try await KillPoint.importing.reached(install: install, scim: directory.scim)
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(importing, "the first sync ended before its import could be seen")
            let second = try await install.idsync(["sync"])
            #expect(second.status == 1 && second.stderr.contains("already running"), "\(second.output)")
            let single = try await install.idsync(["run", "example", "delta-import"])
            #expect(single.status == 1 && single.stderr.contains("already running"), "\(single.output)")

            // Killed: its run stays in progress until the next cycle ends it as failed, saying why.
            kill(pid, SIGKILL)
            _ = Spawn.wait(pid)
            let next = try await install.idsync(["sync"])
            #expect(next.status == 0, "\(next.output)")
            let history = try await install.idsync(["runs", "--last", "10"])
            #expect(!history.stdout.contains("in-progress"), "\(history.stdout)")
            #expect(history.stdout.split(separator: "\n").dropFirst().first?.hasSuffix("failed") == true, "\(history.stdout)")
            let errors = try await install.idsync(["runs", "--errors", "--last", "10"])
            #expect(errors.stdout.contains("run 1: interrupted: the process ended before the run finished"), "\(errors.stdout)")
            #expect(try await directory.convergence().isEmpty)
        }
    }
}
