import Foundation
import IDSyncTesting
import Testing

/// No secret in any output, log, or file idsync wrote.
@Suite("Secrets stay secret")
struct SecretHygieneTests {
    @Test("the bind password and the token appear in no output and no file idsync wrote")
    func noSecretsAnywhere() async throws {
        let dc = try await SambaDC.shared()
        let directory = try await SeededDirectory.make(in: dc, users: 3)
        let scim = try await SCIMServer.start()
        defer { Task { try? await scim.stop() } }
        let install = try IDSyncInstallation.make(dc: dc, containers: [directory.ou], bindUPN: directory.bindUPN,
                                                  bindPassword: directory.bindPassword, scim: scim)
        let secrets = [directory.bindPassword, scim.token]

        var outputs: [String] = []
        for command in [["sync", "--verbose"], ["sync", "--full", "--verbose"], ["runs", "--errors"], ["connector", "list"],
                        ["connector", "show", "contoso.test"], ["connector", "show", "cloud"],
                        ["mv", "search", "userPrincipalName=\(directory.upn(0))"],
                        ["cs", "show", "contoso.test", "--dn", directory.users[0]]] {
            let result = try await install.idsync(command)
            #expect(result.status == 0, "\(command): \(result.output)")
            outputs.append(result.output)
        }
        // A failing run too: errors are where secrets tend to leak.
        try install.directory.write("cloud.token", "wrong-\(scim.token)\n")
        outputs.append(try await install.idsync(["sync", "--verbose"]).output)

        // Every file in the installation except the two secret files the admin wrote, database included
        // (WAL and shared-memory files too, when they exist).
        let written = try FileManager.default.contentsOfDirectory(atPath: install.directory.path)
            .filter { !["adconn.password", "cloud.token"].contains($0) }
        #expect(written.contains("idsync.sqlite"))
        for secret in secrets {
            for output in outputs { #expect(!output.contains(secret), "a secret in command output") }
            for file in written {
                let data = try Data(contentsOf: URL(fileURLWithPath: install.directory.file(file)))
                #expect(data.range(of: Data(secret.utf8)) == nil, "a secret in \(file)")
            }
        }
        // The database is not readable by others.
        let attributes = try FileManager.default.attributesOfItem(atPath: install.databasePath)
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        #expect(mode & 0o077 == 0, "idsync.sqlite is mode \(String(mode, radix: 8))")
    }
}
