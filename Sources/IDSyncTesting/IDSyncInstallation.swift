import Foundation

/// An idsync installation in a temporary directory: configuration, secret files, database. Commands run
/// the real `idsync` binary with IDSYNC_CONFIG pointing here.
public struct IDSyncInstallation: Sendable {
    public let directory: TemporaryDirectory
    public let configPath: String
    public let databasePath: String
    public let sourceName: String
    public let targetName: String

    /// A configuration syncing `containers` of `dc` (bound as `bindUPN`) into `scim`. With a
    /// `serviceAccount`, the service section is written and the connector secrets are left to the vault
    /// (no password_file / token_file): the caller stores them with `idsync connector set-password`.
    public static func make(dc: SambaDC, containers: [String], bindUPN: String, bindPassword: String,
                            scim: SCIMServer, sourceName: String = "contoso.test", targetName: String = "cloud",
                            serviceAccount: String? = nil, interval: String = "30m",
                            extraLDAP: String = "") throws -> IDSyncInstallation {
        try make(dc: dc, containers: containers, bindUPN: bindUPN, bindPassword: bindPassword, scimURL: scim.url,
                 scimToken: scim.token, sourceName: sourceName, targetName: targetName, serviceAccount: serviceAccount,
                 interval: interval, extraLDAP: extraLDAP)
    }

    /// A configuration whose SCIM connector is Canaille's SCIM API, with the OAuth 2.0 client credentials
    /// `idsync cloud-account reinit` registers (so it needs a service account: the client lives in the vault).
    public static func make(dc: SambaDC, containers: [String], bindUPN: String, bindPassword: String,
                            canaille: CanailleServer, serviceAccount: String, interval: String = "30m") throws -> IDSyncInstallation {
        try make(dc: dc, containers: containers, bindUPN: bindUPN, bindPassword: bindPassword, scimURL: canaille.scimURL,
                 scimAuth: "type: oauth2-client-credentials, issuer: \"\(canaille.url)\"", serviceAccount: serviceAccount,
                 interval: interval)
    }

    private static func make(dc: SambaDC, containers: [String], bindUPN: String, bindPassword: String, scimURL: String,
                             scimToken: String? = nil, scimAuth: String? = nil, sourceName: String = "contoso.test",
                             targetName: String = "cloud", serviceAccount: String?, interval: String,
                             extraLDAP: String = "") throws -> IDSyncInstallation {
        let directory = try TemporaryDirectory(prefix: "install")
        ServerRegistry.removeAtExit(directory.path)
        try directory.write("adconn.password", bindPassword + "\n")
        if let scimToken { try directory.write("cloud.token", scimToken + "\n") }
        let containerList = containers.map { "\"\($0)\"" }.joined(separator: ", ")
        let inVault = serviceAccount != nil
        let service = serviceAccount.map { account in """
            service:
              account: \(account)
              password_file: service.password
              schedule: { interval: \(interval) }

            """ } ?? ""
        // connect_timeout: see SambaDC.connectTimeout.
        let yaml = """
            database: \(directory.file("idsync.sqlite"))
            \(service)connectors:
              - name: \(sourceName)
                type: ldap
                flavor: active-directory
                url: \(dc.ldapsURL)
                tls_ca_file: \(dc.caFile)
                connect_timeout: \(SambaDC.connectTimeout.components.seconds)s
                bind_dn: \(bindUPN)
                \(inVault ? "" : "password_file: adconn.password")
                base_dn: \(dc.baseDN)
                containers: [\(containerList)]
            \(extraLDAP)
              - name: \(targetName)
                type: scim
                url: \(scimURL)
                auth: { \(scimAuth ?? "type: bearer" + (inVault ? "" : ", token_file: cloud.token")) }
            """
        let configPath = try directory.write("idsync.yaml", yaml)
        return IDSyncInstallation(directory: directory, configPath: configPath, databasePath: directory.file("idsync.sqlite"),
                                  sourceName: sourceName, targetName: targetName)
    }

    public init(directory: TemporaryDirectory, configPath: String, databasePath: String, sourceName: String, targetName: String) {
        self.directory = directory; self.configPath = configPath; self.databasePath = databasePath
        self.sourceName = sourceName; self.targetName = targetName
    }

    /// Runs `idsync ARGS` against this installation.
    public func idsync(_ arguments: [String], stdin: String? = nil) async throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["IDSYNC_CONFIG"] = configPath
        return try await runProcess([Repository.idsyncBinary] + arguments, environment: environment, stdin: stdin)
    }

    /// `idsync service start`; a started service is registered to be stopped when the test process exits,
    /// whatever happens to the test.
    @discardableResult
    public func startService() async throws -> ProcessResult {
        try await startService(launcher: [])
    }

    /// `idsync service start` run through `launcher` (e.g. `setpriv --reuid=…` to start it as another user).
    @discardableResult
    public func startService(launcher: [String]) async throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["IDSYNC_CONFIG"] = configPath
        let result = try await runProcess(launcher + [Repository.idsyncBinary, "service", "start"], environment: environment)
        if let range = result.stdout.range(of: #"\(pid (\d+)\)"#, options: .regularExpression) {
            let digits = result.stdout[range].filter(\.isNumber)
            if let pid = Int32(digits) { ServerRegistry.started(pid: pid) }
        }
        return result
    }

    /// `idsync service stop`.
    @discardableResult
    public func stopService() async throws -> ProcessResult { try await idsync(["service", "stop"]) }

    /// Replaces the configuration file's text.
    public func writeConfig(_ yaml: String) throws {
        try directory.write("idsync.yaml", yaml)
    }

    public func config() throws -> String { try String(contentsOfFile: configPath, encoding: .utf8) }

    /// The database's contents as SQL text (`sqlite3 .dump`), to compare before and after a command.
    public func databaseDump() async throws -> String? {
        guard FileManager.default.fileExists(atPath: databasePath) else { return nil }
        return try await runChecked(["sqlite3", databasePath, ".dump"]).stdout
    }
}
