import Failpoints
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

    /// Whether some process holds the lock now. No lock file: nobody ever took it. A lock file that
    /// cannot be opened is an error: the answer is unknown, and "not held" could let a command run beside
    /// the service.
    static func isHeld(path: String) throws -> Bool {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return false }
            throw ServiceError("cannot open the lock file \(path) to see whether it is held: \(String(cString: strerror(errno)))")
        }
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
    public static func isHeld(_ config: IDSyncConfig) throws -> Bool { try FileLock.isHeld(path: path(for: config)) }

    /// Takes the lock, or returns nil when the service already runs. Throws while a password change is in
    /// progress: the password file, its pending copy and the key's wrappers are between two states then.
    /// This lock is taken before the change's is looked at, and the change does the reverse, so of a start
    /// and a change that race, at least one sees the other.
    public static func acquire(_ config: IDSyncConfig) throws -> FileLock? {
        guard let lock = try FileLock.acquire(path: path(for: config)) else { return nil }
        if let pid = try LockHolders.pids(of: PasswordChangeLock.path(for: config)).first {
            throw ServiceError("`idsync service change-password` (pid \(pid)) is changing the service account's password: "
                               + "start the service again when it has finished")
        }
        return lock
    }

    /// The running service's pid: the process the kernel says holds this database's service lock, provided
    /// it is an `idsync service run`; nil when no process holds the lock.
    public static func holder(_ config: IDSyncConfig) throws -> Int32? {
        let path = path(for: config)
        let pids = try LockHolders.pids(of: path)
        guard let pid = pids.first else { return nil }
        guard pids.count == 1, ServiceProcess.isService(pid) else {
            throw ServiceError("the service lock \(path) is held by pid \(pids.map(String.init).joined(separator: ", ")), "
                               + "which is not an `idsync service run`")
        }
        return pid
    }
}

/// Held by `idsync service change-password` from before it reads the stored password until it has
/// finished, so the service cannot start in the middle of the change (and a second change cannot either).
public enum PasswordChangeLock {
    public static func path(for config: IDSyncConfig) -> String { config.database + ".password-change.lock" }

    /// Takes the lock, then refuses while the service runs (see `ServiceLock.acquire` for the order). Who
    /// holds a lock is read from the kernel's lock table, not by trying it, so a service starting at this
    /// moment is not turned away by the look.
    public static func acquire(_ config: IDSyncConfig) throws -> FileLock {
        guard let lock = try FileLock.acquire(path: path(for: config)) else {
            throw ServiceError("another `idsync service change-password` is running on \(config.database); wait for it to finish")
        }
        if let pid = try LockHolders.pids(of: ServiceLock.path(for: config)).first {
            throw ServiceError("refused: the idsync service is running (pid \(pid)); stop it first (`idsync service stop`), "
                               + "then change the password, then start it again")
        }
        return lock
    }
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

/// The crash-safety tests' failpoints (IDSYNC_FAILPOINT), under the name the service and the commands
/// have always used.
public typealias Failpoint = Failpoints.Failpoint
