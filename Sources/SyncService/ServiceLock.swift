import Foundation
import SyncConfiguration
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive flock(2) on a file beside the database, released when its holder exits however it exits
/// (a pid file that a crash leaves behind would not be).
public final class FileLock: @unchecked Sendable {
    private let fd: Int32

    /// Takes the lock, or returns nil when another process holds it.
    static func acquire(path: String) throws -> FileLock? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "its directory does not exist" : String(cString: strerror(errno))
            throw ServiceError("cannot create the lock file \(path): \(reason)")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        return FileLock(fd: fd)
    }

    /// Whether some process holds the lock now.
    static func isHeld(path: String) -> Bool {
        let fd = open(path, O_RDWR | O_CLOEXEC)
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

/// The running service holds `<database>.service.lock`. Commands that must not run beside it (key abandon,
/// import, rotate) check it.
public enum ServiceLock {
    public static func path(for config: IDSyncConfig) -> String { config.database + ".service.lock" }
    public static func acquire(_ config: IDSyncConfig) throws -> FileLock? { try FileLock.acquire(path: path(for: config)) }
    public static func isHeld(_ config: IDSyncConfig) -> Bool { FileLock.isHeld(path: path(for: config)) }
}

/// Held for the length of a sync cycle, or of one run profile, by the service and by `idsync sync` and
/// `idsync run`: two cycles on one database would send the same pending export twice.
public enum CycleLock {
    public static func path(for config: IDSyncConfig) -> String { config.database + ".cycle.lock" }
    public static func acquire(_ config: IDSyncConfig) throws -> FileLock? { try FileLock.acquire(path: path(for: config)) }

    /// What a command says when the lock is taken.
    public static func busy(_ config: IDSyncConfig) -> String {
        "a sync cycle is already running on \(config.database) (the service's, or another idsync sync or run); "
            + "try again when it has finished"
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
