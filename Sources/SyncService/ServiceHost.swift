import Foundation
import Logging
import SyncConfiguration
import SyncEngine
import SyncStore
import Vault

/// `idsync service run`: the daemon. Start order, as the seed describes it: log on as the service account
/// → unwrap the server encryption key → open the connectors → run sync cycles on the schedule until
/// SIGTERM. Each failure is recorded with the seed's event and code, and the service does not start.
public struct ServiceHost {
    let config: IDSyncConfig
    let store: any IDSyncStore
    let logger: Logger
    let events: EventLog

    public init(config: IDSyncConfig, store: any IDSyncStore, logger: Logger) {
        self.config = config
        self.store = store
        self.logger = logger
        self.events = EventLog(store: store, logger: logger)
    }

    /// Runs until stopped; returns the process exit status.
    public func run() async -> Int32 {
        let lock: FileLock
        do {
            guard let acquired = try ServiceLock.acquire(config) else {
                logger.error("the idsync service is already running for \(config.database)")
                return 1
            }
            lock = acquired
        } catch {
            logger.error("the idsync service cannot start", metadata: ["error": "\(error)"])
            return 1
        }
        let pid = getpid()
        let started = Date()
        setState(.starting, pid: pid, started: started)
        // The memory about to hold the service password and the unwrapped key is kept out of core files.
        do {
            try ProcessHardening.apply()
            try PrivateFiles.check(config)
        } catch {
            return fail(pid: pid, started: started, code: nil, "\(error)")
        }

        let access: KeyAccess
        let rules: RuleSet
        do {
            access = KeyAccess(account: try ServiceAccount(config: config), store: store, events: events)
            rules = try RuleLoader.rules(for: config)
        } catch {
            return fail(pid: pid, started: started, code: nil, "\(error)")
        }
        // 1. Log on as the service account.
        let (password, logon) = await PasswordChange(access: access).passwordThatLogsOn()
        guard let password else {
            switch logon {
            case .wrongPassword:
                events.record(IDSyncEvent.logonFailed(account: access.account.account))
                return fail(pid: pid, started: started, code: IDSyncEvent.logonFailureCode, IDSyncEvent.logonFailureText)
            case .unavailable(let reason):
                return fail(pid: pid, started: started, code: nil, "cannot log on as \(access.account.account): \(reason)")
            case .success:
                return fail(pid: pid, started: started, code: nil, "cannot log on as \(access.account.account)")
            }
        }
        // 2. Unwrap the server encryption key (and drop a wrapper an interrupted password change left).
        let key: ServerKey
        do {
            key = try access.unlock(password: password)
            if (try access.keys.storedKeySet()?.wrappers.filter { $0.kind == .serviceAccount }.count ?? 0) > 1 {
                try access.keys.rewrap(key: key, servicePassword: password)
            }
        } catch {
            return fail(pid: pid, started: started, code: IDSyncEvent.keyUnavailableCode,
                        "The server encryption key cannot be accessed. Service-specific error code \(IDSyncEvent.keyUnavailableCode).")
        }
        // 3. Open the connectors: every secret must decrypt and every connector must answer. (The rules are
        // checked against the connected systems' schemas by the first cycle.)
        let secrets = access.secrets(key)
        do {
            try await CycleSession(config: config, rules: rules, secrets: secrets, logger: logger).withConnectors { _ in }
        } catch {
            events.record(IDSyncEvent.connectorUnusable("\(error)"))
            return fail(pid: pid, started: started, code: nil, "\(error)")
        }

        let stop = StopSignal()
        setState(.running, pid: pid, started: started)
        events.record(IDSyncEvent.state("running"))
        SystemdNotify.send("READY=1\nSTATUS=running\nMAINPID=\(pid)")

        // 4. Cycles on the schedule, until SIGTERM; a stop lets the current step finish.
        var rulesChecked = false
        while !stop.isStopped {
            if config.service.continuous {
                await runContinuously(secrets: secrets, rules: rules, rulesChecked: &rulesChecked, until: stop)
            } else {
                await runCycle(secrets: secrets, rules: rules, rulesChecked: &rulesChecked)
            }
            if stop.isStopped { break }
            await stop.wait(upTo: config.service.continuous ? Self.continuousIdle : config.service.interval)
        }
        SystemdNotify.send("STOPPING=1")
        setState(.stopped, pid: pid, started: started)
        events.record(IDSyncEvent.state("stopped"))
        withExtendedLifetime(lock) {}
        return 0
    }

    /// `schedule: continuous`: between cycles the service idles at most this long, so a change lands in seconds.
    static let continuousIdle = Duration.seconds(1)

    /// One cycle over connectors opened for it (the interval schedule: a connection held idle for half an
    /// hour would be dropped by the server or a firewall anyway).
    private func runCycle(secrets: ConnectorSecrets, rules: RuleSet, rulesChecked: inout Bool) async {
        guard let cycleLock = acquireCycleLock() else { return }
        defer { withExtendedLifetime(cycleLock) {} }
        await inSession(secrets: secrets, rules: rules, rulesChecked: &rulesChecked) { cycle, connectors in
            _ = await runAndLog(cycle, connectors)
        }
    }

    /// `schedule: continuous`: delta cycles back to back over connectors opened once, so a change costs one
    /// DirSync or syncrepl round trip and its export, not a TLS handshake, a bind (a logon on the DC) and
    /// the SCIM service's discovery every second. A cycle in which a run failed (a connection lost, say)
    /// ends the session; the next one opens the connectors again.
    private func runContinuously(secrets: ConnectorSecrets, rules: RuleSet, rulesChecked: inout Bool,
                                 until stop: StopSignal) async {
        await inSession(secrets: secrets, rules: rules, rulesChecked: &rulesChecked) { cycle, connectors in
            while !stop.isStopped {
                if let cycleLock = acquireCycleLock() {
                    let healthy = await runAndLog(cycle, connectors)
                    withExtendedLifetime(cycleLock) {}
                    guard healthy else { return }
                }
                if stop.isStopped { return }
                await stop.wait(upTo: Self.continuousIdle)
            }
        }
    }

    /// The lock a cycle holds; nil (and why, logged) when a cycle started from the command line is running,
    /// so this one waits for the next tick, or when the lock cannot be taken at all.
    private func acquireCycleLock() -> FileLock? {
        do {
            guard let acquired = try CycleLock.acquire(config) else {
                logger.info("a sync cycle started outside the service is running; skipping this one")
                return nil
            }
            return acquired
        } catch {
            logger.error("no sync cycle can run", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Opens the connectors and runs `body` with them. The rules are checked against the connectors'
    /// schemas until a check passes (they are loaded once, at start); a session whose check fails runs
    /// nothing and says why.
    private func inSession(secrets: ConnectorSecrets, rules: RuleSet, rulesChecked: inout Bool,
                           _ body: (SyncCycle, ConnectorSet) async -> Void) async {
        let session = CycleSession(config: config, rules: rules, secrets: secrets, logger: logger)
        do {
            try await session.run(checkRules: !rulesChecked, store: { store }) { cycle, connectors in
                rulesChecked = true
                await body(cycle, connectors)
            }
        } catch let failed as RuleCheckFailed {
            logger.error("the rules do not fit the connected systems; no cycle runs until they do",
                         metadata: ["problems": "\(failed)"])
        } catch {
            logger.error("sync cycle could not start", metadata: ["error": "\(error)"])
        }
    }

    /// Runs one cycle and logs its runs; false when one of them failed.
    private func runAndLog(_ cycle: SyncCycle, _ connectors: ConnectorSet) async -> Bool {
        let runs = await cycle.run(connectors, options: .init())
        for run in runs {
            logger.info("run finished", metadata: [
                "connector": "\(run.connector)", "profile": "\(run.profile.rawValue)", "status": "\(run.status.rawValue)",
                "adds": "\(run.adds)", "updates": "\(run.updates)", "deletes": "\(run.deletes)", "errors": "\(run.errors)",
            ])
        }
        return !runs.contains { $0.status == .failed }
    }

    private func setState(_ state: ServiceState.State, pid: Int32, started: Date, code: String? = nil, message: String? = nil) {
        do {
            try store.setServiceState(ServiceState(pid: pid, state: state, errorCode: code, message: message, started: started))
        } catch {
            logger.error("cannot record the service state", metadata: ["error": "\(error)"])
        }
    }

    private func fail(pid: Int32, started: Date, code: String?, _ message: String) -> Int32 {
        events.record(IDSyncEvent.startFailed(message))
        setState(.failed, pid: pid, started: started, code: code, message: message)
        SystemdNotify.send("STATUS=\(message)")
        return 1
    }
}
