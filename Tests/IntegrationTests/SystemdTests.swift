import Foundation
import IDSyncTesting
import Testing

/// `idsync service run` as systemd runs it (Type=notify): READY=1 once it runs, STOPPING=1 and exit 0 on SIGTERM.
@Suite("systemd: service run")
struct SystemdTests {
    @Test("READY=1 after start, STOPPING=1 and a clean exit on SIGTERM")
    func notifyAndStop() async throws {
        let setup = try await VaultedInstallation.make()
        defer { Task { await setup.cleanUp() } }
        try await setup.configure()
        let socketPath = setup.install.directory.file("notify.sock")
        let listener = try NotifyListener(path: socketPath)

        var environment = ProcessInfo.processInfo.environment
        environment["IDSYNC_CONFIG"] = setup.install.configPath
        environment["NOTIFY_SOCKET"] = socketPath
        let service = Task { try await runProcess([Repository.idsyncBinary, "service", "run"], environment: environment) }

        let ready = try await eventually(timeout: .seconds(30)) { listener.received.contains { $0.contains("READY=1") } }
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
