import Foundation
import IDSyncTesting

/// A directory, a SCIM server and an installation whose secrets live in the vault, protected by a
/// service account of its own — the seed's setup.
struct VaultedInstallation {
    let dc: SambaDC
    let directory: SeededDirectory
    let scim: SCIMServer
    let install: IDSyncInstallation
    let serviceSAM: String
    let serviceUPN: String
    var servicePassword: String

    static func make(users: Int = 3) async throws -> VaultedInstallation {
        let dc = try await SambaDC.shared()
        let directory = try await SeededDirectory.make(in: dc, users: users)
        let scim = try await SCIMServer.start()
        let serviceOU = try await dc.makeOU(prefix: "svcacct")
        let sam = "svc-\(UUID().uuidString.prefix(8).lowercased())"
        let password = SambaDC.randomPassword()
        try await dc.addUser(in: serviceOU, cn: sam, sam: sam, password: password)
        let upn = "\(sam)@\(dc.upnSuffix)"
        let install = try IDSyncInstallation.make(dc: dc, containers: [directory.ou], bindUPN: directory.bindUPN,
                                                  bindPassword: directory.bindPassword, scim: scim,
                                                  serviceAccount: upn, interval: "1s")
        return VaultedInstallation(dc: dc, directory: directory, scim: scim, install: install, serviceSAM: sam,
                                   serviceUPN: upn, servicePassword: password)
    }

    /// Stores the service password and both connector secrets the way an admin would.
    func configure() async throws {
        try expectSuccess(await idsync(["service", "set-account", "--account", serviceUPN,
                                        "--password-file", try secretFile("svc", servicePassword)]))
        try expectSuccess(await idsync(["connector", "set-password", "contoso.test",
                                        "--password-file", try secretFile("adconn", directory.bindPassword)]))
        try expectSuccess(await idsync(["connector", "set-password", "cloud"], stdin: scim.token + "\n"))
    }

    func idsync(_ arguments: [String], stdin: String? = nil) async throws -> ProcessResult {
        try await install.idsync(arguments, stdin: stdin)
    }

    /// Writes a secret to a file of the test's own (outside what idsync writes) for a --…-file option.
    func secretFile(_ name: String, _ secret: String) throws -> String {
        try install.directory.write("given-\(name)-\(UUID().uuidString.prefix(6))", secret + "\n")
    }

    /// Resets the service account's password the way an AD admin does on a DC (not through idsync).
    func resetInDirectory(to password: String) async throws {
        try await dc.sambaTool(["user", "setpassword", serviceSAM, "--newpassword=\(password)"])
    }

    /// Whether the SCIM server holds a user with this userName now.
    func targetHasUser(_ userName: String) async throws -> Bool {
        try await scim.users().contains { $0.string("userName") == userName }
    }

    /// Points the installation's AD connector at a gate in front of the DC's LDAPS port, on the DC's own
    /// address (which its certificate names). The caller stops the gate.
    func routeThroughGate(_ decide: @escaping AnswerGate.Decision) async throws -> AnswerGate {
        guard let url = URLComponents(string: dc.ldapsURL), let host = url.host, let port = url.port else {
            throw CommandFailed(description: "cannot read the DC's address from \(dc.ldapsURL)")
        }
        let gate = try await AnswerGate(host: host, upstreamPort: port, decide: decide)
        let config = try install.config()
        let gated = config.replacingOccurrences(of: "url: \(dc.ldapsURL)", with: "url: ldaps://\(host):\(gate.port)")
        guard gated != config else {
            await gate.stop()
            throw CommandFailed(description: "the configuration does not name \(dc.ldapsURL)")
        }
        try install.writeConfig(gated)
        return gate
    }

    func cleanUp() async {
        _ = try? await install.stopService()
        try? await scim.stop()
    }
}

struct CommandFailed: Error, CustomStringConvertible {
    let description: String
}

/// Throws with the command's output unless it succeeded.
func expectSuccess(_ result: ProcessResult) throws {
    guard result.succeeded else { throw CommandFailed(description: "exit \(result.status): \(result.output)") }
}
