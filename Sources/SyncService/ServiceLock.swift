import Foundation
import SyncConfiguration
#if canImport(Glibc)
import Glibc
#endif

/// The running service holds an exclusive lock on `<database>.service.lock`. Commands that must not run
/// beside it (key abandon, import, rotate) check the lock, not a pid file that a crash can leave behind.
public final class ServiceLock: @unchecked Sendable {
    private let fd: Int32

    public static func path(for config: IDSyncConfig) -> String { config.database + ".service.lock" }

    /// Takes the lock, or returns nil when another process holds it.
    public static func acquire(_ config: IDSyncConfig) throws -> ServiceLock? {
        let fd = open(path(for: config), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ServiceError("cannot open \(path(for: config)): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return ServiceLock(fd: fd)
    }

    /// Whether a running service holds the lock now.
    public static func isHeld(_ config: IDSyncConfig) -> Bool {
        let fd = open(path(for: config), O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    private init(fd: Int32) { self.fd = fd }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

/// Deterministic crash points for the crash-safety tests: with IDSYNC_FAILPOINT=NAME:STEP in the
/// environment, the process kills itself (SIGKILL, no cleanup) when it reaches that step.
public enum Failpoint {
    static func hit(_ name: String, step: Int) { hit("\(name):\(step)") }

    /// `KeyManager`'s checkpoint.
    @Sendable public static func hit(_ point: String) {
        guard ProcessInfo.processInfo.environment["IDSYNC_FAILPOINT"] == point else { return }
        kill(getpid(), SIGKILL)
    }
}
