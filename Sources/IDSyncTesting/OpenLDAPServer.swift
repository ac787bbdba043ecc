import Foundation
import LDAP
import Synchronization

/// A real OpenLDAP server (Debian's slapd) on a free 127.0.0.1 port, started by `scripts/slapd-server`:
/// dc=example,dc=test with ou=people and ou=groups, and the syncprov overlay, so it answers syncrepl
/// (RFC 4533). Cheap to start (well under a second), so each test gets its own.
public final class OpenLDAPServer: Sendable {
    public let directory: String
    public let url: String
    public let baseDN: String
    public let adminDN: String
    public let adminPassword: String
    /// slapd's pid, which changes with ``restart()``.
    public var pid: Int32 { currentPID.withLock { $0 } }
    private let currentPID: Mutex<Int32>

    /// - Parameters:
    ///   - sessionLog: keep a log of that many changes, so that deletes it covers are sent explicitly
    ///     (syncIdSets); without it, and after a restart (the log is in memory), slapd runs a present phase.
    ///   - reloadHint: fail a refresh whose cookie is stale with e-syncRefreshRequired, unless the consumer
    ///     sets reloadHint, rather than silently sending the whole content.
    public static func start(sessionLog: Int? = nil, reloadHint: Bool = false) async throws -> OpenLDAPServer {
        let directory = try TemporaryDirectory(prefix: "slapd").path
        ServerRegistry.removeAtExit(directory)
        var options: [String] = []
        if let sessionLog { options += ["--sessionlog", String(sessionLog)] }
        if reloadHint { options.append("--reload-hint") }
        let values = try await runScript(["start", "--dir", directory, "--parent-pid", testProcessID] + options)
        guard let url = values["URL"], let baseDN = values["BASE_DN"], let adminDN = values["ADMIN_DN"],
              let passwordFile = values["ADMIN_PASSWORD_FILE"], let pid = values["PID"].flatMap({ Int32($0) }) else {
            throw TestSetupError("slapd-server start printed \(values)")
        }
        ServerRegistry.started(pid: pid)
        return OpenLDAPServer(directory: directory, url: url, baseDN: baseDN, adminDN: adminDN,
                              adminPassword: try String(contentsOfFile: passwordFile, encoding: .utf8)
                                  .trimmingCharacters(in: .whitespacesAndNewlines),
                              pid: pid)
    }

    /// Runs `body` with a fresh server, and stops the server however `body` ends.
    public static func withServer<T>(sessionLog: Int? = nil, reloadHint: Bool = false,
                                     _ body: (OpenLDAPServer) async throws -> T) async throws -> T {
        let server = try await start(sessionLog: sessionLog, reloadHint: reloadHint)
        do {
            let result = try await body(server)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }

    private init(directory: String, url: String, baseDN: String, adminDN: String, adminPassword: String, pid: Int32) {
        self.directory = directory; self.url = url; self.baseDN = baseDN; self.adminDN = adminDN
        self.adminPassword = adminPassword; currentPID = Mutex(pid)
    }

    /// Options with short timeouts: a test server that does not answer within seconds is broken.
    public var connectionOptions: LDAPConnectionOptions {
        LDAPConnectionOptions(url: url, networkTimeout: .seconds(2), operationTimeout: .seconds(30))
    }

    /// A connection bound as the rootdn, which no access rule or limit applies to.
    public func admin() async throws -> LDAPConnection {
        try await connection(bindDN: adminDN, password: adminPassword)
    }

    /// A connection bound as `bindDN`, or anonymous without one.
    public func connection(bindDN: String? = nil, password: String? = nil) async throws -> LDAPConnection {
        let connection = try await LDAPConnection.connect(connectionOptions)
        if let bindDN, let password {
            try await connection.simpleBind(dn: bindDN, password: password)
        }
        return connection
    }

    /// Stops slapd and removes its files.
    public func stop() async throws {
        try await shutDown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops slapd (cleanly: it writes its contextCSN on the way out) and starts it again on the same port
    /// with the same data. Open connections break.
    public func restart() async throws {
        try await shutDown()
        try await startAgain()
    }

    /// Stops slapd, bulk-adds `ldifFile` with slapadd (fast: no per-entry checks or syncs), and starts it
    /// again. The entries get an entryUUID and entryCSN of their own, as if added online.
    public func loadOffline(ldifFile: String) async throws {
        try await shutDown()
        _ = try await Self.runScript(["load", "--dir", directory, "--ldif", ldifFile])
        try await startAgain()
    }

    private func shutDown() async throws {
        _ = try await Self.runScript(["stop", "--dir", directory])
        ServerRegistry.stopped(pid: pid)
    }

    private func startAgain() async throws {
        // The same port, so that `url` stays right; the configuration in the directory keeps the options.
        let port = String(url.split(separator: ":").last ?? "")
        let values = try await Self.runScript(["start", "--dir", directory, "--port", port, "--parent-pid", testProcessID])
        guard let pid = values["PID"].flatMap({ Int32($0) }) else {
            throw TestSetupError("slapd-server start printed \(values)")
        }
        currentPID.withLock { $0 = pid }
        ServerRegistry.started(pid: pid)
    }

    private static func runScript(_ arguments: [String]) async throws -> [String: String] {
        parseAssignments(try await runChecked([Repository.script("slapd-server")] + arguments).stdout)
    }
}
