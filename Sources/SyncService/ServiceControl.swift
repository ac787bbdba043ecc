import Foundation
import SyncConfiguration
import SyncStore
#if canImport(Glibc)
import Glibc
#endif

/// `idsync service start | stop | status` for machines without systemd (and for tests): the service runs
/// detached as `idsync service run`, its output appended to `service.log_file`.
public struct ServiceControl {
    let config: IDSyncConfig
    let store: SQLiteStore

    public init(config: IDSyncConfig, store: SQLiteStore) {
        self.config = config
        self.store = store
    }

    public var logFile: String {
        config.service.logFile ?? URL(fileURLWithPath: config.database).deletingLastPathComponent().appendingPathComponent("idsync-service.log").path
    }

    public enum StartResult {
        case started(pid: Int32)
        case failed(ServiceState?)
        case alreadyRunning(pid: Int32?)
    }

    /// Starts `idsync service run` detached and waits until it runs or has failed.
    public func start(timeout: Duration = .seconds(120)) async throws -> StartResult {
        if ServiceLock.isHeld(config) { return .alreadyRunning(pid: try store.serviceState()?.pid) }
        let pid = try spawnDetached(["service", "run", "--config", config.file])
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let state = try store.serviceState()
            if state?.pid == pid {
                switch state?.state {
                case .running: return .started(pid: pid)
                case .failed, .stopped: reap(pid); return .failed(state)
                default: break
                }
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {    // exited without saying why (e.g. killed)
                return .failed(try store.serviceState().flatMap { $0.pid == pid ? $0 : nil })
            }
        }
        return .failed(ServiceState(pid: pid, state: .starting, message: "did not report running within \(timeout)"))
    }

    /// Asks the running service to stop (SIGTERM), and waits until it has.
    public func stop(timeout: Duration = .seconds(300)) async throws -> Bool {
        guard ServiceLock.isHeld(config), let pid = try store.serviceState()?.pid else { return false }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while ServiceLock.isHeld(config) {
            guard ContinuousClock.now < deadline else { throw ServiceError("the service (pid \(pid)) did not stop within \(timeout)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        return true
    }

    public struct Status {
        public let running: Bool
        public let state: ServiceState?
        public let lastRun: RunRecord?
    }

    public func status() throws -> Status {
        Status(running: ServiceLock.isHeld(config), state: try store.serviceState(),
               lastRun: try store.read { try $0.runs(connector: nil, last: 1).last })
    }

    private func reap(_ pid: Int32) {
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    /// posix_spawn of this same executable in a new session, stdin from /dev/null, output to the log file.
    private func spawnDetached(_ arguments: [String]) throws -> Int32 {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, posixSpawnSetSID)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw ServiceError("cannot start \(executable): \(String(cString: strerror(result)))") }
        return pid
    }
}

/// glibc's POSIX_SPAWN_SETSID (it is behind _GNU_SOURCE, which Swift's Glibc module does not define).
private let posixSpawnSetSID: Int16 = 0x80
