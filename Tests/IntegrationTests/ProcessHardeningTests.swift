import Foundation
import IDSyncTesting
import SyncStore
import Testing

/// The process (issue 12, item 3): the service keeps its secrets out of core files and other processes'
/// reach, refuses files others can read, signals only its own process, and says why a lock cannot be taken.
@Suite("The process: core files, file permissions, stop and locks", .hangGuard)
struct ProcessHardeningTests {
    @Test("a running service is non-dumpable and has no core files (from /proc), run as an unprivileged user")
    func serviceIsNotDumpable() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            // As the packaged unit runs it, as a user of its own (here nobody): the files of /proc/PID stay owned
            // by that user unless the process made itself non-dumpable, which hands them to root.
            let install = setup.install
            let ca = install.directory.file("ca.pem")
            try FileManager.default.copyItem(atPath: setup.dc.caFile, toPath: ca)
            try install.writeConfig(try install.config().replacingOccurrences(of: setup.dc.caFile, with: ca))
            try await runChecked(["chown", "-R", "65534:65534", install.directory.path])
            let started = try await install.startService(launcher: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            #expect(started.status == 0, "\(started.output)")
            let pid = try #require(Int32(started.stdout.split(separator: "pid ").last?.prefix { $0.isNumber } ?? ""), "\(started.output)")

            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(whereSeparator: \.isWhitespace).dropFirst().first
            #expect(uid == "65534", "the service does not run as nobody: \(status)")
            for file in ["status", "mem", "environ"] {
                let owner = try #require(try FileManager.default.attributesOfItem(atPath: "/proc/\(pid)/\(file)")[.ownerAccountID] as? NSNumber)
                #expect(owner.intValue == 0, "/proc/\(pid)/\(file) is owned by uid \(owner): the service is dumpable")
            }
            let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
            let core = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
            #expect(core.split(whereSeparator: \.isWhitespace).suffix(3) == ["0", "0", "bytes"], "\(core)")

            let stopped = try await install.stopService()
            #expect(stopped.stdout.contains("the idsync service stopped"), "\(stopped.output)")
        }
    }

    /// An installation that needs no server: commands here are refused before anything connects.
    func offlineInstallation() throws -> IDSyncInstallation {
        let directory = try TemporaryDirectory(prefix: "process")
        try directory.write("reader.password", "reader-password\n")
        try directory.write("service.password", "service-password\n")
        try directory.write("cloud.token", "token\n")
        let config = try directory.write("idsync.yaml", """
            database: \(directory.file("idsync.sqlite"))
            service:
              account: svc@example.test
              password_file: service.password
            connectors:
              - name: directory
                type: ldap
                url: ldaps://127.0.0.1:1
                bind_dn: cn=reader,dc=example,dc=test
                password_file: reader.password
                base_dn: dc=example,dc=test
              - name: cloud
                type: scim
                url: http://127.0.0.1:9/scim/v2/
                auth: { type: bearer, token_file: cloud.token }
            """)
        return IDSyncInstallation(directory: directory, configPath: config, databasePath: directory.file("idsync.sqlite"),
                                  sourceName: "directory", targetName: "cloud")
    }

    @Test("a database or secret file readable by group or others is refused at start, naming it and the fix")
    func filesOthersCanReadAreRefused() async throws {
        let install = try offlineInstallation()
        defer { install.directory.remove() }
        let created = try await install.idsync(["service", "status"])
        #expect(created.status == 0, "\(created.output)")
        chmod(install.databasePath, 0o644)
        for command in [["service", "run"], ["service", "status"], ["sync"]] {
            let result = try await install.idsync(command)
            #expect(result.status == 1, "\(command): \(result.output)")
            #expect(result.output.contains("\(install.databasePath) (the database) is accessible by group or others (mode 0644)"),
                    "\(command): \(result.output)")
            #expect(result.output.contains("chmod 600 \(install.databasePath)"), "\(command): \(result.output)")
        }
        chmod(install.databasePath, 0o600)
        let token = install.directory.file("cloud.token"), password = install.directory.file("reader.password")
        chmod(token, 0o640)
        let tokenRefused = try await install.idsync(["service", "run"])
        #expect(tokenRefused.status == 1)
        #expect(tokenRefused.output.contains("\(token) (connector cloud's token file (connectors[1].auth.token_file))"), "\(tokenRefused.output)")
        #expect(tokenRefused.output.contains("chmod 600 \(token)") && tokenRefused.output.contains("change the secret"), "\(tokenRefused.output)")
        chmod(token, 0o600)
        chmod(password, 0o604)
        let passwordRefused = try await install.idsync(["sync"])
        #expect(passwordRefused.output.contains("\(password) (connector directory's password file (connectors[0].password_file))"),
                "\(passwordRefused.output)")
    }

    @Test("service stop signals only the holder of this database's service lock, and only if it is idsync")
    func stopSignalsOnlyTheService() async throws {
        let install = try offlineInstallation()
        defer { install.directory.remove() }
        let created = try await install.idsync(["service", "status"])
        #expect(created.status == 0, "\(created.output)")
        // A program that is not idsync holds the service lock; the database names another program's pid.
        let lockPath = install.databasePath + ".service.lock"
        let holder = try BackgroundProcess(["/usr/bin/python3", "-c",
                                            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(600)",
                                            lockPath])
        let bystander = try BackgroundProcess(["sleep", "600"])
        defer { holder.stop(); bystander.stop() }
        let held = try await eventually(timeout: .seconds(30)) {
            try await install.idsync(["service", "status"]).stdout.contains("state:       running")
        }
        #expect(held.held, "the stand-in did not take the lock")
        try SQLiteStore(path: install.databasePath).setServiceState(ServiceState(pid: bystander.pid, state: .running))

        let stop = try await install.idsync(["service", "stop"])
        #expect(stop.status == 1, "\(stop.output)")
        #expect(stop.output.contains("held by pid \(holder.pid), which is not an `idsync service run`: nothing was signalled"), "\(stop.output)")
        #expect(holder.isRunning && bystander.isRunning, "service stop signalled a process that is not the service")

        // Nobody holds the lock, and the recorded pid is someone else's: nothing to stop, nothing signalled.
        holder.stop()
        let notRunning = try await install.idsync(["service", "stop"])
        #expect(notRunning.stdout.contains("the idsync service is not running"), "\(notRunning.output)")
        #expect(bystander.isRunning)
    }

    @Test("a lock file that cannot be created is an error that says why")
    func lockFileThatCannotBeCreated() async throws {
        let install = try offlineInstallation()
        defer { install.directory.remove() }
        let created = try await install.idsync(["service", "status"])
        #expect(created.status == 0, "\(created.output)")
        try FileManager.default.createDirectory(atPath: install.databasePath + ".service.lock", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: install.databasePath + ".cycle.lock", withIntermediateDirectories: false)
        let run = try await install.idsync(["service", "run"])
        #expect(run.status == 1)
        #expect(run.output.contains("cannot create the lock file \(install.databasePath).service.lock: Is a directory"), "\(run.output)")
        #expect(!run.output.contains("already running"), "\(run.output)")
        let status = try await install.idsync(["service", "status"])
        #expect(status.status == 1)
        #expect(status.output.contains("cannot open the lock file \(install.databasePath).service.lock"), "\(status.output)")
        let sync = try await install.idsync(["sync"])
        #expect(sync.status == 1)
        #expect(sync.output.contains("cannot create the lock file \(install.databasePath).cycle.lock: Is a directory"), "\(sync.output)")
    }
}
