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
