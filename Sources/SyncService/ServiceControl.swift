import Foundation
import ProcessSpawn
import SyncConfiguration
import SyncStore
#if canImport(Glibc)
import Glibc
#endif

/// `idsync service start | stop | status` for machines without systemd (and for tests): the service runs
/// detached as `idsync service run`, its output appended to `service.log_file`.
public struct ServiceControl {
    let config: IDSyncConfig
    let store: any IDSyncStore

    public init(config: IDSyncConfig, store: any IDSyncStore) {
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
        if try ServiceLock.isHeld(config) { return .alreadyRunning(pid: try ServiceLock.holder(config)) }
        let pid = try spawnDetached(["service", "run", "--config", config.file])
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let state = try store.serviceState()
            if state?.pid == pid {
                switch state?.state {
                case .running: return .started(pid: pid)
                case .failed, .stopped: _ = Spawn.wait(pid); return .failed(state)
                default: break
                }
            }
            if Spawn.poll(pid) != nil {    // exited without saying why (e.g. killed)
                return .failed(try store.serviceState().flatMap { $0.pid == pid ? $0 : nil })
            }
        }
        return .failed(ServiceState(pid: pid, state: .starting, message: "did not report running within \(timeout)"))
    }

    /// Asks the running service to stop (SIGTERM), and waits until it has. Only the process holding this
    /// database's service lock is signalled, and only if it is an `idsync service run` (the pid recorded in
    /// the database may be stale and belong to another program by now).
    public func stop(timeout: Duration = .seconds(300)) async throws -> Bool {
        let holder: Int32?
        do {
            holder = try ServiceLock.holder(config)
        } catch {
            throw ServiceError("\(error): nothing was signalled")
        }
        guard let pid = holder else {
            // A lock held by no process /proc/locks names would make "not running" a wrong answer.
            if try ServiceLock.isHeld(config) {
                throw ServiceError("the service lock \(ServiceLock.path(for: config)) is held, but /proc/locks names no "
                                   + "process holding it: nothing was signalled")
            }
            return false
        }
        guard kill(pid, SIGTERM) == 0 else {
            throw ServiceError("cannot signal the service (pid \(pid)): \(String(cString: strerror(errno)))")
        }
        let deadline = ContinuousClock.now + timeout
        while try ServiceLock.isHeld(config) {
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
        Status(running: try ServiceLock.isHeld(config), state: try store.serviceState(),
               lastRun: try store.read { try $0.runs(connector: nil, last: 1).last })
    }

    /// This same executable, in a new session, stdin from /dev/null, output appended to the log file.
    private func spawnDetached(_ arguments: [String]) throws -> Int32 {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        do {
            return try Spawn.start([executable] + arguments, stdout: logFile, appendOutput: true, newSession: true)
        } catch {
            throw ServiceError("\(error)")
        }
    }
}
