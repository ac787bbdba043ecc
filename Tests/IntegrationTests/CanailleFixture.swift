import Foundation
import IDSyncTesting
import SyncEngine
import SyncStore
import Vault

/// Samba AD as the source, Canaille as the cloud: its SCIM API, reached with the OAuth 2.0 client that
/// `idsync cloud-account reinit` registers — the seed's Azure AD, on open standards.
struct CanailleSetup {
    let dc: SambaDC
    let directory: SeededDirectory
    let canaille: CanailleServer
    let install: IDSyncInstallation
    let serviceSAM: String
    let serviceUPN: String
    let servicePassword: String

    static func make(users: Int = 6) async throws -> CanailleSetup {
        let dc = try await SambaDC.shared()
        async let canaille = CanailleServer.start()
        let directory = try await SeededDirectory.make(in: dc, users: users)
        let serviceOU = try await dc.makeOU(prefix: "svcacct")
        let sam = "svc-\(UUID().uuidString.prefix(8).lowercased())"
        let password = SambaDC.randomPassword()
        try await dc.addUser(in: serviceOU, cn: sam, sam: sam, password: password)
        let upn = "\(sam)@\(dc.upnSuffix)"
        let iam = try await canaille
        let install = try IDSyncInstallation.make(dc: dc, containers: [directory.ou], bindUPN: directory.bindUPN,
                                                  bindPassword: directory.bindPassword, canaille: iam, serviceAccount: upn,
                                                  interval: "1s")
        let setup = CanailleSetup(dc: dc, directory: directory, canaille: iam, install: install, serviceSAM: sam,
                                  serviceUPN: upn, servicePassword: password)
        try expectSuccess(await setup.idsync(["service", "set-account", "--account", upn], stdin: password + "\n"))
        try expectSuccess(await setup.idsync(["connector", "set-password", "contoso.test"], stdin: directory.bindPassword + "\n"))
        return setup
    }

    func idsync(_ arguments: [String], stdin: String? = nil) async throws -> ProcessResult {
        try await install.idsync(arguments, stdin: stdin)
    }

    /// `cloud-account reinit` with a fresh admin credential on standard input.
    func reinit(management: String? = nil) async throws -> ProcessResult {
        var arguments = ["cloud-account", "reinit", "--connector", "cloud"]
        if let management {
            arguments += ["--management-credential-file", try install.directory.write("mgmt-\(UUID().uuidString.prefix(6))", management)]
        }
        return try await idsync(arguments, stdin: try await canaille.registrationToken() + "\n")
    }

    /// The client idsync holds now, read from its vault the way the service does (the test knows the
    /// service password; the secret is never printed by idsync).
    func currentClient(servicePassword: String? = nil) async throws -> (id: String, secret: String) {
        let path = install.databasePath, password = servicePassword ?? self.servicePassword
        return try await offPool {
            let vault = KeyManager(storage: try SQLiteStore(path: path))
            let key = try vault.unlock(servicePassword: password)
            guard let id = try vault.secret(connector: "cloud", field: SecretField.clientID, key: key),
                  let secret = try vault.secret(connector: "cloud", field: SecretField.clientSecret, key: key) else {
                throw TestSetupError("no client in the vault")
            }
            return (id, secret)
        }
    }

    /// Canaille's users, read with the client idsync holds.
    func cloudUsers() async throws -> [[String: Any]] {
        let client = try await currentClient()
        return try await canaille.scimResources("Users", clientID: client.id, secret: client.secret)
    }

    func cloudGroups() async throws -> [[String: Any]] {
        let client = try await currentClient()
        return try await canaille.scimResources("Groups", clientID: client.id, secret: client.secret)
    }

    func cleanUp() async {
        _ = try? await install.stopService()
        try? await canaille.stop()
    }
}
