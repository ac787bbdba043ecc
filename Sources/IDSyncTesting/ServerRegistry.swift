import Foundation
import Synchronization

/// Servers this test process started. They are stopped when the process exits normally (atexit), and
/// each server's script also watches this process's pid, so even a crashed run leaves nothing behind.
/// Their temporary directories are removed then too, unless IDSYNC_KEEP_TEST_FILES=1 (to look after a failure).
enum ServerRegistry {
    private static let pids = Mutex<Set<Int32>>([])
    private static let directories = Mutex<[String]>([])
    private static let installed = Mutex(false)

    static func started(pid: Int32) {
        pids.withLock { _ = $0.insert(pid) }
        installAtExit()
    }

    static func stopped(pid: Int32) { pids.withLock { _ = $0.remove(pid) } }

    static func removeAtExit(_ directory: String) {
        directories.withLock { $0.append(directory) }
        installAtExit()
    }

    private static func installAtExit() {
        installed.withLock { done in
            guard !done else { return }
            done = true
            atexit { ServerRegistry.stopAll() }
        }
    }

    static func stopAll() {
        let running = pids.withLock { $0 }
        for pid in running { kill(pid, SIGTERM) }
        guard ProcessInfo.processInfo.environment["IDSYNC_KEEP_TEST_FILES"] != "1" else { return }
        // Give the servers a moment to let go of their files.
        for _ in 0..<20 where running.contains(where: { kill($0, 0) == 0 }) { usleep(100_000) }
        for directory in directories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// The pid the server scripts watch (`--parent-pid`).
var testProcessID: String { String(getpid()) }
