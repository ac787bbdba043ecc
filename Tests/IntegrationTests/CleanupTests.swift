import Foundation
import IDSyncTesting
import Testing

/// `withCleanup`: a test's servers are stopped however its body ends, and a failing stop is not lost.
@Suite("Cleanup: a test's servers are stopped on every exit path", .hangGuard)
struct CleanupTests {
    struct BodyFailed: Error {}
    struct StopFailed: Error {}

    /// What the cleanup steps did, in order.
    actor Log {
        var entries: [String] = []
        func append(_ entry: String) { entries.append(entry) }
    }

    @Test("a body that throws still has its servers stopped: the process is gone, the listener closed, the error comes out")
    func throwingBodyStopsServers() async throws {
        var started: (scimPID: Int32, scripted: ScriptedHTTPServer)?
        do {
            try await withCleanup { cleanup in
                let scim = try await SCIMServer.start()
                cleanup.add { try await scim.stop() }
                let scripted = try await ScriptedHTTPServer(script: [])
                cleanup.add { try await scripted.stop() }
                started = (scim.pid, scripted)
                #expect(kill(scim.pid, 0) == 0)
                #expect(try somethingListens(onPort: try #require(URL(string: scim.url)?.port)))
                #expect(try somethingListens(onPort: scripted.port) && scripted.isListening)
                throw BodyFailed()
            }
            Issue.record("withCleanup did not pass on the body's error")
        } catch is BodyFailed {}
        // What was stopped is told by the servers themselves, not by probing their ports: in a full test run
        // another test's server may be given a freed port at once.
        let servers = try #require(started)
        #expect(kill(servers.scimPID, 0) == -1 && errno == ESRCH)
        #expect(!servers.scripted.isListening)
    }

    @Test("steps run last added first; a failing step is an issue of the test and the others still run")
    func orderAndFailingStep() async throws {
        let log = Log()
        try await withKnownIssue {
            try await withCleanup { cleanup in
                cleanup.add { await log.append("added first") }
                cleanup.add { throw StopFailed() }
                cleanup.add { await log.append("added last") }
            }
        } matching: { $0.error is StopFailed }
        #expect(await log.entries == ["added last", "added first"])
    }

    @Test("a cancelled test still awaits its steps, even one that sleeps")
    func cancelledBodyStillCleansUp() async throws {
        let log = Log()
        let run = Task {
            try await withCleanup { cleanup in
                cleanup.add {
                    try await Task.sleep(for: .milliseconds(20))
                    await log.append("stopped")
                }
                withUnsafeCurrentTask { $0?.cancel() }
                try Task.checkCancellation()
            }
        }
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(await log.entries == ["stopped"])
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted; throws on anything but a refusal.
    func somethingListens(onPort port: Int) throws -> Bool {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result == 0 { return true }
        guard errno == ECONNREFUSED else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return false
    }
}
