import Foundation
import IDSyncTesting
import Testing

/// The service lock's holder is found in the kernel's lock table however long it is. A busy machine (a
/// test run, a server with many SQLite databases) has a table of many pages, and /proc hands it out a
/// page per read: reading only the first page once made `service stop` answer "not running" and leave the
/// service running.
@Suite("The service lock's holder in a long lock table", .hangGuard)
struct LockTableTests {
    @Test("among 800 other locks, service stop still finds who holds the service lock")
    func holderFoundBeyondTheFirstPage() async throws {
        let install = try ProcessHardeningTests().offlineInstallation()
        defer { install.directory.remove() }
        let created = try await install.idsync(["service", "status"])
        #expect(created.status == 0, "\(created.output)")
        // A stand-in takes 400 locks of its own, the service lock, then 400 more: whichever end the kernel lists
        // first, the service lock's line is several pages in.
        let lockPath = install.databasePath + ".service.lock"
        let holder = try BackgroundProcess(["/usr/bin/python3", "-c", """
            import fcntl, sys, time
            def lock(path):
                f = open(path, "a"); fcntl.flock(f, fcntl.LOCK_EX); return f
            before = [lock(f"{sys.argv[2]}/before-{i}.lock") for i in range(400)]
            service = lock(sys.argv[1])
            after = [lock(f"{sys.argv[2]}/after-{i}.lock") for i in range(400)]
            time.sleep(600)
            """, lockPath, install.directory.path])
        defer { holder.stop() }
        let held = try await eventually(timeout: .seconds(60)) {
            try await install.idsync(["service", "status"]).stdout.contains("state:       running")
        }
        #expect(held.held, "the stand-in did not take the lock")

        let stop = try await install.idsync(["service", "stop"])
        #expect(stop.status == 1, "\(stop.output)")
        #expect(stop.output.contains("held by pid \(holder.pid), which is not an `idsync service run`"), "\(stop.output)")
        #expect(holder.isRunning)
    }
}
