import Foundation
import IDSyncTesting
import ProcessSpawn
import SyncStore
import Testing

/// A domain controller of the test's own (the shared one must stay up for the other tests) that is
/// stopped in the middle of an import, given a DirSync cookie it rejects, and given a new TLS certificate.
/// Each is a clean failure or a resume, and never a delete in the target.
@Suite("Source faults: Samba stopped mid-import, a rejected cookie, a changed certificate", .hangGuard)
struct SourceFaultTests {
    /// Starts `idsync ARGS`, stops the DC once an import is under way, and returns the exit status and output.
    func syncStoppingTheDirectory(_ arguments: [String], _ install: IDSyncInstallation, _ dc: SambaDC,
                                  _ scim: SCIMServer) async throws -> ProcessResult {
        let out = install.directory.file("out-\(UUID().uuidString)"), err = out + ".err"
        var environment = ProcessInfo.processInfo.environment
        environment["IDSYNC_CONFIG"] = install.configPath
        let pid = try Spawn.start([Repository.idsyncBinary] + arguments, stdout: out, stderr: err, environment: environment)
        var stopped = false, status = Spawn.poll(pid)
        while status == nil {
            if !stopped, try await KillPoint.importing.reached(install: install, scim: scim) {
                try await dc.stop()
                stopped = true
            }
            try await Task.sleep(for: .milliseconds(20))
            status = Spawn.poll(pid)
        }
        #expect(stopped, "the import ended before the directory could be stopped")
        return ProcessResult(status: status ?? -1, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    @Test func failCleanlyOrResumeAndNeverDelete() async throws {
        // The shared DC first: two DCs choosing a free loopback address at the same moment could pick the same.
        _ = try await SambaDC.shared()
        let home = try TemporaryDirectory(prefix: "samba-faults")
        var dc = try await SambaDC.start(in: home.path)
        try await withCleanup { cleanup in
            cleanup.add { home.remove() }
            cleanup.add { try await SambaDC.stop(in: home.path) }
            let directory = try await SeededDirectory.make(in: dc, users: 10)
            _ = try await dc.addUsers(in: directory.ou, count: 1_500, prefix: "b-\(directory.suffix)")
            let expected = 1_510
            let scim = try await SCIMServer.start()
            cleanup.add { try await scim.stop() }
            let install = try IDSyncInstallation.make(dc: dc, containers: [directory.ou], bindUPN: directory.bindUPN,
                                                      bindPassword: directory.bindPassword, scim: scim)
            // Small pages: the import takes long enough to be interrupted.
            try install.writeConfig(try install.config().replacingOccurrences(of: "type: ldap", with: "type: ldap\n    page_size: 20"))

            // 1. The DC goes away during the first import: the run fails naming the connector; nothing is written.
            let first = try await syncStoppingTheDirectory(["sync"], install, dc, scim)
            #expect(first.status == 1 && first.stderr.contains(install.sourceName), "\(first.output)")
            #expect(try scim.writes(since: 0) == [])
            dc = try await SambaDC.start(in: home.path)
            let resumed = try await install.idsync(["sync"])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(try await scim.count("Users") == expected)

            // 2. The DC goes away during a full import of a synced directory: objects not read yet are not deletes.
            var mark = try scim.requests().count
            let full = try await syncStoppingTheDirectory(["sync", "--full"], install, dc, scim)
            #expect(full.status == 1, "\(full.output)")
            #expect(try scim.writes(since: mark) == [], "an interrupted import must not export anything")
            dc = try await SambaDC.start(in: home.path)
            let after = try await install.idsync(["sync"])
            #expect(after.status == 0, "\(after.output)")
            #expect(try scim.writes(since: mark).filter { $0.method == "DELETE" } == [])
            #expect(try await scim.count("Users") == expected)

            // 3. A DirSync cookie the DC rejects: a full import instead, and nothing changes in the target.
            let store = try SQLiteStore(path: install.databasePath)
            try store.write { writer in
                let stored = try #require(try writer.watermark(connector: install.sourceName))
                var json = try #require(try JSONSerialization.jsonObject(with: stored) as? [String: Any])
                json["cookie"] = Array(repeating: 0x41, count: 64)
                try writer.setWatermark(connector: install.sourceName, try JSONSerialization.data(withJSONObject: json))
            }
            mark = try scim.requests().count
            let rejected = try await install.idsync(["sync"])
            #expect(rejected.status == 0, "\(rejected.output)")
            #expect(rejected.stdout.contains("full-import"), "a rejected cookie falls back to a full import: \(rejected.stdout)")
            let history = try await install.idsync(["runs", "--last", "3"])
            #expect(history.stdout.contains("full-import"), "\(history.stdout)")
            #expect(try scim.writes(since: mark) == [], "nothing changed in AD, so nothing is written")

            // 4. The DC re-enrolled with a certificate from a new CA: refused before anything is read or written,
            // and once the admin trusts the new CA, nothing had been lost.
            let trusted = install.directory.file("old-ca.pem")
            try FileManager.default.copyItem(atPath: dc.caFile, toPath: trusted)
            try install.writeConfig(try install.config().replacingOccurrences(of: dc.caFile, with: trusted))
            try await SambaDC.stop(in: home.path)
            try await runChecked([Repository.script("samba-dc"), "renew-cert", "--dir", home.path])
            dc = try await SambaDC.start(in: home.path)
            mark = try scim.requests().count
            let untrusted = try await install.idsync(["sync"])
            #expect(untrusted.status == 1 && untrusted.stderr.contains(install.sourceName)
                    && untrusted.stderr.lowercased().contains("certificate"), "\(untrusted.output)")
            #expect(try scim.writes(since: mark) == [])
            try install.writeConfig(try install.config().replacingOccurrences(of: trusted, with: dc.caFile))
            let trustedAgain = try await install.idsync(["sync"])
            #expect(trustedAgain.status == 0, "\(trustedAgain.output)")
            #expect(try scim.writes(since: mark) == [])
            #expect(try await scim.count("Users") == expected)
            print("source faults: stopped mid-import twice, a rejected cookie, a changed certificate; target kept \(expected) users, 0 deletes")
        }
    }
}
