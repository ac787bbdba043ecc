import Foundation
import IDSyncTesting
import Testing

/// `idsync service run` as systemd runs it (Type=notify): READY=1 once it runs, STOPPING=1 and exit 0 on SIGTERM.
@Suite("systemd: service run", .hangGuard)
struct SystemdTests {
    @Test("READY=1 after start, STOPPING=1 and a clean exit on SIGTERM")
    func notifyAndStop() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let socketPath = setup.install.directory.file("notify.sock")
            let listener = try NotifyListener(path: socketPath)

            var environment = ProcessInfo.processInfo.environment
            environment["IDSYNC_CONFIG"] = setup.install.configPath
            environment["NOTIFY_SOCKET"] = socketPath
            let service = Task { try await runProcess([Repository.idsyncBinary, "service", "run"], environment: environment) }

            // Waits for the event; the bound only ends a start that never comes. READY=1 follows a logon and a connect
            // to the shared DC, which the suite's other tests keep busy (30 s was not enough in a full run).
            let ready = try await eventually(timeout: .seconds(180)) { listener.received.contains { $0.contains("READY=1") } }
            #expect(ready.held, "no READY=1 (got \(listener.received))")
            let status = try await setup.idsync(["service", "status"])
            #expect(status.stdout.contains("state:       running"), "\(status.output)")
            let pid = try #require(status.stdout.split(separator: "\n").first { $0.hasPrefix("pid:") }.flatMap { Int32($0.split(separator: " ").last ?? "") })
            kill(pid, SIGTERM)
            let result = try await service.value
            #expect(result.status == 0, "\(result.output)")
            #expect(listener.received.contains { $0.contains("STOPPING=1") })
            #expect(try await setup.idsync(["events", "--id", "7036"]).stdout.contains("entered the stopped state"))
        }
    }
}

/// packaging/idsync.service, as systemd reads it.
@Suite("systemd: the packaged unit", .hangGuard)
struct SystemdUnitTests {
    static let unitPath = Repository.root + "/packaging/idsync.service"

    /// `Key=value` settings of the unit's [Service] section (a key set twice keeps its last value).
    static func serviceSettings() throws -> [String: String] {
        let text = try String(contentsOfFile: unitPath, encoding: .utf8)
        var settings: [String: String] = [:], inService = false
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.hasPrefix("#") {
            if line.hasPrefix("[") { inService = line == "[Service]"; continue }
            guard inService, let equals = line.firstIndex(of: "=") else { continue }
            settings[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return settings
    }

    @Test("a dedicated idsync user, no core files, no capabilities, only /var/lib/idsync writable")
    func confinement() throws {
        let settings = try Self.serviceSettings()
        #expect(settings["User"] == "idsync" && settings["Group"] == "idsync")
        #expect(settings["LimitCORE"] == "0")
        #expect(settings["CapabilityBoundingSet"] == "" && settings["AmbientCapabilities"] == "")
        #expect(settings["NoNewPrivileges"] == "yes")
        #expect(settings["ProtectSystem"] == "strict", "without it every path is writable")
        #expect(settings["ReadWritePaths"] == "/var/lib/idsync")
        #expect(settings["StateDirectory"] == "idsync" && settings["UMask"] == "0077")
    }

    @Test("systemd-analyze verify accepts the unit without a warning")
    func systemdAnalyzeVerifies() async throws {
        // scripts/install-deps installs systemd for this; a machine without it fails here rather than skip.
        let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let tool = try #require(analyze, "systemd-analyze is not installed: run scripts/install-deps (it installs systemd)")
        // The unit names the installed binary; verify checks that ExecStart exists, so point it at this build.
        let directory = try TemporaryDirectory(prefix: "unit")
        defer { directory.remove() }
        let unit = try String(contentsOfFile: Self.unitPath, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/idsync ", with: Repository.idsyncBinary + " ")
        let path = try directory.write("idsync.service", unit)
        let result = try await runProcess([tool, "verify", path])
        #expect(result.status == 0, "\(result.output)")
        // verify exits 0 on a setting it ignores (a typo, a bad value): any line it prints is a failure.
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.output)")
    }
}

/// A unix datagram socket standing in for systemd's notification socket.
final class NotifyListener: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var messages: [String] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestSetupError("cannot bind \(path)") }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                guard count > 0 else { return }
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                lock.withLock { messages.append(message) }
            }
        }
    }

    var received: [String] { lock.withLock { messages } }
}
