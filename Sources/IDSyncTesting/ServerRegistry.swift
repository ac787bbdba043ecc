import Foundation
import Synchronization

/// Servers this test process started. They are stopped when the process exits normally (atexit), and
/// each server's script also watches this process's pid, so even a crashed run leaves nothing behind.
enum ServerRegistry {
    private static let pids = Mutex<Set<Int32>>([])
    private static let installed = Mutex(false)

    static func started(pid: Int32) {
        pids.withLock { _ = $0.insert(pid) }
        installed.withLock { done in
            guard !done else { return }
            done = true
            atexit { ServerRegistry.stopAll() }
        }
    }

    static func stopped(pid: Int32) { pids.withLock { _ = $0.remove(pid) } }

    static func stopAll() {
        for pid in pids.withLock({ $0 }) { kill(pid, SIGTERM) }
    }
}

/// The pid the server scripts watch (`--parent-pid`).
var testProcessID: String { String(getpid()) }
