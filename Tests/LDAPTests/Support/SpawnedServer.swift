import Foundation
import ProcessSpawn

/// A long-running child process (a test server) that this process starts and must stop.
///
/// Started with `Spawn` (default signal handling, reaped with waitpid; see there why not Foundation's Process).
final class SpawnedServer: Sendable {
    let pid: pid_t
    private let watcher: pid_t

    init(_ command: [String]) throws {
        pid = try Spawn.start(command)
        watcher = try Self.killOnExitOfThisProcess(pid)
    }

    /// Whether the child is still running (not yet reaped).
    var isRunning: Bool { Spawn.poll(pid) == nil }

    /// SIGTERM, then SIGKILL if it has not exited within a few seconds; reaps it.
    func stop() async {
        // The watcher goes first: once the server is reaped its pid may be reused, and the watcher must
        // not be left to kill that other process.
        kill(watcher, SIGKILL)
        _ = Spawn.wait(watcher)
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while isRunning {
            if ContinuousClock.now > deadline { kill(pid, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A shell that kills `pid` if this test process dies first (a crash, a timeout), so no server is left behind.
    private static func killOnExitOfThisProcess(_ pid: pid_t) throws -> pid_t {
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; kill -9 \(pid) 2>/dev/null"
        do {
            return try Spawn.start(["/bin/sh", "-c", script])
        } catch {
            kill(pid, SIGKILL)
            throw error
        }
    }
}
